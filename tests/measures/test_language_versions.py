"""Language versions of questionnaires: a clinic imports a licensed translation (REDCap or FHIR), its clients see
it, the response records the language, the score is the English one; everyone else sees the English-only notice.

The files in tests/data/ hold marked test wording ("[es test] ...", "[ar test] ..."), never a real translation.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from django.core.files.uploadedfile import SimpleUploadedFile

from emotipal.accounts.models import Membership, Role
from emotipal.measures import services, translations
from emotipal.measures.errors import MeasureError
from emotipal.measures.fhir_export import bundle_for
from emotipal.measures.models import Instrument, InstrumentTranslation, InstrumentVersion, Response
from emotipal.platform.audit.models import AuditEvent
from emotipal.research.export.tables import build_export_data
from tests.factories import World
from tests.research.export_world import enrol
from tests.research.study_factory import make_study

DATA = Path(__file__).resolve().parent.parent / "data"
REDCAP_ES = (DATA / "phq9-es-test-wording.redcap.csv").read_text(encoding="utf-8")
FHIR_AR = (DATA / "phq9-ar-test-wording.fhir.json").read_text(encoding="utf-8")
SOURCE = "Test wording for EmotiPal's tests; not a translation."
ANSWERS = {f"phq9_{i}": 2 for i in range(1, 9)} | {"phq9_9": 1}  # item 9 above 0: a risk answer


@pytest.fixture
def phq9(world: World) -> InstrumentVersion:
    return services.latest_version(Instrument.objects.get(key="phq9", clinic=None))


def speaking(world: World, language: str) -> None:
    for client in (world.client_a, world.client_other_clinic):
        client.user.language = language
        client.user.save(update_fields=["language"])


def import_es(world: World, version: InstrumentVersion, text: str = REDCAP_ES) -> InstrumentTranslation:
    return translations.import_translation(
        world.admin, world.clinic, version, language="es", source=SOURCE, file_format="redcap", text=text
    )


def answer(world: World, client: Any) -> Response:
    phq9 = Instrument.objects.get(key="phq9", clinic=None)
    therapist = world.therapist if client.clinic_id == world.clinic.pk else world.foreign_therapist
    response = services.ask_now(therapist, client, phq9)
    result = services.save_answers(client.user, response.pk, ANSWERS, submit=True)
    assert result.alert is not None  # the risk item alerts in every language
    response.refresh_from_db()
    return response


def test_instrument_files_say_that_no_translation_is_shipped(world: World) -> None:
    for name in ("phq9", "gad7"):
        path = Path(services.INSTRUMENTS_DIR) / f"{name}.yaml"
        note = yaml.safe_load(path.read_text(encoding="utf-8"))["translations"]
        assert note["shipped"] == [] and "official validated" in note["note"]
        stored = services.latest_version(Instrument.objects.get(key=name, clinic=None)).definition
        assert "translations" not in stored  # a note about the file, not a new version of the instrument
    assert services.sync_instruments() == []
    assert not InstrumentTranslation.objects.exists()


def test_spanish_redcap_import_is_shown_recorded_and_scored_as_in_english(
    world: World, phq9: InstrumentVersion
) -> None:
    import_es(world, phq9)
    event = AuditEvent.objects.get(action="instrument.translation_import")
    assert event.clinic_id == world.clinic.pk and event.actor_id == world.admin.pk
    speaking(world, "es")
    english = answer(world, world.client_b)  # client B reads English
    spanish = answer(world, world.client_a)
    gad7 = services.ask_now(world.therapist, world.client_a, Instrument.objects.get(key="gad7", clinic=None))
    page = world.login(world.client_a.user).get(f"/questionnaires/{gad7.pk}/")
    assert 'id="language-notice"' in page.content.decode()  # the GAD-7 has no translation: the notice
    assert (english.language, spanish.language) == ("en", "es")
    assert spanish.total == english.total == 17 and spanish.band == english.band
    assert spanish.instrument_version_id == english.instrument_version_id == phq9.pk
    # The therapist sees which wording the answers are to.
    therapist_page = world.login(world.therapist).get(f"/clients/{world.client_a.pk}/measures/")
    assert 'Language of the wording answered">es</span>' in therapist_page.content.decode()


def test_spanish_client_sees_the_imported_wording(world: World, phq9: InstrumentVersion) -> None:
    import_es(world, phq9)
    speaking(world, "es")
    response = services.ask_now(world.therapist, world.client_a, phq9.instrument)
    html = world.login(world.client_a.user).get(f"/questionnaires/{response.pk}/").content.decode()
    assert "[es test] Little interest or pleasure in doing things" in html
    assert "[es test] Nearly every day" in html and "[es test] Over the last 2 weeks" in html
    assert 'id="language-notice"' not in html and 'lang="es"' in html


def test_another_clinic_does_not_see_the_import(world: World, phq9: InstrumentVersion) -> None:
    import_es(world, phq9)
    speaking(world, "es")
    other = world.client_other_clinic
    response = services.ask_now(world.foreign_therapist, other, phq9.instrument)
    html = world.login(other.user).get(f"/questionnaires/{response.pk}/").content.decode()
    assert "[es test]" not in html
    assert 'id="language-notice"' in html and 'lang="en" dir="ltr"' in html
    assert answer(world, other).language == "en"


@pytest.mark.parametrize(("language", "words"), [("es", "inglés"), ("ar", "الإنجليزيّة")])
def test_english_only_notice_without_a_translation(
    world: World, phq9: InstrumentVersion, language: str, words: str
) -> None:
    speaking(world, language)
    response = services.ask_now(world.therapist, world.client_a, phq9.instrument)
    html = world.login(world.client_a.user).get(f"/questionnaires/{response.pk}/").content.decode()
    assert 'id="language-notice"' in html and words in html.lower()  # the language named in theirs
    assert '<div lang="en" dir="ltr" id="questionnaire-wording">' in html
    assert "Little interest or pleasure in doing things" in html  # the English wording, marked as English


def test_english_client_sees_no_notice(world: World, phq9: InstrumentVersion) -> None:
    response = services.ask_now(world.therapist, world.client_b, phq9.instrument)
    html = world.login(world.client_b.user).get(f"/questionnaires/{response.pk}/").content.decode()
    assert 'id="language-notice"' not in html


def test_arabic_fhir_import_through_the_clinic_page(world: World, phq9: InstrumentVersion) -> None:
    http = world.login(world.admin)
    url = f"/clinic/questionnaires/{phq9.instrument_id}/languages/"
    form = {"version": phq9.pk, "language": "ar", "file_format": "fhir", "source": SOURCE}
    upload = SimpleUploadedFile("phq9-ar.json", FHIR_AR.encode(), content_type="application/fhir+json")
    checked = http.post(url, {**form, "action": "preview", "file": upload})
    assert (
        checked.status_code == 200
        and "[ar test] Feeling down, depressed, or hopeless" in checked.content.decode()
    )
    assert not InstrumentTranslation.objects.exists()  # a check stores nothing
    done = http.post(url, {**form, "action": "import", "content": checked.context["form"]["content"]})
    assert done.status_code == 302
    stored = InstrumentTranslation.objects.get()
    assert (stored.language, stored.clinic, stored.file_format, stored.source) == (
        "ar",
        world.clinic,
        "fhir",
        SOURCE,
    )
    listed = http.get(url).content.decode()
    assert "English" in listed and "Arabic" in listed and "Test wording for EmotiPal" in listed
    speaking(world, "ar")
    response = answer(world, world.client_a)
    assert response.language == "ar"
    bundle = bundle_for(Response.objects.filter(pk=response.pk))
    answered = [
        e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "QuestionnaireResponse"
    ]
    assert answered[0]["language"] == "ar"


def _mismatch_redcap() -> str:
    """The Spanish file with item 9 no longer a risk item and item 3's top answer worth 4."""
    rows = list(csv.reader(io.StringIO(REDCAP_ES)))
    for row in rows:
        if row[0] == "phq9_9":
            row[-1] = row[-1].replace("@EMOTIPAL-RISK", "")
        if row[0] == "phq9_3":
            row[5] = "0, [es test] a | 1, [es test] b | 2, [es test] c | 4, [es test] d"
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows(rows)
    return out.getvalue()


