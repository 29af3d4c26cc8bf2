"""How a web worker starts and ends (platform/web_workers.py), each in a fresh interpreter: the test process has
long since loaded everything that warming loads."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _python(code: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"} | {
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "EMOTIPAL_LOCAL_DIR": str(tmp_path),
        "PYTHONPATH": str(ROOT),
    }
    return subprocess.run(  # noqa: S603 (our own interpreter and code)
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


WARM = """
import json
import sys
import django
django.setup()
from django.db import connections
from django.template import engines
from django.utils.translation import trans_real

before = "emotipal.homework.api" in sys.modules
from emotipal.platform.warm import warm_up
warmed = warm_up()
loader = engines["django"].engine.template_loaders[0]
print(json.dumps({
    "api before": before,
    "api after": "emotipal.homework.api" in sys.modules,
    "url names": warmed.url_patterns,
    "templates": warmed.templates,
    "today compiled": "homework/today.html" in loader.get_template_cache,
    "catalogues": sorted(trans_real._translations),
    "connections open": [c.connection is not None for c in connections.all()],
    "language active": getattr(trans_real._active, "value", None) is not None,
}))
"""


def test_warming_loads_the_urls_templates_and_translations_and_leaves_no_connection(tmp_path: Path) -> None:
    done = _python(WARM, tmp_path)
    assert done.returncode == 0, done.stderr
    got = json.loads(done.stdout)
    assert (got["api before"], got["api after"]) == (False, True)  # imported by warming, not before it
    assert got["url names"] > 100 and got["templates"] > 100
    assert got["today compiled"]  # into the cached loader that requests use
    assert {"en", "es", "ar"} <= set(got["catalogues"])
    assert not any(got["connections open"])  # none left for the forked workers to share
    assert not got["language active"]  # and the master is left in no language


EXIT = """
import atexit, pathlib, sys
here = pathlib.Path(sys.argv[1])
import django
django.setup()
from django.db import connection
connection.ensure_connection()

class TornDown:
    def __del__(self):  # runs in Python's shutdown, which exit_at_once skips
        (here / "torn-down").write_text("yes")

kept = TornDown()
atexit.register(lambda: (here / "at-exit").write_text("ran"))
print("before exit", flush=False)  # still buffered: exit_at_once flushes it
from emotipal.platform.web_workers import exit_at_once
exit_at_once()
"""


def test_exit_at_once_runs_the_exit_functions_and_flushes_but_skips_pythons_shutdown(tmp_path: Path) -> None:
    done = _python(EXIT.replace("sys.argv[1]", repr(str(tmp_path))), tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout == "before exit\n"
    assert (tmp_path / "at-exit").read_text() == "ran"
    assert not (tmp_path / "torn-down").exists()


STOP_BEFORE_HANDLERS = """
import os
import signal
import time

taken = []
signal.signal(signal.SIGTERM, lambda *_: taken.append("master's handler"))  # as gunicorn's master has it
from emotipal.platform import gunicorn_conf
gunicorn_conf.post_fork(None, None)
os.kill(os.getpid(), signal.SIGTERM)
time.sleep(2)
print("served on", taken)
"""


def test_a_stop_signal_ends_a_worker_that_has_not_installed_its_handlers(tmp_path: Path) -> None:
    """A just-forked worker has the master's handlers: without post_fork the TERM is taken and the worker
    serves on until the master's graceful timeout kills it; with it the worker ends."""
    import signal

    done = _python(STOP_BEFORE_HANDLERS, tmp_path)
    assert done.returncode == -signal.SIGTERM, (done.returncode, done.stdout, done.stderr)
    assert "served on" not in done.stdout


STOP_BEFORE_POST_FORK = """
import os
import queue
import signal
import time
from types import SimpleNamespace

master = SimpleNamespace(SIG_QUEUE=queue.SimpleQueue())
# As gunicorn's master has it: its handler queues the signal. A fork copies both into the new worker.
signal.signal(signal.SIGTERM, lambda number, frame: master.SIG_QUEUE.put_nowait(number))
master.SIG_QUEUE.put_nowait(signal.SIGCHLD)  # an earlier worker's exit, still to be handled by the master
if STOP:
    os.kill(os.getpid(), signal.SIGTERM)  # before post_fork: the copied handler takes it
    time.sleep(0.1)
from emotipal.platform import gunicorn_conf
gunicorn_conf.post_fork(master, None)
print("served on", master.SIG_QUEUE.empty())
"""


def test_a_stop_signal_taken_before_post_fork_ends_the_worker_in_it(tmp_path: Path) -> None:
    """The window before post_fork: the master's handler in the new worker queued the TERM where only the
    master would have read it. post_fork finds it and ends the worker; with no stop queued it serves on."""
    stopped = _python("STOP = True" + STOP_BEFORE_POST_FORK, tmp_path)
    assert stopped.returncode == 0, (stopped.stdout, stopped.stderr)
    assert "served on" not in stopped.stdout
    serving = _python("STOP = False" + STOP_BEFORE_POST_FORK, tmp_path)
    assert serving.returncode == 0, serving.stderr
    assert serving.stdout == "served on True\n"  # the copied queue is emptied: nothing in a worker reads it


STOP_FIRST_THING_IN_A_FORK = """
import os
import signal
import time

taken = []
signal.signal(signal.SIGTERM, lambda *_: taken.append("master's handler"))  # as gunicorn's master has it
# Registered first, so it runs first in the child (after-fork hooks in a child run in the order registered):
# a TERM that reaches the new process before any of the rest of its Python has run.
os.register_at_fork(after_in_child=lambda: os.kill(os.getpid(), signal.SIGTERM))
if HOLD:
    from emotipal.platform.web_workers import hold_stop_signals_across_forks

    hold_stop_signals_across_forks()
pid = os.fork()
if pid == 0:
    time.sleep(1)
    os._exit(7)  # served on
print(os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]))
os.kill(os.getpid(), signal.SIGTERM)  # the master itself still takes its stop signals
print(taken)
"""


def test_a_stop_signal_that_reaches_a_new_worker_first_thing_ends_it(tmp_path: Path) -> None:
    import signal

    held = _python("HOLD = True" + STOP_FIRST_THING_IN_A_FORK, tmp_path)
    assert held.returncode == 0, held.stderr
    assert held.stdout.splitlines() == [str(-signal.SIGTERM), '["master\'s handler"]']
    unheld = _python("HOLD = False" + STOP_FIRST_THING_IN_A_FORK, tmp_path)
    assert unheld.stdout.splitlines()[0] == "7"  # the copied handler took it, and the worker served on
