"""Help now: crisis numbers are tappable tel: links with the number still shown, text escaped, and the page
opened from the menu has a way back and a heading that fits."""

from __future__ import annotations

from emotipal.measures.phone_links import with_phone_links
from emotipal.measures.services import add_crisis_resource
from tests.factories import World


def test_numbers_become_tel_links_keeping_the_text() -> None:
    html = with_phone_links("Call 116 123 or +44 20 7946 0000.\n<b>Open</b> 24 h, since 2019")
    assert '<a class="tel" href="tel:116123">116 123</a>' in html
    assert '<a class="tel" href="tel:+442079460000">+44 20 7946 0000</a>' in html
    assert "&lt;b&gt;Open&lt;/b&gt;" in html and "<br>" in html
    assert 'href="tel:24"' not in html  # "24 h" is not a phone number
    assert 'href="tel:2019"' not in html  # nor is a year


def test_years_dates_and_times_stay_text_and_short_lines_link() -> None:
    text = "Since 2019; updated 2026-12-03 and 3.12.2026 (03-12-26), open from 10.30. Text 1737 or call 988."
    html = with_phone_links(text)
    for not_a_number in ("2019", "20261203", "3122026", "031226", "1030"):
        assert f'href="tel:{not_a_number}"' not in html, not_a_number
    assert '<a class="tel" href="tel:1737">1737</a>' in html
    assert '<a class="tel" href="tel:988">988</a>' in html


def test_help_now_from_the_menu(world: World) -> None:
    add_crisis_resource(
        world.admin,
        world.clinic,
        language="en",
        title="Harbour crisis line",
        body="Call 0800 555 0199 any time.",
    )
    page = world.login(world.client_a.user).get("/help/").content.decode()
    assert '<a class="tel" href="tel:08005550199">0800 555 0199</a>' in page
    assert "Help now: who to call" in page and 'href="/today/"' in page
