"""The questionnaire builder page: its example previews as given, the preview names the alert items, and a
version that would lose a risk item is saved only after the admin confirms that item by name."""

from __future__ import annotations

from typing import Any

from emotipal.measures.builder import EXAMPLE
from emotipal.measures.models import Instrument
from emotipal.platform.audit.models import AuditEvent
from tests.factories import World

URL = "/clinic/questionnaires/"
HEAD = "Name: Safety check\nOptions: 0 = No | 1 = Yes\nItems:\n"
FIRST = HEAD + "I slept well\n[risk] I thought about hurting myself"


def _versions(world: World) -> int:
    instrument = Instrument.objects.filter(clinic=world.clinic, key="safety_check").first()
    return instrument.versions.count() if instrument else 0


def test_the_page_starts_with_the_example_and_it_previews_as_it_is(world: World) -> None:
    admin = world.login(world.admin)
    page = admin.get(URL)
    assert page.context["text"] == EXAMPLE
    response = admin.post(URL, {"action": "preview", "definition": page.context["text"]})
    assert response.status_code == 200, response.context["error"]
    body = response.content.decode()
    assert "Preview" in body and "How rested did you feel?" in body
    assert [i["text"] for i in response.context["preview"]["risk"]] == ["I thought about hurting myself"]
    assert 'id="alert-items"' in body


def test_a_preview_without_risk_items_says_so(world: World) -> None:
    response = world.login(world.admin).post(URL, {"action": "preview", "definition": HEAD + "I slept"})
    assert response.status_code == 200
    assert "no answer to this questionnaire raises an alert" in response.content.decode()


def test_losing_a_risk_item_needs_confirmation_naming_it(world: World) -> None:
    admin = world.login(world.admin)
    assert admin.post(URL, {"action": "save", "definition": FIRST}).status_code == 302
    assert _versions(world) == 1
    # A tag typo in the new version would drop the flag: refused as a tag error, nothing saved.
    typo = HEAD + "I slept well\nI thought about hurting myself [risk]"
    response = admin.post(URL, {"action": "save", "definition": typo})
    assert response.status_code == 400 and "must come at the start" in response.context["error"]
    # The flag removed on purpose: the preview warns and the save asks for the item by name.
    dropped = HEAD + "I slept well\nI thought about hurting myself"
    preview = admin.post(URL, {"action": "preview", "definition": dropped})
    assert preview.context["lost"] == ["I thought about hurting myself"]
    response = admin.post(URL, {"action": "save", "definition": dropped})
    assert response.status_code == 400
    assert response.context["lost"] == ["I thought about hurting myself"]
    assert 'name="confirm_risk_loss"' in response.content.decode()
    assert _versions(world) == 1
    wrong = admin.post(URL, {"action": "save", "definition": dropped, "confirm_risk_loss": "nope"})
    assert wrong.status_code == 400 and _versions(world) == 1
    confirmed = admin.post(
        URL, {"action": "save", "definition": dropped, "confirm_risk_loss": response.context["lost_digest"]}
    )
    assert confirmed.status_code == 302 and _versions(world) == 2
    row = AuditEvent.objects.filter(action="instrument.save", actor=world.admin).order_by("-pk").first()
    assert row is not None and row.clinic_id == world.clinic.pk


def test_reordering_or_rewording_around_a_risk_item_saves_without_a_question(world: World) -> None:
    admin = world.login(world.admin)
    admin.post(URL, {"action": "save", "definition": FIRST})
    reordered = HEAD + "[RISK] I thought about hurting myself\nI slept quite well"
    assert admin.post(URL, {"action": "save", "definition": reordered}).status_code == 302
    assert _versions(world) == 2


def test_removing_a_risk_item_needs_confirmation_too(world: World) -> None:
    admin = world.login(world.admin)
    admin.post(URL, {"action": "save", "definition": FIRST})
    response = admin.post(URL, {"action": "save", "definition": HEAD + "I slept well"})
    assert response.status_code == 400 and response.context["lost"] == ["I thought about hurting myself"]
    assert _versions(world) == 1


def test_only_an_admin_may_save(world: World, client: Any) -> None:
    response = world.login(world.therapist).post(URL, {"action": "save", "definition": FIRST})
    assert response.status_code == 403 and _versions(world) == 0


def test_a_redcap_import_that_would_drop_a_risk_flag_is_refused(world: World) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    from emotipal.measures.builder import parse
    from emotipal.measures.redcap import export_dictionary, import_dictionary

    admin = world.login(world.admin)
    admin.post(URL, {"action": "save", "definition": FIRST})
    csv_text = export_dictionary(parse(HEAD + "I slept well\nI thought about hurting myself"))
    assert [d["key"] for d in import_dictionary(csv_text).definitions] == ["safety_check"]
    upload = SimpleUploadedFile("dictionary.csv", csv_text.encode(), content_type="text/csv")
    response = admin.post(URL, {"action": "import", "file": upload})
    assert response.status_code == 400
    assert "would no longer raise an alert for: I thought about hurting myself" in response.context["error"]
    assert _versions(world) == 1
