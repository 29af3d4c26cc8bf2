"""A clinic created the normal way requires staff MFA: its staff set up TOTP before anything else."""

from __future__ import annotations

from allauth.mfa.models import Authenticator

from emotipal.accounts.mfa_policy import must_set_up_mfa
from emotipal.accounts.models import Clinic, Membership, Role
from tests.factories import World, make_user


def test_a_new_clinic_requires_staff_mfa(world: World) -> None:
    clinic = Clinic.objects.create(name="New Clinic", slug="new-clinic")
    assert Clinic.objects.get(pk=clinic.pk).require_staff_mfa is True
    therapist = make_user("new.therapist@example.org", "Nia New")
    Membership.objects.create(user=therapist, clinic=clinic, role=Role.THERAPIST)
    assert must_set_up_mfa(therapist)
    response = world.login(therapist).get("/clients/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/2fa/totp/activate/")
    Authenticator.objects.create(user=therapist, type=Authenticator.Type.TOTP, data={"secret": "x"})
    assert world.login(therapist).get("/clients/").status_code == 200


def test_the_new_clinic_default_is_the_models_and_an_admin_may_turn_it_off(world: World) -> None:
    assert Clinic._meta.get_field("require_staff_mfa").default is True
    # The test world's clinics turn it off explicitly (tests/factories.py), as the demo's does.
    assert world.clinic.require_staff_mfa is False
    http = world.login(world.admin)
    http.post("/clinic/", {"action": "policy", "require_staff_mfa": "on"})
    assert Clinic.objects.get(pk=world.clinic.pk).require_staff_mfa is True
    assert world.login(world.therapist).get("/clients/").status_code == 302
