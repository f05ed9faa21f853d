"""The sidecar from the Jupyter server's start, for a Prometheus to scrape (off by default).

Setting CGROUP_USAGE_METRICS_PORT (and optionally CGROUP_USAGE_METRICS_ADDRESS, loopback by
default) makes this server extension start the sidecar when the Jupyter server loads it, with
`--metrics-port`: `/metrics`, and nothing else, is then served on that TCP port without
Jupyter's login, whether or not a browser ever opens JupyterLab. There is still only one
sidecar: this extension supervises it as jupyter-server-proxy would (simpervisor, restarted
after a non-zero exit, through the same launcher and its backoff), on a Unix socket at a path
fixed here, and serverproxy.py hands jupyter-server-proxy that socket without a command, so the
proxy only forwards the plugin's authenticated requests to it.
"""

import atexit
import functools
import os
import shutil
import tempfile

PORT_VARIABLE = "CGROUP_USAGE_METRICS_PORT"
ADDRESS_VARIABLE = "CGROUP_USAGE_METRICS_ADDRESS"
DEFAULT_ADDRESS = "127.0.0.1"
PROCESS_NAME = "cgroup-usage"


def scrape_target(env=os.environ):
    """(address, port) to serve /metrics on; None when scraping is off; ValueError when malformed."""
    port = env.get(PORT_VARIABLE, "").strip()
    if port == "":
        return None
    if not (port.isdigit() and 1 <= int(port) <= 65535):
        raise ValueError(f"{PORT_VARIABLE}={port!r} is not a port number from 1 to 65535")
    return env.get(ADDRESS_VARIABLE, "").strip() or DEFAULT_ADDRESS, int(port)


@functools.lru_cache(maxsize=None)
def socket_path():
    """The sidecar's Unix socket, in a private (0700) directory made once per Jupyter server."""
    directory = tempfile.mkdtemp(prefix="cgroup-usage-")
    atexit.register(shutil.rmtree, directory, ignore_errors=True)
    return os.path.join(directory, "socket")


def _jupyter_server_extension_points():
    return [{"module": "jupyterlab_cgroup_usage.scrape"}]


def _load_jupyter_server_extension(serverapp):
    try:
        target = scrape_target()
    except ValueError as error:
        serverapp.log.error(f"cgroup-usage: {error}; /metrics is not served for scraping")
        return
    if target is None:
        return
    from simpervisor import SupervisedProcess  # jupyter-server-proxy's own supervisor

    from .serverproxy import launcher_command

    address, port = target
    command = [*launcher_command(socket_path()), "--metrics-port", str(port), "--metrics-address", address]
    process = SupervisedProcess(PROCESS_NAME, *command, log=serverapp.log)
    serverapp.log.info(f"cgroup-usage: starting the sidecar; /metrics for scraping on {address}:{port}")
    # The IOLoop exists but does not run yet: the start happens as soon as it does.
    serverapp.io_loop.add_callback(process.start)
