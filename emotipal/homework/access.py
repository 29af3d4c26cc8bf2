"""Who may see or touch which homework: the object-level checks of the homework app.

Client-side look-ups answer "not found" for anyone else's objects, so a denial never tells whether an object
exists. Staff reads of a client's data are audited through emotipal.accounts.access.
"""

from __future__ import annotations

from typing import Any

from django.http import Http404

from emotipal.homework.models import Assignment


def client_assignment(user: Any, assignment_id: int) -> Assignment:
    """An assignment of the logged-in client; anyone else's is 'not found'."""
    try:
        return Assignment.objects.select_related("template_version__template", "client__user").get(
            pk=assignment_id, client__user=user
        )
    except (Assignment.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404("No such assignment") from exc
