"""Background tasks for questionnaires and risk alerts (Django Tasks API)."""

from __future__ import annotations

from django_tasks import task


@task()
def email_risk_alert(alert_id: int) -> str:
    from django.conf import settings
    from django.core.mail import send_mail
    from django.urls import reverse

    from emotipal.measures.models import RiskAlert
    from emotipal.measures.services import alert_recipients

    alert = RiskAlert.objects.select_related("client__therapist").filter(pk=alert_id).first()
    if alert is None:
        return "missing"
    # No answers or names in the e-mail: it only says where to look.
    send_mail(
        subject="EmotiPal: a client's answer needs your attention",
        message=(
            "A questionnaire answer from one of your clients suggests risk.\n"
            f"Please open the alert and acknowledge it with what you did: {settings.SITE_URL}{reverse('alerts')}\n"
        ),
        from_email=None,
        recipient_list=alert_recipients(alert),
    )
    return "sent"


@task()
def escalate_risk_alert(alert_id: int) -> str:
    from emotipal.measures.services import escalate

    return escalate(alert_id)


@task()
def questionnaire_maintenance(expected_run: str | None = None) -> str:
    """Every 15 minutes: create due questionnaires, close expired ones. Keeps one chain (see Heartbeat)."""
    from emotipal.measures.maintenance import run

    return run(expected_run)
