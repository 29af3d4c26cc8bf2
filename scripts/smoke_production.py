"""The production smoke test: gunicorn with two workers on PostgreSQL, RQ on Redis, driven over HTTP.

    python scripts/smoke_production.py      # `make smoke`; the last step of .ci/run

From the checkout it runs in (a clean clone after `make install`), it:

1. drops and recreates the PostgreSQL database `emotipal_smoke` (127.0.0.1:5432, user postgres) and flushes
   Redis database 14 (the test suite uses 15), and starts an SMTP sink on a free port in this process;
2. starts two `emotipal serve --production` at once, as two web machines behind one load balancer (the same
   generated secrets, database and Redis; each its own port, static files and local folder;
   EMOTIPAL_WEB_WORKERS=2: each migrates under the advisory lock and collects its static files first), and
   waits for both to answer /readyz; then starts `emotipal worker` (RQ with its scheduler) as another process;
3. seeds a clinic, a therapist and a client with two assignments through the services (invitations accepted,
   homework assigned, the client's reminder time set a few seconds ahead), in an `emotipal shell` process;
4. over HTTP only, as a browser behind the TLS proxy and a round-robin load balancer would (each request to
   the other web server): logs the client in through the login form (CSRF), opens Today, submits an entry
   through the API with the session and its CSRF token, and reads it back;
5. waits for the reminder: its row marked sent, its e-mail delivery marked delivered, the e-mail in the
   sink, and RQ's record of the job saying it finished on the worker process (its pid), not in the web.

It prints what each step took, stops every process it started (by process group) and exits 1 with the reason
on any failure. SMOKE_KEEP_LOGS=1 keeps the processes' logs (their folder is printed either way on failure).
"""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import http.client
import json
import os
import re
import secrets
import shutil
import signal
import socket
import socketserver
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
HOST = "smoke.emotipal.invalid"  # a name only this test answers to (EMOTIPAL_ALLOWED_HOSTS)
PG = "postgres://postgres@127.0.0.1:5432"
DATABASE = "emotipal_smoke"
REDIS_URL = "redis://127.0.0.1:6379/14"
REMINDER_LEAD = dt.timedelta(seconds=20)  # seeded reminder time: this far after the seed finishes
REMINDER_TIMEOUT = 60.0  # seconds from the seed for the worker to have sent it
PASSWORD = "smoke-test-pass-" + secrets.token_urlsafe(12)
SEED_MARK = "SMOKE_SEED "
# A thought record's answers, as the exercise's form would send them.
ANSWERS = {
    "situation": "Sunday evening, thinking about Monday's meeting",
    "emotions": [{"emotion": "Anxious", "intensity": "80"}],
    "thoughts": [{"thought": "I will make a fool of myself", "belief": "90"}],
}


class SmokeFailure(Exception):
    """One step did not do what production must do; the message says which and what was seen."""


# --- an SMTP sink ---------------------------------------------------------------------------------------------


@dataclass
class Mailbox:
    messages: list[email.message.EmailMessage] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def to(self, address: str) -> list[email.message.EmailMessage]:
        with self.lock:
            return [m for m in self.messages if address in str(m.get("To", ""))]


class _SmtpHandler(socketserver.StreamRequestHandler):
    """Just enough SMTP (RFC 5321) for Django's smtplib client: no TLS, no auth, every message kept."""

    mailbox: Mailbox

    def _say(self, line: str) -> None:
        self.wfile.write(line.encode() + b"\r\n")

    def handle(self) -> None:
        self._say("220 smoke ESMTP sink")
        while line := self.rfile.readline():
            verb = line.decode(errors="replace").strip().split(" ", 1)[0].upper()
            if verb == "EHLO":
                # One write, as a mail server answers: two small writes wait on the client's delayed ACK
                # (Nagle), 40 ms per e-mail, which the reminder benchmark would count as EmotiPal's.
                self._say("250-smoke\r\n250 8BITMIME")
            elif verb in {"HELO", "MAIL", "RCPT", "RSET", "NOOP"}:
                self._say("250 OK")
            elif verb == "DATA":
                self._say("354 End data with <CR><LF>.<CR><LF>")
                body = bytearray()
                while (chunk := self.rfile.readline()) not in (b".\r\n", b""):
                    body += chunk[1:] if chunk.startswith(b"..") else chunk
                message = email.message_from_bytes(bytes(body), policy=email.policy.default)
                with self.mailbox.lock:
                    self.mailbox.messages.append(message)
                self._say("250 OK queued")
            elif verb == "QUIT":
                self._say("221 Bye")
                return
            else:
                self._say("502 Command not implemented")


