"""The client's side of consent: the invitation in settings, reading in their language, scopes one by one, the
signed copy, a new version asked again, declining and withdrawing, and care that never changes."""

from __future__ import annotations

import difflib
import re
from typing import Any

import pytest
from django.utils import timezone

from emotipal.homework import services
from emotipal.platform.audit.models import AuditEvent
from emotipal.research.actions import consent
from emotipal.research.errors import ResearchError
from emotipal.research.models import (
    ConsentDecision,
    ConsentDocument,
    ConsentRecord,
    ParticipantState,
    Study,
    StudyStatus,
    WithdrawalPolicy,
)
from emotipal.research.queries_consent import (
    current_consent,
    data_usable,
    document_for,
    needs_reconsent,
    usable_scopes,
)
from tests.factories import World, plan_for
from tests.research.consent_helpers import invited, signed
from tests.research.study_factory import make_study


def _publish(study: Study, version: int, language: str, body: str) -> ConsentDocument:
    return ConsentDocument.objects.create(
        study=study,
        version=version,
        language=language,
        title="Information and consent",
        body_markdown=body,
        created_by=study.created_by,
        published_at=timezone.now(),
    )


def test_the_invitation_shows_in_settings_with_a_count_and_on_the_studies_page(world: World) -> None:
    study = make_study(world)
    http = world.login(world.client_a.user)
    assert "/research/my/" not in http.get("/settings/").content.decode()  # not invited: no Studies link
    participant = invited(world, study)
    settings_page = http.get("/settings/").content.decode()
    assert re.search(
        r'href="/research/my/">Studies</a> <span class="badge warn"[^>]*>1</span>', settings_page
    )
    listing = http.get("/research/my/").content.decode()
    assert study.title in listing and f"/research/my/{participant.pk}/" in listing
    assert world.client_b.user.email not in listing
    # another client reaches neither this participation nor its signed copy
    other = world.login(world.client_b.user)
    assert other.get(f"/research/my/{participant.pk}/").status_code == 404
    assert other.post(f"/research/my/{participant.pk}/withdraw/").status_code == 404


@pytest.mark.parametrize(("language", "shown"), [("es", "es"), ("es-mx", "es"), ("en", "en"), ("fr", "en")])
def test_the_information_is_in_the_readers_language_else_english(
    world: World, language: str, shown: str
) -> None:
    study = make_study(world)
    document = document_for(study, language)
    assert document is not None and document.language == shown and document.version == 1


def test_without_english_any_published_language_is_shown_and_only_the_newest_version(world: World) -> None:
    study = make_study(world)
    ConsentDocument.objects.filter(study=study, language="en").delete()
    newer = _publish(study, 2, "ar", "## عن الدراسة")
    assert document_for(study, "fr") == newer
    assert document_for(study, "es") == newer  # version 1 in Spanish is replaced: version 2 is what counts


def test_signing_records_the_exact_text_the_scopes_and_the_typed_name_then_enrols(world: World) -> None:
    study = make_study(world)
    user = world.client_a.user
    user.language = "es"
    user.save()
    participant = invited(world, study)
    http = world.login(user)
    page = http.get(f"/research/my/{participant.pk}/").content.decode()
    assert "qué partes de las tareas" in page  # the Spanish text
    assert page.count('type="checkbox" name="scopes"') == 4 and " checked" not in page  # none pre-ticked
    spanish = ConsentDocument.objects.get(study=study, language="es")
    before = AuditEvent.objects.count()
    done = http.post(
        f"/research/my/{participant.pk}/sign/",
        {"document": spanish.pk, "scopes": ["data", "recontact"], "typed_name": " Ana Cliente "},
    )
    record = ConsentRecord.objects.get(participant=participant)
    assert (
        done.status_code == 302 and done["Location"] == f"/research/my/{participant.pk}/signed/{record.pk}/"
    )
    assert (record.document, record.text_hash, record.decision) == (spanish, spanish.text_hash, "consented")
    assert record.scopes == ["data", "recontact"] and record.typed_name == "Ana Cliente"
    assert ConsentRecord.objects.filter(typed_name__icontains="Ana").count() == 0  # the name is encrypted
    participant.refresh_from_db()
    assert participant.state == ParticipantState.ENROLLED and participant.enrolled_at is not None
    assert list(participant.events.values_list("state", flat=True))[-2:] == ["consented", "enrolled"]
    audit = AuditEvent.objects.filter(pk__gt=before, subject_user_id=user.pk)
    assert {
        "research.consent.signed",
        "research.participant.consented",
        "research.participant.enrolled",
    } <= set(audit.values_list("action", flat=True))
    assert current_consent(participant) == record and data_usable(participant)
    assert usable_scopes(participant) == {"data", "recontact"}
    copy = http.get(done["Location"]).content.decode()
    assert "Ana Cliente" in copy and spanish.text_hash in copy and "qué partes de las tareas" in copy
    text = http.get(done["Location"] + "?format=txt")
    assert text["Content-Type"].startswith("text/plain") and "attachment" in text["Content-Disposition"]
    body = text.content.decode()
    assert "Ana Cliente" in body and spanish.text_hash in body and spanish.body_markdown in body
    assert world.login(world.client_b.user).get(done["Location"]).status_code == 404


