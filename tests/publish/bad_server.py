#!/usr/bin/env python3
"""Misbehaving HTTP servers for tests/publish/http_test.sh, on 127.0.0.1.

  bad_server.py slow PORT          a witness that answers after 30 s
  bad_server.py lie PORT           a witness that answers a cosignature that
                                   does not verify
  bad_server.py 500 PORT           a tile server that always fails
  bad_server.py garbage PORT       a tile server that answers random bytes
  bad_server.py truncate PORT DIR  serves DIR, entry bundles cut in half

Each stops by itself after 120 s at the latest.
"""
import base64
import http.server
import os
import sys
import threading
import time

MODE, PORT = sys.argv[1], int(sys.argv[2])
ROOT = sys.argv[3] if len(sys.argv) > 3 else ""


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def reply(self, status, body, ctype="application/octet-stream"):
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self):
        n = int(self.headers.get("Content-Length", "0"))
        self.rfile.read(n)
        if MODE == "slow":
            time.sleep(30)
            self.reply(500, b"too late\n", "text/plain")
        elif MODE == "lie":
            sig = base64.b64encode(os.urandom(4 + 8 + 64)).decode()
            self.reply(200, ("\u2014 witness-3.example " + sig + "\n").encode(), "text/plain")
        else:
            self.reply(404, b"")

    def do_GET(self):
        if MODE == "500":
            self.reply(500, b"internal error\n", "text/plain")
        elif MODE == "garbage":
            self.reply(200, os.urandom(300))
        elif MODE == "truncate":
            path = os.path.normpath(os.path.join(ROOT, self.path.lstrip("/")))
            if not path.startswith(ROOT) or not os.path.isfile(path):
                self.reply(404, b"")
                return
            with open(path, "rb") as f:
                data = f.read()
            if "/tile/entries/" in self.path:
                data = data[: len(data) // 2]
            self.reply(200, data)
        else:
            self.reply(404, b"")


server = http.server.ThreadingHTTPServer(("127.0.0.1", PORT), Handler)
server.daemon_threads = True
threading.Timer(120, server.shutdown).start()
server.serve_forever()
