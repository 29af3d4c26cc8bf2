"""The demo clinic's questionnaires: weekly PHQ-9 (from the simulator's scores), GAD-7 and skills confidence,
with reliable change that follows the simulated improvement and a few risk alerts, one still open."""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

from django.utils import timezone

from emotipal.accounts.models import ClientProfile
from emotipal.analysis.simulate import SimClinic
from emotipal.definitions.scoring import score_response
from emotipal.measures.models import Instrument, Response, RiskAlert, Schedule, score_blob
from emotipal.measures.services import latest_version, sync_instruments

ACK_NOTES = [
    "Phoned the client the same day; safety plan reviewed, no immediate risk.",
    "Discussed in session; client agreed to call the crisis line if thoughts return.",
]


def spread(total: int, items: int, top: int, rng: random.Random) -> list[int]:
    """Item answers (0..top) that add up to `total`: as even as possible, shuffled."""
    total = max(0, min(total, items * top))
    answers = [total // items + (1 if i < total % items else 0) for i in range(items)]
    rng.shuffle(answers)
    return answers


def store(
    sim: SimClinic, profiles: dict[str, ClientProfile], start: dt.date, showcase_key: str, seed: int
) -> None:
    sync_instruments()
    rng = random.Random(seed)  # simulated data, not a secret  # nosec B311
    now = timezone.now()
    today = timezone.localdate()
    instruments = {i.key: i for i in Instrument.objects.filter(clinic__isnull=True)}
    versions = {key: latest_version(i) for key, i in instruments.items()}
    engagement = {c.key: c.engagement for c in sim.clients}
    responses: list[Response] = []
    risky: list[int] = []  # indexes of responses with a risk answer
    for client_key, profile in profiles.items():
        for key in ("phq9", "gad7", "skills_confidence"):
            Schedule.objects.create(
                client=profile,
                instrument=instruments[key],
                kind=Schedule.Kind.WEEKLY,
                weekday=0,
                created_by=profile.therapist,
                created_at=timezone.make_aware(dt.datetime.combine(start, dt.time(9))),
            )
        for score in (s for s in sim.scores if s.client_key == client_key):
            day = start + dt.timedelta(weeks=score.week)
            if day > today or (profile.discharged_on and day > profile.discharged_on):
                continue
            completed = min(
                timezone.make_aware(dt.datetime.combine(day, dt.time(10))), now - dt.timedelta(hours=1)
            )
            # Item 9 (thoughts of self-harm) is 0 except, now and then, in weeks with high scores.
            item9 = 1 if score.phq9 >= 17 and rng.random() < 0.12 else 0
            rest = score.phq9 - item9
            if rest > 24:
                item9, rest = item9 + rest - 24, 24
            phq = [*spread(rest, 8, 3, rng), item9]
            gad_total = max(0, min(21, round(score.phq9 * 0.75 + rng.gauss(0, 2))))
            confidence = max(
                0.0,
                min(
                    10.0,
                    3 + 6 * engagement[client_key] * score.week / max(1, sim.weeks - 1) + rng.gauss(0, 0.8),
                ),
            )
            answer_sets: dict[str, dict[str, Any]] = {
                "phq9": {f"phq9_{i + 1}": v for i, v in enumerate(phq)},
                "gad7": {f"gad7_{i + 1}": v for i, v in enumerate(spread(gad_total, 7, 3, rng))},
                "skills_confidence": {
                    f"sc_{i + 1}": max(0, min(10, round(confidence + rng.gauss(0, 1)))) for i in range(5)
                },
            }
            for key, answers in answer_sets.items():
                result = score_response(versions[key].definition, answers)
                responses.append(
                    Response(
                        client=profile,
                        instrument_id=versions[key].instrument_id,  # bulk_create skips save(), which sets it
                        instrument_version=versions[key],
                        due_date=day,
                        expires_at=completed + dt.timedelta(days=3),
                        status=Response.Status.COMPLETED,
                        answers=answers,
                        started_at=completed - dt.timedelta(minutes=4),
                        completed_at=completed,
                        scores=score_blob(result.total, result.band, result.subscales),
                        prorated=result.prorated,
                    )
                )
                if result.risk_items:
                    risky.append(len(responses) - 1)
    _showcase_due(profiles[showcase_key], versions, responses, today)
    demo_therapist = profiles[showcase_key].therapist
    open_index = _risk_for_demo_therapist(responses, risky, demo_therapist, profiles[showcase_key])
    created = Response.objects.bulk_create(responses, batch_size=500)
    _alerts(created, risky, open_index, now)


def _showcase_due(
    profile: ClientProfile, versions: dict[str, Any], responses: list[Response], today: dt.date
) -> None:
    """The demo client has this week's questionnaires waiting on Today (instead of already answered)."""
    monday = today - dt.timedelta(days=today.weekday())
    responses[:] = [r for r in responses if not (r.client is profile and r.due_date >= monday)]
    for key in ("phq9", "gad7"):
        responses.append(
            Response(
                client=profile,
                instrument_id=versions[key].instrument_id,
                instrument_version=versions[key],
                due_date=today,
                expires_at=timezone.make_aware(
                    dt.datetime.combine(today + dt.timedelta(days=3), dt.time(23, 59))
                ),
            )
        )


def _risk_for_demo_therapist(
    responses: list[Response], risky: list[int], therapist: Any, showcase: ClientProfile
) -> int:
    """The demo therapist gets one open alert to acknowledge: their client's latest PHQ-9 with item 9 above 0.

    If no such answer was simulated, one point of that client's latest PHQ-9 moves to item 9 (same total)."""
    own = [i for i in risky if responses[i].client.therapist_id == therapist.pk]
    if own:
        return max(own, key=lambda i: responses[i].due_date)
    candidates = [
        i
        for i, r in enumerate(responses)
        if r.client.therapist_id == therapist.pk
        and r.client is not showcase
        and r.instrument_version.instrument.key == "phq9"
        and r.status == Response.Status.COMPLETED
        and (r.total or 0) >= 5
    ]
    index = max(candidates, key=lambda i: responses[i].due_date)
    answers = dict(responses[index].answers)
    donor = max((k for k in answers if k != "phq9_9"), key=lambda k: answers[k])
    answers[donor] -= 1
    answers["phq9_9"] += 1
    responses[index].answers = answers
    risky.append(index)
    return index


def _alerts(created: list[Response], risky: list[int], open_index: int, now: dt.datetime) -> None:
    """Alerts for risk answers: acknowledged, except one for the demo therapist that waits for them."""
    alerts = []
    for n, index in enumerate(sorted(risky, key=lambda i: created[i].completed_at or now)):
        response = created[index]
        last = index == open_index
        alerts.append(
            RiskAlert(
                client=response.client,
                response=response,
                items={k: v for k, v in response.answers.items() if k == "phq9_9"},
                created_at=response.completed_at or now,
                acknowledged_at=None if last else (response.completed_at or now) + dt.timedelta(hours=3),
                acknowledged_by=None if last else response.client.therapist,
                action_note="" if last else ACK_NOTES[n % len(ACK_NOTES)],
            )
        )
    RiskAlert.objects.bulk_create(alerts)