@pytest.mark.parametrize(
    ("form", "problem"),
    [
        ({"scopes": ["free_text"], "typed_name": "Ana"}, "Taking part means agreeing"),
        ({"scopes": [], "typed_name": "Ana"}, "Taking part means agreeing"),
        ({"scopes": ["data", "everything"], "typed_name": "Ana"}, "Unknown choice"),
        ({"scopes": ["data"], "typed_name": "   "}, "Type your name"),
        ({"scopes": ["data"], "typed_name": "A" * 201}, "200 characters"),
        ({"scopes": ["data"], "typed_name": "Ana", "document": "nonsense"}, "not part of the study"),
    ],
)
def test_an_incomplete_signature_is_refused_and_changes_nothing(
    world: World, form: Any, problem: str
) -> None:
    study = make_study(world)
    participant = invited(world, study)
    document = document_for(study, "en")
    assert document is not None
    response = world.login(world.client_a.user).post(
        f"/research/my/{participant.pk}/sign/", {"document": document.pk, **form}
    )
    assert response.status_code == 400 and problem in response.content.decode()
    assert not ConsentRecord.objects.exists()
    participant.refresh_from_db()
    assert participant.state == ParticipantState.ELIGIBLE


def test_a_document_of_another_study_is_refused(world: World) -> None:
    study, other = make_study(world), make_study(world, "other-study")
    participant = invited(world, study)
    foreign = document_for(other, "en")
    with pytest.raises(ResearchError, match="not part of the study"):
        consent.sign(world.client_a.user, participant, foreign.pk if foreign else 0, ["data"], "Ana")


def test_a_study_that_cannot_recruit_refuses_consent_with_the_reason(world: World) -> None:
    study = make_study(world)
    participant = invited(world, study)
    Study.objects.filter(pk=study.pk).update(status=StudyStatus.CLOSED)
    participant.refresh_from_db()
    document = document_for(study, "en")
    assert document is not None
    http = world.login(world.client_a.user)
    assert "is not recruiting" in http.get(f"/research/my/{participant.pk}/").content.decode()
    response = http.post(
        f"/research/my/{participant.pk}/sign/",
        {"document": document.pk, "scopes": ["data"], "typed_name": "Ana"},
    )
    assert response.status_code == 400 and "is not recruiting" in response.content.decode()
    assert not ConsentRecord.objects.exists()


def test_a_new_version_is_asked_again_and_the_old_one_is_refused(world: World) -> None:
    study = make_study(world)
    participant, first = signed(world, study, scopes=("data", "free_text"))
    old = first.document
    new = _publish(study, 2, "en", "## What changed\n\nWe now also look at exposure practice.")
    assert needs_reconsent(participant) and current_consent(participant) is None
    assert not data_usable(participant) and usable_scopes(participant) == set()
    http = world.login(world.client_a.user)
    assert re.search(
        r'Studies</a> <span class="badge warn"[^>]*>1</span>', http.get("/settings/").content.decode()
    )
    page = http.get(f"/research/my/{participant.pk}/").content.decode()
    assert "has changed" in page and "We now also look at exposure practice" in page
    refused = http.post(
        f"/research/my/{participant.pk}/sign/", {"document": old.pk, "scopes": ["data"], "typed_name": "Ana"}
    )
    assert refused.status_code == 400
    assert (
        "You read version 1 of the information, which has been replaced by version 2"
        in refused.content.decode()
    )
    assert ConsentRecord.objects.filter(participant=participant).count() == 1
    http.post(
        f"/research/my/{participant.pk}/sign/", {"document": new.pk, "scopes": ["data"], "typed_name": "Ana"}
    )
    participant.refresh_from_db()
    renewed = current_consent(participant)
    assert renewed is not None and renewed.document == new and participant.state == ParticipantState.ENROLLED
    assert usable_scopes(participant) == {"data"}  # free text was agreed to in version 1 only
    assert AuditEvent.objects.filter(
        action="research.consent.renewed", subject_user_id=world.client_a.user_id
    ).exists()
    assert "badge warn" not in http.get("/settings/").content.decode()


def test_consent_to_an_old_version_is_refused_for_a_first_signature_too(world: World) -> None:
    study = make_study(world)
    participant = invited(world, study)
    old = document_for(study, "en")
    _publish(study, 2, "en", "New text")
    assert old is not None
    with pytest.raises(ResearchError, match="replaced by version 2"):
        consent.sign(world.client_a.user, participant, old.pk, ["data"], "Ana")
    with pytest.raises(ResearchError, match="replaced by version 2"):
        consent.decline(world.client_a.user, participant, old.pk)


