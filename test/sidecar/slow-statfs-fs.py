"""A FUSE filesystem whose statfs blocks until released: a stand-in for a hung NFS mount.

Usage: python slow_statfs_fs.py MOUNTPOINT. Prints "ready" once mounted, "statfs" when a
statfs call arrives (before it blocks) and "answered" when it returns. A line "release" on
stdin, or stdin closing, lets the blocked calls and all later ones answer at once with
1000 blocks of 4096 bytes, 250 of them free. The root directory is the only file.
"""

import errno
import stat
import sys
import threading
import time

import mfusepy as fuse

released = threading.Event()


def say(word):
    print(word, flush=True)


class SlowStatfs(fuse.Operations):
    use_ns = True

    def init(self, path):
        say("ready")

    def getattr(self, path, fh=None):
        if path != "/":
            raise fuse.FuseOSError(errno.ENOENT)
        now = time.time_ns()
        return {"st_mode": stat.S_IFDIR | 0o755, "st_nlink": 2, "st_atime": now, "st_mtime": now, "st_ctime": now}

    def readdir(self, path, fh):
        return [".", ".."]

    def statfs(self, path):
        say("statfs")
        released.wait()
        say("answered")
        return {"f_bsize": 4096, "f_frsize": 4096, "f_blocks": 1000, "f_bfree": 250, "f_bavail": 250}


def watch_stdin():
    for line in sys.stdin:
        if line.strip() == "release":
            break
    released.set()


threading.Thread(target=watch_stdin, daemon=True).start()
fuse.FUSE(SlowStatfs(), sys.argv[1], foreground=True)
