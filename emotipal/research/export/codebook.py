"""The codebook: one Variable for every column of every export table, written once here.

Table and column names that the analysis reads (clients, therapists, scores, assignments, entries,
self_reviews, therapist_reviews, retro_ratings; see emotipal/analysis/compliance/dataset.py) are the same as
in a simulated data set, so `emotipal analyse` reads an export exactly as it reads `emotipal simulate`.
"""

from __future__ import annotations

import datetime as dt

from emotipal.analysis import engagement as eng
from emotipal.definitions import codes
from emotipal.research.export.data import Variable, VariableType
from emotipal.research.models import ConsentDecision, ConsentScope, Method, ParticipantState, Unit

FREE_TEXT_NOTE = (
    "Free text: filled only for participants whose current consent includes the use of their own words, "
    "and only when the study uses free text; otherwise empty. Names and e-mail addresses known to EmotiPal "
    "are replaced by [name] and [e-mail]."
)
DAY_NOTE = (
    "Days from the participant's day 0: the Monday of the week of their first record (an assignment, "
    "session, questionnaire or enrolment), so day // 7 is the week and day % 7 the weekday (0 = Monday)."
)
SHIFT_NOTE = (
    "Shifted date: the real date moved by the participant's own offset (the same for all their dates, so "
    "intervals are exact; weekdays are not kept: use the day columns for those)."
)
ENROL_NOTE = "Days since the participant's enrolment (negative: before it; empty when not enrolled)."
RATING_VALUES = {str(i): str(i) for i in range(5)}
KEY_NOTE = "Pseudonymous, keyed per study: stable within the study, unlinkable across studies."

STATE_VALUES = {s.value: str(s.label) for s in ParticipantState}
DECISION_VALUES = {d.value: str(d.label) for d in ConsentDecision}
SCOPE_VALUES = {s.value: str(s.label) for s in ConsentScope}
SCOPE_NOTE = "False on a declined or withdrawn decision: the scopes are those of a signature."
BARRIER_VALUES = {b: b.replace("_", " ") for b in codes.BARRIERS}
STRATEGY_VALUES = {s: s.replace("_", " ") for s in codes.STRATEGIES}
UNIT_VALUES = {u.value: str(u.label) for u in Unit}
METHOD_VALUES = {m.value: str(m.label) for m in Method}
EXPERIMENT_NOTE = "The experiment's slug within the study; with experiment_version it names one design."
UNIT_KEY_NOTE = (
    KEY_NOTE + " A client unit is the participant's own key (client_key); a therapist unit is the key of "
    "the therapists table; a clinic unit is the clinic's pseudonym."
)
LOG_DAY_NOTE = (
    "Days from the day the experiment started (day 0, in UTC): the log's units may be clusters, so it "
    "counts from the experiment, not from a participant."
)


def _v(
    table: str, name: str, label: str, type_: VariableType = "string", unit: str = "", **extra: object
) -> Variable:
    return Variable(table, name, label, type_, unit, **extra)  # type: ignore[arg-type]


def _key(table: str, name: str, what: str) -> Variable:
    return _v(table, name, f"Pseudonymous id of the {what}", note=KEY_NOTE)


def _when(table: str, prefix: str, what: str) -> list[Variable]:
    """A day column, a shifted date and days since enrolment for one moment."""
    day = "day" if not prefix else f"{prefix}_day"
    date = "date_shifted" if not prefix else f"{prefix}_date_shifted"
    since = "days_since_enrolment" if not prefix else f"{prefix}_days_since_enrolment"
    return [
        _v(table, day, f"{what}: day", "integer", "days", note=DAY_NOTE),
        _v(table, date, f"{what}: shifted date", "date", note=SHIFT_NOTE),
        _v(table, since, f"{what}: days since enrolment", "integer", "days", note=ENROL_NOTE),
    ]


def _ratings(table: str, who: str, source: str) -> list[Variable]:
    return [
        _v(
            table,
            dim,
            f"{who} rating of {dim.replace('_', ' ')} (0-4)",
            "integer",
            "0-4",
            values=RATING_VALUES,
            source=source,
            kind="likert",
            timing="contemporaneous",
        )
        for dim in codes.REVIEW_DIMENSIONS
    ]


def _free(table: str, name: str, label: str) -> Variable:
    return _v(table, name, label, note=FREE_TEXT_NOTE)


CLIENTS = "clients"