def test_declining_is_recorded_and_changes_nothing_else(world: World) -> None:
    study = make_study(world)
    participant = invited(world, study)
    document = document_for(study, "en")
    assert document is not None
    http = world.login(world.client_a.user)
    assert http.post(f"/research/my/{participant.pk}/decline/", {"document": document.pk}).status_code == 302
    participant.refresh_from_db()
    assert participant.state == ParticipantState.DECLINED
    record = ConsentRecord.objects.get(participant=participant)
    assert record.decision == ConsentDecision.DECLINED and record.scopes == [] and record.typed_name == ""
    assert not data_usable(participant)
    page = http.get(f"/research/my/{participant.pk}/").content.decode()
    assert "You chose not to take part" in page and 'id="withdraw"' not in page
    assert 'id="decline"' not in page and 'id="sign"' in page  # they may still change their mind
    http.post(
        f"/research/my/{participant.pk}/sign/",
        {"document": document.pk, "scopes": ["data"], "typed_name": "Ana"},
    )
    participant.refresh_from_db()
    assert participant.state == ParticipantState.ENROLLED and data_usable(participant)


@pytest.mark.parametrize("policy", [WithdrawalPolicy.KEEP, WithdrawalPolicy.REMOVE])
def test_withdrawal_is_one_step_and_the_page_says_what_happens_to_the_data(world: World, policy: str) -> None:
    study = make_study(world, withdrawal_policy=policy)
    participant, _ = signed(world, study, scopes=("data", "sharing"))
    http = world.login(world.client_a.user)
    page = http.get(f"/research/my/{participant.pk}/").content.decode()
    says = (
        "removed from every later export" if policy == WithdrawalPolicy.REMOVE else "stays in the study data"
    )
    assert says in page and 'id="withdraw"' in page
    done = http.post(f"/research/my/{participant.pk}/withdraw/", {"reason": "Too much going on"})
    assert done.status_code == 302
    participant.refresh_from_db()
    assert participant.state == ParticipantState.WITHDRAWN and participant.withdrawn_at is not None
    assert participant.withdrawal_policy == policy
    event = participant.events.order_by("-pk").first()
    assert event is not None and event.reason == "Too much going on"
    assert ConsentRecord.objects.filter(participant=participant).order_by("-pk")[0].decision == "withdrawn"
    after = http.get(f"/research/my/{participant.pk}/").content.decode()
    assert "You have withdrawn" in after and says in after and 'id="withdraw"' not in after
    # Under "keep" the data collected before withdrawal stays usable (up to withdrawn_at); under "remove" none.
    assert data_usable(participant) == (policy == WithdrawalPolicy.KEEP)
    assert usable_scopes(participant) == ({"data", "sharing"} if policy == WithdrawalPolicy.KEEP else set())
    assert current_consent(participant) is None
    again = http.post(f"/research/my/{participant.pk}/withdraw/")
    assert again.status_code == 400 and "nothing to withdraw" in again.content.decode()


def _same(after: dict[str, str], before: dict[str, str]) -> None:
    for name in before:
        diff = list(
            difflib.unified_diff(before[name].splitlines(), after[name].splitlines(), lineterm="", n=0)
        )
        assert not diff, f"{name} page changed:\n" + "\n".join(diff[:20])


def _care_pages(world: World) -> dict[str, str]:
    """Client A's Today page and their therapist's client page, without the per-request tokens (CSRF, the
    Content-Security-Policy nonce)."""
    pages = {
        "today": world.login(world.client_a.user).get("/today/"),
        "client": world.login(world.therapist).get(f"/clients/{world.client_a.pk}/"),
    }
    assert all(p.status_code == 200 for p in pages.values())
    token = re.compile(
        r'(name="csrfmiddlewaretoken" value=|name="csrf-token" content=|"X-CSRFToken": |nonce=)"[^"]*"'
    )
    found = {name: token.sub(r"\1TOKEN", p.content.decode()) for name, p in pages.items()}
    assert all("TOKEN" in html for html in found.values())
    return found


@pytest.mark.parametrize("decision", ["decline", "withdraw"])
def test_declining_or_withdrawing_never_changes_care(world: World, decision: str) -> None:
    services.assign_homework(world.therapist, world.client_a, plan_for(world.thought_record))
    study = make_study(world)
    before = _care_pages(world)
    participant = invited(world, study)
    document = document_for(study, "en")
    assert document is not None
    if decision == "decline":
        consent.decline(world.client_a.user, participant, document.pk)
    else:
        consent.sign(world.client_a.user, participant, document.pk, ["data", "free_text"], "Ana")
        _same(_care_pages(world), before)  # taking part changes nothing either
        consent.withdraw(world.client_a.user, participant, "")
    _same(_care_pages(world), before)
