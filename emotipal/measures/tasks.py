"""Background tasks for questionnaires and risk alerts (Django Tasks API)."""

from __future__ import annotations

from django_tasks import task


@task()
def email_risk_alert(alert_id: int) -> str:
    from django.conf import settings
    from django.urls import reverse
    from django.utils.translation import gettext as _

    from emotipal.accounts.emails import language_of, send_in_language
    from emotipal.measures.models import RiskAlert
    from emotipal.measures.services import alert_recipients

    alert = RiskAlert.objects.select_related("client__therapist").filter(pk=alert_id).first()
    if alert is None:
        return "missing"

    # No answers or names in the e-mail: it only says where to look.
    def render() -> tuple[str, str]:
        subject = _("EmotiPal: a client's answer needs your attention")
        body = _(
            "A questionnaire answer from one of your clients suggests risk.\n"
            "Please open the alert (%(alerts)s) and acknowledge it with what you did: %(url)s\n"
        ) % {"alerts": _("Alerts"), "url": f"{settings.SITE_URL}{reverse('alerts')}"}
        return subject, body

    # Written in the therapist's language, whoever's answer (and whichever worker) triggered it.
    send_in_language(language_of(alert.client.therapist), alert_recipients(alert), render)
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
