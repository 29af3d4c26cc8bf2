"""gunicorn's configuration: `gunicorn -c python:emotipal.platform.gunicorn_conf emotipal.wsgi`, which is what
`emotipal serve --production` runs (docs/deploy.md). A module of the package rather than a file beside it, so
that it is found wherever EmotiPal is installed and is checked by the linters with the rest.

Read from the environment:
  EMOTIPAL_BIND          where to listen (default 127.0.0.1:$PORT, PORT defaulting to 8000: behind a proxy
                         on the same machine; a container sets 0.0.0.0:8000)
  EMOTIPAL_WEB_WORKERS   worker processes (default 2 × cores + 1, at most 12)
  EMOTIPAL_WEB_THREADS   threads per worker (default 1: sync workers; more switches to gthread workers)
  EMOTIPAL_WEB_TIMEOUT   seconds a request may take before its worker is restarted (default 30)
"""

from __future__ import annotations

import os
import sys
from typing import Any

# Only names gunicorn does not take for settings: a module called `config` here would be read as its -c.
from emotipal.platform.config import env_int

MAX_DEFAULT_WORKERS = 12

bind = [os.environ.get("EMOTIPAL_BIND", "").strip() or f"127.0.0.1:{os.environ.get('PORT', '8000')}"]
# gunicorn's advice, 2 × cores + 1 (one waiting on the database while another computes), capped: past a
# dozen processes a machine runs out of memory and of database connections before it runs out of CPU.
workers = env_int("EMOTIPAL_WEB_WORKERS", min(2 * (os.cpu_count() or 1) + 1, MAX_DEFAULT_WORKERS))
threads = env_int("EMOTIPAL_WEB_THREADS", 1)
# The longest page (a study's analysis report) takes a few seconds; a request silent for 30 s is stuck, and
# its worker is replaced. Exports and analyses run as background tasks, never in a request.
timeout = env_int("EMOTIPAL_WEB_TIMEOUT", 30)
# On SIGTERM (a deploy, systemctl stop) workers finish the requests they hold for up to this long.
graceful_timeout = 30
# Shorter than a load balancer's idle timeout (60 s on the common ones), so gunicorn never closes a kept-alive
# connection the balancer is about to reuse.
keepalive = 5
# A worker is replaced after 2,000 to 3,000 requests: a slow leak in a library never grows into an outage. The
# jitter is half the limit because workers start together and share the load evenly: with a narrow one they
# reached their limits within a few requests of each other and were replaced together. A replacement is
# quick (`when_ready` and `worker_exit` below): 20 ms from the old worker's exit to the new one's start.
max_requests = 2000
max_requests_jitter = 1000

# Preloaded: the application (settings included) is imported once, in the master, before the workers fork.
# A refused configuration (a missing DATABASE_URL, a demo key) then stops gunicorn at once with the reason,
# instead of every worker failing to boot in turn; and the workers share the imported code's memory. Django
# opens no database or Redis connection at import, so no connection is shared across the fork. The cost: a
# new release needs a restart (systemctl restart), not `kill -HUP`, to load its code.
preload_app = True

# JSON lines: the access log on stdout, gunicorn's own messages on stderr (platform/gunicorn_log.py).
logger_class = "emotipal.platform.gunicorn_log.JsonLinesLogger"
accesslog = "-"
errorlog = "-"
loglevel = os.environ.get("EMOTIPAL_LOG_LEVEL", "info").lower()
# Request headers a proxy adds are counted against these (gunicorn's defaults, written down here so a change
# is a decision): a request line of at most 4 KiB, at most 100 headers of at most 8 KiB each.
limit_request_line = 4094
limit_request_fields = 100
limit_request_field_size = 8190
# No control socket (gunicorn 25's gunicornc): its default path is one per user account, so two instances on
# a machine would contend for it; systemd and Docker manage the process with signals instead.
control_socket_disable = True


def when_ready(server: Any) -> None:  # gunicorn's Arbiter
    """gunicorn's hook in the master, after the preloaded application and before the first worker is forked:
    load the URL configuration, templates and translations once, so that no worker (a replaced one included)
    spends its first request loading them (platform/warm.py, platform/web_workers.py). Also: stop signals are
    held across each fork of a worker, so one that reaches it first thing ends it (web_workers.py)."""
    from emotipal.platform.web_workers import hold_stop_signals_across_forks

    hold_stop_signals_across_forks()
    if not server.cfg.preload_app:
        return  # without preloading, the master has no application to warm
    from emotipal.platform.warm import warm_up

    warmed = warm_up()
    server.log.info(
        "warmed: %d URL names, %d templates (%d not compiled), %d languages",
        warmed.url_patterns,
        warmed.templates,
        warmed.templates_skipped,
        warmed.languages,
    )


def post_fork(server: Any, worker: Any) -> None:  # gunicorn's Arbiter and Worker
    """gunicorn's hook in a worker just forked, before it installs its own signal handlers: until then a stop
    signal ends it, instead of being taken by the master's handlers that the fork copied (web_workers.py); one
    they took already, before this hook, ends it here."""
    from emotipal.platform.web_workers import exit_at_once, stop_signal_queued, take_default_stop_signals

    take_default_stop_signals()
    if server is not None and stop_signal_queued(server.SIG_QUEUE):
        exit_at_once()


def worker_exit(server: Any, worker: Any) -> None:  # gunicorn's Arbiter and Worker
    """gunicorn's hook in a worker that is about to exit. A worker leaving normally (replaced after its
    max_requests, or stopped) ends its process at once: Python's own shutdown, freeing the whole application
    object by object, took 0.8 s, and the master starts the replacement only when the old process has ended.
    A worker that failed (to boot, or with an error) leaves as gunicorn has it, its exit code telling the
    master whether to try again."""
    leaving = sys.exc_info()[1]
    if isinstance(leaving, SystemExit) and leaving.code in (0, None) and worker.booted:
        from emotipal.platform.web_workers import exit_at_once

        server.log.info("worker %s ends at once, without Python's shutdown", os.getpid())
        exit_at_once()
