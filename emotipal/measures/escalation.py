"""Risk alerts that nobody acknowledged in time go to the clinic admins (run by a background task)."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils.translation import gettext

from emotipal.accounts.emails import send_to_users
from emotipal.accounts.models import Clinic, Membership, Role, User
from emotipal.measures.models import RiskAlert
from emotipal.platform import clock
from emotipal.platform.audit.services import record


def alert_recipients(alert: RiskAlert) -> list[str]:
    client = alert.client
    # A deactivated therapist no longer works here: their clinic's admins get the alert instead.
    if (
        Membership.objects.active()
        .filter(user_id=client.therapist_id, clinic_id=client.clinic_id, role=Role.THERAPIST)
        .exists()
    ):
        return [client.therapist.email]
    return [admin.email for admin in clinic_admins(client.clinic)]


def clinic_admins(clinic: Clinic) -> list[User]:
    admins = Membership.objects.active().filter(clinic=clinic, role=Role.ADMIN).values("user_id")
    return list(User.objects.filter(pk__in=admins))


def escalate(alert_id: int, now: dt.datetime | None = None) -> str:
    """Send an unacknowledged alert to the clinic admins once its time is up."""
    now = now or clock.now()
    with transaction.atomic():
        alert = (
            RiskAlert.objects.select_for_update()
            .select_related("client__clinic", "client__user")
            .filter(pk=alert_id)
            .first()
        )
        if alert is None:
            return "missing"
        if alert.acknowledged_at is not None:
            return "acknowledged"
        if alert.escalated_at is not None:
            return "already escalated"
        due = alert.created_at + dt.timedelta(hours=alert.client.clinic.alert_escalation_hours)
        if now < due - dt.timedelta(minutes=1):
            return "not yet"
        admins = clinic_admins(alert.client.clinic)
        clinic = alert.client.clinic

        def render() -> tuple[str, str]:
            subject = gettext("EmotiPal: a risk alert has not been acknowledged")
            body = gettext(
                "A risk alert for a client of %(therapist)s raised at %(raised)s has not been acknowledged "
                "within %(hours)s hours.\nPlease open EmotiPal's %(alerts)s page and make sure someone acts "
                "on it.\n"
            ) % {
                "therapist": alert.client.therapist,
                "raised": f"{alert.created_at:%Y-%m-%d %H:%M}",
                "hours": clinic.alert_escalation_hours,
                "alerts": gettext("Alerts"),
            }
            return subject, body

        # Each admin reads it in their own language; with no admin it goes back to the therapist. Sent once the
        # escalation is committed, never while the alert row is locked.
        recipients = admins or [alert.client.therapist]
        transaction.on_commit(lambda: send_to_users(recipients, render))
        alert.escalated_at = now
        alert.save(update_fields=["escalated_at"])
        record(
            None,
            "risk_alert.escalate",
            alert,
            subject_user_id=alert.client.user_id,
            clinic_id=alert.client.clinic_id,
        )
    return "escalated"