def static_codebook() -> dict[str, list[Variable]]:
    """Every table but the compliance figures (whose columns follow the figures the platform computes)."""
    t = CLIENTS
    books: dict[str, list[Variable]] = {
        t: [
            _key(t, "key", "participant"),
            _key(t, "therapist_key", "participant's therapist"),
            _v(t, "state", "Participant state at export", values=STATE_VALUES),
            _v(t, "language", "Language of the participant's account"),
            _v(t, "consent_version", "Consent version whose scopes apply", "integer"),
            _v(t, "free_text_used", "Free text of this participant is in the export", "boolean"),
            _v(
                t,
                "day0_date_shifted",
                "Day 0 of the participant (a Monday, shifted)",
                "date",
                note=SHIFT_NOTE,
            ),
            _v(t, "enrolment_day", "Day of enrolment", "integer", "days", note=DAY_NOTE),
            _v(
                t,
                "last_day",
                "Last day counted (export day, or the day before withdrawal)",
                "integer",
                "days",
            ),
            _v(t, "withdrawn", "Withdrew from the study", "boolean"),
            _v(t, "withdrawn_day", "Day of withdrawal", "integer", "days", note=DAY_NOTE),
            _v(t, "discharged_day", "Day treatment ended", "integer", "days", note=DAY_NOTE),
        ],
    }
    t = "therapists"
    books[t] = [
        _key(t, "key", "therapist"),
        _v(t, "display_name", "Therapist label (the pseudonym: no names are exported)"),
        _v(t, "n_participants", "Participants in the export with this therapist", "integer"),
    ]
    t = "assignments"
    books[t] = [
        _key(t, "key", "assignment"),
        _key(t, "client_key", "participant"),
        _key(t, "therapist_key", "therapist who set it"),
        _key(t, "session_key", "session it was set in"),
        _v(t, "exercise", "Exercise (library template slug)"),
        _v(t, "exercise_kind", "Kind of exercise"),
        _v(t, "template_version", "Template version", "integer"),
        _v(t, "variant_key", "Cultural or language variant"),
        _v(t, "times_per_week", "Planned practices per week", "integer", "practices"),
        _v(t, "minutes_per_practice", "Planned minutes per practice", "integer", "minutes"),
        _v(t, "practice_weekdays", "Planned weekdays, a JSON list (0 = Monday)"),
        *_when(t, "start", "Start of the plan"),
        _v(t, "planned_end_day", "Last day of the plan as set", "integer", "days", note=DAY_NOTE),
        _v(
            t,
            "end_day",
            "Last day counted: the plan's end, when it was ended, the export day or the day before "
            "withdrawal, whichever is first",
            "integer",
            "days",
            note=DAY_NOTE + " Assignments that start after the last day counted are left out.",
        ),
        _v(t, "first_open_delay_hours", "Hours from assignment to first opening", "number", "hours"),
    ]
    t = "entries"
    books[t] = [
        _key(t, "key", "entry"),
        _key(t, "assignment_key", "assignment"),
        _key(t, "client_key", "participant"),
        *_when(t, "", "Practice day"),
        _v(t, "submitted", "Submitted (False: a draft)", "boolean"),
        _v(t, "active_seconds", "Time on task: seconds with the form open and in use", "integer", "seconds"),
        _v(t, "draft_saves", "Draft saves", "integer"),
        _v(t, "edits_after_submit", "Edits after submission", "integer"),
        _v(
            t,
            "effort",
            "Client's effort rating at submission",
            "integer",
            "0-4",
            values=RATING_VALUES,
            source="client",
            kind="likert",
            timing="contemporaneous",
        ),
        _v(
            t,
            "difficulty",
            "Client's difficulty rating at submission",
            "integer",
            "0-4",
            values=RATING_VALUES,
            source="client",
            kind="likert",
            timing="contemporaneous",
        ),
        _v(
            t,
            "helpfulness",
            "Client's helpfulness rating at submission",
            "integer",
            "0-4",
            values=RATING_VALUES,
            source="client",
            kind="likert",
            timing="contemporaneous",
        ),
        _v(t, "variant_key", "Variant the entry was written in"),
        _v(t, "language", "Language of the wording the client saw (en, es, ar)"),
        _key(t, "ladder_step_key", "ladder step practised"),
        _v(t, "reviewed", "The therapist reviewed the entry", "boolean"),
        _v(t, "started_at_shifted", "When the attempt started (shifted)", "datetime", note=SHIFT_NOTE),
        _v(t, "submitted_at_shifted", "When it was submitted (shifted)", "datetime", note=SHIFT_NOTE),
    ]
    t = "entry_answers"
    books[t] = [
        _key(t, "entry_key", "entry"),
        _v(t, "field_path", "Field path in the exercise (group items numbered from 0: thoughts.0.belief)"),
        _v(t, "field_id", "Field id (the last part of the path)"),
        _v(t, "field_type", "Field type"),
        _v(t, "free_text", "The field is free text", "boolean"),
        _v(t, "value", "Answer (lists as JSON)", note=FREE_TEXT_NOTE + " Other answers are always given."),
    ]
    t = "sessions"
    books[t] = [
        _key(t, "key", "session"),
        _key(t, "client_key", "participant"),
        _key(t, "therapist_key", "therapist"),
        _v(t, "number", "Session number", "integer"),
        *_when(t, "", "Session day"),
    ]
    t = "self_reviews"
    books[t] = [
        _key(t, "key", "self-review"),
        _key(t, "client_key", "participant"),
        _key(t, "assignment_key", "assignment"),
        _key(t, "session_key", "session the homework is reviewed in"),
        *_when(t, "", "Day written"),
        *_ratings(t, "Client's", "client"),
        _v(
            t,
            "helpfulness",
            "Client's rating of how helpful the homework was",
            "integer",
            "0-4",
            values=RATING_VALUES,
            source="client",
            kind="likert",
            timing="contemporaneous",
        ),
        _free(t, "what_i_did", "What I did"),
        _free(t, "what_i_learned", "What I learned"),
        _free(t, "what_got_in_way", "What got in the way"),
    ]
    t = "therapist_reviews"
    books[t] = [
        _key(t, "key", "therapist review"),
        _key(t, "client_key", "participant"),
        _key(t, "assignment_key", "assignment"),
        _key(t, "session_key", "session"),
        _key(t, "therapist_key", "reviewing therapist"),
        *_when(t, "", "Review day"),
        *_ratings(t, "Therapist's", "therapist"),
    ]
    t = "retro_ratings"
    books[t] = [
        _key(t, "client_key", "participant"),
        _v(t, "rater", "Who rated", values={"client": "Client", "therapist": "Therapist"}),
        _key(t, "rater_key", "rater"),
        *_when(t, "", "Day rated"),
        *[
            _v(
                t,
                aspect,
                f"Rating of the whole course: {aspect} (0-4)",
                "integer",
                "0-4",
                values=RATING_VALUES,
                source="client or therapist (see rater)",
                kind="likert",
                timing="retroactive",
            )
            for aspect in ("quantity", "quality")
        ],
    ]
    t = "barriers"
    books[t] = [
        _key(t, "key", "barrier report"),
        _key(t, "client_key", "participant"),
        _key(t, "assignment_key", "assignment"),
        *_when(t, "", "Planned practice day that did not happen"),
        _v(t, "barrier", "What got in the way", values=BARRIER_VALUES),
        _v(t, "strategy", "Strategy the client chose", values=STRATEGY_VALUES),
        _free(t, "detail", "The client's own words about it"),
        _v(t, "resolved_day", "Day it was talked through", "integer", "days", note=DAY_NOTE),
    ]
    t = "questionnaire_responses"
    books[t] = [
        _key(t, "key", "questionnaire response"),
        _key(t, "client_key", "participant"),
        _v(t, "instrument", "Instrument key"),
        _v(t, "instrument_version", "Instrument version", "integer"),
        _v(
            t,
            "language",
            "Language of the wording the client answered (a clinic's imported translation of this version, or "
            "the version's own language; the items and scoring are the version's in every language)",
        ),
        _v(
            t,
            "status",
            "Status",
            values={
                "due": "Due",
                "in_progress": "In progress",
                "completed": "Completed",
                "expired": "Expired",
                "superseded": "Closed unanswered: another copy of the same questionnaire was open or answered",
            },
        ),
        _v(t, "due_day", "Day it was due", "integer", "days", note=DAY_NOTE),
        *_when(t, "completed", "Day completed"),
        _v(t, "total", "Total score", "number"),
        _v(t, "band", "Severity band"),
        _v(t, "prorated", "Total prorated for missing items", "boolean"),
    ]
    t = "questionnaire_answers"
    books[t] = [
        _key(t, "response_key", "questionnaire response"),
        _v(t, "item", "Item id"),
        _v(t, "item_type", "Item type"),
        _v(t, "value", "Answer (lists as JSON)", note=FREE_TEXT_NOTE + " Other answers are always given."),
    ]
    t = "questionnaire_subscales"
    books[t] = [
        _key(t, "response_key", "questionnaire response"),
        _v(t, "subscale", "Subscale key"),
        _v(t, "score", "Subscale score", "number"),
    ]
    t = "scores"
    books[t] = [
        _key(t, "client_key", "participant"),
        _v(t, "week", "Week (day // 7) of the score", "integer", "weeks", note=DAY_NOTE),
        _v(t, "phq9", "PHQ-9 total (0-27): the last completed in that week", "number", "0-27"),
        _v(t, "day", "Day completed", "integer", "days", note=DAY_NOTE),
        _key(t, "response_key", "questionnaire response"),
    ]
    t = "exposure_practices"
    books[t] = [
        _key(t, "entry_key", "entry"),
        _key(t, "client_key", "participant"),
        _key(t, "assignment_key", "assignment"),
        _key(t, "ladder_step_key", "ladder step practised"),
        *_when(t, "", "Practice day"),
        _v(t, "submitted", "Submitted (False: a draft)", "boolean"),
        *[
            _v(t, f, f"Distress {f.split('_')[1]} (0-100)", "number", "0-100")
            for f in ("suds_before", "suds_peak", "suds_after")
        ],
        _v(t, "planned_minutes", "Planned minutes", "number", "minutes"),
        _v(t, "actual_minutes", "Minutes of exposure", "number", "minutes"),
    ]
    t = "ladder_steps"
    books[t] = [
        _key(t, "key", "ladder step"),
        _key(t, "ladder_key", "fear ladder"),
        _key(t, "client_key", "participant"),
        _key(t, "parent_key", "larger step this one was split from"),
        _v(t, "position", "Position on the ladder", "integer"),
        _v(t, "expected_distress", "Expected distress (0-100)", "integer", "0-100"),
        _v(t, "status", "Status", values={"planned": "Planned", "practising": "Practising", "done": "Done"}),
        _v(t, "created_day", "Day added", "integer", "days", note=DAY_NOTE),
        _free(t, "ladder_title", "The ladder's feared situation"),
        _free(t, "description", "The step's situation"),
    ]
    t = "consent_events"
    books[t] = [
        _key(t, "participant_key", "participant"),
        _v(t, "consent_version", "Consent version", "integer"),
        _v(t, "language", "Language of the consent text"),
        _v(t, "text_hash", "SHA-256 of the consent text signed"),
        _v(t, "decision", "Decision", values=DECISION_VALUES),
        *[
            _v(t, f"scope_{value}", f"Agreed to: {label}", "boolean", note=SCOPE_NOTE)
            for value, label in SCOPE_VALUES.items()
        ],
        _v(t, "date_shifted", "Date (shifted)", "date", note=SHIFT_NOTE),
        _v(t, "days_since_enrolment", "Days since enrolment", "integer", "days", note=ENROL_NOTE),
    ]
    t = "participant_states"
    books[t] = [
        _key(t, "participant_key", "participant"),
        _v(t, "sequence", "Order of the change (1, 2, ...)", "integer"),
        _v(t, "state", "State entered", values=STATE_VALUES),
        _v(t, "date_shifted", "Date (shifted)", "date", note=SHIFT_NOTE),
        _v(t, "days_since_enrolment", "Days since enrolment", "integer", "days", note=ENROL_NOTE),
        _v(
            t,
            "failed_criteria",
            "Eligibility criteria not met (separated by ;)",
            note="Reasons typed by staff are free text and never exported.",
        ),
    ]
    books |= experiment_codebook()
    return books


