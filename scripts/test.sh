#!/usr/bin/env bash
# Every test, from a fresh clone: installs what it needs (Chromium from Debian, npm packages,
# the built wheel in .venv, qemu and Debian's kernel for the VM test), then runs the linters
# (check only), the sidecar typecheck and tests (real cgroup and a real cgroup v2 kernel in qemu included),
# the frontend typecheck and jest tests, and the Playwright end-to-end tests in Chromium.
# The browser tests run again, in part, against the oldest JupyterLab package.json admits (4.0)
# with the oldest Notebook 7 (7.0, which pins JupyterLab 4.0).
# Ends with one line "N passed, N failed, N skipped" summing all runners; exits non-zero if
# anything failed. Logs and reports go to artifacts/.
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"
set +e

ARTIFACTS="$ROOT/artifacts"
mkdir -p "$ARTIFACTS"
PASSED=0 FAILED=0 SKIPPED=0 STATUS=0
START=$SECONDS

# Adds a runner's counts; a step that failed without reporting a failed test counts as one failure.
count() { # name exit-code passed failed skipped
  echo "--> $1: exit $2, $3 passed, $4 failed, $5 skipped ($((SECONDS - START)) s elapsed)"
  PASSED=$((PASSED + $3)) SKIPPED=$((SKIPPED + $5))
  if [ "$2" -ne 0 ] && [ "$4" -eq 0 ]; then FAILED=$((FAILED + 1)); else FAILED=$((FAILED + $4)); fi
  [ "$2" -eq 0 ] || STATUS=1
}

finish() {
  echo
  echo "total time: $((SECONDS - START)) s"
  echo "$PASSED passed, $FAILED failed, $SKIPPED skipped"
  exit "$STATUS"
}

run_logged() { # name command...: runs with output to the console and artifacts/<name>.log
  local name="$1"
  shift
  step "$name: $*"
  (cd "$ROOT" && "$@") 2>&1 | tee "$ARTIFACTS/$name.log"
  return "${PIPESTATUS[0]}"
}

# The node test runner ends with "# pass N" (TAP) or "ℹ pass N" (spec) lines.
node_test_count() { # log-file field
  grep -E "^(#|ℹ) $2 [0-9]+" "$1" | tail -1 | grep -oE '[0-9]+$' || echo 0
}

# jest ends with "Tests:       1 failed, 2 skipped, 10 passed, 13 total".
jest_count() { # log-file field
  grep -E '^Tests:' "$1" | tail -1 | grep -oE "[0-9]+ $2" | grep -oE '^[0-9]+' || echo 0
}

# Playwright's JSON report as "passed failed skipped" (0 0 0 when it wrote none).
playwright_counts() {
  if [ -f "$ARTIFACTS/playwright.json" ]; then
    node -e 'const s = require(process.argv[1]).stats; console.log(s.expected + s.flaky, s.unexpected, s.skipped);' \
      "$ARTIFACTS/playwright.json"
  else
    echo 0 0 0
  fi
}

# ---- set-up: anything failing here is one failure and stops the run
[ -x /usr/bin/chromium ] || apt_install chromium || { count setup 1 0 1 0; finish; }
# promtool (Debian's prometheus package) validates the sidecar's /metrics exposition.
command -v promtool >/dev/null || apt_install prometheus || { count setup 1 0 1 0; finish; }
# fuse3 (libfuse 3) and mfusepy run the slow-statfs FUSE filesystem of test/sidecar/disk.test.ts.
command -v fusermount3 >/dev/null || apt_install fuse3 || { count setup 1 0 1 0; finish; }
# The real-kernel test's qemu, kernel and initramfs (test/sidecar/vm.test.ts runs it again: a no-op then).
( set -e; setup_all; "$VENV/bin/pip" install --quiet mfusepy; bash "$ROOT/test/sidecar/vm/prepare.sh" ) 2>&1 |
  tee "$ARTIFACTS/setup.log"
