"""The measures page: the NHS Talking Therapies outcome on the PHQ-9 and GAD-7 together is the only recovery it
shows; with one measure it says the paired outcome cannot be computed; the Jacobson-Truax index and the NHS
thresholds appear under their own names; prorated scores are marked. Real database, the Django test client,
questionnaires answered through the services a client uses."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest

from emotipal.measures import client_page, services
from emotipal.measures.errors import MeasureError
from emotipal.measures.models import Instrument, Response
from emotipal.platform import clock
from tests.factories import World

PAIRED_SECTION = re.compile(r'<section class="card" id="paired-outcome".*?</section>', re.S)


def items_for(total: int, n: int, prefix: str, *, spare_last: bool = False) -> dict[str, Any]:
    """Answers 0-3 on n items adding up to ``total``; with ``spare_last`` the last item (the PHQ-9's risk
    item) stays 0."""
    values = [0] * n
    rest = total
    for i in range(n - 1 if spare_last else n):
        values[i] = min(3, rest)
        rest -= values[i]
    assert rest == 0, "total too high for the items"
    return {f"{prefix}_{i + 1}": v for i, v in enumerate(values)}


def answer(world: World, key: str, days_ago: int, answers: dict[str, Any]) -> Response:
    instrument = Instrument.objects.get(key=key, clinic=None)
    response = services.ask_now(world.therapist, world.client_a, instrument)
    services.save_answers(world.client_a.user, response.pk, answers, submit=True)
    # Completed "days_ago": the pairing works on completion times.
    Response.objects.filter(pk=response.pk).update(completed_at=clock.now() - dt.timedelta(days=days_ago))
    response.refresh_from_db()
    return response


def phq9(world: World, days_ago: int, total: int) -> Response:
    return answer(world, "phq9", days_ago, items_for(total, 9, "phq9", spare_last=True))


def gad7(world: World, days_ago: int, total: int) -> Response:
    return answer(world, "gad7", days_ago, items_for(total, 7, "gad7"))


def page(world: World) -> tuple[str, str, str]:
    """(the whole page, the paired section, everything else)."""
    response = world.login(world.therapist).get(f"/clients/{world.client_a.pk}/measures/")
    assert response.status_code == 200
    html = response.content.decode()
    sections = PAIRED_SECTION.findall(html)
    assert len(sections) <= 1
    section = sections[0] if sections else ""
    return html, section, html.replace(section, "") if section else html


def test_the_issues_example_reads_not_recovered_on_the_pair(world: World) -> None:
    # PHQ-9 15 -> 5 and GAD-7 12 -> 10: the PHQ-9 card used to say "reliable recovery".
    phq9(world, 42, 15), gad7(world, 42, 12)
    phq9(world, 1, 5), gad7(world, 1, 10)
    html, section, rest = page(world)
    assert "Not recovered" in section and "reliable improvement" in section
    assert ">Reliable recovery<" not in html and ">Recovery (without reliable improvement)<" not in html
    assert "recover" not in rest.lower()  # no questionnaire card or chart speaks of recovery
    assert "at caseness now" in section  # the GAD-7 row: 10 is at caseness
    assert "NHS Talking Therapies: case at start" not in html  # the old per-questionnaire line is gone


def test_reliable_recovery_when_both_end_below_caseness(world: World) -> None:
    phq9(world, 42, 15), gad7(world, 41, 12)
    phq9(world, 2, 5), gad7(world, 1, 6)
    _, section, _ = page(world)
    assert ">Reliable recovery<" in section
    assert re.search(r"PHQ-9</strong> 15 .*?→ 5 .*?\(-10\)", section, re.S)
    assert re.search(r"GAD-7</strong> 12 .*?→ 6 .*?\(-6\)", section, re.S)


def test_one_measure_only_says_the_paired_outcome_cannot_be_computed(world: World) -> None:
    phq9(world, 42, 15)
    phq9(world, 1, 5)
    html, section, rest = page(world)
    assert "The paired outcome cannot be computed." in section and "PHQ-9 scores only" in section
    assert "Not recovered" not in html and ">Reliable recovery<" not in html
    assert "recover" not in rest.lower()
    # The PHQ-9 card still shows its own Jacobson-Truax index.
    assert "Reliable change index (Jacobson-Truax)" in rest


def test_jacobson_truax_and_nhs_thresholds_are_named_apart(world: World) -> None:
    phq9(world, 42, 16), gad7(world, 42, 12)
    phq9(world, 1, 10), gad7(world, 1, 7)
    _, section, rest = page(world)
    # NHS thresholds (6 and 4 points) in the paired section only, with the NHS name.
    assert "NHS Talking Therapies thresholds" in section
    assert "reliable change PHQ-9 6 points or more, GAD-7 4 points or more" in section
    assert "NHS" not in rest.replace("NHS Talking Therapies outcome", "")
    # The Jacobson-Truax index (configured values: 7 and 6 points) on each card, never in the paired section.
    assert "Jacobson" not in section
    assert "a change of 7 points or more with the configured SD 5.7 and reliability 0.84" in rest
    assert "a change of 6 points or more with the configured SD 4.8 and reliability 0.83" in rest
    # PHQ-9 16 -> 10 is an NHS reliable improvement (6) but no Jacobson-Truax reliable change (needs 7).
    assert re.search(r"PHQ-9</strong>.*?improved by the NHS reliable change threshold", section, re.S)
    phq_card = next(card for card in rest.split('<div class="card">') if "<strong>PHQ-9</strong>" in card)
    assert "No reliable change" in phq_card and "Reliable improvement" not in phq_card


def test_clinically_significant_change_names_its_criterion_and_norms(world: World) -> None:
    phq9(world, 42, 16), gad7(world, 42, 12)
    phq9(world, 1, 4), gad7(world, 1, 3)
    _, _, rest = page(world)
    assert "Clinically significant change (Jacobson-Truax criterion c, cut-off 7.53):" in rest
    assert "Clinically significant change (Jacobson-Truax criterion c, cut-off 7.12):" in rest
    assert "a: beyond 2 SD from the clinical mean, cut-off 3.60" in rest
    assert "b: within 2 SD of the general population mean, cut-off 9.95" in rest
    assert "Clinical: mean 15, SD 5.7 " in rest and "Clinical: mean 13, SD 4.8 " in rest
    assert "General population: mean 2.91, SD 3.52 (Kocalevent" in rest
    assert "General population: mean 2.95, SD 3.41 (Löwe" in rest
    assert rest.count("illustrative values, not a published norm") == 2  # the clinical norms of both


def test_a_prorated_score_is_marked_in_the_pair(world: World) -> None:
    phq9(world, 42, 15), gad7(world, 42, 12)
    # Eight PHQ-9 items answered, totalling 4 (item 3 skipped): 4 / 8 x 9 = 4.5, prorated to 5.
    skipped = {"phq9_1": 1, "phq9_2": 1, "phq9_4": 1, "phq9_5": 1} | {f"phq9_{i}": 0 for i in range(6, 10)}
    last = answer(world, "phq9", 1, skipped)
    assert (last.total, last.prorated) == (5, True)
    gad7(world, 1, 6)
    _, section, _ = page(world)
    assert "includes a prorated score" in section
    assert re.search(r"→ 5 <span class=\"small muted\">\(prorated\)</span>", section)


def test_the_risk_item_must_be_answered_even_though_the_total_could_be_prorated(world: World) -> None:
    instrument = Instrument.objects.get(key="phq9", clinic=None)
    response = services.ask_now(world.therapist, world.client_a, instrument)
    answers = items_for(12, 9, "phq9", spare_last=True)
    answers.pop("phq9_9")
    with pytest.raises(MeasureError) as refused:
        services.save_answers(world.client_a.user, response.pk, answers, submit=True)
    assert set(refused.value.errors) == {"phq9_9"}
    response.refresh_from_db()
    assert response.status != Response.Status.COMPLETED and response.total is None
    # The refused submit kept every answer given so far: the client goes on from where they were.
    assert response.answers == answers and response.status == Response.Status.IN_PROGRESS
    # Two ordinary items missing: no total, so both are asked for (on a fresh copy: asking again while
    # one is open returns that one, so it is closed first).
    Response.objects.filter(pk=response.pk).update(status=Response.Status.EXPIRED)
    response = services.ask_now(world.therapist, world.client_a, instrument)
    with pytest.raises(MeasureError) as refused:
        services.save_answers(
            world.client_a.user, response.pk, {f"phq9_{i}": 1 for i in range(3, 10)}, submit=True
        )
    assert set(refused.value.errors) == {"phq9_1", "phq9_2"}


def test_instrument_names_and_one_reliable_change_vocabulary(world: World) -> None:
    phq9(world, 42, 20)
    phq9(world, 1, 8)  # 12 points down: a reliable improvement by the configured 7 points
    services.add_schedule(
        world.therapist, world.client_a, Instrument.objects.get(key="gad7", clinic=None), "weekly", weekday=2
    )
    html, _, rest = page(world)
    # Names, never keys: the schedule, the questionnaire picker, the cards.
    assert "GAD-7 · Every week (Wednesday)" in html
    assert '">PHQ-9</option>' in html and '">phq9</option>' not in html and ">phq9<" not in html
    card = next(card for card in rest.split('<div class="card">') if "<strong>PHQ-9</strong>" in card)
    assert ">Reliable improvement</span>" in card and "<strong>Reliable improvement</strong>" in card
    # The chart's table says the same words for the same (latest) point.
    built = client_page.build(world.therapist, world.client_a)
    chart = next(c for c in built["charts"] if c.id == "chart-phq9")
    assert chart.rows[-1][-1] == "Reliable improvement"
    assert built["series"]["phq9"]["summary"]["status_words"] == chart.rows[-1][-1]


def test_chart_descriptions_count_in_the_singular_too() -> None:
    from emotipal.measures.charts import mechanisms

    one = mechanisms([{"week": dt.date(2026, 3, 2), "name": "Belief", "value": 50.0}])
    assert one.description == "1 measure over 1 week."
    two = mechanisms(
        [
            {"week": dt.date(2026, 3, 2), "name": "Belief", "value": 50.0},
            {"week": dt.date(2026, 3, 9), "name": "Confidence", "value": 60.0},
        ]
    )
    assert two.description == "2 measures over 2 weeks."
