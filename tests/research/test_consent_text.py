"""A consent text is the study's own Markdown, shown to clients: it renders, and nothing in it can run."""

from __future__ import annotations

import re

import pytest

from emotipal.research.consent_text import render_consent


def test_markdown_renders_headings_lists_emphasis_tables_and_links() -> None:
    html = render_consent(
        "# About\n\nTaking part is **your choice**, *always*.\n\n- one\n- two\n\n"
        "| When | What |\n|---|---|\n| Week 1 | PHQ-9 |\n\n[Ethics board](https://ethics.example.org/x)\n"
    )
    assert "<h2>About</h2>" in html  # the page's <h1> is the document title
    assert "<strong>your choice</strong>" in html and "<em>always</em>" in html
    assert "<li>one</li>" in html and "<td>PHQ-9</td>" in html
    assert '<a href="https://ethics.example.org/x" rel="noopener noreferrer">Ethics board</a>' in html


@pytest.mark.parametrize(
    "attack",
    [
        "<script>alert(1)</script>",
        "<img src=x onerror=alert(1)>",
        '<a href="javascript:alert(1)">click</a>',
        "[click](javascript:alert(1))",
        "[click](JaVaScRiPt:alert(1))",
        "[click](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
        "[click](vbscript:msgbox(1))",
        '<iframe src="https://evil.example"></iframe>',
        "<svg onload=alert(1)>",
        '<div style="background:url(javascript:alert(1))">x</div>',
        "![x](https://evil.example/track.png)",
        "<!-- <script>alert(1)</script> -->",
    ],
)
def test_nothing_in_the_text_can_run_or_load(attack: str) -> None:
    html = str(render_consent(f"Before\n\n{attack}\n\nAfter"))
    tags = set(re.findall(r"<\s*([a-zA-Z0-9]+)", html))
    assert tags <= {"p", "a"}, html
    assert not re.search(r"<[^>]*\son\w+\s*=", html, re.IGNORECASE), html  # no event handler attribute
    for tag in re.findall(r"<a\s[^>]*>", html):  # real links (escaped text has no "<")
        assert re.fullmatch(r'<a href="https://[^"]*" rel="noopener noreferrer">', tag), tag
    assert "Before" in html and "After" in html


def test_a_link_written_by_hand_keeps_only_allowed_attributes() -> None:
    html = render_consent('[a](https://example.org "Title")')
    assert html == '<p><a href="https://example.org" title="Title" rel="noopener noreferrer">a</a></p>\n'
    assert render_consent("") == ""
