"""The one rule "this user must set up MFA before doing anything else", shared by pages and the API.

The page middleware (RequireStaffMFAMiddleware) redirects such a user to the TOTP set-up page; the API
(emotipal/homework/api.py) answers 403 with a JSON message, for a session and for a token alike. Keeping the rule in
one function means the two can never disagree about who is let through.
"""

from __future__ import annotations

from typing import Any

from allauth.mfa.models import Authenticator
from django.utils.translation import gettext_lazy as _

from emotipal.accounts import access
from emotipal.accounts.models import Membership

# Shown by the API (and by the token page) to a user the rule stops.
MFA_REQUIRED_MESSAGE = _(
    "Your clinic requires two-factor authentication. Set it up in your account (Settings → Two-factor "
    "authentication) before using the API or creating tokens."
)


def must_set_up_mfa(user: Any) -> bool:
    """True for a logged-in staff member of a clinic that requires staff MFA who has no TOTP authenticator.

    Clients are never stopped: the policy is about staff, who see many people's data.
    """
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    # The user's roles are read once per request anyway (navigation, gates): a client, with none, costs no
    # query of its own here.
    if not access.roles_of(user):
        return False
    if not Membership.objects.active().filter(user=user, clinic__require_staff_mfa=True).exists():
        return False
    return not Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()


class MFARequired(Exception):
    """Raised by service functions (e.g. creating an API token) for a user who must set up MFA first."""

    def __init__(self) -> None:
        super().__init__(str(MFA_REQUIRED_MESSAGE))
