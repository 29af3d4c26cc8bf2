"""One client address for the lockouts, allauth's limits and the API's throttling: REMOTE_ADDR, or behind our
own proxies the address the outermost one saw; never what a client writes into X-Forwarded-For itself."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import RequestFactory

from emotipal.platform.client_ip import client_ip

PROXY = "10.0.0.2"


def request(forwarded: str | None = None, remote: str = PROXY) -> Any:
    extra = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().get("/", **extra)


def test_without_trusted_proxies_the_header_is_ignored(settings: Any) -> None:
    settings.EMOTIPAL_TRUSTED_PROXY_COUNT = 0
    assert client_ip(request("203.0.113.5")) == PROXY


@pytest.mark.parametrize(
    ("proxies", "forwarded", "expected"),
    [
        (1, "198.51.100.7", "198.51.100.7"),
        # The client sent its own X-Forwarded-For: our proxy appended the real address after it.
        (1, "1.2.3.4, 198.51.100.7", "198.51.100.7"),
        (2, "1.2.3.4, 198.51.100.7, 10.0.0.9", "198.51.100.7"),
        # Not through all the proxies (fewer entries): only its own address is known.
        (2, "198.51.100.7", PROXY),
        (1, None, PROXY),
        (1, " , ", PROXY),
    ],
)
def test_behind_proxies_the_outermost_ones_view_counts(
    settings: Any, proxies: int, forwarded: str | None, expected: str
) -> None:
    settings.EMOTIPAL_TRUSTED_PROXY_COUNT = proxies
    assert client_ip(request(forwarded)) == expected