def test_mismatch_is_refused_naming_the_items_and_nothing_is_stored(
    world: World, phq9: InstrumentVersion
) -> None:
    with pytest.raises(MeasureError) as refused:
        import_es(world, phq9, _mismatch_redcap())
    problems = " ".join(refused.value.errors.values())
    assert "'phq9_9'" in problems and "risk" in problems
    assert "'phq9_3'" in problems and "0, 1, 2, 4" in problems
    fhir = json.loads(FHIR_AR)
    fhir["item"][0]["linkId"] = "phq9_one"
    response = world.login(world.admin).post(
        f"/clinic/questionnaires/{phq9.instrument_id}/languages/",
        {
            "version": phq9.pk,
            "language": "ar",
            "file_format": "fhir",
            "source": SOURCE,
            "action": "import",
            "content": json.dumps(fhir),
        },
    )
    html = response.content.decode()
    assert response.status_code == 400 and "phq9_one" in html and "phq9_1" in html
    assert not InstrumentTranslation.objects.exists()
    assert not AuditEvent.objects.filter(action="instrument.translation_import").exists()


def test_source_statement_and_language_are_required(world: World, phq9: InstrumentVersion) -> None:
    with pytest.raises(MeasureError, match="licence"):
        translations.import_translation(
            world.admin, world.clinic, phq9, language="es", source="  ", file_format="redcap", text=REDCAP_ES
        )
    with pytest.raises(MeasureError, match="language"):
        translations.import_translation(
            world.admin,
            world.clinic,
            phq9,
            language="en",
            source=SOURCE,
            file_format="redcap",
            text=REDCAP_ES,
        )
    with pytest.raises(MeasureError):  # the FHIR file says it is Arabic
        translations.import_translation(
            world.admin, world.clinic, phq9, language="es", source=SOURCE, file_format="fhir", text=FHIR_AR
        )
    assert not InstrumentTranslation.objects.exists()


