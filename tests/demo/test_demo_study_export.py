"""The research issue's "done when", on the demo as loaded: the demo study exports in every format, each
readable by the tool it is for, `emotipal analyse` runs on the live export, and nobody's identity is in it."""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path
from typing import Any

import pyreadstat
from django.core.management import call_command

from emotipal.accounts.models import User
from emotipal.analysis.analyse_cli import main as analyse_main
from emotipal.analysis.trials.trial_report import trial_report
from emotipal.demo.loader import DEMO_LOGINS, load_demo
from emotipal.measures.fhir import validate_bundle
from emotipal.research import pseudonyms
from emotipal.research.experiment_analysis import mrt_analysis
from emotipal.research.models import (
    DecisionPoint,
    Experiment,
    Participant,
    ParticipantAllocation,
    ParticipantState,
    Study,
    WithdrawalPolicy,
)
from tests.research.psychds_rules import problems as psychds_problems


def test_the_demo_study_exports_every_format_and_analyses(db: Any, tmp_path: Path, capsys: Any) -> None:
    load_demo()
    study = Study.objects.get(slug="demo-study")
    out = tmp_path / "export"
    call_command("research", "export", "--study", "demo-study", "--out", str(out))
    manifest = json.loads((out / "manifest.json").read_text())
    assert set(manifest["formats"]) == {"csv", "parquet", "spss", "stata", "redcap", "psychds", "fhir"}

    # SPSS opens with its labels; Stata too.
    frame, meta = pyreadstat.read_sav(str(out / "spss" / "clients.sav"))
    assert meta.column_names_to_labels and all(meta.column_names_to_labels.values())
    assert meta.variable_value_labels  # the coded columns carry their value labels
    _, stata_meta = pyreadstat.read_dta(str(out / "stata" / "clients.dta"))
    assert all(stata_meta.column_names_to_labels.values())
    # The Psych-DS rules pass, and the FHIR bundle validates as R5.
    assert psychds_problems(out / "psychds") == []
    validate_bundle(json.loads((out / "fhir" / "research_study_bundle.json").read_text()), "R5")

    # A withdrawn participant's data follows the protocol: absent under "remove", only before under "keep".
    exported = {row["key"]: row for row in csv.DictReader((out / "clients.csv").open())}
    assert len(frame) == len(exported) > 0  # the SPSS file holds every exported participant
    withdrawn = Participant.objects.filter(study=study, state=ParticipantState.WITHDRAWN)
    assert withdrawn.exists()
    for p in withdrawn:
        key = pseudonyms.pseudonym(study, "client", p.client_id)
        if p.withdrawal_policy == WithdrawalPolicy.REMOVE:
            assert key not in exported
        elif key in exported:
            last_day, withdrawn_day = int(exported[key]["last_day"]), int(exported[key]["withdrawn_day"])
            assert last_day <= withdrawn_day
            days = [
                int(r["day"]) for r in csv.DictReader((out / "entries.csv").open()) if r["client_key"] == key
            ]
            assert all(day <= withdrawn_day for day in days)
    # Declined and ineligible clients are nowhere in the data tables.
    for p in Participant.objects.filter(study=study).exclude(
        state__in=("enrolled", "withdrawn", "completed")
    ):
        assert pseudonyms.pseudonym(study, "client", p.client_id) not in exported

    # No name or e-mail address of anyone on the platform in any exported byte.
    blob = b"\n".join(path.read_bytes() for path in out.rglob("*") if path.is_file()).decode(
        "utf-8", "replace"
    )
    cells = {
        cell.strip().lower() for path in out.rglob("*.csv") for row in csv.reader(path.open()) for cell in row
    }
    for user in User.objects.all():
        for needle in {user.email, user.display_name} - {""}:
            assert not re.search(rf"\b{re.escape(needle)}\b", blob, re.IGNORECASE), needle
        # A first or last name alone, as a value (the word "template" in a label is not the surname Template).
        assert not {part.lower() for part in user.display_name.split()} & cells, user.display_name

    # The running two-arm experiment: every exported enrolled participant allocated by the method at their
    # enrolment, the arm a column of the participants table, and its CONSORT diagram beside the tables.
    reminders = Experiment.objects.get(study=study, title="Reminders on or off")
    assert reminders.state == "running" and reminders.method == "blocks" and reminders.unit == "client"
    allocations = [
        r for r in csv.DictReader((out / "allocations.csv").open()) if r["experiment"] == reminders.slug
    ]
    enrolled = {
        pseudonyms.pseudonym(study, "client", p.client_id)
        for p in Participant.objects.filter(study=study, state=ParticipantState.ENROLLED)
    }
    assert enrolled and enrolled <= {r["client_key"] for r in allocations} <= set(exported)
    assert {r["arm"] for r in allocations} == {"on", "off"}
    assert all(
        exported[r["client_key"]]["arm_" + reminders.slug.replace("-", "_")] == r["arm"] for r in allocations
    )
    links = ParticipantAllocation.objects.filter(experiment=reminders).select_related("allocation")
    assert {pa.allocation.trigger for pa in links} == {"enrolment"}
    showcase = Participant.objects.get(study=study, client__user__email=DEMO_LOGINS["client"])
    assert showcase.state == ParticipantState.ELIGIBLE and not links.filter(participant=showcase).exists()
    assert (out / f"consort_{reminders.slug}.svg").is_file()
    assert f"consort_{reminders.slug}.svg" in {f["path"] for f in manifest["files"]}
    # The arm-effects report reads the export's allocations as they are.
    report = trial_report(out, reminders.slug)
    assert report.arms == ("off", "on") and sum(report.n_allocated.values()) == len(allocations)
    timing = Experiment.objects.get(study=study, kind="mrt")
    assert timing.state == "running" and timing.mrt_probability == {"constant": 0.5}
    assert timing.mrt_window_minutes == 120
    # Its history: decision points of the days gone by, randomised where available, outcomes settled.
    points = DecisionPoint.objects.filter(experiment=timing)
    assert points.filter(available=True, treated=True).exists()
    assert points.filter(available=True, treated=False).exists()
    assert set(points.filter(available=False).values_list("unavailable_reason", flat=True)) <= {
        "nothing planned",
        "paused",
        "already done",
    }
    assert not points.filter(available=True, outcome__isnull=True).exists()
    assert not points.filter(available=False).exclude(probability=None).exists()
    exported_points = list(csv.DictReader((out / "decision_points.csv").open()))
    assert len(exported_points) == points.count()
    assert mrt_analysis(timing).n_points == points.count()

    # `emotipal analyse` reads the live export exactly as it reads a simulated data set.
    capsys.readouterr()
    assert analyse_main([str(out), "--format", "json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["dataset"]["n_clients"] == len(exported)
