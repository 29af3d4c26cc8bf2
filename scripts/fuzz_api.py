"""Fuzz the JSON API from its OpenAPI schema with Schemathesis, in-process (WSGI), on a fresh test database.

    python scripts/fuzz_api.py            # `make fuzz`; DATABASE_URL picks the database (PostgreSQL in CI)

It creates an empty test database, seeds a clinic (therapist, two clients, assignments, an entry, a session,
a barrier, a study with a participant and a finished export), and then, for every operation in
/api/v1/openapi.json, sends generated requests as the client, the therapist and the researcher (Bearer ep_...
tokens), with valid data (positive) and with invalid data (negative), both with
random ids and with the seeded objects' ids so the requests reach real rows; and once more without any token,
so that the refusal (401) is held to the schema as well. Every response is checked:

- not_a_server_error: no 5xx, ever;
- status_code_conformance: the status is one the operation documents; the schema lists each operation's
  error answers (400, 401, 403, 404, 409, 422, 429: emotipal/platform/api.py), so a refusal the document
  does not promise fails the run;
- response_schema_conformance: the body matches the schema documented for its status (ErrorOut for errors);
- content_type_conformance: the body is of the documented media type;
- response_headers_conformance: documented headers are well formed, and required ones (Retry-After on a
  429) are sent.

Nothing is skipped: every operation runs in every pass, and the summary counts requests per operation.

Exit status 1 on any failure, with one reproducible curl command per distinct failure.
Environment: FUZZ_EXAMPLES (examples per operation and pass, default 7), FUZZ_SEED (default 2026).
"""

from __future__ import annotations

import os
import sys
import time
import zlib
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")
os.environ.setdefault("EMOTIPAL_LOG_LEVEL", "CRITICAL")  # server errors are reported below, once each

import logging  # noqa: E402

import django  # noqa: E402

django.setup()

import hypothesis  # noqa: E402
import schemathesis  # noqa: E402
from django.db import connections  # noqa: E402
from django.test.utils import setup_databases, teardown_databases  # noqa: E402
from hypothesis import HealthCheck, Phase, given  # noqa: E402
from schemathesis.checks import not_a_server_error  # noqa: E402
from schemathesis.core.failures import FailureGroup  # noqa: E402
from schemathesis.core.result import Err  # noqa: E402
from schemathesis.generation import GenerationMode  # noqa: E402
from schemathesis.specs.openapi.checks import (  # noqa: E402
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    response_schema_conformance,
    content_type_conformance,
    response_headers_conformance,
]


@dataclass
class Seeded:
    tokens: dict[str, str | None]  # role -> Bearer secret (None: no Authorization header at all)
    ids: dict[str, dict[str, int | str]]  # role -> path parameter name -> an id (or slug) that role may use


@dataclass
class Tally:
    requests: Counter[str] = field(default_factory=Counter)
    statuses: Counter[int] = field(default_factory=Counter)
    failures: dict[str, str] = field(default_factory=dict)  # a short signature -> the full report
    known: Counter[str] = field(default_factory=Counter)  # KNOWN_ISSUES seen, by issue


# Violations that are real and reported, but not yet fixed: none now. Each entry is matched narrowly, counted
# and printed in the summary on every run (never dropped silently); once fixed it is deleted, so the run fails
# if it comes back. (The last one, ninja's own 422 shape, is answered in ErrorOut's shape since platform/api.py.)
KNOWN_ISSUES: dict[str, str] = {}


def known_issue(response: Any, failures: list[Any]) -> str | None:
    return None


def seed() -> Seeded:
    """A small clinic through the same factories and services as the test suite."""
    import datetime as dt

    from django.utils import timezone

    from emotipal.accounts.services import create_api_token
    from emotipal.homework import services
    from emotipal.homework.models import TherapySession
    from emotipal.homework.reviews import report_barrier
    from tests.factories import build_world, complete_thought_record, plan_for

    world = build_world()
    client_user = world.client_a.user
    thought = services.assign_homework(world.therapist, world.client_a, plan_for(world.thought_record))
    services.assign_homework(world.therapist, world.client_a, plan_for(world.exposure))
    services.assign_homework(world.therapist, world.client_b, plan_for(world.thought_record))
    entry, _ = services.submit_entry(
        client_user,
        thought.pk,
        services.Submission(answers=complete_thought_record(), effort=3, difficulty=2, helpfulness=3),
    )
    TherapySession.objects.create(
        client=world.client_a,
        therapist=world.therapist,
        number=1,
        date=timezone.localdate() - dt.timedelta(7),
    )
    barrier = report_barrier(client_user, thought.pk, timezone.localdate() - dt.timedelta(1), "no_time")
    # A study led by the researcher, with client A invited and a finished export in a scratch folder.
    import tempfile
    from pathlib import Path

    from emotipal.research.models import JobStatus, StudyExport
    from tests.research.experiment_factory import make_experiment, place_in_arm
    from tests.research.study_factory import make_participant, make_study

    study = make_study(world, "fuzz-study")
    participant = make_participant(world, study, world.client_a)
    # A running experiment with client A allocated, so the experiment operations have a log to show.
    experiment = make_experiment(study)
    place_in_arm(experiment, participant, "on")
    folder = Path(tempfile.mkdtemp(prefix="fuzz-export-"))
    (folder / "participants.csv").write_text("participant_id,state\n")
    export = StudyExport.objects.create(
        study=study, requested_by=world.researcher, status=JobStatus.DONE, folder=str(folder)
    )
    researcher_token = create_api_token(world.researcher, "fuzz researcher")
    spare_researcher = create_api_token(world.researcher, "spare").token.pk
    client_token = create_api_token(client_user, "fuzz client")
    therapist_token = create_api_token(world.therapist, "fuzz therapist")
    # A token each role may revoke without locking itself out of the rest of the run.
    spare_client = create_api_token(client_user, "spare").token.pk
    spare_therapist = create_api_token(world.therapist, "spare").token.pk
    common: dict[str, int | str] = {
        "assignment_id": thought.pk,
        "client_id": world.client_a.pk,
        "entry_id": entry.pk,
        "barrier_id": barrier.pk,
        "slug": study.slug,
        "export_id": export.pk,
        "experiment_id": experiment.pk,
    }
    return Seeded(
        tokens={
            "client": client_token.secret,
            "therapist": therapist_token.secret,
            "researcher": researcher_token.secret,
            "anonymous": None,
        },
        ids={
            "client": common | {"token_id": spare_client},
            "therapist": common | {"token_id": spare_therapist},
            "researcher": common | {"token_id": spare_researcher},
        },
    )


