"""One format, one reader: `emotipal analyse` reads a live export's CSV folder exactly as it reads what
`emotipal simulate` writes (the same load_dataset, the same analysis)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from django.utils import timezone

from emotipal.analysis import analyse_cli
from emotipal.analysis.compliance import analyse, load_dataset
from emotipal.homework import reviews, services
from emotipal.research import pseudonyms
from emotipal.research.export.build import build_export
from emotipal.research.models import ConsentScope
from tests.analysis.compliance_sim import dataset_dir
from tests.factories import World, complete_thought_record, plan_for
from tests.research.export_world import ExportWorld, build, enrol, new_client, score

# Four more participants, with different amounts of practice, ratings and improvement: a random-effects
# analysis needs at least four clients with both values per figure.
DROPS = (2, 8, 5, 10)


def add_participants(ew: ExportWorld) -> None:
    world, today = ew.world, timezone.localdate()
    for i, drop in enumerate(DROPS):
        client = new_client(world, f"more.{i}@example.org", f"More Person{i}")
        enrol(world, ew.study, client, [ConsentScope.DATA])
        assignment = services.assign_homework(world.therapist, client, plan_for(world.thought_record))
        for k in range(i):
            services.submit_entry(
                client.user,
                assignment.pk,
                services.Submission(
                    answers=complete_thought_record(),
                    effort=2,
                    difficulty=2,
                    helpfulness=2,
                    practice_date=today - dt.timedelta(days=k),
                ),
            )
        session = reviews.record_session(world.therapist, client, today - dt.timedelta(days=1))
        reviews.submit_self_review(
            client.user,
            assignment.pk,
            session.pk,
            reviews.SelfReviewInput({"quantity": i, "quality": 2}, helpfulness=2),
        )
        reviews.submit_therapist_review(
            world.therapist, assignment.pk, session.pk, {"quantity": (i * 3) % 5, "quality": 2, "mastery": 2}
        )
        score(world, client, 20, days_ago=14)
        score(world, client, 20 - drop, days_ago=1)
        reviews.end_treatment(world.therapist, client, today, confirmed=True)
        reviews.rate_retroactively(client.user, client, quantity=min(4, i + 1), quality=2)
        reviews.rate_retroactively(world.therapist, client, quantity=(i * 2) % 5, quality=2)


def test_analyse_reads_a_live_export(
    world: World, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ew = build(world)
    build_export(ew.study, tmp_path)
    data = load_dataset(tmp_path)
    by_key = {c.key: c for c in data.clients}
    ana = by_key[pseudonyms.pseudonym(ew.study, "client", ew.free_text.client_id)]
    assert ana.therapist_key == pseudonyms.pseudonym(ew.study, "therapist", world.therapist.pk)
    # PHQ-9 16 two weeks ago and 9 yesterday: two different weeks, in order.
    assert list(dict(sorted(ana.scores.items())).values()) == [16.0, 9.0]
    # The plan ran from 3 days ago to today, every day: 4 practice days counted, 1 practice submitted.
    assert len(ana.planned_days) == 4 and len(ana.submitted_days) == 1
    assert [v for values in ana.self_quantity.values() for v in values] == [3.0]
    assert [v for values in ana.therapist_quantity.values() for v in values] == [2.0]
    # The participant who withdrew (keep) counts only to the day before; the removed one is not there.
    assert len(data.clients) == 3
    assert data.therapist_names == {ana.therapist_key: ana.therapist_key}
    # With enough participants the whole analysis runs on the export, through the CLI as well.
    add_participants(ew)
    build_export(ew.study, tmp_path / "more")
    analysis = analyse(load_dataset(tmp_path / "more"), resamples=50)
    assert analysis.report["dataset"]["n_clients"] == 7
    assert analysis.report["dataset"]["n_clients_with_improvement"] == 6
    assert analyse_cli.main([str(tmp_path / "more"), "--format", "json", "--resamples", "50"]) == 0
    assert json.loads(capsys.readouterr().out)["dataset"]["n_clients_with_improvement"] == 6


def test_the_same_reader_reads_a_simulated_data_set(tmp_path: Path) -> None:
    data = load_dataset(dataset_dir(tmp_path, n_clients=24, weeks=6, seed=3))
    assert len(data.clients) == 24 and data.truth is not None
    assert analyse(data, resamples=50).report["dataset"]["n_clients"] == 24
