"""Background tasks for questionnaires and risk alerts (Django Tasks API).

Thin: each task calls the module that does the work (escalation, maintenance). The actions in services.py
enqueue these tasks on commit; nothing here imports services, so the app has no import circle.
"""

from __future__ import annotations

from django.conf import settings
from django.urls import reverse
from django.utils.translation import gettext as _
from django_tasks import task

from emotipal.accounts.emails import language_of, send_in_language
from emotipal.measures import escalation, maintenance
from emotipal.measures.models import Heartbeat, RiskAlert
from emotipal.platform import clock
from emotipal.platform.audit.chain import seal_pending


@task()
def email_risk_alert(alert_id: int) -> str:
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
    send_in_language(language_of(alert.client.therapist), escalation.alert_recipients(alert), render)
    return "sent"


@task()
def escalate_risk_alert(alert_id: int) -> str:
    return escalation.escalate(alert_id)


@task()
def questionnaire_maintenance(expected_run: str | None = None) -> str:
    """Every 15 minutes: create due questionnaires, close expired ones, and seal the audit rows written since
    the last run (the periodic job the platform has; see audit/chain.py). Keeps one chain (see Heartbeat)."""
    outcome, next_run = maintenance.run(expected_run)
    if next_run is not None:  # this run is the chain's: it seals, and it queues the next one
        seal_pending()
        questionnaire_maintenance.using(run_after=next_run).enqueue(next_run.isoformat())
    return outcome


def ensure_scheduled() -> bool:
    """Called when a worker starts: start the chain unless a run is already due in the future."""
    beat = Heartbeat.objects.filter(name=maintenance.NAME).first()
    if beat is not None and beat.next_run_at is not None and beat.next_run_at > clock.now():
        return False
    questionnaire_maintenance.enqueue(None)
    return True
