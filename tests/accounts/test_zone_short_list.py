"""The client's settings offer the time zones of their own country first (from their zone and their clinic's),
with the current offset; any zone can still be chosen, and a made-up one is refused."""

from __future__ import annotations

import datetime as dt
import re

from emotipal.accounts.models import Clinic
from emotipal.platform import zone_choices
from tests.factories import World


def test_the_country_comes_from_zone_tab() -> None:
    assert zone_choices.country_of("Europe/Madrid") == "ES"
    assert {"Europe/Madrid", "Africa/Ceuta", "Atlantic/Canary"} <= set(zone_choices.zones_of("ES"))
    assert zone_choices.country_of("Not/AZone") is None


def test_labels_show_the_offset_of_the_day() -> None:
    winter = dt.datetime(2026, 1, 15, 12, tzinfo=dt.UTC)
    summer = dt.datetime(2026, 7, 15, 12, tzinfo=dt.UTC)
    assert zone_choices.label("Europe/Madrid", winter) == "Europe/Madrid (UTC+01:00)"
    assert zone_choices.label("Europe/Madrid", summer) == "Europe/Madrid (UTC+02:00)"
    assert zone_choices.label("America/St_Johns", winter) == "America/St Johns (UTC-03:30)"


def test_grouped_choices_put_the_countries_first() -> None:
    now = dt.datetime(2026, 1, 15, 12, tzinfo=dt.UTC)
    groups = zone_choices.grouped_choices(["America/Mexico_City", "Europe/Madrid", "", "x/../y"], now)
    (first_heading, first), (all_heading, every) = groups
    assert first_heading == "Your country"
    first_zones = [z for z, _ in first]
    assert "America/Cancun" in first_zones and "Atlantic/Canary" in first_zones
    assert "Asia/Tokyo" not in first_zones
    assert len(every) > 400 and "Asia/Tokyo" in [z for z, _ in every]
    assert zone_choices.grouped_choices([], now)[0][0] == all_heading  # nothing known: the whole list only


def test_the_settings_page_starts_with_the_clients_country(world: World) -> None:
    Clinic.objects.filter(pk=world.client_a.clinic_id).update(timezone="Europe/Madrid")
    world.client_a.timezone = "Europe/Madrid"
    world.client_a.save()
    http = world.login(world.client_a.user)
    page = http.get("/settings/").content.decode()
    groups = re.findall(r'<optgroup label="([^"]+)">', page)
    assert groups == ["Your country", "All time zones"]
    short = page[
        page.index('<optgroup label="Your country">') : page.index('<optgroup label="All time zones">')
    ]
    assert "Atlantic/Canary" in short and "Asia/Tokyo" not in short
    # Any zone can still be chosen; a made-up one is refused and nothing changes.
    assert http.post("/settings/", {"timezone": "Asia/Tokyo", "reminder_time": ""}).status_code == 302
    world.client_a.refresh_from_db()
    assert world.client_a.timezone == "Asia/Tokyo"
    refused = http.post("/settings/", {"timezone": "Mars/Olympus", "reminder_time": ""})
    assert refused.status_code == 400 and "Select a valid choice" in refused.content.decode()
    world.client_a.refresh_from_db()
    assert world.client_a.timezone == "Asia/Tokyo"
