"""HTTP servers on loopback for the runtime tests, bound to port 0 the moment they are made.

Asking the kernel for a free port, closing it and binding that number later races every other process on the
machine (eight engineers' test runs share it): another server can take the port in between, and the test then
fails to start its own or, worse, talks to someone else's. A socket bound to port 0 owns the port the kernel
gave it from the first moment; the server is made before anyone needs its URL and serves once started.
"""

from __future__ import annotations

import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class LoopbackServer(ThreadingHTTPServer):
    """A threading HTTP server listening on (host, a port of its own); `start(handler)` serves from a daemon thread."""

    def __init__(self, host: str = "127.0.0.1") -> None:
        super().__init__((host, 0), BaseHTTPRequestHandler)  # bound and listening from here on
        self.port: int = self.server_address[1]
        self._thread: threading.Thread | None = None

    def start(self, handler: type[BaseHTTPRequestHandler]) -> "LoopbackServer":
        self.RequestHandlerClass = handler
        self._thread = threading.Thread(target=self.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._thread is not None:  # shutdown() waits for serve_forever: only once it was started
            self.shutdown()
            self._thread.join(timeout=30)
        self.server_close()


def listening_socket(host: str = "127.0.0.1") -> socket.socket:
    """A TCP socket bound to (host, port 0) and listening: hand it to a server (uvicorn's `sockets=`)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind((host, 0))
    sock.listen(128)
    return sock
