#!/usr/bin/env python3
"""A health endpoint for deploy tests: serves GET (any path) on 127.0.0.1 with
the status code written in a file (default 200), so a node's restart script
decides whether the node looks healthy.  Usage: healthstub.py STATUS_FILE
PORT_FILE; it writes the port it got into PORT_FILE."""
import http.server
import os
import sys
import threading


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        try:
            with open(sys.argv[1]) as f:
                status = int(f.read().strip() or "200")
        except (OSError, ValueError):
            status = 200
        body = b'{"status":"stub"}'
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
with open(sys.argv[2], "w") as f:
    f.write(str(server.server_address[1]))
# a stub whose test forgot it goes away on its own after 15 minutes
threading.Timer(900, lambda: os._exit(0)).start()
server.serve_forever()
