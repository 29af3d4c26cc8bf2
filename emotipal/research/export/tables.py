"""One study's de-identified export, read from the live database into an ExportData.

- Who: participants whose current consent lets their data be used (consent_rules.py); a withdrawn
  participant's data only as their protocol said (kept up to the withdrawal, or removed: then only the
  consent events and participant states say that they withdrew).
- Identities: participants, therapists and every record by pseudonyms keyed per study; dates as days from
  the participant's day 0 (a Monday), shifted dates and days since enrolment; no names, e-mail addresses,
  ages or internal ids; free text only with consent to it (and names in it replaced).
- Tables: only those the study's data uses allow.
- Queries: a fixed number, whatever the number of participants.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import Counter
from collections.abc import Callable, Iterable

from django.utils.translation import gettext as _

from emotipal.accounts.models import User
from emotipal.definitions import codes
from emotipal.platform import clock
from emotipal.research import pseudonyms
from emotipal.research.consent_rules import inclusion, newest_version
from emotipal.research.errors import ResearchError
from emotipal.research.export import compliance_table, experiment_tables, homework_tables, measures_tables
from emotipal.research.export.codebook import COMPLIANCE, full_codebook
from emotipal.research.export.data import ExportData, StudyFacts, Variable
from emotipal.research.export.frames import Keys, frame
from emotipal.research.export.homework_tables import Context, Row
from emotipal.research.export.people import Person, Scrubber, people_for, shift_of
from emotipal.research.export.records import load
from emotipal.research.models import ConsentDocument, ConsentScope, DataUse, Participant, Study


class EmptyExportError(ResearchError):
    """No participant's data may be used: an export would say nothing."""


def study_facts(study: Study, versions: Iterable[int]) -> StudyFacts:
    return StudyFacts(
        slug=study.slug,
        title=study.title,
        description=study.participant_summary,
        protocol_version=study.protocol_version,
        status=study.status,
        ethics_committee=study.ethics_committee,
        ethics_number=study.ethics_number,
        ethics_valid_until=study.ethics_valid_until.isoformat() if study.ethics_valid_until else "",
        consent_versions=tuple(sorted(set(versions))),
        data_uses=tuple(study.data_uses or ()),
        withdrawal_policy=study.withdrawal_policy,
    )


def _participants(study: Study) -> list[Participant]:
    return list(
        Participant.objects.filter(study=study)
        .select_related("client__user", "client__therapist", "client__clinic", "study")
        .prefetch_related("consents__document", "events")
        .order_by("pk")
    )


def _consent_events(study: Study, participants: list[Participant]) -> Iterable[Row]:
    for p in participants:
        key, shift = pseudonyms.pseudonym(study, "client", p.client_id), shift_of(study, p)
        zone = clock.zone_for_client(p.client)
        enrolled = clock.local_date(p.enrolled_at, zone) if p.enrolled_at else None
        for r in sorted(p.consents.all(), key=lambda r: (r.at, r.pk)):
            day = clock.local_date(r.at, zone)
            yield {
                "participant_key": key,
                "consent_version": r.document.version,
                "language": r.document.language,
                "text_hash": r.text_hash,
                "decision": r.decision,
                # One yes/no column per scope, so each analyses as a variable of its own.
                **{f"scope_{scope.value}": scope.value in (r.scopes or []) for scope in ConsentScope},
                "date_shifted": day + dt.timedelta(days=shift),
                "days_since_enrolment": (day - enrolled).days if enrolled else None,
            }


def _participant_states(study: Study, participants: list[Participant]) -> Iterable[Row]:
    for p in participants:
        key, shift = pseudonyms.pseudonym(study, "client", p.client_id), shift_of(study, p)
        zone = clock.zone_for_client(p.client)
        enrolled = clock.local_date(p.enrolled_at, zone) if p.enrolled_at else None
        failed = ";".join(
            str(f.get("criterion", f)) if isinstance(f, dict) else str(f) for f in (p.failed_criteria or [])
        )
        for i, event in enumerate(sorted(p.events.all(), key=lambda e: (e.at, e.pk)), start=1):
            day = clock.local_date(event.at, zone)
            yield {
                "participant_key": key,
                "sequence": i,
                "state": event.state,
                "date_shifted": day + dt.timedelta(days=shift),
                "days_since_enrolment": (day - enrolled).days if enrolled else None,
                "failed_criteria": failed if event.state == "ineligible" and failed else None,
            }


def _participant_rows(people: dict[int, Person], arms: dict[int, dict[str, str]]) -> Iterable[Row]:
    for client_id, p in people.items():
        part = p.participant
        withdrawn = clock.local_date(part.withdrawn_at, p.zone) if part.withdrawn_at else None
        yield {
            "key": p.key,
            "therapist_key": p.therapist_key,
            "state": part.state,
            "language": part.client.user.language,
            "consent_version": p.inclusion.consent_version,
            "free_text_used": p.free_text,
            "day0_date_shifted": p.shifted(p.day0),
            "enrolment_day": p.day(p.enrolled),
            "last_day": p.day(p.last_day),
            "withdrawn": withdrawn is not None,
            "withdrawn_day": p.day(withdrawn),
            "discharged_day": p.day(part.client.discharged_on)
            if part.client.discharged_on and p.keeps_day(part.client.discharged_on)
            else None,
            **arms.get(client_id, {}),
        }


