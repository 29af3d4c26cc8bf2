"""A push service on localhost for the reminder tests: it answers each push with the status an answer
function gives for the request's path, and keeps what it received (headers in lower case, body)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class PushSink:
    url: str  # the service's root, http://127.0.0.1:<port>
    received: list[tuple[dict[str, str], bytes]] = field(default_factory=list)


@contextmanager
def push_sink(answer: Callable[[str], int]) -> Iterator[PushSink]:
    sink = PushSink(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            sink.received.append(({k.lower(): v for k, v in self.headers.items()}, body))
            status = answer(self.path)
            reply = b"" if status == 201 else f"answer {status}".encode()
            self.send_response(status)
            self.send_header("Content-Length", str(len(reply)))
            self.end_headers()
            self.wfile.write(reply)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    sink.url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        yield sink
    finally:
        server.shutdown()
        server.server_close()
