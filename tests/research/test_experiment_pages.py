"""The experiment pages: the draft form (methods, parameters, arms' feature settings, REDCap table in and
out, bad input next to its field), the experiment page (counts, concealment, start problems, try again),
the allocation log's download and replay by the roles allowed, and who sees a participant's arm."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from emotipal.analysis.trials import allocation as engine
from emotipal.platform.audit.models import AuditEvent
from emotipal.research.actions import experiments as actions
from emotipal.research.models import (
    Allocation,
    DecisionPoint,
    Experiment,
    ExperimentState,
    ParticipantAllocation,
    StudyRole,
)
from tests.factories import World
from tests.research.consent_helpers import answer, signed
from tests.research.experiment_factory import make_experiment, place_in_arm
from tests.research.study_factory import make_participant, make_study
from tests.research.team_factory import join, researcher_at

pytestmark = pytest.mark.django_db

DEFAULTS = {
    "feature_reminders_enabled": True,
    "feature_reminders_time": "",
    "feature_reminders_wording": "standard",
    "feature_review_lead_lead": "client",
    "feature_rationale_framing_framing": "self",
    "feature_rewards_streaks": False,
    "feature_progress_feedback_enabled": False,
}


def arm(key: str, name: str, ratio: int = 1, **features: Any) -> dict[str, Any]:
    return {"key": key, "name": name, "description": "", "ratio": ratio, **DEFAULTS, **features}


ARMS = [arm("on", "Reminders on"), arm("off", "Reminders off", feature_reminders_enabled=False)]


def form_data(arms: list[dict[str, Any]] | None = None, **fields: Any) -> dict[str, Any]:
    """A filled-in experiment form as the browser posts it (an unticked checkbox is not sent)."""
    values: dict[str, Any] = {
        "title": "Reminders on or off",
        "question": "Do reminders help people practise?",
        "kind": "parallel",
        "unit": "client",
        "method": "blocks",
        "block_multiples": "1, 2",
        "imbalance": "range",
        "p_best": "0.8",
        "weight_site": "1",
        "weight_phq9_band": "1",
        "weight_language": "1",
        "primary_outcomes": ["objective_percentage"],
        "secondary_outcomes": ["phq9_change"],
        "mrt_probability": "0.6",
        "mrt_window_minutes": "120",
        **fields,
    }
    arms = ARMS if arms is None else arms
    values.update(
        {
            "arm-TOTAL_FORMS": len(arms) + 1,
            "arm-INITIAL_FORMS": 0,
            "arm-MIN_NUM_FORMS": 0,
            "arm-MAX_NUM_FORMS": 8,
        }
    )
    blank = arm("", "")
    for i, row in enumerate([*arms, blank]):
        for name, value in row.items():
            if value is True:
                values[f"arm-{i}-{name}"] = "on"
            elif value is not False:
                values[f"arm-{i}-{name}"] = value
    return {k: v for k, v in values.items() if v is not False}


def new_url(study: Any) -> str:
    return f"/research/studies/{study.slug}/experiments/new/"


def page_url(experiment: Experiment, rest: str = "") -> str:
    return f"/research/studies/{experiment.study.slug}/experiments/{experiment.pk}/{rest}"


def statistician(world: World, study: Any) -> Any:
    user = researcher_at(world.clinic, "statistician@example.org", "Sam Statistician")
    join(study, user, StudyRole.STATISTICIAN)
    return user


# --- the form --------------------------------------------------------------------------------------------


def test_a_researcher_creates_a_minimisation_experiment_with_feature_settings(world: World) -> None:
    study = make_study(world)
    data = form_data(
        [
            arm("on", "Reminders at six", feature_reminders_time="18:00", feature_reminders_wording="brief"),
            arm("off", "No reminders", ratio=2, feature_reminders_enabled=False),
        ],
        method="minimisation",
        factors=["site", "language"],
        weight_site="2",
        p_best="0.9",
        imbalance="variance",
        open_design="on",
    )
    response = world.login(world.researcher).post(new_url(study), data)
    assert response.status_code == 302, response.content.decode()[:3000]
    experiment = Experiment.objects.get(study=study)
    assert response["Location"] == page_url(experiment)
    assert experiment.method == "minimisation" and experiment.state == ExperimentState.DRAFT
    assert experiment.design == {
        "factors": ["site", "language"],
        "weights": {"site": 2.0, "language": 1.0},
        "imbalance": "variance",
        "p_best": 0.9,
    }
    assert experiment.open_design and experiment.primary_outcomes == ["objective_percentage"]
    on, off = experiment.arms.order_by("position")
    # only the feature the experiment varies is stored, with every parameter
    assert on.features == {"reminders": {"enabled": True, "time": "18:00", "wording": "brief"}}
    assert off.features == {"reminders": {"enabled": False, "time": "", "wording": "standard"}}
    assert off.ratio == 2
    assert AuditEvent.objects.filter(action="research.experiment.created", actor=world.researcher).exists()


def test_the_form_shows_feature_settings_as_fields_not_json(world: World) -> None:
    study = make_study(world)
    response = world.login(world.researcher).get(new_url(study))
    html = response.content.decode()
    assert response.status_code == 200
    assert 'type="time" name="arm-0-feature_reminders_time"' in html
    assert 'type="checkbox" name="arm-0-feature_rewards_streaks"' in html
    assert '<select name="arm-1-feature_review_lead_lead"' in html
    assert 'value="objective_percentage"' in html and 'value="phq9_weekly"' in html


BAD_INPUT: list[tuple[dict[str, Any], Any, str | None, str]] = [
    ({"method": "minimisation", "factors": ["site"], "p_best": "0.5"}, None, "p_best", "above 0.5"),
    ({"method": "minimisation", "factors": ["site"], "p_best": "1.2"}, None, "p_best", "above 0.5"),
    ({"method": "minimisation", "factors": ["site"], "weight_site": "0"}, None, "weight_site", "above 0"),
    ({"method": "stratified"}, None, "factors", "at least one factor"),
    ({"block_multiples": "two"}, None, "block_multiples", "whole numbers"),
    ({"kind": "mrt", "mrt_probability": "1"}, [], "mrt_probability", "between 0 and 1"),
    ({"kind": "mrt", "mrt_probability": "3:0.5, 10:0.4"}, [], "mrt_probability", "day 0"),
    ({"kind": "mrt", "mrt_window_minutes": "2"}, [], "mrt_window_minutes", "greater than or equal to 5"),
    ({"method": "table"}, None, "table_file", "Upload"),
    ({}, [arm("on", "A"), arm("on", "B")], "arm-1-key", "Two arms"),
    ({}, [arm("On Arm", "A"), arm("off", "B")], "arm-0-key", "lower-case"),
    (
        {},
        [arm("on", "A"), arm("off", "B", feature_reminders_time="25:00")],
        "arm-1-feature_reminders_time",
        "valid time",
    ),
    ({}, [arm("on", "A")], None, "at least two arms"),
]


def test_bad_input_is_shown_next_to_its_field_and_nothing_is_saved(world: World) -> None:
    study = make_study(world)
    http = world.login(world.researcher)
    for fields, arms, where, words in BAD_INPUT:
        response = http.post(new_url(study), form_data(arms, **fields))
        assert response.status_code == 200, fields
        html = response.content.decode()
        if where is None:
            assert 'class="msg msg-error"' in html and words in html
        else:
            error = html.split(f'id="id_{where}-error"', 1)
            assert len(error) == 2, f"no error next to {where}"
            assert words in error[1].split("</p>", 1)[0], (where, error[1][:200])
    assert not Experiment.objects.filter(study=study).exists()


def test_an_mrt_with_a_schedule_is_saved_and_its_page_counts_decision_points(world: World) -> None:
    study = make_study(world)
    http = world.login(world.researcher)
    data = form_data([], kind="mrt", mrt_probability="0:0.7, 14:0.5", mrt_window_minutes="90")
    assert http.post(new_url(study), data).status_code == 302
    experiment = Experiment.objects.get(study=study)
    assert experiment.mrt_probability == {"schedule": [[0, 0.7], [14, 0.5]]}
    assert experiment.mrt_window_minutes == 90
    participant = make_participant(world, study)
    now = timezone.now()
    for day, (available, treated, outcome) in enumerate(
        [(True, True, True), (True, False, None), (False, False, None)]
    ):
        DecisionPoint.objects.create(
            experiment=experiment,
            participant=participant,
            day=now.date() - timezone.timedelta(days=day),
            at=now,
            available=available,
            probability=0.7 if available else None,
            treated=treated,
            window_minutes=90,
            outcome=outcome,
        )
    html = http.get(page_url(experiment)).content.decode()
    counts = html.split("Decision points</h2>", 1)[1].split("</section>", 1)[0]
    assert [part.split("</dd>")[0] for part in counts.split("<dd>")[1:]] == ["1", "3", "2", "1", "1"]
    assert "0:0.7, 14:0.5" in html


def test_a_redcap_table_is_uploaded_as_the_design_and_its_strata_as_factors(world: World) -> None:
    study = make_study(world)
    table = "redcap_randomization_group,site\n1,clinic-a\n2,clinic-a\n2,clinic-b\n1,clinic-b\n"
    data = form_data(method="table", table_file=SimpleUploadedFile("table.csv", table.encode(), "text/csv"))
    response = world.login(world.researcher).post(new_url(study), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    experiment = Experiment.objects.get(study=study)
    assert experiment.design["factors"] == ["site"]
    assert experiment.design["table"][:2] == [
        {"group": "on", "strata": {"site": "clinic-a"}},
        {"group": "off", "strata": {"site": "clinic-a"}},
    ]
    # the page says how many rows, never which arm each row gives
    html = world.login(world.researcher).get(page_url(experiment)).content.decode()
    assert "4 rows" in html and "clinic-b" not in html


def test_a_bad_redcap_table_is_refused_next_to_the_upload(world: World) -> None:
    study = make_study(world)
    http = world.login(world.researcher)
    for table, words in [
        ("group,site\n1,a\n", "redcap_randomization_group"),
        ("redcap_randomization_group,site\n3,a\n", "use 1 to 2"),
        ("redcap_randomization_group,country\n1,a\n2,a\n", "country"),
        ("redcap_randomization_group,site\n1,a\n2\n", "Line 3"),
    ]:
        upload = SimpleUploadedFile("t.csv", table.encode(), "text/csv")
        html = http.post(new_url(study), form_data(method="table", table_file=upload)).content.decode()
        assert words in html.split('id="id_table_file-error"', 1)[1].split("</p>", 1)[0], table
    assert not Experiment.objects.exists()


def test_the_statistician_downloads_a_redcap_table_for_each_stratum(world: World) -> None:
    study = make_study(world)
    experiment = make_experiment(study, design={"factors": ["site", "language"]}, method="stratified")
    user = statistician(world, study)
    response = world.login(user).get(page_url(experiment, "redcap-table.csv?per_stratum=6"))
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    strata = {(r["site"], r["language"]) for r in rows}
    assert ("clinic-a" if world.clinic.slug == "clinic-a" else world.clinic.slug, "en") in strata
    assert len(rows) == 6 * len(strata) and {r["redcap_randomization_group"] for r in rows} == {"1", "2"}
    assert AuditEvent.objects.filter(action="read.research.allocation_table", actor=user).exists()
    # the investigator, who recruits, does not get a sequence while the experiment runs
    assert (
        world.login(world.researcher).get(page_url(experiment, "redcap-table.csv?per_stratum=6")).status_code
        == 403
    )
    bad = world.login(user).get(page_url(experiment, "redcap-table.csv?per_stratum=0"), follow=True)
    assert b"greater than or equal to 1" in bad.content


# --- edit, versions, start, stop -------------------------------------------------------------------------


def test_a_draft_is_edited_until_someone_is_allocated_then_a_new_version_is_offered(world: World) -> None:
    study = make_study(world)
    http = world.login(world.researcher)
    http.post(new_url(study), form_data())
    experiment = Experiment.objects.get(study=study)
    edit = page_url(experiment, "edit/")
    page = http.get(edit).content.decode()
    assert 'value="Reminders on or off"' in page and 'value="off"' in page
    data = form_data(title="Reminders, edited")
    data["arm-INITIAL_FORMS"] = 2
    assert http.post(edit, data).status_code == 302
    experiment.refresh_from_db()
    assert experiment.title == "Reminders, edited"
    assert list(experiment.arms.values_list("key", flat=True)) == ["on", "off"]

    actions.start(world.researcher, experiment)
    signed(world, study)
    experiment.refresh_from_db()
    assert experiment.allocations.count() == 1
    refused = http.get(edit)
    assert b"cannot change. Make a new version." in refused.content and b"new-version/" in refused.content
    posted = http.post(edit, form_data(title="Changed again"))
    assert posted.status_code == 409
    experiment.refresh_from_db()
    assert experiment.title == "Reminders, edited"

    made = http.post(page_url(experiment, "new-version/"))
    copy = Experiment.objects.get(replaces=experiment)
    assert made["Location"] == page_url(copy) and copy.version == 2 and copy.state == ExperimentState.DRAFT
    experiment.refresh_from_db()
    assert experiment.state == ExperimentState.STOPPED


def test_start_shows_the_problems_of_those_it_could_not_allocate_and_try_again_uses_the_method(
    world: World,
) -> None:
    study = make_study(world)
    experiment = make_experiment(
        study, state=ExperimentState.DRAFT, method="stratified", design={"factors": ["phq9_band"]}
    )
    participant, _record = signed(world, study)
    http = world.login(world.researcher)
    started = http.post(page_url(experiment, "start/"), follow=True).content.decode()
    assert "The experiment is running" in started
    assert "their baseline PHQ-9 band is not known" in started
    page = http.get(page_url(experiment)).content.decode()
    assert "Enrolled, not allocated" in page and "Their baseline PHQ-9 band is not known yet." in page

    answer(world, world.client_a, "phq9", 1)
    again = http.post(page_url(experiment, "allocate/"), follow=True).content.decode()
    assert "1 allocated by the method" in again
    link = ParticipantAllocation.objects.get(participant=participant, experiment=experiment)
    assert link.allocation.trigger == "try again" and link.allocation.inputs == {
        "phq9_band": "Mild"
    }  # 8 of 27
    assert "Nobody is waiting." in http.get(page_url(experiment)).content.decode()

    stopped = http.post(page_url(experiment, "stop/"), follow=True).content.decode()
    assert "has stopped" in stopped
    experiment.refresh_from_db()
    assert experiment.state == ExperimentState.STOPPED


def test_the_statistician_reads_but_does_not_manage(world: World) -> None:
    study = make_study(world)
    experiment = make_experiment(study, state=ExperimentState.DRAFT)
    http = world.login(statistician(world, study))
    page = http.get(page_url(experiment)).content.decode()
    assert "start/" not in page and "edit/" not in page
    assert http.post(page_url(experiment, "start/")).status_code == 404
    assert http.get(new_url(study)).status_code == 404
    experiment.refresh_from_db()
    assert experiment.state == ExperimentState.DRAFT


# --- concealment and the allocation log ------------------------------------------------------------------


def test_the_page_counts_arms_and_never_shows_the_state_the_seed_or_what_comes_next(world: World) -> None:
    study = make_study(world)
    experiment = make_experiment(study, state=ExperimentState.DRAFT)
    actions.start(world.researcher, experiment)
    signed(world, study)
    experiment.refresh_from_db()
    arm = Allocation.objects.get(experiment=experiment).arm
    state = experiment.allocation_state
    assert state["strata"]  # a block is in progress: its rest would tell the next arm
    for user in (world.researcher, statistician(world, study)):
        html = world.login(user).get(page_url(experiment)).content.decode()
        assert "1 participant allocated so far" in html
        section = html.split(f"<code>{arm.key}</code>", 1)[1].split("</div>", 1)[0]
        assert "1 allocated" in section
        assert str(experiment.seed) not in html
        assert "blocks_started" not in html and json.dumps(state["strata"])[:20] not in html
        assert "next arm" not in html.lower().replace("which arm comes next is never shown", "")
    api = world.login(world.researcher).get(
        f"/api/v1/research/studies/{study.slug}/experiments/{experiment.pk}"
    )
    assert str(experiment.seed) not in api.content.decode() and "blocks_started" not in api.content.decode()


def test_the_statistician_downloads_and_replays_the_log_and_the_download_is_audited(world: World) -> None:
    study = make_study(world)
    experiment = make_experiment(study, state=ExperimentState.DRAFT)
    actions.start(world.researcher, experiment)
    signed(world, study)
    signed(world, study, world.client_b)
    user = statistician(world, study)
    http = world.login(user)
    response = http.get(page_url(experiment, "allocation-log.json"))
    assert response.status_code == 200 and "attachment" in response["Content-Disposition"]
    document = json.loads(response.content)
    assert engine.replay_document(document).ok
    assert [e["arm"] for e in document["entries"]] == list(
        Allocation.objects.filter(experiment=experiment)
        .order_by("sequence")
        .values_list("arm__key", flat=True)
    )
    assert all(e["unit"].startswith("C-") for e in document["entries"])
    assert "client:" not in response.content.decode()
    assert AuditEvent.objects.filter(action="read.research.allocation_log", actor=user).count() == 1
    named = set(
        AuditEvent.objects.filter(action="read.research.participants", actor=user).values_list(
            "subject_user_id", flat=True
        )
    )
    assert named == {world.client_a.user_id, world.client_b.user_id}

    replayed = http.get(page_url(experiment, "replay/"), HTTP_HX_REQUEST="true").content.decode()
    assert "The log replays." in replayed and "All 2 allocations" in replayed
    assert "<html" not in replayed  # htmx gets the fragment


def test_the_investigator_gets_the_log_only_once_stopped_and_other_researchers_never(world: World) -> None:
    study = make_study(world)
    experiment = make_experiment(study, state=ExperimentState.DRAFT)
    actions.start(world.researcher, experiment)
    signed(world, study)
    colleague = researcher_at(world.clinic, "researcher.b@example.org", "Rob Researcher")
    join(study, colleague, StudyRole.RESEARCHER)
    log = page_url(experiment, "allocation-log.json")
    investigator = world.login(world.researcher)
    assert investigator.get(log).status_code == 403
    assert "allocation-log.json" not in investigator.get(page_url(experiment)).content.decode()
    assert investigator.get(page_url(experiment, "replay/")).status_code == 200
    assert world.login(colleague).get(log).status_code == 403
    assert world.login(colleague).get(page_url(experiment, "replay/")).status_code == 403
    actions.stop(world.researcher, experiment)
    assert investigator.get(log).status_code == 200
    assert world.login(colleague).get(log).status_code == 403


def test_a_tampered_log_replay_says_where_it_diverges(world: World) -> None:
    study = make_study(world)
    experiment = make_experiment(study, state=ExperimentState.DRAFT)
    actions.start(world.researcher, experiment)
    signed(world, study)
    signed(world, study, world.client_b)
    second = Allocation.objects.get(experiment=experiment, sequence=2)
    other = experiment.arms.exclude(pk=second.arm_id).get()
    Allocation.objects.filter(pk=second.pk).update(arm=other)  # behind the application's back
    html = world.login(statistician(world, study)).get(page_url(experiment, "replay/")).content.decode()
    assert "The log does not replay." in html and "allocation 2" in html


# --- who sees the arm ------------------------------------------------------------------------------------


def arm_world(world: World) -> tuple[Experiment, Experiment]:
    """Client A placed in a blinded experiment's "zebra" arm and an open experiment's "okapi" arm."""
    study = make_study(world)
    participant, _record = signed(world, study)  # enrolled before they run: placed in known arms below
    made = []
    for slug, key, name, open_design in (
        ("blinded", "zebrakey", "Zebra streaks arm", False),
        ("open", "okapikey", "Okapi feedback arm", True),
    ):
        experiment = make_experiment(
            study,
            arms=((key, {"rewards": {"streaks": True}}), (f"{slug}-other", {})),
            slug=slug,
            title=f"The {slug} trial",
            open_design=open_design,
        )
        experiment.arms.filter(key=key).update(name=name)
        place_in_arm(experiment, participant, key)
        made.append(experiment)
    return made[0], made[1]


def test_the_team_sees_each_participants_arm_and_the_client_never_does(world: World) -> None:
    blinded, _open = arm_world(world)
    html = world.login(world.researcher).get(f"/research/studies/{blinded.study.slug}/participants/").content
    assert b"The blinded trial v1: <strong>Zebra streaks arm</strong>" in html
    assert b"The open trial v1: <strong>Okapi feedback arm</strong>" in html
    http = world.login(world.client_a.user)
    participant = blinded.participant_allocations.get().participant
    for url in ["/today/", "/settings/", "/research/my/", f"/research/my/{participant.pk}/"]:
        response = http.get(url)
        assert response.status_code == 200, url
        text = response.content.decode().lower()
        assert "zebra" not in text and "okapi" not in text, url


def test_the_therapist_sees_the_arm_only_in_an_open_design(world: World) -> None:
    arm_world(world)
    html = world.login(world.therapist).get(f"/clients/{world.client_a.pk}/").content.decode()
    assert "The open trial: <strong>Okapi feedback arm</strong>" in html
    assert "Zebra" not in html and "blinded trial" not in html and "zebrakey" not in html
    other = world.login(world.therapist).get(f"/clients/{world.client_b.pk}/").content.decode()
    assert "Okapi" not in other