[ "${PIPESTATUS[0]}" -eq 0 ] || { count setup 1 0 1 0; finish; }
echo "--> setup done ($((SECONDS - START)) s elapsed)"

# ---- lint: eslint, prettier and stylelint, checking only (npm run lint fixes)
run_logged lint npm run --silent lint:check
count lint:check $? 0 0 0

# ---- sidecar
run_logged typecheck-sidecar npm run --silent typecheck:sidecar
count typecheck:sidecar $? 0 0 0

run_logged test-sidecar npm run --silent test:sidecar
code=$?
log="$ARTIFACTS/test-sidecar.log"
count test:sidecar $code "$(node_test_count "$log" pass)" "$(node_test_count "$log" fail)" \
  "$(($(node_test_count "$log" skipped) + $(node_test_count "$log" todo)))"

# ---- frontend: typecheck (src and test/plugin), then jest
run_logged typecheck-frontend npm run --silent typecheck:frontend
count typecheck:frontend $? 0 0 0

run_logged test-frontend npm run --silent test:frontend
code=$?
log="$ARTIFACTS/test-frontend.log"
count test:frontend $code "$(jest_count "$log" passed)" "$(jest_count "$log" failed)" \
  "$(($(jest_count "$log" skipped) + $(jest_count "$log" todo)))"

# ---- end-to-end: real JupyterLab from .venv, real Chromium, real cgroups
run_logged typecheck-e2e npm run --silent typecheck:e2e
count typecheck:e2e $? 0 0 0

export CGROUP_USAGE_VENV="$VENV"
rm -f "$ARTIFACTS/playwright.json"
run_logged test-e2e npm run --silent test:e2e
code=$?
read -r ok bad skipped < <(playwright_counts)
count test:e2e $code "$ok" "$bad" "$skipped"

# ---- the oldest JupyterLab that package.json's ranges admit, with the oldest Notebook 7: the same
# wheel in a venv of its own, `labextension list` must say OK, and the status bar, settings, limits,
# Notebook 7 and placement specs run against it.
OLDEST_LAB="4.0.*"
OLDEST_NOTEBOOK="7.0.*"
VENV_OLDEST="$ROOT/.venv-jupyterlab-4.0"
step "JupyterLab $OLDEST_LAB and Notebook $OLDEST_NOTEBOOK in $VENV_OLDEST"
(
  set -e
  [ -x "$VENV_OLDEST/bin/pip" ] || python3 -m venv "$VENV_OLDEST"
  wheel="$(ls "$ROOT"/dist/jupyterlab_cgroup_usage-*.whl)"
  "$VENV_OLDEST/bin/pip" install --quiet "jupyterlab==$OLDEST_LAB" "notebook==$OLDEST_NOTEBOOK" "$wheel"
  "$VENV_OLDEST/bin/pip" install --quiet --no-deps --force-reinstall "$wheel"
  listed="$("$VENV_OLDEST/bin/jupyter" labextension list 2>&1)"
  echo "$listed"
  echo "$listed" | grep -F 'jupyterlab-cgroup-usage v' | grep -q 'OK'
) 2>&1 | tee "$ARTIFACTS/setup-jupyterlab-4.0.log"
count "labextension list OK (JupyterLab $OLDEST_LAB, Notebook $OLDEST_NOTEBOOK)" "${PIPESTATUS[0]}" 0 0 0

export CGROUP_USAGE_VENV="$VENV_OLDEST"
rm -f "$ARTIFACTS/playwright.json"
run_logged test-e2e-jupyterlab-4.0 npm run --silent test:e2e -- status settings limits notebook7 placement
code=$?
read -r ok bad skipped < <(playwright_counts)
count "test:e2e (JupyterLab $OLDEST_LAB, Notebook $OLDEST_NOTEBOOK)" $code "$ok" "$bad" "$skipped"

finish