def experiment_codebook() -> dict[str, list[Variable]]:
    """The experiments' tables (research/export/experiment_tables.py)."""
    books: dict[str, list[Variable]] = {}
    t = "allocations"
    books[t] = [
        _v(t, "experiment", "Experiment", note=EXPERIMENT_NOTE),
        _v(t, "experiment_version", "Version of the experiment's design", "integer"),
        _key(t, "client_key", "participant"),
        _v(t, "unit", "Unit of randomisation", values=UNIT_VALUES),
        _v(t, "unit_key", "Pseudonymous id of the unit allocated", note=UNIT_KEY_NOTE),
        _v(t, "arm", "Arm allocated (its key)"),
        _v(t, "sequence", "Place of the unit's allocation in the experiment's log (1, 2, ...)", "integer"),
        _v(t, "allocated_day", "Day the participant was allocated", "integer", "days", note=DAY_NOTE),
        _v(t, "allocated_date_shifted", "Date allocated (shifted)", "date", note=SHIFT_NOTE),
        _v(t, "method", "Allocation method", values=METHOD_VALUES),
        _v(t, "arm_name", "Arm allocated (its name)"),
        _v(
            t,
            "allocated_days_since_enrolment",
            "Days from enrolment to allocation",
            "integer",
            "days",
            note=ENROL_NOTE,
        ),
    ]
    t = "allocation_log"
    books[t] = [
        _v(t, "experiment", "Experiment", note=EXPERIMENT_NOTE),
        _v(t, "experiment_version", "Version of the experiment's design", "integer"),
        _v(t, "sequence", "Order of the allocation in the log (1, 2, ...)", "integer"),
        _v(t, "unit", "Unit of randomisation", values=UNIT_VALUES),
        _v(t, "unit_key", "Pseudonymous id of the unit allocated", note=UNIT_KEY_NOTE),
        _v(t, "arm", "Arm the method chose (its key)"),
        _v(t, "method", "Allocation method", values=METHOD_VALUES),
        _v(t, "trigger", "What caused the allocation (enrolment, the experiment's start, ...)"),
        _v(
            t,
            "inputs",
            "The baseline factor levels the method used, a JSON object",
            note="A site is named by the clinic's pseudonym. Rows of units with no participant in this export "
            "are left out: the full, replayable log is the experiment's own download.",
        ),
        _v(t, "day", "Day of the allocation", "integer", "days", note=LOG_DAY_NOTE),
    ]
    t = "decision_points"
    books[t] = [
        _v(t, "experiment", "Micro-randomised experiment", note=EXPERIMENT_NOTE),
        _key(t, "client_key", "participant"),
        _v(t, "decision", "Index of the decision point for this participant (0, 1, ...)", "integer"),
        *_when(t, "", "Day of the decision point"),
        _v(t, "available", "Available for randomisation", "boolean"),
        _v(t, "unavailable_reason", "Why not available (empty when available)"),
        _v(
            t,
            "probability",
            "Probability of a reminder at this decision point",
            "number",
            "0-1",
            note="Empty when not available (no randomisation).",
        ),
        _v(t, "treated", "Randomised to a reminder", "boolean"),
        _v(t, "sent", "What the reminder path did"),
        _v(t, "window_minutes", "Window for the proximal outcome", "integer", "minutes"),
        _v(
            t,
            "outcome",
            "Proximal outcome: the practice started within the window",
            "boolean",
            note="Empty while the window is open, when not available, or after a withdrawal.",
        ),
        _v(t, "experiment_version", "Version of the experiment's design", "integer"),
    ]
    t = "consort"
    books[t] = [
        _v(t, "experiment", "Experiment", note=EXPERIMENT_NOTE),
        _v(t, "experiment_version", "Version of the experiment's design", "integer"),
        _v(t, "position", "Order of the row in the CONSORT 2010 flow (1, 2, ...)", "integer"),
        _v(t, "stage", "Box of the CONSORT 2010 flow diagram"),
        _v(t, "arm", "Arm (its name; empty for the enrolment boxes)"),
        _v(t, "n", "Participants in the box", "integer"),
        _v(
            t,
            "reasons",
            "Reasons with their counts",
            note="Only reasons the platform records as codes; words a person typed are never exported.",
        ),
    ]
    return books


