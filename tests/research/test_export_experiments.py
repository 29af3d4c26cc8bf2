"""Experiments in the study export: the allocations table (its columns first, as the analysis reads them), the
allocation log, MRT decision points, each arm as a participants' column, and the CONSORT diagram, in every format,
pseudonymous, and under the withdrawal rules."""

from __future__ import annotations

import csv
import datetime as dt
import json
import re
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow.parquet as pq
import pyreadstat
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from emotipal.accounts.models import User
from emotipal.measures.fhir import validate_bundle
from emotipal.platform import clock
from emotipal.research import consort_inputs, pseudonyms
from emotipal.research.actions import experiments as actions
from emotipal.research.export.build import build_export
from emotipal.research.export.tables import build_export_data
from emotipal.research.models import (
    Allocation,
    DecisionPoint,
    Experiment,
    Participant,
    ParticipantAllocation,
)
from tests.factories import World
from tests.research.export_world import ExportWorld, build, enrol, homework, new_client, score
from tests.research.psychds_rules import problems as psychds_problems

ALLOCATION_COLUMNS = [
    "experiment",
    "experiment_version",
    "client_key",
    "unit",
    "unit_key",
    "arm",
    "sequence",
    "allocated_day",
    "allocated_date_shifted",
    "method",
]
DECISION_COLUMNS = [
    "experiment",
    "client_key",
    "decision",
    "day",
    "date_shifted",
    "days_since_enrolment",
    "available",
    "unavailable_reason",
    "probability",
    "treated",
    "sent",
    "window_minutes",
    "outcome",
]
THREE_DAYS_AGO = timezone.now() - dt.timedelta(days=3)


def _allocate_before_withdrawal(experiment: Experiment, participant: Participant, arm: str) -> None:
    """Withdrawn participants were allocated while enrolled: their rows, as the action wrote them then."""
    last = experiment.allocations.order_by("-sequence").first()
    allocation = Allocation(
        experiment=experiment,
        sequence=(last.sequence if last else 0) + 1,
        unit_key=f"client:{participant.client_id}",
        arm=experiment.arms.get(key=arm),
        method=experiment.method,
        inputs={"site": participant.client.clinic.slug},
        trigger="enrolment",
        at=THREE_DAYS_AGO,
        previous_hash=last.row_hash if last else "",
    )
    allocation.save()
    ParticipantAllocation.objects.create(
        experiment=experiment, participant=participant, allocation=allocation, at=THREE_DAYS_AGO
    )


def _draft(title: str, unit: str = "client", **design: Any) -> actions.ExperimentDraft:
    return actions.ExperimentDraft(
        title=title,
        unit=unit,
        method="blocks",
        design=design,
        arms=(
            actions.ArmDraft(
                "on", "Reminders on", "Daily reminders", features={"reminders": {"enabled": True}}
            ),
            actions.ArmDraft("off", "Reminders off", features={"reminders": {"enabled": False}}),
        ),
    )


@pytest.fixture
def trial(world: World) -> ExportWorld:
    ew = build(world)
    study = ew.study
    with clock.replaying(THREE_DAYS_AGO):  # allocated before their homework of two days ago
        reminders = actions.create_experiment(world.researcher, study, _draft("Reminders on or off"))
        assert actions.start(world.researcher, reminders) == []  # allocates the two enrolled by the method
        by_therapist = actions.create_experiment(world.researcher, study, _draft("Review lead", "therapist"))
        assert actions.start(world.researcher, by_therapist) == []
    _allocate_before_withdrawal(reminders, ew.withdrawn_keep, "on")
    _allocate_before_withdrawal(reminders, ew.withdrawn_remove, "off")
    mrt = actions.create_experiment(
        world.researcher,
        study,
        actions.ExperimentDraft(
            title="Reminder timing", kind="mrt", mrt_probability={"constant": 0.4}, mrt_window_minutes=90
        ),
    )
    actions.start(world.researcher, mrt)
    today = timezone.localdate()
    for participant in (ew.free_text, ew.withdrawn_keep, ew.withdrawn_remove):
        for days_ago, available, treated in ((3, True, True), (2, False, False), (1, True, False)):
            at = timezone.now() - dt.timedelta(days=days_ago)
            DecisionPoint.objects.create(
                experiment=mrt,
                participant=participant,
                day=today - dt.timedelta(days=days_ago),
                at=at,
                available=available,
                unavailable_reason="" if available else "already_done",
                probability=0.4 if available else None,
                draw=0.1 if treated else 0.9,
                treated=treated,
                sent="reminder" if treated else "",
                window_minutes=90,
                outcome=(days_ago == 3) if available else None,
            )
    # The keep participant withdrew now: their decision points before it stay, none after it would.
    at = timezone.now() + dt.timedelta(hours=1)
    DecisionPoint.objects.create(
        experiment=mrt,
        participant=ew.withdrawn_keep,
        day=today + dt.timedelta(days=1),
        at=at,
        available=True,
        probability=0.4,
        treated=True,
        window_minutes=90,
    )
    return ew


