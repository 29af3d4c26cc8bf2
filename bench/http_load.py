"""HTTP load with wrk (Debian's package): one wrk thread per simulated person, each on its own connection.

wrk is a C load generator, so the client side costs little next to the server's; its Lua hooks give each
thread its own person (session cookie, CSRF token, URL) and report the latency percentiles as one JSON line.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

JSON_MARK = "WRKJSON "


@dataclass(frozen=True)
class Person:
    """What one simulated browser sends: its cookies and CSRF token (sessions come from a real login)."""

    cookie: str
    csrf: str = ""
    fill: tuple[tuple[str, str], ...] = ()  # values for the Load's path, e.g. (("assignment", "12"),)


@dataclass(frozen=True)
class Load:
    method: str  # GET or POST
    path: str  # may name a person's values, e.g. /api/v1/assignments/{assignment}/entries
    body: str = ""  # JSON for POST
    idempotency_key: bool = False  # a fresh Idempotency-Key per request, as the app's client sends


@dataclass(frozen=True)
class Result:
    requests: int
    seconds: float
    non_2xx: int
    socket_errors: int
    p50_ms: float
    p95_ms: float
    p99_ms: float

    @property
    def rate(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


def wrk_path() -> str | None:
    return shutil.which("wrk")


def _lua_string(value: str) -> str:
    return json.dumps(value)  # a JSON string literal is a valid Lua string literal for ASCII text


def script(load: Load, people: list[Person], paths: list[str], host: str) -> str:
    rows = ",\n".join(
        f"  {{cookie={_lua_string(p.cookie)}, csrf={_lua_string(p.csrf)}, path={_lua_string(u)}}}"
        for p, u in zip(people, paths, strict=True)
    )
    return f"""
local people = {{
{rows}
}}
local count = 0
function setup(thread)
  count = count + 1
  thread:set("me", count)
end
function init(args)
  person = people[((me - 1) % #people) + 1]
  math.randomseed(me * 7919 + os.time())
end
function request()
  local headers = {{
    ["Host"] = {_lua_string(host)},
    ["X-Forwarded-Proto"] = "https",
    ["Referer"] = "https://" .. {_lua_string(host)} .. person.path,
    ["Cookie"] = person.cookie,
  }}
  if {_lua_string(load.method)} ~= "GET" then
    headers["Origin"] = "https://" .. {_lua_string(host)}
    headers["X-CSRFToken"] = person.csrf
    headers["Content-Type"] = "application/json"
  end
  if {str(load.idempotency_key).lower()} then
    headers["Idempotency-Key"] = string.format("%08x%08x%08x%08x", math.random(0, 2147483646),
      math.random(0, 2147483646), math.random(0, 2147483646), me)
  end
  return wrk.format({_lua_string(load.method)}, person.path, headers, {_lua_string(load.body)})
end
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('{JSON_MARK}{{"requests": %d, "us": %d, "status": %d, "socket": %d, ' ..
    '"p50": %d, "p95": %d, "p99": %d}}\\n', summary.requests, summary.duration, e.status,
    e.connect + e.read + e.write + e.timeout, latency:percentile(50), latency:percentile(95),
    latency:percentile(99)))
end
"""


def run(port: int, load: Load, people: list[Person], connections: int, seconds: float, host: str) -> Result:
    """`connections` simulated people (people are reused round-robin when fewer), for `seconds`. wrk counts
    only answers of 400 and over as errors: check once beforehand that the path answers 200, not a redirect."""
    wrk = wrk_path()
    if wrk is None:
        raise RuntimeError("wrk is not installed (apt-get install wrk)")
    chosen = [people[i % len(people)] for i in range(connections)]
    paths = [load.path.format(**dict(p.fill)) for p in chosen]
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as lua:
        lua.write(script(load, chosen, paths, host))
    try:
        out = subprocess.run(
            [
                wrk,
                f"-t{connections}",
                f"-c{connections}",
                f"-d{seconds:g}s",
                "--timeout",
                "10s",
                "-s",
                lua.name,
                f"http://127.0.0.1:{port}/",
            ],
            capture_output=True,
            text=True,
            timeout=seconds + 60,
            check=True,
        ).stdout
    finally:
        Path(lua.name).unlink(missing_ok=True)
    line = next(x for x in out.splitlines() if x.startswith(JSON_MARK))
    got = json.loads(line[len(JSON_MARK) :])
    return Result(
        requests=got["requests"],
        seconds=got["us"] / 1e6,
        non_2xx=got["status"],
        socket_errors=got["socket"],
        p50_ms=got["p50"] / 1000,
        p95_ms=got["p95"] / 1000,
        p99_ms=got["p99"] / 1000,
    )