def run_operation(
    operation: Any,
    *,
    role: str,
    token: str | None,
    mode: GenerationMode,
    path_parameters: dict[str, int | str] | None,
    examples: int,
    seed_value: int,
    tally: Tally,
) -> None:
    label = operation.label
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    strategy = operation.as_strategy(generation_mode=mode, path_parameters=path_parameters)

    # A different stream for every operation and pass, the same on every run (CI stays reproducible).
    pass_seed = seed_value + zlib.crc32(f"{label}|{role}|{mode.value}|{path_parameters}".encode())

    @hypothesis.seed(pass_seed)
    @hypothesis.settings(
        max_examples=examples,
        deadline=None,
        database=None,
        derandomize=False,
        phases=[Phase.generate],  # every example is a fresh request; failures are collected, not shrunk
        suppress_health_check=list(HealthCheck),
    )
    @given(case=strategy)
    def fuzz(case: Any) -> None:
        if case.headers and any(k.lower() == "authorization" for k in case.headers):
            case.headers = {k: v for k, v in case.headers.items() if k.lower() != "authorization"}
        response = case.call(headers=headers)
        tally.requests[label] += 1
        tally.statuses[response.status_code] += 1
        try:
            case.validate_response(response, checks=CHECKS, headers=headers)
        except FailureGroup as exc:  # one report per distinct failure
            issue = known_issue(response, list(exc.exceptions))
            if issue is not None:
                tally.known[f"{issue}: {label}"] += 1
                return
            signature = f"{label} [{role}, {mode.value}] {response.status_code} {type(exc).__name__}"
            for failure in exc.exceptions:
                key = f"{signature}: {getattr(failure, 'title', str(failure))[:120]}"
                tally.failures.setdefault(key, str(exc))

    fuzz()


def main() -> int:
    examples = int(os.environ.get("FUZZ_EXAMPLES", "7"))
    seed_value = int(os.environ.get("FUZZ_SEED", "2026"))
    database = connections["default"].settings_dict
    # Its own test database, so a fuzz run never meets a pytest run's (same DATABASE_URL in CI).
    if database["ENGINE"] == "django.db.backends.postgresql":
        database["TEST"]["NAME"] = f"fuzz_{database['NAME']}"
    started = time.monotonic()
    old_config = setup_databases(verbosity=0, interactive=False)
    try:
        seeded = seed()
        from emotipal.wsgi import application  # sets Django up again, and with it the logging

        # Django logs every 4xx; thousands of expected refusals would bury the summary. 5xx are counted below.
        logging.getLogger("django.request").setLevel(logging.CRITICAL)

        schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", application)
        operations = []
        for result in schema.get_all_operations():
            if isinstance(result, Err):  # an operation the schema describes wrongly is a failure, not a skip
                raise SystemExit(f"fuzz_api: invalid schema: {result.err()}")
            operations.append(result.ok())
        tally = Tally()
        for operation in operations:
            names = [p.name for p in operation.path_parameters]
            missing = [n for n in names if n not in seeded.ids["client"]]
            if missing:  # a new kind of id in the API: seed one, do not quietly fuzz it with noise only
                raise SystemExit(f"fuzz_api: no seeded id for {missing} in {operation.label}")
            for role, token in seeded.tokens.items():
                # Without a token the request is refused before any id is looked at: random ids only.
                real = {n: seeded.ids[role][n] for n in names} if token else None
                for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
                    passes: list[dict[str, int | str] | None] = [None, real] if real else [None]
                    for path_parameters in passes:
                        run_operation(
                            operation,
                            role=role,
                            token=token,
                            mode=mode,
                            path_parameters=path_parameters,
                            examples=examples,
                            seed_value=seed_value,
                            tally=tally,
                        )
    finally:
        teardown_databases(old_config, verbosity=0)
    total = sum(tally.requests.values())
    print(
        f"fuzz_api: {total} requests over {len(operations)} operations in {time.monotonic() - started:.0f} s"
    )
    for label in sorted(op.label for op in operations):
        print(f"  {tally.requests[label]:5d}  {label}")
    print("  status codes: " + ", ".join(f"{code}: {n}" for code, n in sorted(tally.statuses.items())))
    for issue, text in KNOWN_ISSUES.items():
        seen = {k: n for k, n in tally.known.items() if k.startswith(f"{issue}: ")}
        print(f"  KNOWN ISSUE {issue}, reported, not failing the run: seen {sum(seen.values())}x: {text}")
        for key, count in sorted(seen.items()):
            print(f"    {count:4d}  {key.split(': ', 1)[1]}")
    if tally.failures:
        print(f"\nfuzz_api: {len(tally.failures)} distinct failures\n")
        for key, report in tally.failures.items():
            print(f"--- {key}\n{report}\n")
        return 1
    print("fuzz_api: no server errors, no schema violations")
    return 0


if __name__ == "__main__":
    sys.exit(main())
