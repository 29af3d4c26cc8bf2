"""The load generator the web benchmarks use: each simulated person sends its own cookie to its own URL, and
wrk's counts (requests, errors, percentiles) come back as they were measured."""

from __future__ import annotations

import os
import shutil
import threading
from collections import Counter
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from bench import http_load

pytestmark = pytest.mark.skipif(
    shutil.which("wrk") is None and not os.environ.get("EMOTIPAL_REQUIRE_SERVICES"),
    reason="wrk is not installed (.ci/run installs it)",
)


class Seen:
    lock = threading.Lock()
    requests: Counter[tuple[str, str, str, str]] = Counter()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode() if length else ""
        with Seen.lock:
            Seen.requests[(self.command, self.path, self.headers.get("Cookie", ""), body)] += 1
        status = 404 if self.path.startswith("/missing") else 200
        self.send_response(status)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    do_GET = do_POST = _answer

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def port() -> Iterator[int]:
    Seen.requests.clear()
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield int(server.server_address[1])
    server.shutdown()


PEOPLE = [
    http_load.Person("sessionid=aaa", "t1", (("assignment", "11"),)),
    http_load.Person("sessionid=bbb", "t2", (("assignment", "22"),)),
]


def test_each_person_sends_its_own_cookie_to_its_own_url(port: int) -> None:
    load = http_load.Load("POST", "/api/{assignment}/entries", body='{"effort": 3}', idempotency_key=True)
    result = http_load.run(port, load, PEOPLE, connections=2, seconds=1, host="bench.invalid")
    assert result.requests > 10 and result.non_2xx == 0 and result.socket_errors == 0
    assert result.rate == pytest.approx(result.requests / result.seconds)
    assert 0 < result.p50_ms <= result.p95_ms <= result.p99_ms
    sent = {(method, path, cookie, body) for method, path, cookie, body in Seen.requests}
    assert sent == {
        ("POST", "/api/11/entries", "sessionid=aaa", '{"effort": 3}'),
        ("POST", "/api/22/entries", "sessionid=bbb", '{"effort": 3}'),
    }
    # Roughly as many requests as wrk counted reached the server (a few in flight at the end may not count).
    assert abs(sum(Seen.requests.values()) - result.requests) <= 4


def test_answers_of_400_and_over_are_counted_as_errors(port: int) -> None:
    result = http_load.run(port, http_load.Load("GET", "/missing"), PEOPLE, 2, 1, "bench.invalid")
    assert result.requests > 0 and result.non_2xx == result.requests