def start_smtp_sink(mailbox: Mailbox) -> tuple[socketserver.ThreadingTCPServer, int]:
    handler = type("Handler", (_SmtpHandler,), {"mailbox": mailbox})
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, int(server.server_address[1])


# --- processes ------------------------------------------------------------------------------------------------


@dataclass
class Started:
    name: str
    process: subprocess.Popen[bytes]
    stdout: Path
    stderr: Path

    def logs(self) -> str:
        tail = [p.read_text(errors="replace")[-4000:] for p in (self.stdout, self.stderr)]
        return f"--- {self.name} stdout ---\n{tail[0]}\n--- {self.name} stderr ---\n{tail[1]}"


class Processes:
    """Every process this run starts, each in its own process group, so stopping one stops its children
    (gunicorn's workers, RQ's work horse) and nothing else on the machine."""

    def __init__(self, folder: Path, env: dict[str, str]) -> None:
        self.folder, self.env, self.started = folder, env, list[Started]()

    def start(self, name: str, *args: str, env: dict[str, str] | None = None) -> Started:
        out, err = self.folder / f"{name}.out", self.folder / f"{name}.err"
        with out.open("wb") as stdout, err.open("wb") as stderr:
            process = subprocess.Popen(  # noqa: S603 (our own interpreter and command, fixed arguments)
                [sys.executable, "-m", "emotipal.cli", *args],
                cwd=ROOT,
                env=env or self.env,
                stdout=stdout,
                stderr=stderr,
                start_new_session=True,
            )
        started = Started(name, process, out, err)
        self.started.append(started)
        return started

    def run(self, name: str, *args: str, timeout: float = 120) -> str:
        started = self.start(name, *args)
        try:
            code = started.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            raise SmokeFailure(f"{name} did not finish in {timeout:.0f} s\n{started.logs()}") from None
        if code != 0:
            raise SmokeFailure(f"{name} exited with {code}\n{started.logs()}")
        return started.stdout.read_text()

    def stop_all(self) -> None:
        for started in reversed(self.started):
            if started.process.poll() is not None:
                continue
            try:
                os.killpg(started.process.pid, signal.SIGTERM)
                started.process.wait(timeout=35)  # gunicorn finishes requests in hand for up to 30 s
            except subprocess.TimeoutExpired:
                os.killpg(started.process.pid, signal.SIGKILL)
                started.process.wait(timeout=10)
            except ProcessLookupError:
                pass


# --- HTTP as a browser behind the TLS proxy -------------------------------------------------------------------


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes

    def text(self) -> str:
        return self.body.decode(errors="replace")


