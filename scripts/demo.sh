#!/usr/bin/env bash
# The demo: build the extension, install the wheel in .venv and start JupyterLab on localhost.
# PORT (default 8888) picks the port; Ctrl-C stops it.
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"

setup_all

PORT="${PORT:-8888}"
TOKEN="$("$VENV/bin/python" -c 'import secrets; print(secrets.token_hex(24))')"
ROOT_FLAG=()
[ "$(id -u)" -eq 0 ] && ROOT_FLAG=(--allow-root)

step "jupyter lab on 127.0.0.1:$PORT"
echo "Open: http://127.0.0.1:$PORT/lab?token=$TOKEN"
cd "$ROOT"
exec "$VENV/bin/jupyter" lab --no-browser --ip 127.0.0.1 --port "$PORT" \
  --ServerApp.port_retries=0 --IdentityProvider.token="$TOKEN" "${ROOT_FLAG[@]}"
