"""The clock's replay of a simulated moment (the demo loader's history), and its limits."""

from __future__ import annotations

import datetime as dt

import pytest

from emotipal.platform import clock


def test_replaying_sets_now_only_inside_the_block() -> None:
    moment = dt.datetime(2026, 3, 29, 1, 30, tzinfo=dt.UTC)
    before = clock.now()
    with clock.replaying(moment):
        assert clock.now() == moment
        with clock.replaying(moment + dt.timedelta(days=1)):
            assert clock.now() == moment + dt.timedelta(days=1)
        assert clock.now() == moment
    assert clock.now() >= before


def test_replaying_refuses_a_naive_moment() -> None:
    with pytest.raises(ValueError, match="aware"), clock.replaying(dt.datetime(2026, 3, 29, 1, 30)):
        pass
