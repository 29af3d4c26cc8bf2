"""A hand-made ExportData, shaped like what the table builder writes, for testing the format writers on their own.

Four participants of a two-arm study: one withdrew (its free text is empty, with the codebook's note saying why),
ratings 0..4 with labels, PHQ-9 scores, shifted dates, a datetime, booleans and missing values in every kind of
column, and a variable name no statistics package accepts as it is.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

from emotipal.research.export.data import ExportData, StudyFacts, Variable

RATING_LABELS = {"0": "Not at all", "1": "A little", "2": "Somewhat", "3": "Mostly", "4": "Completely"}
STATE_LABELS = {
    "enrolled": "Enrolled",
    "withdrawn": "Withdrawn",
    "completed": "Completed",
    "consented": "Consented",
    "eligible": "Eligible",
    "screened": "Screened",
    "candidate": "Invited",
}
PEOPLE = ["C-1a2b3c4d5e6f", "C-2b3c4d5e6f70", "C-3c4d5e6f7081", "C-4d5e6f708192"]
FREE_TEXT_NOTE = "Empty for participants who did not consent to the use of their free text."
# Longer than Stata's 32 characters, with a character neither SPSS nor Stata allows in a name.
LONG_NAME = "minutes_on_task_as_measured_by_the_app (timer)"


def study_facts(*, arms: tuple[dict[str, str], ...] = ()) -> StudyFacts:
    return StudyFacts(
        slug="homework-study",
        title="Which homework helps",
        description="A study of how homework is done between sessions.",
        protocol_version="1.2",
        status="recruiting",
        ethics_committee="Regional ethics committee",
        ethics_number="REC-2026-017",
        ethics_valid_until="2027-06-30",
        consent_versions=(1, 2),
        data_uses=("homework", "free_text", "questionnaires"),
        withdrawal_policy="keep",
        arms=arms,
    )


def _participants() -> tuple[pd.DataFrame, list[Variable]]:
    frame = pd.DataFrame(
        {
            "participant_id": PEOPLE,
            "therapist_id": ["T-aa11bb22cc33", "T-aa11bb22cc33", "T-dd44ee55ff66", "T-dd44ee55ff66"],
            "arm": ["usual", "reminders", "usual", "reminders"],
            "state": ["enrolled", "withdrawn", "completed", "enrolled"],
            "enrolled_on": [dt.date(2025, 3, 4), dt.date(2025, 2, 11), dt.date(2025, 1, 20), None],
            "age_band": ["25-34", "35-44", "18-24", "45-54"],
            "free_text_consent": [True, False, True, None],
        }
    )
    t = "participants"
    codebook = [
        Variable(t, "participant_id", "Pseudonymous participant id (stable within this study)", "string"),
        Variable(t, "therapist_id", "Pseudonymous therapist id", "string"),
        Variable(t, "arm", "Study arm", "string", values={"usual": "Usual care", "reminders": "Reminders"}),
        Variable(t, "state", "Participant state at export", "string", values=STATE_LABELS),
        Variable(t, "enrolled_on", "Date of enrolment (shifted)", "date", note="Empty until enrolled."),
        Variable(t, "age_band", "Age band", "string", unit="years"),
        Variable(t, "free_text_consent", "Consented to the use of free text", "boolean"),
    ]
    return frame, codebook


def _entries() -> tuple[pd.DataFrame, list[Variable]]:
    frame = pd.DataFrame(
        {
            "participant_id": [PEOPLE[0], PEOPLE[0], PEOPLE[1], PEOPLE[2], PEOPLE[2], PEOPLE[3]],
            "entry_id": ["E-01", "E-02", "E-03", "E-04", "E-05", "E-06"],
            "submitted_on": [
                dt.date(2025, 3, 6),
                dt.date(2025, 3, 9),
                dt.date(2025, 2, 12),
                dt.date(2025, 1, 22),
                None,
                dt.date(2025, 4, 1),
            ],
            "submitted_at": pd.to_datetime(
                [
                    "2025-03-06 18:30:00",
                    "2025-03-09 08:05:00",
                    "2025-02-12 21:00:00",
                    "2025-01-22 12:15:00",
                    None,
                    "2025-04-01 07:45:00",
                ]
            ),
            LONG_NAME: [12.5, 8.0, None, 20.25, 3.0, 15.0],
            "distress_before": pd.array([3, 2, 4, None, 1, 0], dtype="Int64"),
            "helpfulness": pd.array([4, 3, 0, 2, None, 1], dtype="Int64"),
            "submitted": [True, True, True, True, False, True],
            "free_text": [
                "Wrote it down after the argument, which helped.",
                "Calmer «today»",
                "",
                "",
                "",
                "",
            ],
        }
    )
    t = "entries"
    codebook = [
        Variable(t, "participant_id", "Pseudonymous participant id", "string"),
        Variable(t, "entry_id", "Pseudonymous entry id", "string"),
        Variable(t, "submitted_on", "Day the entry was submitted (shifted)", "date"),
        Variable(t, "submitted_at", "Time the entry was submitted (shifted)", "datetime"),
        Variable(
            t,
            LONG_NAME,
            "Time on task",
            "number",
            unit="minutes",
            source="objective",
            kind="count",
            timing="contemporaneous",
        ),
        Variable(t, "distress_before", "Distress before the exercise", "integer", values=RATING_LABELS),
        Variable(
            t,
            "helpfulness",
            "How much the exercise helped (self-rating)",
            "integer",
            values=RATING_LABELS,
            source="client",
            kind="likert",
            timing="contemporaneous",
        ),
        Variable(t, "submitted", "Whether the entry was submitted", "boolean"),
        Variable(
            t, "free_text", "What the participant wrote in their own words", "string", note=FREE_TEXT_NOTE
        ),
    ]
    return frame, codebook


def _scores() -> tuple[pd.DataFrame, list[Variable]]:
    frame = pd.DataFrame(
        {
            "participant_id": [PEOPLE[0], PEOPLE[0], PEOPLE[2], PEOPLE[2], PEOPLE[3]],
            "instrument": ["phq9", "phq9", "phq9", "gad7", "phq9"],
            "week": [0, 4, 0, 0, 0],
            "total": pd.array([17, 11, 14, 9, None], dtype="Int64"),
        }
    )
    t = "questionnaire_scores"
    codebook = [
        Variable(t, "participant_id", "Pseudonymous participant id", "string"),
        Variable(t, "instrument", "Questionnaire", "string", values={"phq9": "PHQ-9", "gad7": "GAD-7"}),
        Variable(t, "week", "Weeks since enrolment", "integer", unit="weeks"),
        Variable(
            t,
            "total",
            "Total score",
            "integer",
            unit="points",
            note="Empty when not every item was answered.",
        ),
    ]
    return frame, codebook


def _states() -> tuple[pd.DataFrame, list[Variable]]:
    rows = [
        (PEOPLE[0], "candidate", dt.date(2025, 2, 20), ""),
        (PEOPLE[0], "consented", dt.date(2025, 3, 1), ""),
        (PEOPLE[0], "enrolled", dt.date(2025, 3, 4), ""),
        (PEOPLE[1], "enrolled", dt.date(2025, 2, 11), ""),
        (PEOPLE[1], "withdrawn", dt.date(2025, 3, 1), "Moved away"),
        (PEOPLE[2], "enrolled", dt.date(2025, 1, 20), ""),
        (PEOPLE[2], "completed", dt.date(2025, 5, 1), ""),
        (PEOPLE[3], "candidate", dt.date(2025, 3, 28), ""),
        (PEOPLE[3], "enrolled", dt.date(2025, 3, 30), ""),
    ]
    frame = pd.DataFrame(rows, columns=["participant_id", "state", "date", "reason"])
    t = "participant_states"
    codebook = [
        Variable(t, "participant_id", "Pseudonymous participant id", "string"),
        Variable(t, "state", "State entered", "string", values=STATE_LABELS),
        Variable(t, "date", "Day the state was entered (shifted)", "date"),
        Variable(t, "reason", "Reason given", "string"),
    ]
    return frame, codebook


def therapists() -> tuple[pd.DataFrame, list[Variable]]:
    frame = pd.DataFrame({"therapist_id": ["T-aa11bb22cc33", "T-dd44ee55ff66"], "caseload": [2, 2]})
    t = "therapists"
    codebook = [
        Variable(t, "therapist_id", "Pseudonymous therapist id", "string"),
        Variable(t, "caseload", "Participants seen", "integer"),
    ]
    return frame, codebook


def export_data(*, arms: bool = True) -> ExportData:
    tables: dict[str, pd.DataFrame] = {}
    codebook: list[Variable] = []
    parts = {
        "participants": _participants(),
        "therapists": therapists(),
        "entries": _entries(),
        "questionnaire_scores": _scores(),
        "participant_states": _states(),
    }
    for name, (frame, variables) in parts.items():
        tables[name] = frame
        codebook.extend(variables)
    study_arms = (
        (
            {"name": "usual", "description": "Usual care"},
            {"name": "reminders", "description": "Daily reminders"},
        )
        if arms
        else ()
    )
    data = ExportData(
        study=study_facts(arms=study_arms),
        tables=tables,
        codebook=codebook,
        generated_at="2026-12-02T01:00:00+00:00",
        code_version="test",
    )
    data.check_complete()
    return data
