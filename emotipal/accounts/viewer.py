"""The zone a page is read in: a client reads in their own zone, a staff member in their clinic's."""

from __future__ import annotations

import datetime as dt
from typing import Any

from emotipal.accounts import access
from emotipal.platform import clock


def viewer_zone(user: Any) -> dt.tzinfo:
    """One query at most. The server's zone is nobody's: UTC only when neither the person nor a clinic has one."""
    profile = getattr(user, "client_profile", None) if access.is_client(user) else None
    if profile is not None:
        return clock.zone_for_client(profile)
    return clock.zone_for_clinic(access.staff_clinic(user))
