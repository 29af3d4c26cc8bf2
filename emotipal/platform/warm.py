"""Load before the first request or task what Django otherwise loads on it: the URL configuration (every view
and API module, with django-ninja's schemas: 1.1 s), the compiled templates and the translation catalogues.

Called by gunicorn's master before it forks its web workers (platform/gunicorn_conf.py `when_ready`, see
platform/web_workers.py) and by `emotipal worker` before its first task (every reminder and export builds
links and renders templates).

Nothing here opens a connection to the database or Redis, and any a library opened anyway is closed: in
gunicorn's master a connection must never be shared by the processes forked after it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

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
