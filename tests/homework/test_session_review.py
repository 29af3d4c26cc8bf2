"""Review in session (issue 12): the client's self-review first, a short therapist review with what was
learned and what to change, "next unreviewed" after saving, and the required ratings decided from the analysis."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from emotipal.accounts.services import create_api_token
from emotipal.analysis.compliance import load_dataset
from emotipal.homework import compliance, reviews
from emotipal.homework.competence import records_for_clients
from emotipal.homework.engagement_items import CLIENT_REQUIRED, ITEMS, KEYS, THERAPIST_REQUIRED
from emotipal.homework.models import Assignment, TherapistReview, TherapySession
from emotipal.homework.services import HomeworkError, assign_homework
from emotipal.research.export.build import build_export
from tests.factories import World, plan_for
from tests.research.experiment_factory import make_experiment, place_in_arm
from tests.research.export_world import build as build_export_world
from tests.research.study_factory import make_participant, make_study

SHORT = {"quantity": 3, "quality": 2, "mastery": 1}


def api_client(user: Any) -> Client:
    http = Client()
    http.defaults["HTTP_AUTHORIZATION"] = f"Bearer {create_api_token(user, 'test').secret}"
    return http


@pytest.fixture
def sessions(world: World) -> tuple[TherapySession, TherapySession]:
    today = timezone.localdate()
    first = reviews.record_session(world.therapist, world.client_a, today - dt.timedelta(days=7))
    second = reviews.record_session(world.therapist, world.client_a, today)
    return first, second


def set_in(world: World, session: TherapySession, version: Any = None) -> Assignment:
    return assign_homework(
        world.therapist,
        world.client_a,
        plan_for(
            version or world.thought_record,
            session=session,
            start_date=session.date,
            end_date=session.date + dt.timedelta(days=30),
        ),
    )


@pytest.fixture
def due(world: World, sessions: Any) -> Assignment:
    return set_in(world, sessions[0])


def self_review(world: World, assignment: Assignment, session: TherapySession) -> None:
    reviews.submit_self_review(
        world.client_a.user,
        assignment.pk,
        session.pk,
        reviews.SelfReviewInput(
            ratings={"quantity": 2, "quality": 3, "pleasure": 1},
            helpfulness=3,
            what_i_did="Three records after work",
            what_i_learned="The thought comes before the sinking feeling",
            what_got_in_way="Late meetings on Tuesday",
        ),
    )


def page_url(world: World, session: TherapySession) -> str:
    return f"/clients/{world.client_a.pk}/sessions/{session.pk}/"


def post_review(world: World, session: TherapySession, assignment: Assignment, **fields: str) -> Any:
    data = {"assignment": str(assignment.pk), **fields}
    return world.login(world.therapist).post(page_url(world, session), data)


# --- the required set -----------------------------------------------------------------------------------------


def test_the_required_sets_are_the_dimensions_the_analysis_reads() -> None:
    # quantity and quality feed the engagement figures and index; the therapist's mastery is the mediator.
    assert THERAPIST_REQUIRED == ("quantity", "quality", "mastery")
    assert CLIENT_REQUIRED == ("quantity", "quality")
    assert set(THERAPIST_REQUIRED) <= set(KEYS) and set(CLIENT_REQUIRED) <= set(KEYS)


def test_each_missing_required_rating_gets_its_own_message_and_nothing_is_stored(
    world: World, sessions: Any, due: Assignment
) -> None:
    with pytest.raises(HomeworkError) as caught:
        reviews.submit_therapist_review(
            world.therapist, due.pk, sessions[1].pk, reviews.TherapistReviewInput({"quality": 2})
        )
    assert caught.value.errors == {
        "quantity": "Please answer this one.",
        "mastery": "Please answer this one.",
    }
    assert not TherapistReview.objects.exists()
    response = post_review(world, sessions[1], due, **{"r.quantity": "3", "r.quality": "2"})
    assert response.status_code == 400
    assert response.content.decode().count("Please answer this one.") == 1  # mastery, next to its question
    assert not TherapistReview.objects.exists()


@pytest.mark.parametrize(
    ("ratings", "key"),
    [
        ({**SHORT, "difficulty": 5}, "difficulty"),
        ({**SHORT, "mastery": -1}, "mastery"),
        ({**SHORT, "pleasure": True}, "pleasure"),
        ({**SHORT, "mood": 2}, "mood"),
    ],
)
def test_bad_values_are_refused_and_nothing_is_stored(
    world: World, sessions: Any, due: Assignment, ratings: dict[str, Any], key: str
) -> None:
    with pytest.raises(HomeworkError) as caught:
        reviews.submit_therapist_review(
            world.therapist,
            due.pk,
            sessions[1].pk,
            reviews.TherapistReviewInput(ratings, learned="Something", change_next="Something else"),
        )
    assert list(caught.value.errors) == [key]
    assert not TherapistReview.objects.exists()
    assert due.barriers.filter(resolved_at__isnull=False).count() == 0


def test_too_long_learned_and_change_are_refused_by_field(
    world: World, sessions: Any, due: Assignment
) -> None:
    response = post_review(
        world,
        sessions[1],
        due,
        **{"r.quantity": "3", "r.quality": "2", "r.mastery": "1", "learned": "x" * 1001, "change_next": "ok"},
    )
    assert response.status_code == 400
    assert "Keep this to 1000 characters or fewer." in response.content.decode()
    assert "x" * 1001 in response.content.decode()  # what was typed is kept
    assert not TherapistReview.objects.exists()


def test_the_short_review_with_optional_ratings_is_stored_and_shown(
    world: World, sessions: Any, due: Assignment
) -> None:
    response = post_review(
        world,
        sessions[1],
        due,
        **{
            "r.quantity": "4",
            "r.quality": "3",
            "r.mastery": "2",
            "r.collaboration": "4",
            "learned": "Writing the thought down took its sting out",
            "change_next": "Do it straight after the commute, five minutes",
        },
    )
    assert response.status_code == 302
    review = TherapistReview.objects.get()
    assert review.ratings == {"quantity": 4, "quality": 3, "mastery": 2, "collaboration": 4}
    assert review.learned == "Writing the thought down took its sting out"
    assert review.change_next == "Do it straight after the commute, five minutes"
    assert review.client_review_first is False  # there was no self-review to show
    page = world.login(world.therapist).get(page_url(world, sessions[1])).content.decode()
    assert "Writing the thought down took its sting out" in page
    assert "Do it straight after the commute, five minutes" in page
    assert "4 · Done as planned or more" in page  # the therapist's own anchors
    assert "Save review" not in page


def test_the_page_asks_the_few_first_and_folds_the_rest(world: World, sessions: Any, due: Assignment) -> None:
    page = world.login(world.therapist).get(page_url(world, sessions[1])).content.decode()
    before, _, after = page.partition("More ratings")
    for key in THERAPIST_REQUIRED:
        assert f'name="r.{key}"' in before
    for key in set(KEYS) - set(THERAPIST_REQUIRED):
        assert f'name="r.{key}"' in after and f'name="r.{key}"' not in before
    assert "0 = Not done at all" in before and "4 = Done as planned or more" in before
    assert 'name="learned"' in before and 'name="change_next"' in before


def test_client_and_therapist_anchors_speak_for_the_one_answering() -> None:
    quantity = next(i for i in ITEMS if i.key == "quantity")
    assert str(quantity.anchors_for("client")[0]) == "I did none of it"
    assert str(quantity.anchors_for("therapist")[4]) == "Done as planned or more"
    for item in ITEMS:
        assert "me" not in str(item.anchors_for("therapist")[-1]).split()


# --- the client's review first --------------------------------------------------------------------------------


def test_the_self_review_comes_first_and_is_recorded_as_shown_first(
    world: World, sessions: Any, due: Assignment
) -> None:
    self_review(world, due, sessions[1])
    page = world.login(world.therapist).get(page_url(world, sessions[1])).content.decode()
    for shown in (
        "Three records after work",
        "The thought comes before",
        "Late meetings on Tuesday",
        "3 / 4",
    ):
        assert page.index(shown) < page.index("Your review")
    assert "1 · A little" in page  # the optional rating the client gave, shown plainly with the rest
    assert 'name="client_review_first" value="1"' in page
    post_review(
        world,
        sessions[1],
        due,
        **{"r.quantity": "2", "r.quality": "3", "r.mastery": "2", "client_review_first": "1"},
    )
    assert TherapistReview.objects.get().client_review_first is True


def test_in_a_therapist_led_arm_the_self_review_comes_after_and_is_not_recorded_first(
    world: World, sessions: Any, due: Assignment
) -> None:
    study = make_study(world)
    experiment = make_experiment(
        study, arms=[("therapist", {"review_lead": {"lead": "therapist"}})], slug="review-lead"
    )
    place_in_arm(experiment, make_participant(world, study, world.client_a), "therapist")
    self_review(world, due, sessions[1])  # written anyway, through the page's address
    page = world.login(world.therapist).get(page_url(world, sessions[1])).content.decode()
    assert page.index("Your review") < page.index("Three records after work")
    assert 'name="client_review_first"' not in page
    post_review(world, sessions[1], due, **{"r.quantity": "2", "r.quality": "3", "r.mastery": "2"})
    assert TherapistReview.objects.get().client_review_first is False


def test_the_api_takes_client_review_first_defaulting_to_whether_a_self_review_exists(
    world: World, sessions: Any, due: Assignment
) -> None:
    other = set_in(world, sessions[0], world.exposure)
    self_review(world, due, sessions[1])
    http = api_client(world.therapist)

    def send(assignment: Assignment, **body: Any) -> Any:
        return http.post(
            f"/api/v1/assignments/{assignment.pk}/therapist-reviews",
            {"session_id": sessions[1].pk, **body},
            content_type="application/json",
        )

    refused = send(other, ratings={"quality": 9}, client_review_first=True, learned="x" * 1001)
    assert refused.status_code == 422
    assert refused.json()["errors"] == {
        "quality": "Choose a rating from 0 to 4.",
        "quantity": "Please answer this one.",
        "mastery": "Please answer this one.",
        "learned": "Keep this to 1000 characters or fewer.",
        "client_review_first": "The client has not reviewed this homework for this session.",
    }
    assert not TherapistReview.objects.exists()
    made = send(due, ratings=SHORT, learned="Pausing helps", change_next="Evenings instead")
    assert made.status_code == 201
    body = made.json()
    assert body["client_review_first"] is True and body["learned"] == "Pausing helps"
    assert body["change_next"] == "Evenings instead" and body["ratings"] == SHORT
    plain = send(other, ratings={**SHORT, "difficulty": None})
    assert plain.status_code == 201 and plain.json()["client_review_first"] is False
    items = http.get("/api/v1/engagement-items").json()
    assert [i["key"] for i in items if i["required_therapist"]] == list(THERAPIST_REQUIRED)
    assert next(i for i in items if i["key"] == "quantity")["therapist_anchors"][0] == "Not done at all"


# --- next unreviewed ------------------------------------------------------------------------------------------


def test_saving_goes_to_the_next_unreviewed_then_back_to_the_client(
    world: World, sessions: Any, due: Assignment
) -> None:
    other = set_in(world, sessions[0], world.exposure)
    ratings = {"r.quantity": "2", "r.quality": "2", "r.mastery": "2"}
    first = post_review(world, sessions[1], due, **ratings)
    assert first.status_code == 302
    assert first["Location"] == f"{page_url(world, sessions[1])}#review-{other.pk}"
    page = world.login(world.therapist).get(page_url(world, sessions[1])).content.decode()
    assert "1 homework still to review." in page and "Next to review" in page
    last = world.login(world.therapist).post(
        page_url(world, sessions[1]), {"assignment": str(other.pk), **ratings}, follow=True
    )
    assert last.redirect_chain[-1][0] == f"/clients/{world.client_a.pk}/"
    assert "All homework for session 2 reviewed." in last.content.decode()


def test_next_unreviewed_wraps_round_to_an_earlier_one(world: World, sessions: Any, due: Assignment) -> None:
    other = set_in(world, sessions[0], world.exposure)
    reviews.submit_therapist_review(world.therapist, other.pk, sessions[1].pk, SHORT)
    assert reviews.next_unreviewed(world.client_a, sessions[1], after=other.pk) == due
    assert reviews.next_unreviewed(world.client_a, sessions[1], after=due.pk) == due
    reviews.submit_therapist_review(world.therapist, due.pk, sessions[1].pk, SHORT)
    assert reviews.next_unreviewed(world.client_a, sessions[1]) is None


# --- queries, competence, analysis and exports ----------------------------------------------------------------


def test_the_page_queries_do_not_grow_with_the_homework(
    world: World, sessions: Any, django_assert_max_num_queries: Any
) -> None:
    http = world.login(world.therapist)
    first = set_in(world, sessions[0])
    self_review(world, first, sessions[1])
    http.get(page_url(world, sessions[1]))  # warm the caches (library, features)
    with django_assert_max_num_queries(25) as one:
        http.get(page_url(world, sessions[1]))
    for version in (world.exposure, world.thought_record, world.exposure):
        assignment = set_in(world, sessions[0], version)
        self_review(world, assignment, sessions[1])
    reviews.submit_therapist_review(world.therapist, first.pk, sessions[1].pk, SHORT)
    with django_assert_max_num_queries(len(one.captured_queries)) as four:
        response = http.get(page_url(world, sessions[1]))
    assert response.content.decode().count("Save review") == 3
    assert len(four.captured_queries) <= len(one.captured_queries)


def test_competence_records_read_a_review_made_on_the_page(
    world: World, sessions: Any, due: Assignment
) -> None:
    self_review(world, due, sessions[1])
    post_review(
        world,
        sessions[1],
        due,
        **{
            "r.quantity": "3",
            "r.quality": "3",
            "r.mastery": "2",
            "client_review_first": "1",
            "learned": "Noticing the thought early helps",
            "change_next": "Keep it, and add one on Sunday",
        },
    )
    next_homework = set_in(world, sessions[1], world.exposure)  # set in the session the review was made in
    record = next(r for r in records_for_clients([world.client_a.pk]) if r.assignment_id == next_homework.pk)
    assert {"review_done", "client_view_first", "learning_noted", "change_noted"} <= record.done
    assert not record.not_applicable & {"review_done", "client_view_first"}


def test_figures_and_exports_take_a_review_without_the_optional_ratings(world: World, tmp_path: Path) -> None:
    ew = build_export_world(world)  # its therapist review gives only quantity, quality and mastery
    build_export(ew.study, tmp_path)
    with (tmp_path / "therapist_reviews.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert rows and all(row["difficulty"] == "" and row["pleasure"] == "" for row in rows)
    assert {row["mastery"] for row in rows} == {"2"}
    data = load_dataset(tmp_path)
    mastery = [v for c in data.clients for v in c.therapist_mastery]
    assert len(mastery) == len(rows) and set(mastery) == {2.0}  # one mediator value per review
    rec = compliance.gather([world.client_a])[world.client_a.pk]
    today = timezone.localdate()
    figures = {
        f.measure: f
        for f in compliance.figures(rec, start=today - dt.timedelta(days=30), end=today, now=timezone.now())
        if f.timing == "contemporaneous"
    }
    assert figures["therapist_quantity"].value == 2
