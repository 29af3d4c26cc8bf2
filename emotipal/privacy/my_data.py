"""Everything EmotiPal holds about one client, collected for their own download (the right of access).

`collect` reads it once, as plain dataclasses; my_data_json.py, the HTML summary template and my_data_fhir.py
only render it. Each section lives in its own module (my_data_account, _homework, _reviews, _ladders,
_measures, _reminders, _support, _studies, _audit); my_data_coverage.py says which models are in it and why the others are
not, and a test holds that list against the model graph so a new model cannot be forgotten.

Only the client's own rows are read (every query starts from their profile), nothing secret is read at all
where it can be avoided (.only / .defer), and staff are named by name, not e-mail address. The number of
queries does not grow with the number of assignments or entries."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from emotipal.accounts import audit_log
from emotipal.accounts.models import ClientProfile
from emotipal.platform import clock
from emotipal.privacy import (
    my_data_account,
    my_data_audit,
    my_data_homework,
    my_data_ladders,
    my_data_measures,
    my_data_reminders,
    my_data_reviews,
    my_data_studies,
    my_data_support,
)

FORMAT_NAME = "emotipal-my-data"
FORMAT_VERSION = 1


@dataclass(frozen=True)
class MyData:
    generated_at: dt.datetime  # in the client's zone
    time_zone: str  # the zone every time in the download is given in
    account: my_data_account.Account
    care: my_data_account.Care
    email_addresses: list[my_data_account.EmailRow]
    two_factor_methods: list[my_data_account.SignInMethod]
    api_tokens: list[my_data_account.TokenRow]
    sessions: list[my_data_reviews.SessionRow]
    assignments: list[my_data_homework.AssignmentRow]
    look_back: list[my_data_reviews.LookBackRow]
    fear_ladders: list[my_data_ladders.LadderRow]
    questionnaire_schedules: list[my_data_measures.ScheduleRow]
    questionnaires: list[my_data_measures.ResponseRow]
    risk_alerts: list[my_data_measures.AlertRow]
    reminder_preference: my_data_reminders.PreferenceRow | None
    reminders_sent: list[my_data_reminders.ReminderRow]
    push_subscriptions: list[my_data_reminders.PushRow]
    calendar_feeds: list[my_data_reminders.FeedRow]
    support_links: list[my_data_support.SupportLinkRow]
    studies: list[my_data_studies.StudyRow]
    seen_by: list[my_data_audit.SeenRow]
    seen_by_days: int
    own_actions: list[my_data_audit.OwnActionRow]

    @property
    def entry_count(self) -> int:
        return sum(len(a.entries) for a in self.assignments)


def collect(profile: ClientProfile, now: dt.datetime | None = None) -> MyData:
    """The client's data as of `now`. Labels (questions, answers' words, statuses) are in the active language,
    so call it in the client's language."""
    now = now or clock.now()
    tz = clock.zone_for_client(profile)
    return MyData(
        generated_at=now.astimezone(tz),
        time_zone=str(tz),
        account=my_data_account.account(profile),
        care=my_data_account.care(profile),
        email_addresses=my_data_account.email_addresses(profile),
        two_factor_methods=my_data_account.sign_in_methods(profile),
        api_tokens=my_data_account.api_tokens(profile),
        sessions=my_data_reviews.sessions(profile),
        assignments=my_data_homework.assignments(profile),
        look_back=my_data_reviews.look_back(profile),
        fear_ladders=my_data_ladders.ladders(profile),
        questionnaire_schedules=my_data_measures.schedules(profile),
        questionnaires=my_data_measures.responses(profile),
        risk_alerts=my_data_measures.risk_alerts(profile),
        reminder_preference=my_data_reminders.preference(profile),
        reminders_sent=my_data_reminders.reminders_sent(profile),
        push_subscriptions=my_data_reminders.push_subscriptions(profile),
        calendar_feeds=my_data_reminders.calendar_feeds(profile),
        support_links=my_data_support.support_links(profile),
        studies=my_data_studies.participations(profile),
        seen_by=my_data_audit.seen_by(profile, now),
        seen_by_days=audit_log.SEEN_BY_DAYS,
        own_actions=my_data_audit.own_actions(profile),
    )
