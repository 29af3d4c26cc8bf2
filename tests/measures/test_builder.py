import pytest

from emotipal.definitions.scoring import score_response
from emotipal.measures.builder import BuilderError, parse

TEXT = """Name: Sleep check
Options: 0 = Never | 1 = Sometimes | 2 = Often | 3 = Always
Bands: 0-3 Low | 4-6 Medium | 7-9 High
Items:
How often did you wake in the night?
[reverse] I woke up rested
[section] Mornings
[risk] I thought about hurting myself
[scale 0-10] How rested did you feel?
[text] What helped?
"""


def test_builder_makes_a_scorable_definition() -> None:
    definition = parse(TEXT)
    assert definition["key"] == "sleep_check"
    types = [i["type"] for i in definition["items"]]
    assert types == ["choice", "choice", "choice", "scale", "short_text"]
    assert definition["items"][1]["reverse"] and definition["items"][2]["risk"]
    assert definition["items"][2]["section"] == "Mornings"
    score = score_response(definition, {"item_1": 1, "item_2": 3, "item_3": 1, "item_4": 5})
    assert score.total == 1 + 0 + 1 + 5 and score.risk_items == ("item_3",)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("Items:\nA question", "Name"),
        ("Name: X\nItems:\nA question", "Options"),
        ("Name: X\nOptions: zero = none\nItems:\nA", "number = label"),
        ("Name: X\nOptions: 0 = a | 1 = b\nItems:\n[wobbly] A", "line 4"),
        ("Name: X\nOptions: 0 = a | 1 = b\nBands: 0-1 Low | 3-4 High\nItems:\nA", "gap"),
    ],
)
def test_builder_errors_name_the_problem(text: str, message: str) -> None:
    with pytest.raises(BuilderError, match=message):
        parse(text)
