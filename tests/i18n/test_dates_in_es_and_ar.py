"""Dates the client and therapist see follow each language's conventions: Spanish "3 de diciembre de 2026" with
lower-case weekdays and months and 24-hour times, Arabic month names; never an English month name."""

from __future__ import annotations

import datetime as dt
import html
import importlib
import re

import pytest
from django.utils import timezone, translation

from emotipal.accounts.models import User
from emotipal.homework import reviews, services
from emotipal.platform import charts, formatting
from tests.factories import World, complete_thought_record, plan_for

pytestmark = pytest.mark.django_db

ENGLISH_MONTHS = re.compile(
    r"\b(January|February|March|April|May|June|July|August|September|October|November|December"
    r"|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept?|Oct|Nov|Dec)\b\.?"
)
ENGLISH_WEEKDAYS = re.compile(r"\b(Mon|Tue|Wed|Thu|Fri|Sat|Sun)(day)?\b")
SPANISH_MONTHS = [
    "enero",
    "febrero",
    "marzo",
    "abril",
    "mayo",
    "junio",
    "julio",
    "agosto",
    "septiembre",
    "octubre",
    "noviembre",
    "diciembre",
]
SPANISH_WEEKDAYS = ["lunes", "martes", "miércoles", "jueves", "viernes", "sábado", "domingo"]
ARABIC_MONTHS = [
    "يناير",
    "فبراير",
    "مارس",
    "أبريل",
    "مايو",
    "يونيو",
    "يوليو",
    "أغسطس",
    "سبتمبر",
    "أكتوبر",
    "نوفمبر",
    "ديسمبر",
]
THURSDAY = dt.datetime(2026, 12, 3, 14, 5, tzinfo=dt.UTC)


def test_every_language_names_every_format() -> None:
    for language in ("en", "es", "ar"):
        module = importlib.import_module(f"emotipal.platform.formats.{language}.formats")
        missing = [n for n in formatting.LOCAL_FORMATS if not getattr(module, f"{n}_FORMAT", "")]
        assert not missing, (language, missing)
    with pytest.raises(ValueError):
        formatting.local_format("NOT_A_FORMAT")


def test_spanish_formats() -> None:
    with translation.override("es"):
        every = {n: formatting.local(THURSDAY, n) for n in formatting.LOCAL_FORMATS}
        assert every["DAY"] == every["LONG_DAY"] == "3 de diciembre de 2026"
        assert every["SHORT_DAY"] == "3 dic" and every["WEEKDAY_SHORT_DAY"] == "jue 3 dic"
        assert every["WEEKDAY_DAY"] == "jueves 3 de diciembre"
        assert every["MOMENT"] == "3 de diciembre de 2026, 14:05"
        assert formatting.day(THURSDAY.date()) == "3 de diciembre de 2026"
        assert formatting.moment(THURSDAY, dt.UTC) == "3 de diciembre de 2026, 14:05"
        assert charts.day_label(THURSDAY.date()) == "3 dic"
    for name, text in every.items():
        assert text == text.lower() and not ENGLISH_MONTHS.search(text), (name, text)
        assert "p.m." not in text and " PM" not in text


def test_arabic_formats() -> None:
    with translation.override("ar"):
        every = {n: formatting.local(THURSDAY, n) for n in formatting.LOCAL_FORMATS}
        assert every["DAY"] == "3 ديسمبر 2026" and every["WEEKDAY_DAY"] == "الخميس 3 ديسمبر"
        assert formatting.moment(THURSDAY, dt.UTC) == "3 ديسمبر 2026، 14:05"
        assert formatting.day(THURSDAY.date()) == "3 ديسمبر، 2026"
    for name, text in every.items():
        assert not re.search(r"[A-Za-z]", text), (name, text)
        assert ("ديسمبر" in text) == (name != "WEEKDAY_NUMBER"), (name, text)  # "الخميس 3" has no month


def visible(response: object) -> str:
    assert getattr(response, "status_code", None) == 200
    body = response.content.decode()  # type: ignore[attr-defined]
    body = re.sub(r"<(script|style)\b.*?</\1>", " ", body, flags=re.S)  # the chart spec is checked apart
    body = re.sub(r"<[^>]+>", " ", body)
    return " ".join(html.unescape(body).split())


def busy_client(world: World) -> tuple[int, int]:
    """A client with homework, a sent entry, a missed day with its reason and sessions past and planned."""
    today = timezone.localdate()
    assignment = services.assign_homework(world.therapist, world.client_a, plan_for(world.thought_record))
    answers = {**complete_thought_record(), "situation": "En casa"}  # no English day names of the client's
    entry, _created = services.submit_entry(
        world.client_a.user, assignment.pk, services.Submission(answers, 2, 2, 2)
    )
    reviews.report_barrier(world.client_a.user, assignment.pk, today - dt.timedelta(days=2), "forgot")
    reviews.record_session(world.therapist, world.client_a, today - dt.timedelta(days=7))
    reviews.record_session(world.therapist, world.client_a, today + dt.timedelta(days=7))
    return assignment.pk, entry.pk


def pages(world: World, language: str) -> dict[str, str]:
    User.objects.filter(pk__in=[world.therapist.pk, world.client_a.user.pk]).update(language=language)
    assignment_id, entry_id = busy_client(world)
    client = world.login(User.objects.get(pk=world.client_a.user.pk))
    staff = world.login(User.objects.get(pk=world.therapist.pk))
    return {
        "today": visible(client.get("/today/")),
        "entry": visible(client.get(f"/my/entries/{entry_id}/")),
        "plan": visible(client.get(f"/homework/{assignment_id}/plan/")),
        "reminders": visible(client.get("/settings/reminders/")),
        "client detail": visible(staff.get(f"/clients/{world.client_a.pk}/")),
        "entry review": visible(staff.get(f"/entries/{entry_id}/")),
        "chart spec": staff.get(f"/clients/{world.client_a.pk}/").content.decode(),
    }


def test_spanish_pages_write_dates_the_spanish_way(world: World) -> None:
    end = timezone.localdate() + dt.timedelta(days=10)
    shown = pages(world, "es")
    for name, text in shown.items():
        if name != "chart spec":
            assert not ENGLISH_MONTHS.search(text), (name, ENGLISH_MONTHS.search(text))
            assert not ENGLISH_WEEKDAYS.search(text), (name, ENGLISH_WEEKDAYS.search(text))
            capitalised = [w for w in SPANISH_MONTHS + SPANISH_WEEKDAYS if w.capitalize() + " " in text]
            assert not capitalised, (name, capitalised)
    assert f"{end.day} de {SPANISH_MONTHS[end.month - 1]} de {end.year}" in shown["client detail"]
    today = timezone.localdate()
    assert f"{today.day} de {SPANISH_MONTHS[today.month - 1]} de {today.year}" in shown["entry review"]
    month = SPANISH_MONTHS[today.month - 1]
    assert f" {month[:3]}" in shown["chart spec"] or f"de {month}" in shown["chart spec"]


def test_arabic_pages_write_arabic_month_names(world: World) -> None:
    end = timezone.localdate() + dt.timedelta(days=10)
    shown = pages(world, "ar")
    for name, text in shown.items():
        if name != "chart spec":
            assert not ENGLISH_MONTHS.search(text), (name, ENGLISH_MONTHS.search(text))
            assert not ENGLISH_WEEKDAYS.search(text), (name, ENGLISH_WEEKDAYS.search(text))
    assert f"{end.day} {ARABIC_MONTHS[end.month - 1]} {end.year}" in shown["client detail"]
    assert ARABIC_MONTHS[timezone.localdate().month - 1] in shown["chart spec"]
