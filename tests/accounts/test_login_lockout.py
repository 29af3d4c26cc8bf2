"""Wrong passwords lock out one e-mail address from one client address (django-axes, keyed on the pair), with
a plain page; the person themselves, elsewhere, and other accounts are not affected; MFA logins still work."""

from __future__ import annotations

from typing import Any

import pyotp
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP
from axes.models import AccessAttempt
from django.core.management import call_command
from django.test import Client

from tests.factories import PASSWORD, World

ATTACKER = "203.0.113.7"
THERAPIST_AT_WORK = "198.51.100.20"
LOCKED = "Logging in is paused"


def attempt(email: str, password: str, address: str, http: Client | None = None) -> Any:
    return (http or Client()).post(
        "/accounts/login/", {"login": email, "password": password}, REMOTE_ADDR=address
    )


def fail(email: str, times: int, address: str = ATTACKER) -> list[int]:
    return [attempt(email, "not the password", address).status_code for _ in range(times)]


def test_the_limit_th_failure_locks_out_and_then_the_right_password_is_refused(
    world: World, settings: Any
) -> None:
    limit = settings.AXES_FAILURE_LIMIT
    assert limit == 5  # EMOTIPAL_LOGIN_FAILURE_LIMIT's default
    assert fail(world.therapist.email, limit - 1) == [200] * (limit - 1)  # the form, "not correct"
    last = attempt(world.therapist.email, "still not it", ATTACKER)
    assert last.status_code == 429
    right = attempt(world.therapist.email, PASSWORD, ATTACKER)
    assert right.status_code == 429
    page = right.content.decode()
    assert LOCKED in page and "paused for 15 minutes" in page and "Traceback" not in page
    assert right["Retry-After"] == str(15 * 60)
    assert "accounts/lockout.html" in [t.name for t in right.templates]
    assert "_auth_user_id" not in right.wsgi_request.session


def test_the_lockout_is_per_address_so_the_therapist_elsewhere_still_logs_in(world: World) -> None:
    fail(world.therapist.email, 5)
    assert attempt(world.therapist.email, PASSWORD, ATTACKER).status_code == 429
    at_work = attempt(world.therapist.email, PASSWORD, THERAPIST_AT_WORK)
    assert at_work.status_code == 302
    # ...and from the attacker's address, another account is not locked either.
    assert attempt(world.colleague.email, PASSWORD, ATTACKER).status_code == 302


def test_the_address_counts_however_it_is_capitalised(world: World) -> None:
    shouted = world.therapist.email.upper()
    fail(shouted, 2)
    fail(f"  {world.therapist.email.title()} ", 2)
    fail(world.therapist.email, 1)
    [attempt_row] = AccessAttempt.objects.all()
    assert attempt_row.username == world.therapist.email.lower()
    assert attempt_row.failures_since_start == 5
    assert attempt(world.therapist.email, PASSWORD, ATTACKER).status_code == 429


def test_an_unknown_address_gets_the_same_page(world: World) -> None:
    fail("nobody@example.org", 4)
    assert attempt("nobody@example.org", "x", ATTACKER).status_code == 429


def test_a_success_clears_the_count_and_mfa_logins_still_work(world: World) -> None:
    user = world.therapist
    secret = pyotp.random_base32()
    TOTP.activate(user, secret)
    assert Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()
    fail(user.email, 4)  # one short of the limit
    http = Client()
    step = attempt(user.email, PASSWORD, ATTACKER, http)
    assert step.status_code == 302 and "/accounts/2fa/authenticate/" in step["Location"]
    assert AccessAttempt.objects.get().failures_since_start == 4  # not logged in yet: nothing cleared
    done = http.post("/accounts/2fa/authenticate/", {"code": pyotp.TOTP(secret).now()}, REMOTE_ADDR=ATTACKER)
    assert done.status_code == 302 and http.get("/settings/").status_code == 200
    assert not AccessAttempt.objects.exists()  # the count starts again after a real login
    fail(user.email, 4)
    assert AccessAttempt.objects.get().failures_since_start == 4
    assert attempt(user.email, PASSWORD, ATTACKER, Client()).status_code == 302


def test_a_locked_out_mfa_user_is_refused_before_the_code_is_asked(world: World) -> None:
    TOTP.activate(world.therapist, pyotp.random_base32())
    fail(world.therapist.email, 5)
    assert attempt(world.therapist.email, PASSWORD, ATTACKER).status_code == 429


def test_staff_lift_a_lockout_from_the_command_line(world: World) -> None:
    fail(world.therapist.email, 5)
    call_command("axes_reset_username", world.therapist.email, verbosity=0)
    assert attempt(world.therapist.email, PASSWORD, ATTACKER).status_code == 302


def test_behind_our_proxy_the_lockout_keys_on_the_address_it_saw(world: World, settings: Any) -> None:
    settings.EMOTIPAL_TRUSTED_PROXY_COUNT = 1
    proxy = "10.0.0.2"

    def via_proxy(forwarded: str, password: str) -> int:
        status: int = (
            Client()
            .post(
                "/accounts/login/",
                {"login": world.therapist.email, "password": password},
                REMOTE_ADDR=proxy,
                HTTP_X_FORWARDED_FOR=forwarded,
            )
            .status_code
        )
        return status

    assert [via_proxy(ATTACKER, "guess") for _ in range(5)] == [200, 200, 200, 200, 429]
    # Writing another address in front of the one the proxy appends changes nothing.
    assert via_proxy(f"192.0.2.1, {ATTACKER}", PASSWORD) == 429
    # Everyone else behind the same proxy, the therapist included, is someone else.
    assert via_proxy(THERAPIST_AT_WORK, PASSWORD) == 302


def test_the_lockout_itself_is_in_the_audit_trail(world: World) -> None:
    from emotipal.platform.audit.models import AuditEvent

    fail(world.therapist.email, 4)
    assert not AuditEvent.objects.filter(action="auth.locked_out").exists()  # not before the limit
    fail(world.therapist.email, 1)
    row = AuditEvent.objects.get(action="auth.locked_out")
    assert row.target_id == str(world.therapist.pk) and row.detail == {"known_account": True}
    fail("nobody@example.org", 5)
    unknown = AuditEvent.objects.filter(action="auth.locked_out").exclude(pk=row.pk).get()
    assert unknown.target_id == "" and unknown.detail == {"known_account": False}
