"""Browser tests wait for asynchronous page conditions with browser_helpers.wait_until, never with
page.wait_for_function: that one takes a returned promise itself as "true" and passes at once
(microsoft/playwright#29132), so the wait would check nothing and the test would race the page."""

from __future__ import annotations

import re
from pathlib import Path

TESTS = Path(__file__).resolve().parent
# A wait_for_function call up to its closing parenthesis, across lines.
CALL = re.compile(r"wait_for_function\((?P<body>(?:[^()]|\([^()]*\))*)\)", re.S)
ASYNC = re.compile(r"\.then\(|\basync\b|\bawait\b|Promise|serviceWorker\.ready|caches\.|EmotiPalOutboxStore")


def promise_waits(source: str) -> list[str]:
    return [m.group("body").strip() for m in CALL.finditer(source) if ASYNC.search(m.group("body"))]


def test_no_browser_test_waits_on_a_promise_with_wait_for_function() -> None:
    found = {
        str(path.relative_to(TESTS)): waits
        for path in TESTS.rglob("*.py")
        if path.name != Path(__file__).name and (waits := promise_waits(path.read_text()))
    }
    assert found == {}


def test_the_check_sees_a_promise_wait_across_lines() -> None:
    source = (
        'page.wait_for_function(\n    "() => window.EmotiPalOutboxStore.all().then(i => i.length === 0)"\n)'
    )
    assert promise_waits(source) and not promise_waits(
        'page.wait_for_function("() => window.ready === true")'
    )
