"""API operations for sessions, reviews, barriers, retroactive ratings and compliance figures (issue 3)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from ninja import Field, Router, Schema, Status
from ninja.errors import HttpError

from emotipal.accounts import access
from emotipal.analysis import engagement as eng
from emotipal.homework import compliance, reviews
from emotipal.homework.barriers import BARRIERS, STRATEGIES
from emotipal.homework.engagement_items import CLIENT_REQUIRED, ITEMS, THERAPIST_REQUIRED
from emotipal.platform import clock
from emotipal.platform.api import ErrorOut

router = Router()


class SessionIn(Schema):
    date: dt.date
    number: int | None = None


class SessionOut(Schema):
    id: int
    number: int
    date: dt.date


class SelfReviewIn(Schema):
    session_id: int
    ratings: dict[str, int | None]
    helpfulness: int | None = None
    what_i_did: str = ""
    what_i_learned: str = ""
    what_got_in_way: str = ""


class TherapistReviewIn(Schema):
    session_id: int
    ratings: dict[str, int | None] = Field(
        ..., description="0-4 per dimension; needed: " + ", ".join(THERAPIST_REQUIRED) + "; the rest optional"
    )
    note: str = ""
    learned: str = Field("", description="What the client learned from doing it (or not)")
    change_next: str = Field("", description="What to keep or change next time")
    client_review_first: bool | None = Field(
        None, description="Whether the client's self-review was looked at first; default: whether one exists"
    )


class ReviewOut(Schema):
    id: int
    assignment_id: int
    session_id: int
    ratings: dict[str, int]
    at: dt.datetime


class TherapistReviewOut(ReviewOut):
    note: str
    learned: str
    change_next: str
    client_review_first: bool


class BarrierIn(Schema):
    day: dt.date
    barrier: str = Field(..., description=", ".join(BARRIERS))
    detail: str = ""
    strategy: str | None = Field(None, description=", ".join(STRATEGIES))


class StrategyIn(Schema):
    strategy: str


class BarrierOut(Schema):
    id: int
    assignment_id: int
    day: dt.date
    barrier: str
    strategy: str
    resolved_at: dt.datetime | None


class RetroIn(Schema):
    quantity: int
    quality: int
    note: str = ""


class RetroOut(Schema):
    rater_role: str
    quantity: int
    quality: int
    created_at: dt.datetime


class FigureOut(Schema):
    measure: str
    label: str
    source: str
    type: str
    timing: str
    value: float | None
    unit: str
    n: int
    period: str
    period_start: dt.date
    period_end: dt.date
    assignment_id: int | None


class IndexPartOut(Schema):
    name: str
    description: str
    weight: float
    used_weight: float
    value: float | None


class ComplianceOut(Schema):
    figures: list[FigureOut]
    engagement_index: float | None
    index_components: list[IndexPartOut]


class ItemOut(Schema):
    key: str
    client: str
    therapist: str
    anchors: list[str]
    therapist_anchors: list[str]
    required_client: bool
    required_therapist: bool


def _clinician(request: HttpRequest) -> None:
    if not access.is_clinician(request.user):
        raise HttpError(403, "Your role does not allow this.")


@router.get("/engagement-items", response=list[ItemOut], tags=["review"])
def engagement_items(request: HttpRequest) -> list[dict[str, Any]]:
    return [
        {
            "key": i.key,
            "client": str(i.client),
            "therapist": str(i.therapist),
            "anchors": [str(a) for a in i.anchors],
            "therapist_anchors": [str(a) for a in i.anchors_for("therapist")],
            "required_client": i.key in CLIENT_REQUIRED,
            "required_therapist": i.key in THERAPIST_REQUIRED,
        }
        for i in ITEMS
    ]


@router.get("/clients/{client_id}/sessions", response=list[SessionOut], tags=["therapist"])
def list_sessions(request: HttpRequest, client_id: int) -> Any:
    _clinician(request)
    return access.read_client(request.user, client_id, "api.sessions").sessions.order_by("number")


@router.post("/clients/{client_id}/sessions", response={201: SessionOut}, tags=["therapist"])
def create_session(request: HttpRequest, client_id: int, payload: SessionIn) -> Any:
    _clinician(request)
    client = access.get_visible_client(request.user, client_id)
    return Status(201, reviews.record_session(request.user, client, payload.date, payload.number))


@router.post("/assignments/{assignment_id}/self-reviews", response={201: ReviewOut}, tags=["client"])
def create_self_review(request: HttpRequest, assignment_id: int, payload: SelfReviewIn) -> Any:
    review = reviews.submit_self_review(
        request.user,
        assignment_id,
        payload.session_id,
        reviews.SelfReviewInput(
            ratings=payload.ratings,
            helpfulness=payload.helpfulness,
            what_i_did=payload.what_i_did,
            what_i_learned=payload.what_i_learned,
            what_got_in_way=payload.what_got_in_way,
        ),
    )
    return Status(201, {**_review(review), "at": review.created_at})


@router.post(
    "/assignments/{assignment_id}/therapist-reviews", response={201: TherapistReviewOut}, tags=["therapist"]
)
def create_therapist_review(request: HttpRequest, assignment_id: int, payload: TherapistReviewIn) -> Any:
    _clinician(request)
    data = reviews.TherapistReviewInput(
        ratings=payload.ratings,
        note=payload.note,
        learned=payload.learned,
        change_next=payload.change_next,
        client_review_first=payload.client_review_first,
    )
    review = reviews.submit_therapist_review(request.user, assignment_id, payload.session_id, data)
    return Status(
        201,
        {
            **_review(review),
            "at": review.reviewed_at,
            "note": review.note,
            "learned": review.learned,
            "change_next": review.change_next,
            "client_review_first": review.client_review_first,
        },
    )


def _review(review: Any) -> dict[str, Any]:
    return {
        "id": review.pk,
        "assignment_id": review.assignment_id,
        "session_id": review.session_id,
        "ratings": review.ratings,
    }


@router.post("/assignments/{assignment_id}/barriers", response={201: BarrierOut}, tags=["client"])
def create_barrier(request: HttpRequest, assignment_id: int, payload: BarrierIn) -> Any:
    barrier = reviews.report_barrier(
        request.user, assignment_id, payload.day, payload.barrier, payload.detail
    )
    if payload.strategy:
        barrier = reviews.choose_strategy(request.user, barrier.pk, payload.strategy)
    return Status(201, barrier)


@router.put("/barriers/{barrier_id}/strategy", response=BarrierOut, tags=["client"])
def set_strategy(request: HttpRequest, barrier_id: int, payload: StrategyIn) -> Any:
    return reviews.choose_strategy(request.user, barrier_id, payload.strategy)


@router.get("/clients/{client_id}/barriers", response=list[BarrierOut], tags=["therapist"])
def client_barriers(request: HttpRequest, client_id: int) -> Any:
    _clinician(request)
    return access.read_client(request.user, client_id, "api.barriers").barriers.all()[:500]


@router.post("/clients/{client_id}/retroactive", response={201: RetroOut}, tags=["therapist"])
def therapist_retro(request: HttpRequest, client_id: int, payload: RetroIn) -> Any:
    _clinician(request)
    client = access.get_visible_client(request.user, client_id)
    return Status(
        201, reviews.rate_retroactively(request.user, client, payload.quantity, payload.quality, payload.note)
    )


# 404 on the /me operations: the caller is not a client (access.own_client_profile).
@router.post("/me/retroactive", response={201: RetroOut, 404: ErrorOut}, tags=["client"])
def client_retro(request: HttpRequest, payload: RetroIn) -> Any:
    client = access.own_client_profile(request.user)
    return Status(
        201, reviews.rate_retroactively(request.user, client, payload.quantity, payload.quality, payload.note)
    )


def _compliance(client: Any, period: str) -> dict[str, Any]:
    now = clock.now()
    rec = compliance.gather([client], now=now)[client.pk]
    today = rec.today  # the client's own date
    start = compliance.treatment_start(rec) or today
    if period == "week":
        figures = compliance.figures(
            rec, start=today - dt.timedelta(days=today.weekday()), end=today, now=now, period="week"
        )
    elif period == "treatment":
        figures = compliance.figures(rec, start=start, end=today, now=now)
    else:
        raise HttpError(422, "period must be 'treatment' or 'week'")
    index = eng.engagement_index(figures)
    return {
        "figures": figures,
        "engagement_index": index.value,
        "index_components": index.components,
    }


@router.get("/clients/{client_id}/compliance", response=ComplianceOut, tags=["therapist"])
def client_compliance(request: HttpRequest, client_id: int, period: str = "treatment") -> dict[str, Any]:
    _clinician(request)
    return _compliance(access.read_client(request.user, client_id, "api.compliance"), period)


@router.get("/me/compliance", response={200: ComplianceOut, 404: ErrorOut}, tags=["client"])
def my_compliance(request: HttpRequest, period: str = "treatment") -> dict[str, Any]:
    return _compliance(access.own_client_profile(request.user), period)
