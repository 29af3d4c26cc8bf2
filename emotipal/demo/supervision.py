"""The demo's supervision: a supervisor linked to the demo therapists, a second rater for the first therapist,
guided-flow fields on the homework (more of the steps as the weeks go by, so the competence figures move),
and observer ratings by both raters on some of the first therapist's homework, so agreement (ICC) shows."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable

from emotipal.accounts.models import Clinic, Membership, Role, SupervisionLink, User
from emotipal.homework.models import Assignment, TherapistReview
from emotipal.supervision.models import ObserverRating

SUPERVISOR_EMAIL = "supervisor@demo.emotipal.invalid"
SECOND_RATER_EMAIL = "supervisor.b@demo.emotipal.invalid"
GUIDED_FIELDS = [
    "goal",
    "practice_time",
    "practice_place",
    "obstacles",
    "backup_plan",
    "confidence",
    "made_smaller",
    "rehearsed",
    "summary",
]
RATED_WORKS = 10


def store(
    clinic: Clinic,
    admin: User,
    therapists: list[User],
    make_user: Callable[[str, str], User],
    start: dt.date,
    today: dt.date,
    seed: int,
) -> User:
    rng = random.Random(seed)  # simulated data, not a secret  # nosec B311
    supervisor = make_user(SUPERVISOR_EMAIL, "Sam Supervisor (demo)")
    second = make_user(SECOND_RATER_EMAIL, "Kim Supervisor (demo)")
    for user in (supervisor, second):
        Membership.objects.create(user=user, clinic=clinic, role=Role.SUPERVISOR)
    SupervisionLink.objects.bulk_create(
        [
            SupervisionLink(clinic=clinic, supervisor=supervisor, therapist=t, created_by=admin)
            for t in therapists
        ]
        + [SupervisionLink(clinic=clinic, supervisor=second, therapist=therapists[0], created_by=admin)]
    )
    assignments = list(Assignment.objects.filter(client__clinic=clinic).order_by("start_date", "pk"))
    span = max(1, (today - start).days)
    skill = {t.pk: 0.35 + 0.2 * i for i, t in enumerate(therapists)}  # therapists differ
    for a in assignments:
        # Later homework is set with more of the steps: the supervisor sees the figures rise.
        level = min(0.95, skill.get(a.assigned_by_id, 0.5) * 0.6 + 0.5 * (a.start_date - start).days / span)
        _guide(a, level, rng)
    Assignment.objects.bulk_update(assignments, GUIDED_FIELDS)
    reviews = list(TherapistReview.objects.filter(assignment__client__clinic=clinic))
    for review in reviews:
        if rng.random() < 0.6:
            review.learned = "What helped, in the client's words."
        if rng.random() < 0.5:
            review.change_next = "Shorter, and at a set time."
        review.client_review_first = rng.random() < 0.5
    TherapistReview.objects.bulk_update(reviews, ["learned", "change_next", "client_review_first"])
    _ratings(clinic, therapists[0], [supervisor, second], assignments, rng)
    return supervisor


def _guide(a: Assignment, level: float, rng: random.Random) -> None:
    def step() -> bool:
        return rng.random() < level

    a.goal = "Feel able to do more of what matters" if step() else ""
    a.practice_time = dt.time(18, 0) if step() else None
    a.practice_place = "At home" if a.practice_time else ""
    a.obstacles = "Tired in the evening" if step() else ""
    a.backup_plan = "Do it the next morning instead" if a.obstacles and step() else ""
    a.confidence = rng.randint(4, 10) if step() else None
    a.made_smaller = bool(a.confidence is not None and a.confidence < 7 and step())
    a.rehearsed = step()
    a.summary = "What, when and where, agreed in session." if step() else ""


def _ratings(
    clinic: Clinic, therapist: User, raters: list[User], assignments: list[Assignment], rng: random.Random
) -> None:
    """Both raters on the therapist's latest homework: a shared view of the work plus each rater's noise."""
    works = [a for a in assignments if a.assigned_by_id == therapist.pk][-RATED_WORKS:]
    rows = []
    for a in works:
        true = {
            "review": rng.randint(0, 4),
            "design": min(
                4, (a.goal != "") + (a.rationale != "") + (a.practice_time is not None) + rng.randint(0, 1)
            ),
            "plan": min(
                4, (a.obstacles != "") + (a.backup_plan != "") + (a.confidence is not None) + a.rehearsed
            ),
        }
        for rater in raters:
            noisy = {k: max(0, min(4, v + rng.choice((-1, 0, 0, 0, 1)))) for k, v in true.items()}
            rows.append(
                ObserverRating(rater=rater, therapist=therapist, clinic=clinic, assignment=a, **noisy)
            )
    ObserverRating.objects.bulk_create(rows)
