"""The benchmark's workload: GB GiB of private memory, written before forking N sleeping
children, so that every child maps all of it (what makes smaps_rollup, and so psutil's
memory_full_info(), expensive).

Usage: python -u hold.py GB N. Prints one JSON line (its pid, the children's pids) once the
children exist; at a line or end of file on stdin, or Ctrl-C, kills and reaps them and exits.
The children also die with this process however it ends (PR_SET_PDEATHSIG).
"""

import ctypes
import json
import os
import signal
import sys
import time

PR_SET_PDEATHSIG = 1
CHILD_LIFETIME_SECONDS = 3600


def fork_sleepers(count):
    libc = ctypes.CDLL(None, use_errno=True)
    parent = os.getpid()
    children = []
    for _ in range(count):
        pid = os.fork()
        if pid == 0:
            try:
                libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
                if os.getppid() == parent:  # the parent may have died before prctl
                    time.sleep(CHILD_LIFETIME_SECONDS)
            finally:
                os._exit(0)
        children.append(pid)
    return children


def main():
    gigabytes, count = int(sys.argv[1]), int(sys.argv[2])
    # Repeating a non-zero byte writes every page: private and resident, not the shared zero page.
    memory = bytearray(b"\x01") * (gigabytes << 30)
    children = []
    try:
        children = fork_sleepers(count)
        print(json.dumps({"parent": os.getpid(), "children": children, "bytes": len(memory)}))
        sys.stdin.readline()
    except KeyboardInterrupt:
        pass
    finally:
        for pid in children:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)


if __name__ == "__main__":
    main()
