from typing import Any

from allauth.account.adapter import DefaultAccountAdapter


class AccountAdapter(DefaultAccountAdapter):
    """Accounts are created only through clinic invitations, never by open sign-up."""

    def is_open_for_signup(self, request: Any) -> bool:
        return False
