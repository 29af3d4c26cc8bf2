"""The questionnaire command line (REDCap round trip, FHIR export) and the clinic admin pages."""

from __future__ import annotations

import io
import json
from contextlib import redirect_stdout
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError

from emotipal.measures import services
from emotipal.measures.fhir import validate_bundle
from emotipal.measures.models import Instrument
from emotipal.measures.redcap import REDCAP_HEADER
from tests.factories import World


def run(*args: str) -> str:
    out = io.StringIO()
    with redirect_stdout(out):
        call_command(*args)
    return out.getvalue()


def test_redcap_round_trip_on_the_command_line(world: World, tmp_path: Path) -> None:
    csv_text = run("instruments", "export-redcap", "phq9")
    assert csv_text.splitlines()[0].startswith('"Variable / Field Name"') or csv_text.splitlines()[
        0
    ].startswith("Variable / Field Name")
    assert len(next(iter(__import__("csv").reader(io.StringIO(csv_text))))) == len(REDCAP_HEADER) == 18
    path = tmp_path / "phq9.csv"
    path.write_text(csv_text.replace("phq9", "phq9copy"), encoding="utf-8")
    run("instruments", "import-redcap", str(path), "--clinic", "harbour")
    copy = Instrument.objects.get(key="phq9copy")
    original = services.latest_version(Instrument.objects.get(key="phq9", clinic=None)).definition
    imported = services.latest_version(copy).definition
    assert [i["text"] for i in imported["items"]] == [i["text"] for i in original["items"]]
    assert imported["bands"] == original["bands"] and copy.clinic == world.clinic


def test_malformed_redcap_file_imports_nothing(world: World, tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text("Variable,Form\nx,y\n", encoding="utf-8")
    before = Instrument.objects.count()
    with pytest.raises(CommandError, match="Nothing was imported"):
        call_command("instruments", "import-redcap", str(path))
    assert Instrument.objects.count() == before
    with pytest.raises(CommandError, match="No such file"):
        call_command("instruments", "import-redcap", str(tmp_path / "missing.csv"))
    with pytest.raises(CommandError, match="No instrument"):
        call_command("instruments", "export-redcap", "nope")


def test_fhir_export_command(world: World, tmp_path: Path) -> None:
    phq9 = Instrument.objects.get(key="phq9", clinic=None)
    response = services.ask_now(world.therapist, world.client_a, phq9)
    services.save_answers(
        world.client_a.user, response.pk, {f"phq9_{i}": 2 for i in range(1, 10)}, submit=True
    )
    for version in ("R4B", "R5"):
        out = tmp_path / f"bundle-{version}.json"
        call_command("export", "fhir", "--out", str(out), "--fhir-version", version)
        bundle = json.loads(out.read_text())
        validate_bundle(bundle, version)
        kinds = [e["resource"]["resourceType"] for e in bundle["entry"]]
        assert kinds.count("Questionnaire") == 1 and kinds.count("QuestionnaireResponse") == 1
        observation = next(
            e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Observation"
        )
        assert observation["code"]["coding"][0]["code"] == "44261-6"
        assert observation["valueQuantity"]["value"] == 18
        assert "client.a" not in out.read_text()  # pseudonymous subject only


def test_admin_builds_and_imports_questionnaires(world: World) -> None:
    http = world.login(world.admin)
    text = "Name: Worry check\nOptions: 0 = No | 1 = Yes\nItems:\nI worried today\n[risk] I felt unsafe"
    preview = http.post("/clinic/questionnaires/", {"definition": text, "action": "preview"})
    assert preview.status_code == 200 and b"I felt unsafe" in preview.content
    assert not Instrument.objects.filter(key="worry_check").exists()
    saved = http.post("/clinic/questionnaires/", {"definition": text, "action": "save"})
    assert saved.status_code == 302 and Instrument.objects.get(key="worry_check").clinic == world.clinic
    bad = http.post("/clinic/questionnaires/", {"definition": "Items:\nx", "action": "save"})
    assert bad.status_code == 400 and b"Name" in bad.content
    dictionary = http.get(f"/clinic/questionnaires/{Instrument.objects.get(key='worry_check').pk}/redcap.csv")
    upload = SimpleUploadedFile("d.csv", dictionary.content.replace(b"worry_check", b"worry_two"), "text/csv")
    imported = http.post("/clinic/questionnaires/", {"action": "import", "file": upload})
    assert (
        imported.status_code == 200
        and Instrument.objects.filter(key="worry_two", clinic=world.clinic).exists()
    )
    broken = SimpleUploadedFile("b.csv", b"not,a,dictionary\n", "text/csv")
    refused = http.post("/clinic/questionnaires/", {"action": "import", "file": broken})
    assert refused.status_code == 400 and b"Nothing was imported" in refused.content


def test_admin_sets_crisis_resources_and_policy(world: World) -> None:
    http = world.login(world.admin)
    assert http.post("/clinic/safety/", {"action": "add", "title": "", "body": "x"}).status_code == 400
    http.post(
        "/clinic/safety/",
        {"action": "add", "title": "Harbour line", "body": "Call 0800 111", "language": "en"},
    )
    assert services.crisis_resources(world.clinic, "en") == [("Harbour line", "Call 0800 111")]
    http.post(
        "/clinic/safety/",
        {"action": "policy", "alert_escalation_hours": "4", "answers_read_statement": "Daily."},
    )
    world.clinic.refresh_from_db()
    assert world.clinic.alert_escalation_hours == 4 and world.clinic.answers_read_statement == "Daily."
    assert (
        http.post(
            "/clinic/safety/",
            {"action": "policy", "alert_escalation_hours": "0", "answers_read_statement": "x"},
        ).status_code
        == 400
    )
