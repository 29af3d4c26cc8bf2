"""Progress bars and sparklines are SVG sized by attributes (templatetags/bars.py), so they draw under a
Content-Security-Policy without inline styles, and they say what they show."""

from __future__ import annotations

from django.template import Context, Template

from emotipal.platform.templatetags.bars import clamped_percent, spark


def test_the_share_is_a_whole_percentage_kept_within_the_bar() -> None:
    assert clamped_percent(1, 3) == 33 and clamped_percent(2, 3) == 67
    assert clamped_percent(5, 3) == 100  # more than planned: a full bar, never wider
    assert clamped_percent(3, 0) == 0 and clamped_percent(None, 4) == 0 and clamped_percent(-1, 4) == 0


def test_the_bar_draws_its_share_as_an_attribute() -> None:
    html = Template(
        "{% load bars %}{% progress_bar done=2 planned=8 %}{% progress_bar percent=140 %}"
    ).render(Context())
    assert 'width="25"' in html and 'width="100"' in html and "style" not in html
    assert html.count('aria-hidden="true"') == 2  # the page says the numbers in words beside it


def test_the_sparkline_speaks_its_values_and_draws_missing_weeks_low() -> None:
    drawn = spark([50.0, None, 100.0, 12.5], "Engagement index, last weeks")
    assert drawn["label"] == "Engagement index, last weeks: 50, –, 100, 13"
    heights = [b["height"] for b in drawn["bars"]]
    assert heights == [12, 2, 24, 3]
    assert [b["y"] + b["height"] for b in drawn["bars"]] == [24] * 4  # all from the bottom
    assert drawn["bars"][1]["none"] and drawn["width"] == 38
    html = Template("{% load bars %}{% spark values 'Index' %}").render(Context({"values": [40]}))
    assert 'role="img"' in html and 'aria-label="Index: 40"' in html and "style" not in html
