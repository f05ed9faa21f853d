"""The frozen-UI workload, run inside the benchmark's kernel (sent as the cell's code).

A notebook that holds a large buffer and then forks sleeping workers: every child maps the
parent's private pages, so reading each child's /proc/<pid>/smaps_rollup (what psutil's
memory_full_info() does) costs time in proportion to that memory.
"""

import ctypes
import json
import os
import signal
import time

PR_SET_PDEATHSIG = 1
_children = []
_memory = None


def start_workload(gigabytes, children, lifetime_seconds):
    """Fill `gigabytes` GiB of private memory, then fork `children` sleeping processes."""
    global _memory
    # Repeating one non-zero byte writes every page: private, resident, not the zero page.
    _memory = bytearray(b"\x01") * (gigabytes << 30)
    libc = ctypes.CDLL(None, use_errno=True)
    parent = os.getpid()
    for _ in range(children):
        pid = os.fork()
        if pid == 0:
            try:
                # Die with the kernel even if the benchmark is killed before it cleans up.
                libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
                if os.getppid() == parent:
                    time.sleep(lifetime_seconds)
            finally:
                os._exit(0)
        _children.append(pid)
    print(json.dumps({"kernel": parent, "children": _children, "bytes": len(_memory)}))