COMPLIANCE = "compliance"
COMPLIANCE_FIXED = ("client_key", "period", "assignment_key", "week", "start_day", "end_day")


def figure_column(measure: str, timing: str) -> str:
    return measure if timing == "contemporaneous" else f"{measure}_{timing}"


def compliance_codebook() -> list[Variable]:
    """A column per compliance figure (and its n), labelled by source, type and timing, as the platform
    computes them (emotipal/analysis/engagement.py): the list comes from the figures themselves."""
    t = COMPLIANCE
    periods = {"treatment": "Treatment so far", "assignment": "One assignment", "week": "One week"}
    book = [
        _key(t, "client_key", "participant"),
        _v(t, "period", "Period the figures cover", values=periods),
        _key(t, "assignment_key", "assignment (period 'assignment')"),
        _v(t, "week", "Week (period 'week'): day // 7", "integer", "weeks"),
        _v(t, "start_day", "First day of the period", "integer", "days", note=DAY_NOTE),
        _v(t, "end_day", "Last day of the period", "integer", "days", note=DAY_NOTE),
    ]
    day = dt.date(2026, 1, 5)
    now = dt.datetime(2026, 1, 5, tzinfo=dt.UTC)
    for f in eng.compliance_figures(
        [], [], [], [], period="treatment", period_start=day, period_end=day, now=now
    ):
        name = figure_column(f.measure, f.timing)
        label = f.label.split(" (of ")[0]
        book.append(_v(t, name, label, "number", f.unit, source=f.source, kind=f.type, timing=f.timing))
        book.append(
            _v(
                t,
                f"{name}_n",
                f"Records the figure '{name}' rests on",
                "integer",
                source=f.source,
                kind=f.type,
                timing=f.timing,
            )
        )
    return book


def full_codebook() -> dict[str, list[Variable]]:
    return {**static_codebook(), COMPLIANCE: compliance_codebook()}
