"""How gunicorn's web workers start and end (platform/gunicorn_conf.py calls these from its hooks).

A worker is replaced every few thousand requests (`max_requests`), so under load replacements are frequent,
and each used to cost about two seconds in which its share of the requests waited: the API submit's p95 at 8
clients was 1.3 s while its median was 50 ms, and /healthz's was 250 ms against 3 ms (bench/bench_http.py).

- Starting: `warm_up` loads in gunicorn's master, before it forks a worker, what Django otherwise loads on a
  worker's first request: the URL configuration (every view and API module; 1.1 s), the compiled templates
  and the translation catalogues. Every worker, a replacement included, starts with them in memory.
- Ending: `exit_at_once` ends a worker that leaves normally without Python's own shutdown, which freed the
  application object by object for 0.8 s; gunicorn's master starts a replacement only once the old process
  has ended. It is now 20 ms from a worker's exit to its replacement's start.

Nothing here opens a connection to the database or Redis in the master, and any a library opened anyway is
closed: a connection must never be shared by the processes forked after it.
"""

from __future__ import annotations

import atexit
import logging
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import NoReturn

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Warmed:
    url_patterns: int
    templates: int
    templates_skipped: int
    languages: int


def warm_up() -> Warmed:
    from django.db import connections

    try:
        return Warmed(_url_patterns(), *_templates(), _translations())
    finally:
        connections.close_all()


def _url_patterns() -> int:
    from django.urls import get_resolver

    resolver = get_resolver()
    # reverse_dict imports every included URL module and builds the lookup tables that resolving and
    # reversing use, as the first request would.
    return len(resolver.reverse_dict)


def _templates() -> tuple[int, int]:
    """Compile every template file into the cached loader. Third-party apps ship templates for parts that are
    not installed here (allauth's social accounts, say), which do not compile: those are never rendered, so
    they are skipped and counted."""
    from django.template import TemplateSyntaxError, engines
    from django.template.autoreload import get_template_directories

    compiled = skipped = 0
    folders = sorted(set(get_template_directories()))
    for engine in engines.all():
        for folder in folders:
            for file in sorted(Path(folder).rglob("*.html")) + sorted(Path(folder).rglob("*.txt")):
                name = file.relative_to(folder).as_posix()
                try:
                    engine.get_template(name)
                except TemplateSyntaxError as exc:
                    log.debug("template %s not compiled: %s", name, exc)
                    skipped += 1
                else:
                    compiled += 1
    return compiled, skipped


def _translations() -> int:
    from django.conf import settings
    from django.utils import translation

    try:
        for code, _name in settings.LANGUAGES:
            translation.activate(code)  # loads the catalogue into the process's cache of them
    finally:
        translation.deactivate()  # as before: each request activates its own language
    return len(settings.LANGUAGES)


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
