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
- Stopping: `take_default_stop_signals` makes a stop signal that reaches a new worker before gunicorn has
  installed the worker's own handlers end it, where the master's handlers, inherited through the fork, took
  it and the worker served on. systemd signals every process of the service at once: a worker that ended of
  it was replaced by the master during the stop, the replacement missed the master's TERM, and the stop took
  gunicorn's 30-second graceful timeout (seen in CI, tests/platform/test_serve_production.py). A stop signal
  that came even earlier, between the fork and that hook, was queued by the copied handler in the fork's
  copy of the master's queue: `stop_signal_queued` finds it there, and the worker ends in the hook.
"""

from __future__ import annotations

import atexit
import os
import queue
import signal
import sys
from typing import NoReturn

STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT, signal.SIGQUIT)


def take_default_stop_signals() -> None:
    """In a just-forked worker: a stop signal ends it until gunicorn installs the worker's own handlers."""
    for number in STOP_SIGNALS:
        signal.signal(number, signal.SIG_DFL)


def hold_stop_signals_across_forks() -> None:
    """In gunicorn's master, once, before its first fork: a stop signal that reaches a new worker before any of
    its Python has run ends it.

    Such a signal is lost otherwise: the kernel hands it to the C-level handler the fork copied, and Python's
    own after-fork step clears what that handler recorded. On a loaded machine the master forks, is stopped
    (systemd and Docker signal every process of the service), and signals its workers, the new one included,
    before the new one has been given the processor: the worker then serves on, and the stop waits for the
    30-second graceful timeout. So the master blocks the stop signals around each fork: the child starts with
    them blocked and pending, sets them to their default action and unblocks them, and a pending one ends it;
    the master unblocks them in itself, and takes any that came meanwhile."""
    os.register_at_fork(
        before=_block_stop_signals,
        after_in_parent=_unblock_stop_signals,
        after_in_child=_default_then_unblock,
    )


def _block_stop_signals() -> None:
    signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS)


def _unblock_stop_signals() -> None:
    signal.pthread_sigmask(signal.SIG_UNBLOCK, STOP_SIGNALS)


def _default_then_unblock() -> None:
    take_default_stop_signals()
    _unblock_stop_signals()


def stop_signal_queued(signals: queue.SimpleQueue[int]) -> bool:
    """Whether the fork's copy of the master's signal queue holds a stop signal (emptying it, which nothing else
    in a worker reads). Call it after take_default_stop_signals, which closes the window for new ones.

    A stop signal there either reached this worker between the fork and post_fork, when the master's handler
    (copied by the fork) still took it and queued it for nobody, or was waiting in the master's queue when it
    forked: the master is stopping then, and would stop this worker next. systemd and Docker signal the
    master and its workers at once, so the first happens whenever a stop meets a worker being replaced: the
    worker missed the master's TERM too, served on, and the stop waited for the 30-second graceful timeout
    (seen in CI, on a loaded machine, where the window between fork and post_fork is longest)."""
    found = False
    while True:
        try:
            found = signals.get_nowait() in STOP_SIGNALS or found
        except queue.Empty:
            return found


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