def _scrubber(study: Study, participants: list[Participant], user_ids: set[int]) -> Scrubber:
    known = {p.client.user_id: p.client.user for p in participants} | {
        p.client.therapist_id: p.client.therapist for p in participants
    }
    missing = user_ids - set(known)
    extra = list(User.objects.filter(pk__in=missing | {study.principal_investigator_id})) if missing else []
    return Scrubber([*known.values(), *extra, study.principal_investigator])


def build_export_data(study: Study, progress: Callable[[int, str], None] | None = None) -> ExportData:
    """Every table the study's data uses allow, with the codebook; `progress(percent, what)` as it goes."""
    say = progress or (lambda _percent, _what: None)
    uses = set(study.data_uses or [])
    versions = list(
        ConsentDocument.objects.filter(study=study, published_at__isnull=False).values_list(
            "version", flat=True
        )
    )
    newest = newest_version(versions)
    participants = _participants(study)
    people = people_for(study, participants, newest)
    if not people:
        raise EmptyExportError(
            _(
                "The study “%(study)s” has no consenting participant whose data may be used: nothing to export."
            )
            % {"study": study.slug}
        )
    say(10, "participants")
    homework, exposure = DataUse.HOMEWORK in uses, DataUse.EXPOSURE in uses
    questionnaires = DataUse.QUESTIONNAIRES in uses
    rec = load(people, homework=homework, questionnaires=questionnaires, exposure=exposure)
    say(40, "records")
    keys = Keys(study)
    therapist_ids: set[int] = {p.participant.client.therapist_id for p in people.values()}

    def therapist(user_id: int) -> str:
        therapist_ids.add(user_id)
        return pseudonyms.pseudonym(study, "therapist", user_id)

    referenced = {a.assigned_by_id for a in rec.assignments} | {s.therapist_id for s in rec.sessions}
    referenced |= {t.reviewer_id for t in rec.therapist_reviews} | {r.rater_id for r in rec.retro_ratings}
    ctx = Context(rec, keys, therapist, _scrubber(study, participants, referenced))
    book = full_codebook()
    dims = codes.REVIEW_DIMENSIONS
    experiments = experiment_tables.build(study, participants, people, therapist)
    if experiments is not None:  # each arm a column of the participants table
        book["clients"] = [*book["clients"], *experiments.arm_variables]
    arms = experiments.arms_by_client if experiments is not None else {}
    rows: dict[str, Iterable[Row]] = {"clients": _participant_rows(people, arms)}
    if homework:
        rows |= {
            "assignments": homework_tables.assignments(ctx),
            "entries": homework_tables.entries(ctx),
            "entry_answers": homework_tables.entry_answers(ctx),
            "sessions": homework_tables.sessions(ctx),
            "self_reviews": homework_tables.self_reviews(ctx, dims),
            "therapist_reviews": homework_tables.therapist_reviews(ctx, dims),
            "retro_ratings": homework_tables.retro_ratings(ctx),
            "barriers": homework_tables.barriers(ctx),
        }
    if questionnaires:
        rows |= {
            "questionnaire_responses": measures_tables.responses(ctx),
            "questionnaire_answers": measures_tables.answers(ctx),
            "questionnaire_subscales": measures_tables.subscales(ctx),
            "scores": measures_tables.phq9_by_week(ctx),
        }
    if exposure:
        rows |= {
            "exposure_practices": homework_tables.exposure_practices(ctx),
            "ladder_steps": homework_tables.ladder_steps(ctx),
        }
    if DataUse.ENGAGEMENT in uses and homework:
        rows[COMPLIANCE] = compliance_table.compliance_rows(ctx)
    rows |= {
        "consent_events": _consent_events(study, participants),
        "participant_states": _participant_states(study, participants),
    }
    if experiments is not None:
        rows |= experiments.rows
    tables = {}
    for i, (name, table_rows) in enumerate(rows.items()):
        tables[name] = frame(book[name], table_rows)
        say(40 + 50 * (i + 1) // len(rows), name)
    # Every therapist a table names (the rows above added those they met).
    therapist_counts = Counter(p.participant.client.therapist_id for p in people.values())
    tables["therapists"] = frame(
        book["therapists"],
        [
            {
                "key": (key := pseudonyms.pseudonym(study, "therapist", t)),
                "display_name": key,
                "n_participants": therapist_counts.get(t, 0),
            }
            for t in sorted(therapist_ids, key=lambda t: pseudonyms.pseudonym(study, "therapist", t))
        ],
    )
    codebook: list[Variable] = [v for name in tables for v in book[name]]
    left_out = Counter(inclusion(p, newest).reason for p in participants if p.client_id not in people)
    facts = study_facts(study, versions)
    notes: dict[str, object] = {
        "participants_included": len(people),
        "participants_left_out": dict(sorted(left_out.items())),
    }
    if experiments is not None:
        facts = dataclasses.replace(facts, arms=tuple(experiments.arms))
        notes["experiments"] = experiments.summary
    data = ExportData(
        study=facts,
        tables=tables,
        codebook=codebook,
        generated_at=clock.now().isoformat(timespec="seconds"),
        notes=notes,
        figures=experiments.figures if experiments is not None else {},
    )
    data.check_complete()
    return data
