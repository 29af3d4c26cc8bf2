"""The caseload page: search, filters with their counts, sorting, pages of 25, constant queries, and the
audit of the clients shown (only those)."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from emotipal.accounts.models import ClientProfile
from emotipal.homework import services
from emotipal.measures import services as measures
from emotipal.measures.models import Instrument
from emotipal.platform.audit.models import AuditEvent
from tests.factories import World, complete_thought_record, make_user, plan_for


def add_client(world: World, name: str, email: str, *, entries: int = 0) -> ClientProfile:
    profile = ClientProfile.objects.create(
        user=make_user(email, name), clinic=world.clinic, therapist=world.therapist
    )
    if entries:
        assignment = services.assign_homework(world.therapist, profile, plan_for(world.thought_record))
        for k in range(entries):
            services.submit_entry(
                profile.user,
                assignment.pk,
                services.Submission(complete_thought_record(), 1, 1, 1, idempotency_key=f"{k}"),
            )
    return profile


def raise_alert(world: World, profile: ClientProfile) -> None:
    phq9 = Instrument.objects.get(key="phq9", clinic=None)
    response = measures.ask_now(world.therapist, profile, phq9)
    answers = {f"phq9_{i}": 1 for i in range(1, 9)} | {"phq9_9": 2}
    measures.save_answers(profile.user, response.pk, answers, submit=True)


def names_on(html: str) -> list[str]:
    """Client names in the laptop table, in page order."""
    body = html.split("<tbody>", 1)[1].split("</tbody>", 1)[0] if "<tbody>" in html else ""
    return re.findall(r'<td><a href="/clients/\d+/">([^<]+)</a>', body)


def test_search_filters_and_sort(world: World) -> None:
    ended = add_client(world, "Dora Ended", "dora@example.org")
    ended.discharged_on = timezone.localdate() - dt.timedelta(days=2)
    ended.save()
    risky = add_client(world, "Zed Risk", "zed.risk@example.org")
    raise_alert(world, risky)
    add_client(world, "Eve Entries", "eve@example.org", entries=2)
    http = world.login(world.therapist)

    page = http.get("/clients/").content.decode()
    # Risk first by default: the client with an open alert leads.
    assert names_on(page)[0] == "Zed Risk"
    assert "5 clients" in page  # Ana, Ben and the three added (Cai is another clinic's)
    assert "Needs review (1)" in page and "At risk (1)" in page and "Ended (1)" in page

    assert names_on(http.get("/clients/?sort=name").content.decode()) == [
        "Ana Client",
        "Ben Client",
        "Dora Ended",
        "Eve Entries",
        "Zed Risk",
    ]
    by_activity = names_on(http.get("/clients/?sort=activity").content.decode())
    assert by_activity[0] == "Eve Entries"  # the only one with homework sent

    assert names_on(http.get("/clients/?show=ended").content.decode()) == ["Dora Ended"]
    active = names_on(http.get("/clients/?show=active").content.decode())
    assert "Dora Ended" not in active and len(active) == 4
    assert names_on(http.get("/clients/?show=at_risk").content.decode()) == ["Zed Risk"]
    review = http.get("/clients/?show=needs_review").content.decode()
    assert names_on(review) == ["Eve Entries"]
    assert "2 entries not reviewed" in review

    # Search by part of a name or of an e-mail address, case-insensitive.
    assert names_on(http.get("/clients/?q=zed").content.decode()) == ["Zed Risk"]
    assert names_on(http.get("/clients/?q=EVE%40example").content.decode()) == ["Eve Entries"]
    nothing = http.get("/clients/?q=nobody-at-all").content.decode()
    assert names_on(nothing) == [] and "No clients match" in nothing
    # Another clinic's client is never found, and nonsense parameters fall back to the defaults.
    assert names_on(http.get("/clients/?q=Cai").content.decode()) == []
    odd = http.get("/clients/?show=everything&sort=sideways&page=abc")
    assert odd.status_code == 200 and len(names_on(odd.content.decode())) == 5


def test_plural_counts(world: World) -> None:
    add_client(world, "One Entry", "one@example.org", entries=1)
    page = world.login(world.therapist).get("/clients/?show=needs_review").content.decode()
    assert "1 entry not reviewed" in page and "1 entries" not in page
    assert "1 client" in page and "1 clients" not in page


def _last_audit() -> int:
    return AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0


def test_pages_of_25_and_the_audit_of_shown_clients(world: World) -> None:
    for i in range(28):
        add_client(world, f"Extra {i:02d}", f"extra{i}@example.org")
    http = world.login(world.therapist)
    before = _last_audit()
    first = http.get("/clients/?sort=name").content.decode()
    shown = names_on(first)
    assert len(shown) == 25 and "Page 1 of 2" in first and "30 clients" in first
    assert "page=2" in first and "sort=name" in first
    audited = set(
        AuditEvent.objects.filter(pk__gt=before, action="read.caseload").values_list(
            "subject_user_id", flat=True
        )
    )
    expected = set(
        ClientProfile.objects.filter(user__display_name__in=shown).values_list("user_id", flat=True)
    )
    assert audited == expected and len(audited) == 25
    before = _last_audit()
    second = http.get("/clients/?sort=name&page=2").content.decode()
    assert len(names_on(second)) == 5 and not set(names_on(second)) & set(shown)
    assert AuditEvent.objects.filter(pk__gt=before, action="read.caseload").count() == 5
    # Past the last page: the last page, not an error.
    assert names_on(http.get("/clients/?sort=name&page=99").content.decode()) == names_on(second)


@pytest.mark.parametrize("show", ["all", "at_risk", "needs_review"])
def test_queries_do_not_grow_with_clients(
    world: World, show: str, django_assert_max_num_queries: Any
) -> None:
    http = world.login(world.therapist)
    for i in range(3):
        add_client(world, f"Small {i}", f"small{i}@example.org", entries=1)
    http.get("/clients/")  # warm the session and caches
    # A new score since the last visit, as below: its series' kept verdict is recomputed (measures/verdicts).
    raise_alert(world, world.client_a)
    with CaptureQueriesContext(connection) as small:
        assert http.get(f"/clients/?show={show}").status_code == 200
    for i in range(55):
        add_client(world, f"Big {i}", f"big{i}@example.org", entries=1 if i % 3 == 0 else 0)
    raise_alert(world, world.client_b)
    assert ClientProfile.objects.filter(therapist=world.therapist).count() == 60
    with django_assert_max_num_queries(len(small.captured_queries)):
        assert http.get(f"/clients/?show={show}").status_code == 200


def _page_of_many(world: World, label: str, clients: int, per_page: int) -> tuple[Any, Any, Any]:
    """`clients` new clients of the therapist (with 0, 1 or 2 entries in turn), then the caseload's first page
    of `per_page` sorted by name, its queries captured: (listing, captured, the therapist's clients)."""
    from emotipal.homework.queries import caseload_page

    for i in range(clients):
        add_client(world, f"{label} {i}", f"{label.lower()}{i}@example.org", entries=i % 3)
    mine = ClientProfile.objects.filter(therapist=world.therapist)
    no_outcomes: Any = lambda ids: dict.fromkeys(ids)  # noqa: E731
    with CaptureQueriesContext(connection) as ctx:
        listing = caseload_page(mine, no_outcomes, sort="name", per_page=per_page)
    return listing, ctx, mine


def test_only_the_shown_page_reads_whole_records_and_its_figures_are_the_full_ones(world: World) -> None:
    """Sorting and filtering use light rows of every client; the week's figures (plan, practice, engagement
    index) are computed for the page's clients only, and equal what the whole-caseload computation gives."""
    from emotipal.homework.queries import caseload_rows

    listing, ctx, clients = _page_of_many(world, "Paged", 7, per_page=3)
    shown = {r.client.pk for r in listing.rows}
    assert len(shown) == 3 and listing.total == clients.count()
    # Whole records (compliance.gather: every assignment with its exercise's encrypted texts, then every
    # entry) are read for the page's clients only.
    whole = [q["sql"] for q in ctx.captured_queries if '"library_templateversion"."rationale"' in q["sql"]]
    assert len(whole) == 1, whole
    listed = re.search(r'"homework_assignment"\."client_id" IN \(([\d, ]+)\)', whole[0])
    assert listed is not None and {int(x) for x in listed[1].split(",")} == shown
    full = {r.client.pk: r for r in caseload_rows(clients)}
    for row in listing.rows:
        whole = full[row.client.pk]
        assert row.index is not None and row.index.value == whole.index.value  # type: ignore[union-attr]
        assert (row.weekly_index, row.planned_this_week, row.done_this_week, row.active_assignments) == (
            whole.weekly_index,
            whole.planned_this_week,
            whole.done_this_week,
            whole.active_assignments,
        )
        assert (row.unreviewed, row.homework_to_review, row.last_submitted_at) == (
            whole.unreviewed,
            whole.homework_to_review,
            whole.last_submitted_at,
        )


def test_the_caseload_reads_only_the_weeks_it_shows_and_its_figures_are_the_whole_records(
    world: World,
) -> None:
    """A client with months of practice: the caseload's figures (the last four weeks) come from the entries of
    those weeks only, and equal what the client's whole record gives."""
    from emotipal.analysis.engagement import engagement_index
    from emotipal.homework import compliance
    from emotipal.homework.models import Entry
    from emotipal.homework.queries import caseload_page, week_start

    today = timezone.localdate()
    profile = add_client(world, "Long Course", "long@example.org")
    plan = plan_for(world.thought_record, start_date=today - dt.timedelta(days=120), end_date=today)
    assignment = services.assign_homework(world.therapist, profile, plan)
    for k in range(40):  # every third day back to about 120 days ago
        entry, _ = services.submit_entry(
            profile.user,
            assignment.pk,
            services.Submission(complete_thought_record(), 2, 1, 3, idempotency_key=f"long-{k}"),
        )
        Entry.objects.filter(pk=entry.pk).update(practice_date=today - dt.timedelta(days=3 * k))
    clients = ClientProfile.objects.filter(pk=profile.pk)
    no_outcomes: Any = lambda ids: dict.fromkeys(ids)  # noqa: E731
    with CaptureQueriesContext(connection) as ctx:
        row = caseload_page(clients, no_outcomes).rows[0]
    entry_reads = [q["sql"] for q in ctx.captured_queries if 'FROM "homework_entry"' in q["sql"]]
    since = week_start(today) - dt.timedelta(weeks=3)
    assert any(f"practice_date\" >= '{since.isoformat()}'" in sql for sql in entry_reads), entry_reads

    whole = compliance.gather([profile], until=today)[profile.pk]
    assert min(a.day for a in whole.attempts) < since  # the record does reach back before the shown weeks
    now = timezone.now()
    by_week = compliance.weekly(whole, first_week=since, last_week=week_start(today), now=now)
    assert row.weekly_index == [engagement_index(by_week[w]).value for w in sorted(by_week)]
    figures = compliance.figures(whole, start=since, end=today, now=now, period="week")
    assert row.index is not None and row.index.value == engagement_index(figures).value
    assert row.done_this_week == sum(
        n for d, n in whole.practice_days.items() if week_start(today) <= d <= today
    )
    assert row.planned_this_week == sum(1 for p in whole.planned if p.day >= week_start(today))


def test_the_caseload_names_its_clients_by_a_subquery_not_one_bound_id_each(world: World) -> None:
    """At 5,000 clients, lists of 5,000 bound ids in each of the triage queries cost more to bind, send and
    parse than to answer: the queries say `IN (SELECT ...)`, and their text does not grow with the clinic."""
    from emotipal.homework.queries import caseload_page
    from emotipal.measures.queries import caseload_flags

    def sql_length() -> int:
        clients = ClientProfile.objects.filter(therapist=world.therapist)
        with CaptureQueriesContext(connection) as ctx:
            caseload_page(clients, caseload_flags)
        # Each number counted as one digit: the page's own ids (at most 25, listed) gain a digit when the
        # database's id sequence passes 99 or 999, which says nothing about the clinic's size.
        return sum(len(re.sub(r"\d+", "0", q["sql"])) for q in ctx.captured_queries)

    for i in range(30):  # more than a page (25): the page's own clients are listed by id, at most 25
        add_client(world, f"Some {i}", f"some{i}@example.org")
    few = sql_length()
    for i in range(40):
        add_client(world, f"Many {i}", f"many{i}@example.org")
    # 40 more ids would add at least 40 × ", 0" characters to each query listing them.
    many = sql_length()
    assert many <= few + 40, (few, many)


def test_only_the_shown_page_loads_its_clients_the_rest_are_light_rows(world: World) -> None:
    """The filters and sorts of a whole clinic read plain values (name, discharge, zone); the profiles with
    their users, therapist and clinic are loaded for the page's clients only (a third of the time at 5,000)."""
    listing, ctx, clients = _page_of_many(world, "Light", 9, per_page=4)
    shown = [r.client.pk for r in listing.rows]
    assert len(shown) == 4 and [r.name for r in listing.rows] == sorted(r.name for r in listing.rows)
    # A whole profile row (its reminder time, say) with its user's (the password hash among the columns).
    whole_profiles = [
        q["sql"]
        for q in ctx.captured_queries
        if '"accounts_clientprofile"."reminder_time"' in q["sql"] and '."password"' in q["sql"]
    ]
    assert len(whole_profiles) == 1, whole_profiles
    listed = re.search(r'"accounts_clientprofile"\."id" IN \(([\d, ]+)\)', whole_profiles[0])
    assert listed is not None and sorted(int(x) for x in listed[1].split(",")) == sorted(shown)
    assert listing.counts["all"] == clients.count() == 11
