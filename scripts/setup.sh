# Shared set-up for demo.sh and test.sh (sourced, not run): from a fresh clone on Debian with
# only Python 3 and Node.js, get the npm packages, build the wheel and install it in .venv.

set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv"
export PIP_DISABLE_PIP_VERSION_CHECK=1 npm_config_audit=false npm_config_fund=false

step() { printf '\n==> %s\n' "$*"; }

apt_install() {
  if [ "$(id -u)" -ne 0 ]; then
    echo "missing Debian packages: $*; install them as root (apt-get install -y $*)" >&2
    return 1
  fi
  step "apt-get install $*"
  DEBIAN_FRONTEND=noninteractive apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@"
}

ensure_node_modules() {
  command -v npm >/dev/null || apt_install npm
  # npm ci only when needed: it wipes node_modules, which a developer may be using.
  if [ ! -f "$ROOT/node_modules/.package-lock.json" ] ||
    [ "$ROOT/package-lock.json" -nt "$ROOT/node_modules/.package-lock.json" ]; then
    step "npm ci"
    (cd "$ROOT" && npm ci --no-audit --no-fund)
  fi
}

ensure_venv() {
  if [ ! -x "$VENV/bin/pip" ]; then
    step "python3 -m venv .venv"
    if ! python3 -m venv "$VENV"; then
      # Debian's python3 cannot create a venv with pip until python3-venv is installed.
      rm -rf "$VENV"
      apt_install python3-venv
      python3 -m venv "$VENV"
    fi
  fi
}

build_wheel() {
  # The wheel's build hook runs `npm run build:prod`: plugin (tsc + labextension) and sidecar bundle.
  step "build the wheel (pip wheel .)"
  rm -rf "$ROOT/dist"
  (cd "$ROOT" && "$VENV/bin/pip" wheel --no-deps --wheel-dir dist .)
  WHEEL="$(ls "$ROOT"/dist/jupyterlab_cgroup_usage-*.whl)"
}

install_wheel() {
  # Installed the way users do: pip install of the wheel file, with JupyterLab and Notebook 7
  # beside it (they share the labextension).
  step "pip install $(basename "$WHEEL") jupyterlab notebook"
  "$VENV/bin/pip" install --quiet "jupyterlab>=4,<5" "notebook>=7,<8" "$WHEEL"
  "$VENV/bin/pip" install --quiet --no-deps --force-reinstall "$WHEEL"
  "$VENV/bin/jupyter" labextension list 2>&1 | grep -F jupyterlab-cgroup-usage
}

setup_all() {
  ensure_node_modules
  ensure_venv
  build_wheel
  install_wheel
}
