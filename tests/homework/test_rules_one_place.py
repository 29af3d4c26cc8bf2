"""Every assignment and review rule is the service's: the page and the API refuse the same input with the same
message on the same field, and nothing is stored (issue "Integrity", hole 8)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pytest
from django.contrib.messages import get_messages
from django.test import Client
from django.utils import timezone
from django.utils.html import escape

from emotipal.accounts.services import create_api_token
from emotipal.homework import services
from emotipal.homework.models import Assignment, Entry, EntryReview
from emotipal.library.services import clone_template
from tests.factories import World, plan_for


def api_client(user: Any) -> Client:
    http = Client()
    http.defaults["HTTP_AUTHORIZATION"] = f"Bearer {create_api_token(user, 'test').secret}"
    return http


@dataclass
class Rule:
    name: str
    changes: dict[str, Any]  # the same change, given to the page and to the API
    field: str
    message: str


def _rules() -> list[Rule]:
    return [
        Rule(
            "chosen days must match times a week",
            {"times_per_week": 3, "practice_days": [0, 2]},
            "practice_days",
            "Pick 3 days, or none to spread them out.",
        ),
        Rule(
            "one chosen day must match once a week",
            {"times_per_week": 1, "practice_days": [0, 2]},
            "practice_days",
            "Pick 1 day, or none to spread them out.",
        ),
        Rule(
            "each day once",
            {"times_per_week": 2, "practice_days": [1, 1]},
            "practice_days",
            "Choose each practice day once.",
        ),
        Rule(
            "a reason is required",
            {"rationale": "   "},
            "rationale",
            "Say why this exercise is being set: the client sees it first.",
        ),
        Rule(
            "the reason has a length limit",
            {"rationale": "x" * 2001},
            "rationale",
            "Keep the reason to 2000 characters or fewer.",
        ),
        Rule(
            "the instructions have a length limit",
            {"instructions": "y" * 4001},
            "instructions",
            "Keep the instructions to 4000 characters or fewer.",
        ),
        Rule(
            "at most 14 practices a week",
            {"times_per_week": 15},
            "times_per_week",
            "Choose between 1 and 14 practices a week.",
        ),
        Rule(
            "at least one practice a week",
            {"times_per_week": 0},
            "times_per_week",
            "Choose between 1 and 14 practices a week.",
        ),
        Rule(
            "at most 240 minutes",
            {"minutes_per_practice": 241},
            "minutes_per_practice",
            "Choose between 1 and 240 minutes.",
        ),
        Rule(
            "the end is not before the start",
            {"end_offset": -5},
            "end_date",
            "The end date must be on or after the start date.",
        ),
        Rule(
            "at most a year ahead",
            {"end_offset": 400},
            "end_date",
            "Plan at most a year ahead.",
        ),
    ]


def _values(changes: dict[str, Any]) -> dict[str, Any]:
    today = timezone.localdate()
    values: dict[str, Any] = {
        "rationale": "To notice the thoughts that drive the low mood.",
        "instructions": "After dinner, at the kitchen table.",
        "times_per_week": 5,
        "minutes_per_practice": 20,
        "practice_days": [],
        "start_date": today,
        "end_date": today + dt.timedelta(days=13),
    }
    changes = dict(changes)
    if "end_offset" in changes:
        values["end_date"] = today + dt.timedelta(days=changes.pop("end_offset"))
    values.update(changes)
    return values


def _post_form(world: World, values: dict[str, Any]) -> Any:
    data = {
        "template_version": str(world.thought_record.pk),
        "rationale": values["rationale"],
        "instructions": values["instructions"],
        "times_per_week": str(values["times_per_week"]),
        "minutes_per_practice": str(values["minutes_per_practice"]),
        "practice_days": [str(d) for d in values["practice_days"]],
        "start_date": values["start_date"].isoformat(),
        "end_date": values["end_date"].isoformat(),
        "session": "",
        "variant": "auto",
        "confidence": "8",  # the page asks for it (tests/homework/test_guided_assign.py tests the gate)
    }
    return world.login(world.therapist).post(f"/clients/{world.client_a.pk}/assign/", data)


def _post_api(world: World, values: dict[str, Any]) -> Any:
    body = {
        "template": "thought-record",
        **values,
        "start_date": values["start_date"].isoformat(),
        "end_date": values["end_date"].isoformat(),
    }
    return api_client(world.therapist).post(
        f"/api/v1/clients/{world.client_a.pk}/assignments", body, content_type="application/json"
    )


def test_the_unchanged_plan_is_accepted_by_both(world: World) -> None:
    """The control: without a rule broken, the page and the API both assign (so refusals below are the rule's)."""
    page = _post_form(world, _values({"practice_days": [0, 2, 4], "times_per_week": 3}))
    assert page.status_code == 302
    api = _post_api(world, _values({"practice_days": [0, 2, 4], "times_per_week": 3}))
    assert api.status_code == 201, api.content
    assert Assignment.objects.filter(client=world.client_a).count() == 2


@pytest.mark.parametrize("rule", _rules(), ids=lambda r: r.name)
def test_page_and_api_refuse_the_same_way(world: World, rule: Rule) -> None:
    values = _values(rule.changes)

    page = _post_form(world, values)
    assert page.status_code == 400
    assert page.context["form"].errors.get(rule.field) == [rule.message]
    assert escape(rule.message) in page.content.decode()

    api = _post_api(world, values)
    assert api.status_code == 422, api.content
    assert api.json()["errors"].get(rule.field) == rule.message

    with pytest.raises(services.HomeworkError) as exc:  # and the service itself, whoever calls it
        services.assign_homework(
            world.therapist,
            world.client_a,
            plan_for(
                world.thought_record,
                **{k: v for k, v in values.items() if k != "practice_days"},
                practice_days=list(values["practice_days"]),
            ),
        )
    assert exc.value.errors[rule.field] == rule.message
    assert not Assignment.objects.exists()


def test_a_review_note_too_long_is_refused_by_page_and_api(world: World, entry_a: Entry) -> None:
    note = "n" * 5001
    message = "Keep the note to 5000 characters."

    page = world.login(world.therapist).post(f"/entries/{entry_a.pk}/review/", {"note": note})
    assert page.status_code == 302
    assert [str(m) for m in get_messages(page.wsgi_request)] == [message]

    api = api_client(world.therapist).post(
        f"/api/v1/entries/{entry_a.pk}/review", {"note": note}, content_type="application/json"
    )
    assert api.status_code == 422, api.content
    assert api.json() == {"detail": message, "errors": {"note": message}}
    assert not EntryReview.objects.exists()

    ok = api_client(world.therapist).post(
        f"/api/v1/entries/{entry_a.pk}/review", {"note": "n" * 5000}, content_type="application/json"
    )
    assert ok.status_code == 200 and EntryReview.objects.count() == 1


# --- another clinic's private exercise (hole 3) ------------------------------------------------------------


def test_another_clinics_private_template_cannot_be_assigned(world: World) -> None:
    foreign = clone_template(world.foreign_therapist, world.thought_record, world.other_clinic)
    values = _values({})

    page = world.login(world.therapist).post(
        f"/clients/{world.client_a.pk}/assign/",
        {
            "template_version": str(foreign.pk),
            "rationale": values["rationale"],
            "times_per_week": "5",
            "minutes_per_practice": "20",
            "start_date": values["start_date"].isoformat(),
            "end_date": values["end_date"].isoformat(),
            "variant": "auto",
            "confidence": "8",
        },
    )
    assert page.status_code == 400
    assert "template_version" in page.context["form"].errors
    assert foreign.title not in page.content.decode()  # not offered as a choice either

    api = _post_api(world, values | {"template": foreign.template.slug})
    assert api.status_code == 422
    assert api.json()["errors"] == {"template": "No exercise with this name and version."}

    with pytest.raises(services.HomeworkError) as exc:
        services.assign_homework(world.therapist, world.client_a, plan_for(foreign))
    assert exc.value.errors == {"template_version": "Choose an exercise from your library."}
    assert not Assignment.objects.exists()


def test_a_colleagues_unshared_template_cannot_be_assigned_but_ones_own_can(world: World) -> None:
    colleagues = clone_template(world.colleague, world.thought_record, world.clinic)
    colleagues.template.shared_with_clinic = False  # kept to themselves: the clinic's, but not for others
    colleagues.template.save(update_fields=["shared_with_clinic"])
    with pytest.raises(services.HomeworkError) as exc:
        services.assign_homework(world.therapist, world.client_a, plan_for(colleagues))
    assert set(exc.value.errors) == {"template_version"}
    mine = clone_template(world.therapist, world.thought_record, world.clinic)
    assert services.assign_homework(world.therapist, world.client_a, plan_for(mine)).template_version == mine
    assert Assignment.objects.count() == 1
