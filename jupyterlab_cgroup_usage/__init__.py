"""JupyterLab status-bar extension showing the container's CPU and memory.

The Python side only tells JupyterLab where the prebuilt labextension is and (through the
`jupyter_serverproxy_servers` entry point, see serverproxy.py) how to launch the sidecar.
"""


def _jupyter_labextension_paths():
    return [{"src": "labextension", "dest": "jupyterlab-cgroup-usage"}]