def test_removing_a_translation_is_audited_and_only_the_clinics_own(
    world: World, phq9: InstrumentVersion
) -> None:
    translation = import_es(world, phq9)
    foreign_admin = world.foreign_therapist
    Membership.objects.create(user=foreign_admin, clinic=world.other_clinic, role=Role.ADMIN)
    assert (
        world.login(foreign_admin)
        .post(f"/clinic/questionnaires/languages/{translation.pk}/remove/")
        .status_code
        == 404
    )
    assert (
        world.login(world.admin)
        .post(f"/clinic/questionnaires/languages/{translation.pk}/remove/")
        .status_code
        == 302
    )
    assert not InstrumentTranslation.objects.exists()
    assert AuditEvent.objects.filter(
        action="instrument.translation_remove", clinic_id=world.clinic.pk
    ).exists()


def test_research_export_carries_the_language(world: World, phq9: InstrumentVersion) -> None:
    import_es(world, phq9)
    speaking(world, "es")
    answer(world, world.client_a)
    study = make_study(world, "language-study", data_uses=["homework", "questionnaires"])
    enrol(world, study, world.client_a, ["data"])
    table = build_export_data(study).tables["questionnaire_responses"]
    assert list(table["language"]) == ["es"]
    assert any(
        v.table == "questionnaire_responses" and v.name == "language"
        for v in build_export_data(study).codebook
    )


def test_an_admin_cannot_open_another_clinics_questionnaire(world: World, phq9: InstrumentVersion) -> None:
    own = {**phq9.definition, "key": "elsewhere_phq9"}
    theirs, _created = services.store_instrument(own, world.other_clinic)
    http = world.login(world.admin)
    assert http.get(f"/clinic/questionnaires/{theirs.instrument_id}/languages/").status_code == 404
    assert http.get(f"/clinic/questionnaires/{phq9.instrument_id}/languages/").status_code == 200
