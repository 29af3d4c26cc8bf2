"""Commits that do not wait for the disk (platform/commits.py): off inside, the default again after, on
PostgreSQL; nothing at all elsewhere."""

from __future__ import annotations

import pytest
from django.db import connection

from emotipal.platform.commits import without_waiting_for_the_disk


def synchronous_commit() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SHOW synchronous_commit")
        return str(cursor.fetchone()[0])


@pytest.mark.django_db
def test_off_inside_and_the_default_again_after_even_after_an_error() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only")
    before = synchronous_commit()
    with without_waiting_for_the_disk():
        assert synchronous_commit() == "off"
    assert synchronous_commit() == before == "on"
    with pytest.raises(ZeroDivisionError), without_waiting_for_the_disk():
        1 / 0  # noqa: B018
    assert synchronous_commit() == "on"


@pytest.mark.django_db
def test_elsewhere_it_asks_the_database_nothing(django_assert_num_queries) -> None:  # type: ignore[no-untyped-def]
    if connection.vendor == "postgresql":
        pytest.skip("not PostgreSQL only")
    with django_assert_num_queries(0), without_waiting_for_the_disk():
        pass
