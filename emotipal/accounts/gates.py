"""Role gates for pages. Object-level checks (which client, which entry) live in the permission layer."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse

from emotipal.accounts import access
from emotipal.accounts.models import User

View = Callable[..., HttpResponse]


def _gate(check: Callable[[Any], bool]) -> Callable[[View], View]:
    def decorator(view: View) -> View:
        @login_required
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not check(request.user):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


def request_user(request: HttpRequest) -> User:
    """The logged-in user of a request that passed a gate above."""
    assert isinstance(request.user, User)
    return request.user


client_required = _gate(access.is_client)
clinician_required = _gate(access.is_clinician)
staff_required = _gate(access.is_staff_member)
clinic_admin_required = _gate(access.is_clinic_admin)
client_page_required = _gate(access.may_open_client_pages)  # a client's page: clinicians and supervisors
