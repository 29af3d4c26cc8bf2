"""A questionnaire can only be asked of a client when it is global or their clinic's own (issue "Integrity",
hole 3): the page's choices, the schedule view and the services all use usable_instruments."""

from __future__ import annotations

import copy

import pytest

from emotipal.measures import services
from emotipal.measures.access import usable_instruments
from emotipal.measures.models import Instrument, Response, Schedule
from tests.factories import World


def private_instrument(world: World, clinic_attr: str, key: str) -> Instrument:
    definition = copy.deepcopy(Instrument.objects.get(key="phq9", clinic=None).versions.get().definition)
    definition["key"] = key
    version, _ = services.store_instrument(definition, clinic=getattr(world, clinic_attr))
    return version.instrument


@pytest.mark.parametrize("kind", ["now", "weekly", "intake"])
def test_another_clinics_private_instrument_is_not_found_via_the_page(world: World, kind: str) -> None:
    foreign = private_instrument(world, "other_clinic", "elsewhere_mood")
    page = world.login(world.therapist).post(
        f"/clients/{world.client_a.pk}/measures/schedule/",
        {"instrument": str(foreign.pk), "kind": kind, "weekday": "0", "expires_after_days": "3"},
    )
    assert page.status_code == 404
    assert not Response.objects.filter(client=world.client_a).exists()
    assert not Schedule.objects.filter(client=world.client_a).exists()


def test_a_non_number_instrument_id_is_not_found(world: World) -> None:
    page = world.login(world.therapist).post(
        f"/clients/{world.client_a.pk}/measures/schedule/", {"instrument": "phq9", "kind": "now"}
    )
    assert page.status_code == 404
    assert not Response.objects.exists()


def test_ask_now_and_schedules_refuse_it_in_the_service(world: World) -> None:
    foreign = private_instrument(world, "other_clinic", "elsewhere_mood")
    with pytest.raises(services.MeasureError) as exc:
        services.ask_now(world.therapist, world.client_a, foreign)
    assert exc.value.errors == {"instrument": "Choose one of your clinic's questionnaires."}
    with pytest.raises(services.MeasureError) as exc:
        services.add_schedule(world.therapist, world.client_a, foreign, "weekly")
    assert exc.value.errors == {"instrument": "Choose one of your clinic's questionnaires."}
    assert not Response.objects.exists() and not Schedule.objects.exists()


def test_a_retired_instrument_is_not_asked_either(world: World) -> None:
    gad7 = Instrument.objects.get(key="gad7", clinic=None)
    gad7.is_active = False
    gad7.save(update_fields=["is_active"])
    with pytest.raises(services.MeasureError):
        services.ask_now(world.therapist, world.client_a, gad7)
    page = world.login(world.therapist).post(
        f"/clients/{world.client_a.pk}/measures/schedule/", {"instrument": str(gad7.pk), "kind": "now"}
    )
    assert page.status_code == 404
    assert not Response.objects.exists()


def test_the_page_offers_global_and_own_clinic_instruments_only(world: World) -> None:
    own = private_instrument(world, "clinic", "harbour_mood")
    foreign = private_instrument(world, "other_clinic", "elsewhere_mood")
    usable = set(usable_instruments(world.therapist, world.client_a))
    assert own in usable and foreign not in usable
    assert Instrument.objects.get(key="phq9", clinic=None) in usable
    page = world.login(world.therapist).get(f"/clients/{world.client_a.pk}/measures/")
    offered = {i.pk for i in page.context["instruments"]}
    assert own.pk in offered and foreign.pk not in offered
    # The clinic's own one can be asked, through the same page.
    sent = world.login(world.therapist).post(
        f"/clients/{world.client_a.pk}/measures/schedule/", {"instrument": str(own.pk), "kind": "now"}
    )
    assert sent.status_code == 302
    assert Response.objects.get(client=world.client_a).instrument_version.instrument == own


def test_someone_who_may_not_ask_this_client_has_no_usable_instruments(world: World) -> None:
    assert not usable_instruments(world.colleague, world.client_a).exists()
    assert not usable_instruments(world.foreign_therapist, world.client_a).exists()
