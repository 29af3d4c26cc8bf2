"""The de-identified export tables: who is in them, what of theirs, under which names and dates."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from emotipal.accounts.models import User
from emotipal.research import pseudonyms
from emotipal.research.consent_rules import inclusion
from emotipal.research.export.build import build_export
from emotipal.research.export.codebook import FREE_TEXT_NOTE
from emotipal.research.export.tables import EmptyExportError, build_export_data
from emotipal.research.models import ConsentDocument, ParticipantState
from tests.factories import World
from tests.research.export_world import ExportWorld, build, enrol, homework, new_client, score
from tests.research.study_factory import make_participant, make_study


@pytest.fixture
def ew(world: World) -> ExportWorld:
    return build(world)


def key(ew: ExportWorld, participant: Any) -> str:
    return pseudonyms.pseudonym(ew.study, "client", participant.client_id)


def read(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_no_name_or_email_of_anyone_is_in_any_file(ew: ExportWorld, tmp_path: Path) -> None:
    build_export(ew.study, tmp_path)
    files = sorted(tmp_path.rglob("*"))
    assert {f.name for f in files} >= {"clients.csv", "entries.csv", "codebook.csv", "manifest.json"}
    blob = b"\n".join(f.read_bytes() for f in files if f.is_file()).lower()
    for user in User.objects.all():
        # Whole names (a single word such as "Client" or "Ben" is also an ordinary word or part of one).
        needles = {user.email, user.display_name, user.first_name, user.last_name}
        for needle in filter(None, needles):
            assert needle.lower().encode() not in blob, f"{needle!r} of {user.email} is in the export"
    # Free text that named the therapist was kept, with the name taken out.
    reviews = read(tmp_path / "self_reviews.csv")
    mine = next(r for r in reviews if r["client_key"] == key(ew, ew.free_text))
    assert mine["what_i_did"] == "I did it, and told [name] [name] ([e-mail])"
    # No internal id: record keys are pseudonyms.
    assert all(r["key"].startswith("SR-") for r in reviews)


def test_pseudonyms_are_stable_and_dates_shift_consistently(ew: ExportWorld, tmp_path: Path) -> None:
    first = build_export_data(ew.study)
    second = build_export_data(ew.study)
    assert list(first.tables["clients"]["key"]) == list(second.tables["clients"]["key"])
    clients = first.tables["clients"].set_index("key")
    assert set(clients.index) == {key(ew, p) for p in (ew.free_text, ew.data_only, ew.withdrawn_keep)}
    assert set(first.tables["therapists"]["key"]) == {
        pseudonyms.pseudonym(ew.study, "therapist", ew.world.therapist.pk)
    }
    # Each participant's shifted dates move by their own offset; intervals (day columns) are exact.
    sessions = first.tables["sessions"]
    responses = first.tables["questionnaire_responses"]
    for participant in (ew.free_text, ew.data_only):
        shift = dt.timedelta(days=participant.date_shift_days)
        day0 = clients.loc[key(ew, participant), "day0_date_shifted"]
        assert (day0 - shift).weekday() == 0  # day 0 is a Monday of the real calendar
        session = sessions[sessions["client_key"] == key(ew, participant)].iloc[0]
        real = (
            ew.world.client_a.sessions.get().date
            if participant == ew.free_text
            else ew.world.client_b.sessions.get().date
        )
        assert session["date_shifted"] == real + shift
        assert session["date_shifted"] - day0 == dt.timedelta(days=int(session["day"]))
        mine = responses[responses["client_key"] == key(ew, participant)]
        for _, row in mine.iterrows():
            assert row["completed_date_shifted"] - day0 == dt.timedelta(days=int(row["completed_day"]))
    # day 0 is a Monday of the real calendar: the analysis reads day % 7 as the weekday.
    entries = first.tables["entries"]
    for _, row in entries.iterrows():
        participant = next(
            p for p in (ew.free_text, ew.data_only, ew.withdrawn_keep) if key(ew, p) == row["client_key"]
        )
        real = row["date_shifted"] - dt.timedelta(days=participant.date_shift_days)
        assert real.weekday() == int(row["day"]) % 7


def test_free_text_only_with_consent_to_it(ew: ExportWorld) -> None:
    data = build_export_data(ew.study)
    answers = data.tables["entry_answers"]
    entry_owner = dict(zip(data.tables["entries"]["key"], data.tables["entries"]["client_key"], strict=True))
    texts = answers[answers["free_text"]]
    by_owner = {
        k: texts[texts["entry_key"].map(entry_owner) == k]
        for k in (key(ew, ew.free_text), key(ew, ew.data_only))
    }
    assert by_owner[key(ew, ew.free_text)]["value"].notna().all()
    assert "Sunday evening, thinking about the meeting" in set(by_owner[key(ew, ew.free_text)]["value"])
    assert by_owner[key(ew, ew.data_only)]["value"].isna().all() and len(by_owner[key(ew, ew.data_only)]) > 0
    # Numbers are answers too, and need no consent to free text.
    numbers = answers[
        (~answers["free_text"]) & (answers["entry_key"].map(entry_owner) == key(ew, ew.data_only))
    ]
    assert set(numbers["value"]) >= {"80", "90"}
    note = next(v for v in data.codebook if v.table == "self_reviews" and v.name == "what_i_did").note
    assert note == FREE_TEXT_NOTE
    # A study that does not use free text exports none, whoever consented to it.
    quiet = build_export_data(_study_without_free_text(ew))
    # The same client has another pseudonym in another study.
    assert set(quiet.tables["clients"]["key"]).isdisjoint(data.tables["clients"]["key"])
    assert quiet.tables["self_reviews"]["what_i_did"].isna().all()
    assert not quiet.tables["clients"]["free_text_used"].any()


def _study_without_free_text(ew: ExportWorld) -> Any:
    study = make_study(ew.world, "no-free-text", data_uses=["homework", "questionnaires"])
    enrol(ew.world, study, ew.world.client_a, ["data", "free_text"])
    return study


def test_withdrawn_keep_only_before_withdrawal_and_remove_entirely_absent(
    ew: ExportWorld, tmp_path: Path
) -> None:
    build_export(ew.study, tmp_path)
    keep, remove = key(ew, ew.withdrawn_keep), key(ew, ew.withdrawn_remove)
    blob = "\n".join(p.read_text(encoding="utf-8") for p in tmp_path.glob("*.csv"))
    assert "AFTER WITHDRAWAL" not in blob
    entries = read(tmp_path / "entries.csv")
    assert [e["client_key"] for e in entries].count(keep) == 1  # the one before, not the one after
    assert pseudonyms.pseudonym(ew.study, "entry", ew.later_entry.pk).split("-")[1] not in blob
    scores = [s for s in read(tmp_path / "questionnaire_responses.csv") if s["client_key"] == keep]
    assert [s["total"] for s in scores] == ["18.0"]
    withdrawal = ew.withdrawn_keep.withdrawn_at
    assert withdrawal is not None
    shift = dt.timedelta(days=ew.withdrawn_keep.date_shift_days)
    for name in ("entries", "sessions", "self_reviews", "therapist_reviews"):
        for row in read(tmp_path / f"{name}.csv"):
            if row["client_key"] == keep:
                # Records with a time are kept when collected before it; days without one only before that day.
                assert dt.date.fromisoformat(row["date_shifted"]) - shift <= withdrawal.date()
    # "remove": only the consent events and the states say they withdrew.
    for path in tmp_path.glob("*.csv"):
        holds = remove in path.read_text(encoding="utf-8")
        assert holds == (path.name in {"consent_events.csv", "participant_states.csv"}), path.name
    states = [s["state"] for s in read(tmp_path / "participant_states.csv") if s["participant_key"] == remove]
    assert states[-1] == ParticipantState.WITHDRAWN
    decisions = [
        c["decision"] for c in read(tmp_path / "consent_events.csv") if c["participant_key"] == remove
    ]
    assert decisions == ["consented", "withdrawn"]
    assert not any(
        r["participant_key"] == remove and r["failed_criteria"]
        for r in read(tmp_path / "participant_states.csv")
    )


def test_a_new_consent_version_stops_use_until_signed_again(ew: ExportWorld) -> None:
    ConsentDocument.objects.create(
        study=ew.study, version=2, language="en", title="New", body_markdown="v2",
        created_by=ew.world.researcher, published_at=ew.free_text.enrolled_at,
    )  # fmt: skip
    ew.free_text.refresh_from_db()
    assert inclusion(ew.free_text, 2).reason == "not_consented_to_current_version"
    data = build_export_data(ew.study)
    assert key(ew, ew.free_text) not in set(data.tables["clients"]["key"])
    assert data.notes["participants_left_out"]["not_consented_to_current_version"] == 2
    assert data.study.consent_versions == (1, 2)


def test_a_study_without_consenting_participants_says_so(world: World) -> None:
    study = make_study(world, "empty-study")
    make_participant(world, study, world.client_a, state=ParticipantState.DECLINED)
    with pytest.raises(EmptyExportError, match="no consenting participant"):
        build_export_data(study)


def test_tables_follow_the_study_data_uses(world: World) -> None:
    study = make_study(world, "questionnaires-only", data_uses=["questionnaires"])
    enrol(world, study, world.client_a, ["data"])
    score(world, world.client_a, 12, days_ago=3)
    data = build_export_data(study)
    assert set(data.tables) == {
        "clients", "therapists", "questionnaire_responses", "questionnaire_answers", "questionnaire_subscales",
        "scores",
        "consent_events", "participant_states",
    }  # fmt: skip


def test_the_query_count_does_not_grow_with_participants(ew: ExportWorld) -> None:
    with CaptureQueriesContext(connection) as before:
        build_export_data(ew.study)
    for i in range(3):
        client = new_client(ew.world, f"more.{i}@example.org", f"More Person{i}")
        enrol(ew.world, ew.study, client, ["data", "free_text"])
        homework(ew.world, client, "More homework")
        score(ew.world, client, 10 + i, days_ago=5)
    with CaptureQueriesContext(connection) as after:
        data = build_export_data(ew.study)
    assert len(data.tables["clients"]) == 6
    assert len(after.captured_queries) == len(before.captured_queries) <= 30


def test_compliance_figures_are_labelled_and_match_the_homework_app(ew: ExportWorld) -> None:
    data = build_export_data(ew.study)
    figures = data.tables["compliance"]
    mine = figures[(figures["client_key"] == key(ew, ew.free_text)) & (figures["period"] == "treatment")]
    assert len(mine) == 1
    row = mine.iloc[0]
    assert row["attempts_completed"] == 1 and row["client_quantity"] == 3 and row["therapist_quantity"] == 2
    assert row["combined_quantity"] == 2.5
    labelled = {v.name: v for v in data.variables("compliance")}
    assert (
        labelled["client_quantity"].source,
        labelled["client_quantity"].kind,
        labelled["client_quantity"].timing,
    ) == ("client", "likert", "contemporaneous")
    assert (
        labelled["percent_of_plan"].source == "objective" and labelled["percent_of_plan"].kind == "percentage"
    )
    assert labelled["client_quantity_retroactive"].timing == "retroactive"
    # The keep participant's figures stop the day before they withdrew.
    keep = figures[
        (figures["client_key"] == key(ew, ew.withdrawn_keep)) & (figures["period"] == "treatment")
    ].iloc[0]
    assert keep["attempts_completed"] == 1
