"""Starts the sidecar for jupyter-server-proxy, with the backoff its supervisor lacks.

jupyter-server-proxy (simpervisor) starts a command again, at once, whenever it exits with a
non-zero status, and never when it exits 0. The sidecar exits 128+n after a signal, so a
`kill` brings it back; but one that dies at start-up every time (a broken bundle, a node that
refuses its flags, a socket it cannot create) would be restarted in a tight loop. Each start
therefore goes through this launcher, which keeps the times of recent starts next to the
socket (in jupyter-server-proxy's private directory), waits longer before each quick
restart, and after too many gives up for a while: it answers every request with the reason
(no_node.serve_reason) and then exits non-zero so that the next attempt is a fresh one.
Otherwise it replaces itself with the sidecar (exec), so no extra process stays resident.
On Linux it first asks the kernel to send the sidecar SIGTERM when the Jupyter server exits,
however it exits: simpervisor stops its processes only on the server's own signals, and after
`POST /api/shutdown` or a crash the sidecar would otherwise go on sampling (and holding the
metrics port) with nobody to ask it.

Usage: python -m jupyterlab_cgroup_usage.launcher COMMAND... (COMMAND has --unix-socket PATH)
"""

import json
import os
import sys
import time
from pathlib import Path

#: Starts further back than this do not count: a sidecar that served for a minute was not crashing.
WINDOW_SECONDS = 60
#: The wait before the second start within the window; it doubles with every further one.
FIRST_DELAY_SECONDS = 0.5
#: Starts within the window after which the launcher gives up for COOL_DOWN_SECONDS.
MAX_STARTS = 5
COOL_DOWN_SECONDS = 300
#: Exit status after the cool-down (EX_TEMPFAIL): non-zero, so simpervisor starts us again.
EXIT_TRY_AGAIN = 75
RECORD_NAME = "cgroup-usage-starts.json"


def start_delay(recent_starts):
    """Seconds to wait before the next start, given the starts within the window; None: give up."""
    if recent_starts >= MAX_STARTS:
        return None
    if recent_starts == 0:
        return 0.0
    return FIRST_DELAY_SECONDS * 2 ** (recent_starts - 1)


def recent(starts, now):
    """The starts (time.monotonic() values, shared by all processes) within the window before `now`."""
    return [start for start in starts if now - WINDOW_SECONDS <= start <= now]


def give_up_reason(starts):
    return (
        f"the cgroup-usage sidecar exited {starts} times within {WINDOW_SECONDS} s of being started; "
        f"it is tried again every {COOL_DOWN_SECONDS // 60} minutes (its error is in the Jupyter server log)"
    )


def read_starts(record):
    try:
        starts = json.loads(record.read_text())
    except FileNotFoundError:
        return []
    except ValueError:
        return []  # a torn write: start afresh
    return [start for start in starts if isinstance(start, (int, float))] if isinstance(starts, list) else []


def log(message):
    print(f"cgroup-usage launcher: {message}", file=sys.stderr, flush=True)


def give_up(socket_path, starts):
    from .no_node import serve_reason  # here: http.server would add to every start's cost

    reason = give_up_reason(starts)
    log(f"{reason}; answering with that reason until then")
    deadline = time.monotonic() + COOL_DOWN_SECONDS
    try:
        serve_reason(socket_path, reason, COOL_DOWN_SECONDS)
    except OSError as error:
        # Not even the stand-in can listen: still wait, or this would be the tight loop.
        log(f"cannot answer on {socket_path}: {error}")
        time.sleep(max(0.0, deadline - time.monotonic()))
    sys.exit(EXIT_TRY_AGAIN)


#: prctl(2) option: the signal the kernel sends this process when its parent exits (kept across exec).
PR_SET_PDEATHSIG = 1


def exit_with_parent():
    """Linux: SIGTERM when the Jupyter server (our parent) exits; elsewhere nothing is done."""
    if not sys.platform.startswith("linux"):
        return
    import ctypes
    import signal

    parent = os.getppid()
    try:
        failed = ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0) != 0
    except (OSError, AttributeError) as error:
        log(f"cannot ask to exit with the Jupyter server: {error}")
        return
    if failed:
        log(f"cannot ask to exit with the Jupyter server: {os.strerror(ctypes.get_errno())}")
    elif os.getppid() != parent:
        sys.exit(0)  # the server is already gone: the signal would never come


def main(command):
    socket_path = command[command.index("--unix-socket") + 1]
    record = Path(socket_path).parent / RECORD_NAME
    try:
        starts = recent(read_starts(record), time.monotonic())
    except OSError as error:
        log(f"cannot read {record}: {error}")
        starts = []
    delay = start_delay(len(starts))
    if delay is None:
        give_up(socket_path, len(starts))
    if delay:
        log(f"the sidecar was started {len(starts)} times in the last {WINDOW_SECONDS} s; waiting {delay:g} s")
        time.sleep(delay)
    starts.append(time.monotonic())
    try:
        record.write_text(json.dumps(starts))
    except OSError as error:
        # Without a record the next start could not back off: wait as long as we ever do.
        log(f"cannot write {record}: {error}")
        time.sleep(FIRST_DELAY_SECONDS * 2 ** (MAX_STARTS - 2))
    # The sidecar's flags are the package's choice: NODE_OPTIONS (e.g. --inspect set for other
    # tools) could reopen the inspector that --disable-sigusr1 keeps closed.
    env = {name: value for name, value in os.environ.items() if name != "NODE_OPTIONS"}
    exit_with_parent()
    try:
        os.execve(command[0], command, env)
    except OSError as error:
        log(f"cannot run {command[0]}: {error}")
        sys.exit(127)


if __name__ == "__main__":
    main(sys.argv[1:])
