import pytest

from emotipal.definitions.scoring import score_response
from emotipal.measures.builder import EXAMPLE, BuilderError, lost_risk_items, parse, risk_items

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


# --- the help's example and where tags may be written ------------------------------------------------------

HEAD = "Name: X\nOptions: 0 = No | 1 = Yes\nItems:\n"


def test_the_help_example_parses_as_written() -> None:
    definition = parse(EXAMPLE)
    assert definition["key"] == "sleep_check" and definition.get("role") == "outcome"
    assert [i["type"] for i in definition["items"]] == [
        "choice",
        "choice",
        "choice",
        "scale",
        "short_text",
        "long_text",
    ]
    assert [i["text"] for i in risk_items(definition)] == ["I thought about hurting myself"]
    assert definition["items"][4]["section"] == "About your mornings"
    assert definition["bands"][-1]["max"] == 3 * 3 + 10  # the bands cover the whole total


@pytest.mark.parametrize(
    "line",
    [
        "[risk] [reverse] I felt hopeless",
        "[reverse][risk] I felt hopeless",
        "[RISK] [Reverse] I felt hopeless",
        "[ risk ]  [ reverse ] I felt hopeless",
    ],
)
def test_tags_combine_at_the_start_of_a_line_in_any_case(line: str) -> None:
    item = parse(HEAD + line)["items"][0]
    assert item == {
        "id": "item_1",
        "type": "choice",
        "text": "I felt hopeless",
        "reverse": True,
        "risk": True,
    }


def test_a_risk_scale_item() -> None:
    item = parse(HEAD + "[risk][scale 0 - 10] How unsafe do you feel?")["items"][0]
    assert (item["type"], item["min"], item["max"], item["risk"]) == ("scale", 0, 10, True)


def test_the_first_item_may_follow_items_on_its_line() -> None:
    definition = parse("Name: X\nOptions: 0 = No | 1 = Yes\nItems: [risk] I felt unsafe\nI slept")
    assert [(i["text"], bool(i.get("risk"))) for i in definition["items"]] == [
        ("I felt unsafe", True),
        ("I slept", False),
    ]


def test_a_section_names_the_next_item_whatever_its_tags() -> None:
    items = parse(HEAD + "[Section] Safety\n[risk] I felt unsafe")["items"]
    assert items == [
        {"id": "item_1", "type": "choice", "text": "I felt unsafe", "risk": True, "section": "Safety"}
    ]


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("I felt unsafe [risk]", r"line 4: the tag \[risk\] must come at the start"),
        ("I felt [ Risk ] unsafe", "must come at the start"),
        ("[rsik] I felt unsafe", r"line 4: unknown tag \[rsik\]"),
        ("[risk I felt unsafe", "not closed"),
        ("[risk]", "write the question"),
        ("[text][scale 0-10] Two kinds", "choose one of"),
        ("[risk][text] Tell us", "need a scored item"),
        ("[scale 10-0] Backwards", "low to high"),
        ("[scale] No range", r"\[scale 0-10\]"),
        ("[section][risk] Mixed", "stands alone"),
        ("A\n[section] Left over", "line 5: the section 'Left over' has no item after it"),
    ],
)
def test_a_misplaced_or_mistyped_tag_is_an_error_naming_its_line(line: str, message: str) -> None:
    with pytest.raises(BuilderError, match=message):
        parse(HEAD + line)


def test_lost_risk_items_are_matched_by_wording_not_position() -> None:
    before = parse(HEAD + "I slept\n[risk] I felt unsafe\n[risk] I thought of ending my life")
    reordered = parse(HEAD + "[risk] I thought of ending my life\n[risk]  i felt UNSAFE\nI slept")
    assert lost_risk_items(before, reordered) == []
    dropped = parse(HEAD + "I slept\nI felt unsafe\n[risk] I thought of ending my life")
    assert lost_risk_items(before, dropped) == ["I felt unsafe"]
    removed = parse(HEAD + "I slept")
    assert lost_risk_items(before, removed) == ["I felt unsafe", "I thought of ending my life"]
    assert lost_risk_items(None, removed) == []
