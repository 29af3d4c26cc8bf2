from emotipal.platform.templatetags.prose import prose


def test_paragraphs_are_joined_and_lists_recognised() -> None:
    text = "First line\nwraps here.\n\n1. Do this\n   and that.\n2. Then <this>.\n\n- a\n- b\n"
    html = str(prose(text))
    assert html == (
        "<p>First line wraps here.</p>"
        "<ol><li>Do this and that.</li><li>Then &lt;this&gt;.</li></ol>"
        "<ul><li>a</li><li>b</li></ul>"
    )


def test_empty_text() -> None:
    assert str(prose("")) == ""


def test_comprehension_check_says_whether_the_answer_was_right() -> None:
    from emotipal.homework.answers import answer_rows

    spec = {
        "id": "q1",
        "type": "choice",
        "label": "What keeps anxiety going?",
        "options": [{"value": "a", "label": "Avoiding", "correct": True}, {"value": "b", "label": "Facing"}],
    }
    assert answer_rows([spec], {"q1": "a"})[0]["value"] == "Avoiding: right"
    assert answer_rows([spec], {"q1": "b"})[0]["value"] == "Facing: the answer is “Avoiding”"