def read(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def key(ew: ExportWorld, participant: Participant) -> str:
    return pseudonyms.pseudonym(ew.study, "client", participant.client_id)


def test_allocations_and_log_are_pseudonymous_with_the_columns_the_analysis_reads(
    trial: ExportWorld, tmp_path: Path
) -> None:
    ew = trial
    manifest = build_export(ew.study, tmp_path, formats=("csv",))
    rows = read(tmp_path / "allocations.csv")
    assert list(rows[0])[: len(ALLOCATION_COLUMNS)] == ALLOCATION_COLUMNS
    reminders = Experiment.objects.get(study=ew.study, slug="reminders-on-or-off")
    in_db = {
        key(ew, pa.participant): pa.allocation.arm.key
        for pa in ParticipantAllocation.objects.filter(experiment=reminders).select_related(
            "allocation__arm", "participant"
        )
    }
    mine = {r["client_key"]: r for r in rows if r["experiment"] == "reminders-on-or-off"}
    remove = key(ew, ew.withdrawn_remove)
    assert remove in in_db and remove not in mine  # withdrawn under "remove": absent
    assert {k: r["arm"] for k, r in mine.items()} == {k: a for k, a in in_db.items() if k != remove}
    assert all(r["unit"] == "client" and r["unit_key"] == r["client_key"] for r in mine.values())
    assert all(r["method"] == "blocks" and r["experiment_version"] == "1" for r in mine.values())
    clients = {r["key"]: r for r in read(tmp_path / "clients.csv")}
    for k, r in mine.items():
        # The participant's day like every other day column, and the shifted date is day 0 + that day.
        day0 = dt.date.fromisoformat(clients[k]["day0_date_shifted"])
        assert day0 + dt.timedelta(days=int(r["allocated_day"])) == dt.date.fromisoformat(
            r["allocated_date_shifted"]
        )
        assert clients[k]["arm_reminders_on_or_off"] == r["arm"]
    # The cluster experiment: one unit (the therapist), named as in the therapists table.
    lead = [r for r in rows if r["experiment"] == "review-lead"]
    therapists = {t["key"] for t in read(tmp_path / "therapists.csv")}
    assert {r["unit"] for r in lead} == {"therapist"} and len({r["unit_key"] for r in lead}) == 1
    assert lead[0]["unit_key"] in therapists and len({r["arm"] for r in lead}) == 1
    assert {r["client_key"] for r in lead} == {key(ew, ew.free_text), key(ew, ew.data_only)}
    assert all(clients[r["client_key"]]["arm_review_lead"] == r["arm"] for r in lead)

    log = read(tmp_path / "allocation_log.csv")
    assert [(r["experiment"], r["sequence"]) for r in log if r["experiment"] == "reminders-on-or-off"] == [
        ("reminders-on-or-off", "1"),
        ("reminders-on-or-off", "2"),
        ("reminders-on-or-off", "3"),  # the keep participant's; the remove participant's (4) is absent
    ]
    assert {r["unit_key"] for r in log} <= set(mine) | therapists
    assert {r["trigger"] for r in log} == {"experiment started", "enrolment"}
    assert all(isinstance(json.loads(r["inputs"]), dict) for r in log)
    keep_row = next(r for r in log if r["unit_key"] == key(ew, ew.withdrawn_keep))
    site = json.loads(keep_row["inputs"])["site"]
    assert site == pseudonyms.pseudonym(ew.study, "clinic", ew.world.clinic.pk)  # not the clinic's slug
    assert {int(r["day"]) for r in log} == {0}  # all on the day the experiment started
    assert manifest["tables"]["allocations"] == len(rows) and manifest["tables"]["allocation_log"] == len(log)
    assert {e["experiment"] for e in manifest["experiments"]} == {
        "reminders-on-or-off",
        "review-lead",
        "reminder-timing",
    }

    # No internal id, no real date, no name in any of the experiment tables.
    for name in ("allocations", "allocation_log", "decision_points", "consort"):
        text = (tmp_path / f"{name}.csv").read_text(encoding="utf-8")
        assert "client:" not in text and "therapist:" not in text and ew.world.clinic.slug not in text
        for user in User.objects.all():
            assert user.email not in text and user.display_name not in text
        header = next(csv.reader(text.splitlines()))
        assert not [c for c in header if c == "id" or c.endswith("_id")], name
    for name in ("allocation_log", "consort"):  # no dates at all
        assert not re.search(r"\d{4}-\d{2}-\d{2}", (tmp_path / f"{name}.csv").read_text()), name
    pseudonym = re.compile(r"^[CT]-[0-9a-f]{12}$")
    assert all(pseudonym.match(r["unit_key"]) and pseudonym.match(r["client_key"]) for r in rows)
    assert all(pseudonym.match(r["unit_key"]) for r in log)
    for pa in ParticipantAllocation.objects.filter(experiment=reminders).select_related("participant"):
        if key(ew, pa.participant) in mine:  # the real date moved by the participant's own shift
            real = timezone.localdate(pa.at)
            shifted = dt.date.fromisoformat(mine[key(ew, pa.participant)]["allocated_date_shifted"])
            assert shifted - real == dt.timedelta(days=pa.participant.date_shift_days) != dt.timedelta(0)
    for r in log:
        assert set(r) == {
            "experiment",
            "experiment_version",
            "sequence",
            "unit",
            "unit_key",
            "arm",
            "method",
            "trigger",
            "inputs",
            "day",
        }


def test_decision_points_follow_the_withdrawal_rules(trial: ExportWorld, tmp_path: Path) -> None:
    ew = trial
    build_export(ew.study, tmp_path, formats=("csv",))
    rows = read(tmp_path / "decision_points.csv")
    assert list(rows[0])[: len(DECISION_COLUMNS)] == DECISION_COLUMNS
    by_client: dict[str, list[dict[str, str]]] = {}
    for r in rows:
        by_client.setdefault(r["client_key"], []).append(r)
    assert set(by_client) == {key(ew, ew.free_text), key(ew, ew.withdrawn_keep)}  # not the remove participant
    for points in by_client.values():  # the keep participant's point after withdrawing is left out
        assert [p["decision"] for p in points] == ["0", "1", "2"]
        assert [p["available"] for p in points] == ["True", "False", "True"]
        assert [p["probability"] for p in points] == ["0.4", "", "0.4"]
        assert [p["treated"] for p in points] == ["True", "False", "False"]
        assert [p["outcome"] for p in points] == ["True", "", "False"]
        assert [p["unavailable_reason"] for p in points] == ["", "already_done", ""]
        assert {p["window_minutes"] for p in points} == {"90"} and {p["experiment"] for p in points} == {
            "reminder-timing"
        }
        days = [int(p["day"]) for p in points]
        assert days == [days[0], days[0] + 1, days[0] + 2]
    for participant in (ew.free_text, ew.withdrawn_keep):
        shift = dt.timedelta(days=participant.date_shift_days)
        first = dt.date.fromisoformat(by_client[key(ew, participant)][0]["date_shifted"])
        assert first - shift == timezone.localdate() - dt.timedelta(days=3)


def test_the_consort_diagram_is_written_and_its_numbers_match_the_participants(
    trial: ExportWorld, tmp_path: Path
) -> None:
    ew = trial
    manifest = build_export(ew.study, tmp_path, formats=("csv",))
    svg = (tmp_path / "consort_reminders-on-or-off.svg").read_text(encoding="utf-8")
    assert svg.startswith("<svg") or svg.startswith("<?xml")
    assert (tmp_path / "consort_review-lead.svg").is_file()
    assert not list(tmp_path.glob("consort_reminder-timing*"))  # an MRT has no arms to draw
    assert "consort_reminders-on-or-off.svg" in {f["path"] for f in manifest["files"]}
    reminders = Experiment.objects.get(study=ew.study, slug="reminders-on-or-off")
    arms = {
        pa.participant_id: pa.allocation.arm.key
        for pa in ParticipantAllocation.objects.filter(experiment=reminders).select_related("allocation__arm")
    }
    flow = consort_inputs.experiment_flow(reminders)
    assert flow.check() == []
    # Four enrolled and randomised; everyone assessed; nobody excluded before allocation.
    assert (flow.assessed, flow.excluded.n, flow.randomised) == (4, 0, 4)
    for arm in flow.arms:
        people = {pid for pid, a in arms.items() if a == arm.arm}
        withdrawn = people & {ew.withdrawn_keep.pk, ew.withdrawn_remove.pk}
        assert arm.allocated == len(people)
        assert arm.received.n == len(people)  # each did homework after their allocation
        assert arm.discontinued.n == len(withdrawn)
        removed = int(ew.withdrawn_remove.pk in people)
        assert arm.excluded_from_analysis.n == removed and arm.analysed == len(people) - removed
    assert "Moving away" not in svg and "Does not want it used" not in svg  # typed reasons stay out
    for number in (flow.assessed, flow.randomised, *(a.allocated for a in flow.arms)):
        assert f"n = {number}" in svg
    table = [r for r in read(tmp_path / "consort.csv") if r["experiment"] == "reminders-on-or-off"]
    assert [(r["stage"], r["arm"], int(r["n"])) for r in table] == [
        (stage, arm, n) for stage, arm, n, _ in consort_inputs.rows(flow)
    ]


def test_every_format_reads_the_experiment_tables(trial: ExportWorld, tmp_path: Path) -> None:
    ew = trial
    build_export(ew.study, tmp_path)
    allocations = read(tmp_path / "allocations.csv")
    for name in ("allocations", "allocation_log", "decision_points", "consort"):
        n = len(read(tmp_path / f"{name}.csv"))
        assert pq.read_table(tmp_path / "parquet" / f"study={ew.study.slug}" / f"table={name}").num_rows == n
        frame, meta = pyreadstat.read_sav(str(tmp_path / "spss" / f"{name}.sav"))
        assert len(frame) == n and all(meta.column_names_to_labels.values())
        frame, meta = pyreadstat.read_dta(str(tmp_path / "stata" / f"{name}.dta"))
        assert len(frame) == n
    frame, meta = pyreadstat.read_sav(str(tmp_path / "spss" / "clients.sav"))
    assert meta.variable_value_labels["arm_reminders_on_or_off"]  # the arm's names as value labels
    assert set(
        pd.read_parquet(tmp_path / "parquet" / f"study={ew.study.slug}" / "table=allocations")["arm"]
    ) == {r["arm"] for r in allocations}
    assert psychds_problems(tmp_path / "psychds") == []
    data_files = " ".join(p.name for p in (tmp_path / "psychds" / "data").iterdir())
    for table in ("allocations", "allocationLog", "decisionPoints", "consort"):
        assert f"_table-{table}_data.csv" in data_files
    records = read(tmp_path / "redcap" / "records.csv")
    instruments = {r["redcap_repeat_instrument"] for r in records}
    assert {"allocations", "decision_points"} <= instruments
    assert "allocation_log" in (tmp_path / "redcap" / "README.txt").read_text()  # no participant: left out
    bundle = json.loads((tmp_path / "fhir" / "research_study_bundle.json").read_text())
    validate_bundle(bundle, "R5")
    study = bundle["entry"][0]["resource"]
    groups = {g["linkId"] for g in study["comparisonGroup"]}
    assert {
        "reminders-on-or-off.on",
        "reminders-on-or-off.off",
        "review-lead.on",
        "review-lead.off",
    } == groups
    subjects = {
        e["resource"]["identifier"][0]["value"]: e["resource"] for e in bundle["entry"][1:]
    }  # every exported participant, with the arm of their first experiment
    assert set(subjects) == {r["key"] for r in read(tmp_path / "clients.csv")}
    for r in allocations:
        if r["experiment"] == "reminders-on-or-off":
            assert subjects[r["client_key"]]["assignedComparisonGroup"] == f"reminders-on-or-off.{r['arm']}"


def test_the_query_count_does_not_grow_with_participants(trial: ExportWorld) -> None:
    ew = trial
    with CaptureQueriesContext(connection) as before:
        build_export_data(ew.study)
    for i in range(3):
        client = new_client(ew.world, f"more.{i}@example.org", f"More Person{i}")
        participant = enrol(ew.world, ew.study, client, ["data"])
        for experiment in Experiment.objects.filter(study=ew.study, kind="parallel"):
            actions.allocate(experiment, participant, ew.world.researcher, "enrolment")
        homework(ew.world, client, "More homework")
        score(ew.world, client, 10 + i, days_ago=1)
    with CaptureQueriesContext(connection) as after:
        data = build_export_data(ew.study)
    # Reminders: the two enrolled, the keep participant and the three new; review lead: all but the withdrawn.
    assert len(data.tables["allocations"]) == 6 + 5
    assert len(after.captured_queries) == len(before.captured_queries)