class Browser:
    """Cookies kept between requests; each request as the TLS proxy forwards it (X-Forwarded-Proto), with the
    Referer and Origin a browser sends, which Django's CSRF check requires on https.

    Given several ports, it is a browser behind a round-robin load balancer: each request goes to the next
    server, and `served_by` records which port answered each one."""

    def __init__(self, port: int, *others: int) -> None:
        self.ports, self.cookies, self.served_by = [port, *others], dict[str, str](), list[int]()

    @property
    def port(self) -> int:
        return self.ports[len(self.served_by) % len(self.ports)]

    def request(
        self, method: str, path: str, body: bytes | None = None, headers: dict[str, str] | None = None
    ) -> Answer:
        sent = {
            "Host": HOST,
            "X-Forwarded-Proto": "https",
            "Referer": f"https://{HOST}{path}",
            "User-Agent": "emotipal-smoke",
            **({"Origin": f"https://{HOST}"} if method != "GET" else {}),
            **({"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())} if self.cookies else {}),
            **(headers or {}),
        }
        port = self.port
        self.served_by.append(port)
        link = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        try:
            link.request(method, path, body=body, headers=sent)
            response = link.getresponse()
            for value in response.headers.get_all("Set-Cookie") or []:
                for name, morsel in SimpleCookie(value).items():
                    self.cookies[name] = morsel.value
            return Answer(response.status, {k.lower(): v for k, v in response.getheaders()}, response.read())
        finally:
            link.close()

    def form(self, path: str, fields: dict[str, str]) -> Answer:
        body = urllib.parse.urlencode(fields).encode()
        return self.request("POST", path, body, {"Content-Type": "application/x-www-form-urlencoded"})

    def api(self, method: str, path: str, payload: Any = None, **headers: str) -> Answer:
        body = json.dumps(payload).encode() if payload is not None else None
        return self.request(
            method,
            path,
            body,
            {"Content-Type": "application/json", "X-CSRFToken": self.cookies.get("csrftoken", ""), **headers},
        )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_until(what: str, check: Any, timeout: float, watch: list[Started] | None = None) -> Any:
    """Poll `check` until it returns something truthy; fail naming `what` (and any watched process that died)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for started in watch or []:
            if started.process.poll() is not None:
                raise SmokeFailure(
                    f"{started.name} exited with {started.process.returncode}\n{started.logs()}"
                )
        try:
            found = check()
        except (OSError, http.client.HTTPException):
            found = None
        if found:
            return found
        time.sleep(0.25)
    logs = "\n".join(s.logs() for s in watch or [])
    raise SmokeFailure(f"timed out after {timeout:.0f} s waiting for {what}\n{logs}")


# --- the seed (runs inside `emotipal shell`, in production settings) ------------------------------------------


def seed() -> None:
    """A clinic, a therapist and a client with two assignments, through the same actions people's pages use;
    prints what the smoke test needs as one JSON line. The reminder is set a little ahead so that the worker
    must send it while the test watches."""
    from emotipal.accounts import services as accounts
    from emotipal.accounts.models import ClientProfile, Clinic, Invitation, Membership, Role, User
    from emotipal.homework import services as homework
    from emotipal.library.models import TemplateVersion
    from emotipal.library.services import sync_library
    from emotipal.measures.services import sync_instruments
    from emotipal.notifications.models import ScheduledReminder
    from emotipal.platform import clock

    sync_library()
    sync_instruments()
    # No action creates a clinic or its first admin (the demo loader and the tests make these rows the same
    # way): that is the operator's set-up. Everything in the clinic then goes through the actions.
    clinic = Clinic.objects.create(name="Smoke Clinic (simulated)", slug="smoke")
    admin = User.objects.create_user("admin@smoke.emotipal.invalid", None, display_name="Smoke Admin")
    Membership.objects.create(user=admin, clinic=clinic, role=Role.ADMIN)
    therapist_email, client_email = "therapist@smoke.emotipal.invalid", "client@smoke.emotipal.invalid"
    password = os.environ["SMOKE_PASSWORD"]
    staff = accounts.invite(clinic=clinic, email=therapist_email, role=Role.THERAPIST, invited_by=admin)
    therapist = accounts.accept_invitation(
        staff.url.rstrip("/").rsplit("/", 1)[1], password=password, display_name="Dr Smoke"
    )
    invited = accounts.invite(
        clinic=clinic, email=client_email, role=Invitation.CLIENT, invited_by=therapist, therapist=therapist
    )
    client_user = accounts.accept_invitation(
        invited.url.rstrip("/").rsplit("/", 1)[1], password=password, display_name="Sam Smoke"
    )
    client = ClientProfile.objects.get(user=client_user)
    today = clock.local_today(clock.zone_for_client(client), clock.now())
    assignments = [
        homework.assign_homework(
            therapist,
            client,
            homework.AssignmentPlan(
                template_version=TemplateVersion.objects.filter(template__slug=slug).latest("pk"),
                rationale="To practise between sessions what we worked on in the session.",
                times_per_week=7,
                minutes_per_practice=10,
                start_date=today - dt.timedelta(days=1),
                end_date=today + dt.timedelta(days=14),
            ),
        )
        for slug in ("thought-record", "exposure-practice")
    ]
    # The reminder goes out while the second homework is still due today, whatever the HTTP part submits.
    zone = clock.zone_for_client(client)
    at = (clock.now() + REMINDER_LEAD).astimezone(zone)
    if at.date() != today:
        raise SystemExit("smoke: the reminder would fall on tomorrow (run again after midnight)")
    client_user = User.objects.get(pk=client_user.pk)
    accounts.save_reminder_settings(client_user, client, at.time().replace(microsecond=0), zone.key)
    reminder = ScheduledReminder.objects.get(client=client, for_date=today)
    out = {
        "client_email": client_email,
        "assignment_ids": [a.pk for a in assignments],
        "reminder_id": reminder.pk,
        "reminder_task_id": reminder.task_id,
        "run_at": reminder.run_at.isoformat(),
    }
    print(SEED_MARK + json.dumps(out))


# --- the run --------------------------------------------------------------------------------------------------


def production_env(folder: Path, port: int, smtp_port: int) -> dict[str, str]:
    from cryptography.fernet import Fernet

    sys.path.insert(0, str(ROOT))
    from emotipal.platform.config import _new_vapid_key

    inherited = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("EMOTIPAL_", "DATABASE_URL", "REDIS_URL", "EMAIL_", "DJANGO_"))
    }
    return inherited | {
        "EMOTIPAL_ENV": "production",
        "EMOTIPAL_SECRET_KEY": secrets.token_urlsafe(50),
        "EMOTIPAL_FIELD_KEYS": Fernet.generate_key().decode(),
        "EMOTIPAL_VAPID_PRIVATE_KEY": _new_vapid_key(),
        "EMOTIPAL_ALLOWED_HOSTS": HOST,
        "EMOTIPAL_SITE_URL": f"https://{HOST}",
        "EMOTIPAL_PROXY_SSL_HEADER": "X-Forwarded-Proto",
        "EMOTIPAL_LOCAL_DIR": str(folder / "local"),
        "EMOTIPAL_STATIC_ROOT": str(folder / "static"),
        "EMOTIPAL_EXPORT_ROOT": str(folder / "exports"),
        "EMOTIPAL_BIND": f"127.0.0.1:{port}",
        "EMOTIPAL_WEB_WORKERS": "2",
        "EMOTIPAL_LOG_LEVEL": "INFO",
        "DATABASE_URL": f"{PG}/{DATABASE}",
        "REDIS_URL": REDIS_URL,
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": str(smtp_port),
        "EMAIL_USE_TLS": "0",
        "SMOKE_PASSWORD": PASSWORD,
        "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "scripts")]),
    }


def fresh_services() -> None:
    import psycopg
    import redis

    with psycopg.connect(f"{PG}/postgres", autocommit=True) as pg:
        pg.execute(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")
        pg.execute(f"CREATE DATABASE {DATABASE}")
    redis.Redis.from_url(REDIS_URL).flushdb()


def query(sql: str, *params: Any) -> list[tuple[Any, ...]]:
    import psycopg

    with psycopg.connect(f"{PG}/{DATABASE}") as pg:
        return pg.execute(sql, params).fetchall()


def login_and_submit(ports: list[int], seeded: dict[str, Any]) -> int:
    """The client's login, Today and an entry, over HTTP only, each request to the next web server in turn
    (the login page from one, the login form posted to the other, ...); the stored entry's id."""
    browser = Browser(*ports)
    page = browser.request("GET", "/accounts/login/")
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text())
    if page.status != 200 or token is None:
        raise SmokeFailure(f"login page: {page.status}, CSRF field {'found' if token else 'missing'}")
    answer = browser.form(
        "/accounts/login/",
        {"csrfmiddlewaretoken": token[1], "login": seeded["client_email"], "password": PASSWORD},
    )
    if answer.status != 302 or "/accounts/login" in answer.headers.get("location", "/accounts/login"):
        raise SmokeFailure(
            f"login refused: {answer.status} {answer.headers.get('location')}\n{answer.text()[:1500]}"
        )
    today = browser.request("GET", "/today/")
    if today.status != 200 or "Thought record" not in today.text():
        raise SmokeFailure(
            f"Today: {today.status}, the assigned thought record not shown\n{today.text()[:1500]}"
        )
    first = seeded["assignment_ids"][0]
    created = browser.api(
        "POST",
        f"/api/v1/assignments/{first}/entries",
        {"answers": ANSWERS, "effort": 3, "difficulty": 2, "helpfulness": 3, "active_seconds": 240},
        **{"Idempotency-Key": secrets.token_hex(16)},
    )
    if created.status != 201:
        raise SmokeFailure(f"entry submit: {created.status}\n{created.text()[:1500]}")
    entry_id = int(json.loads(created.body)["id"])
    mine = browser.api("GET", "/api/v1/me/entries")
    if mine.status != 200 or entry_id not in [e["id"] for e in json.loads(mine.body)]:
        raise SmokeFailure(f"the entry is not in the client's entries: {mine.status} {mine.text()[:500]}")
    stored = query("SELECT status, assignment_id FROM homework_entry WHERE id = %s", entry_id)
    if stored != [("submitted", first)]:
        raise SmokeFailure(f"entry {entry_id} in the database: {stored}")
    if set(browser.served_by) != set(ports):
        raise SmokeFailure(f"requests went to {browser.served_by}, not to every web server {ports}")
    return entry_id


def reminder_sent(seeded: dict[str, Any], mailbox: Mailbox) -> str | None:
    rows = query(
        "SELECT r.outcome, d.status FROM notifications_scheduledreminder r "
        "JOIN notifications_delivery d ON d.reminder_id = r.id AND d.channel = 'email' "
        "WHERE r.id = %s AND r.sent_at IS NOT NULL",
        seeded["reminder_id"],
    )
    if not rows or rows[0][1] == "queued" or not mailbox.to(seeded["client_email"]):
        return None
    outcome, status = rows[0]
    if (outcome, status) != ("sent", "delivered"):
        raise SmokeFailure(f"reminder {seeded['reminder_id']}: outcome {outcome!r}, e-mail {status!r}")
    return str(mailbox.to(seeded["client_email"])[-1]["Subject"])


def ran_on_worker(task_id: str, worker: Started, web: Started) -> str:
    """RQ's own record: the job finished, and the worker that ran it is the worker process (by pid)."""
    import redis
    from rq import Worker
    from rq.job import Job, JobStatus

    connection = redis.Redis.from_url(REDIS_URL)
    job = Job.fetch(task_id, connection=connection)
    if job.get_status() != JobStatus.FINISHED:
        raise SmokeFailure(f"RQ job {task_id}: {job.get_status()}")
    ran_by = {w.name: w.pid for w in Worker.all(connection=connection)}.get(job.worker_name or "")
    if ran_by != worker.process.pid or ran_by == web.process.pid:
        raise SmokeFailure(
            f"RQ job {task_id} ran on worker {job.worker_name!r} (pid {ran_by}), not on the worker process "
            f"(pid {worker.process.pid}); web is pid {web.process.pid}"
        )
    return f"RQ job {task_id} finished on worker {job.worker_name} (pid {ran_by})"


def main() -> int:
    began = time.monotonic()
    folder = Path(tempfile.mkdtemp(prefix="emotipal-smoke-"))
    mailbox = Mailbox()
    sink, smtp_port = start_smtp_sink(mailbox)
    port, second_port = free_port(), free_port()
    env = production_env(folder, port, smtp_port)
    # A second web machine behind the same load balancer: the same secrets, database and Redis, but its own
    # port, static files and local folder, so nothing one process keeps to itself can make the run pass.
    second_env = env | {
        "EMOTIPAL_BIND": f"127.0.0.1:{second_port}",
        "EMOTIPAL_STATIC_ROOT": str(folder / "static-2"),
        "EMOTIPAL_LOCAL_DIR": str(folder / "local-2"),
    }
    processes = Processes(folder, env)
    steps: list[str] = []

    def step(text: str) -> None:
        steps.append(f"{time.monotonic() - began:6.1f} s  {text}")
        print(steps[-1], flush=True)

    ok = False
    try:
        fresh_services()
        step(f"fresh database {DATABASE}, Redis {REDIS_URL} flushed, SMTP sink on :{smtp_port}")
        # Both at once, as web machines of one release start: each migrates the empty database under the
        # advisory lock in turn (deploy_prepare), the later one finding nothing left to do.
        web = processes.start("web", "serve", "--production")
        second_web = processes.start("web-2", "serve", "--production", env=second_env)
        for started, at in ((web, port), (second_web, second_port)):
            ready = Browser(at)
            wait_until(
                f"/readyz on :{at} to answer ready",
                lambda ready=ready: ready.request("GET", "/readyz").status == 200,
                180,
                [web, second_web],
            )
            # gunicorn's master is the serve process itself (it execs gunicorn); its children are the workers.
            # It forks them one after another (up to 0.1 s apart), and the first answers /readyz at once: the
            # second may still be on its way.
            pid = started.process.pid
            children = Path(f"/proc/{pid}/task/{pid}/children")
            wait_until(
                f"gunicorn on :{at} to run 2 worker processes",
                lambda children=children: len(children.read_text().split()) == 2,
                10,
                [web, second_web],
            )
            gunicorn_workers = children.read_text().split()
            if len(gunicorn_workers) != 2:
                raise SmokeFailure(f"gunicorn on :{at} runs {len(gunicorn_workers)} worker processes, not 2")
        step(
            f"two serve --production ready on :{port} and :{second_port} (each migrated under the advisory lock, "
            "static collected, 2 gunicorn workers each)"
        )
        worker = processes.start("worker", "worker")
        wait_until(
            "the worker to start", lambda: "reminders scheduled" in worker.stdout.read_text(), 60, [worker]
        )
        step(f"emotipal worker (RQ) started, pid {worker.process.pid}")
        printed = processes.run("seed", "shell", "-c", "from smoke_production import seed; seed()")
        seeded = json.loads(
            next(line for line in printed.splitlines() if line.startswith(SEED_MARK))[len(SEED_MARK) :]
        )
        seeded_at = time.monotonic()
        step(f"seeded clinic, therapist, client; reminder {seeded['reminder_id']} due {seeded['run_at']}")
        entry_id = login_and_submit([port, second_port], seeded)
        step(
            f"client logged in through the form, opened Today, submitted entry {entry_id} (stored), "
            "each request to the other web server"
        )
        left = max(1.0, REMINDER_TIMEOUT - (time.monotonic() - seeded_at))
        subject = wait_until(
            f"the reminder (due {seeded['run_at']}) to be sent, delivered and in the SMTP sink "
            f"({REMINDER_TIMEOUT:.0f} s from the seed)",
            lambda: reminder_sent(seeded, mailbox),
            left,
            [web, second_web, worker],
        )
        step(f"reminder sent and delivered to the SMTP sink: {subject!r}")
        step(ran_on_worker(seeded["reminder_task_id"], worker, web))
        ok = True
    except SmokeFailure as failure:
        print(f"\nsmoke: FAILED: {failure}", file=sys.stderr)
    except Exception as error:  # any error is a failed smoke test, reported with the logs
        print(f"\nsmoke: FAILED with {type(error).__name__}: {error}", file=sys.stderr)
        for started in processes.started:
            print(started.logs(), file=sys.stderr)
    finally:
        processes.stop_all()
        sink.shutdown()
    if ok and not os.environ.get("SMOKE_KEEP_LOGS"):
        shutil.rmtree(folder, ignore_errors=True)
    else:
        print(f"smoke: logs in {folder}", file=sys.stderr)
    print(f"smoke: {'passed' if ok else 'FAILED'} in {time.monotonic() - began:.1f} s")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
