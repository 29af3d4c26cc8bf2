from emotipal.web.templatetags.prose import prose


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
