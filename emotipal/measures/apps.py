from django.apps import AppConfig

from emotipal.platform import extensions


class MeasuresConfig(AppConfig):
    name = "emotipal.measures"
    label = "measures"

    def ready(self) -> None:
        # Imported here: the models must be loaded before these modules import them.
        from emotipal.measures.queries import caseload_flags, open_alert_count
        from emotipal.measures.services import open_responses
        from emotipal.measures.tasks import ensure_scheduled
        from emotipal.measures.verdicts import risk_flags

        extensions.open_questionnaires.provide(open_responses)
        extensions.caseload_outcomes.provide(caseload_flags)
        extensions.caseload_risks.provide(risk_flags)
        extensions.open_alert_count.provide(open_alert_count)
        extensions.periodic_jobs.provide(lambda: [("questionnaire job", ensure_scheduled())])
