"""How gunicorn's web workers start and end (platform/gunicorn_conf.py calls these from its hooks).

A worker is replaced every few thousand requests (`max_requests`), so under load replacements are frequent,
and each used to cost about two seconds in which its share of the requests waited: the API submit's p95 at 8
clients was 1.3 s while its median was 50 ms, and /healthz's was 250 ms against 3 ms (bench/bench_http.py).

- Starting: gunicorn's master runs platform/warm.py's `warm_up` before it forks a worker, so every worker, a
  replacement included, starts with the URL configuration, templates and translations in memory (a new
  worker's first request spent 1.1 s importing the URLs).
- Ending: `exit_at_once` ends a worker that leaves normally without Python's own shutdown, which freed the
  application object by object for 0.8 s; gunicorn's master starts a replacement only once the old process
  has ended. It is now 20 ms from a worker's exit to its replacement's start.
"""

from __future__ import annotations

import atexit
import os
import sys
from typing import NoReturn


def exit_at_once() -> NoReturn:
    """End a web worker's process without Python's shutdown, after what of it matters: the database connections
    closed (PostgreSQL sees a goodbye, not a dropped connection), the functions registered to run at exit
    (logging's flush among them) and the standard streams flushed."""
    from django.db import connections

    try:
        connections.close_all()
        atexit._run_exitfuncs()  # not public, but the one way to run them without the interpreter's teardown
        sys.stdout.flush()
        sys.stderr.flush()
    finally:
        os._exit(0)
