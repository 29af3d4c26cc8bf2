"""After an erasure the study's export still has what the protocol keeps (the same pseudonym, the sent entries
with their numbers) and nothing that names the person or that the study may not keep."""

from __future__ import annotations

from emotipal.privacy import erasure
from emotipal.research import pseudonyms
from emotipal.research.export.tables import build_export_data
from tests.factories import World
from tests.privacy.erasure_world import enrolled, give_history


def test_the_export_after_erasure_keeps_the_pseudonymous_numbers_and_no_words(world: World) -> None:
    client = world.client_a
    give_history(world, client)
    participant = enrolled(world, client, scopes=("data",))
    study = participant.study
    before = build_export_data(study)
    key = pseudonyms.pseudonym(study, "client", client.pk)
    assert key in set(before.tables["clients"]["key"])

    erasure.erase(world.admin, client.pk, reason="request")
    after = build_export_data(study)

    assert key in set(after.tables["clients"]["key"])
    assert set(after.tables["clients"]["state"]) == {"withdrawn"}
    mine = after.tables["entries"][after.tables["entries"]["client_key"] == key]
    sent_before = before.tables["entries"][before.tables["entries"]["client_key"] == key]
    assert len(sent_before[sent_before["submitted"]]) == 2
    # What was sent before the withdrawal stays (the draft is gone: it was never data the study had).
    assert len(mine) == 2 and mine["submitted"].all()
    numbers = after.tables["entry_answers"]
    assert {"80", "90"} <= set(numbers[~numbers["free_text"]]["value"])
    flat = "\n".join(frame.to_csv() for frame in after.tables.values())
    for trace in ("Ana", "client.a@example.org", "Sunday evening", "I will make a fool of myself"):
        assert trace not in flat
