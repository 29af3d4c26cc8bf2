"""`make lint` checks the pins in constraints.txt offline against security/vulnerabilities.json
(scripts/audit_deps.py): a recorded vulnerability fails unless security/accepted.toml accepts it with a reason,
and a list that no longer matches the pins fails; `make audit-deps` rebuilds the list from PyPI's JSON API."""

from __future__ import annotations

import datetime as dt
import json
import urllib.error
from pathlib import Path
from typing import Any

import pytest

from scripts import audit_deps

ROOT = Path(__file__).resolve().parents[2]
ADVISORY = {
    "id": "PYSEC-2026-11",
    "aliases": ["CVE-2026-1111", "GHSA-aaaa-bbbb-cccc"],
    "summary": "SQL injection through a crafted column alias",
    "details": "Long text.",
    "fixed_in": ["5.2.20"],
    "link": "https://osv.dev/vulnerability/PYSEC-2026-11",
    "source": "osv",
    "withdrawn": None,
}


def listed(**packages: dict[str, Any]) -> dict[str, Any]:
    return {"format": audit_deps.FORMAT, "refreshed": "2026-12-01", "packages": packages}


def entry(version: str, *vulnerabilities: dict[str, Any]) -> dict[str, Any]:
    return {"version": version, "audited": "release", "vulnerabilities": list(vulnerabilities)}


def accept(id: str = "PYSEC-2026-11", version: str = "5.2.19", reason: str = "") -> audit_deps.Acceptance:
    return audit_deps.Acceptance(package="django", version=version, id=id, reason=reason)


PINS = {"django": "5.2.19", "pyyaml": "6.0.3"}
RECORDED = listed(django=entry("5.2.19", audit_deps._vulnerability(ADVISORY)), pyyaml=entry("6.0.3"))


def test_a_pin_with_a_recorded_vulnerability_fails() -> None:
    problems, summary = audit_deps.check(PINS, RECORDED, [])
    assert len(problems) == 1
    assert "django==5.2.19: PYSEC-2026-11" in problems[0] and "fixed in 5.2.20" in problems[0]
    assert "1 open" in summary


@pytest.mark.parametrize("by", ["PYSEC-2026-11", "CVE-2026-1111"])
def test_an_accepted_vulnerability_with_a_reason_passes(by: str) -> None:
    reason = "Only the Oracle backend builds that alias; EmotiPal runs on PostgreSQL and SQLite."
    problems, summary = audit_deps.check(PINS, RECORDED, [accept(by, reason=reason)])
    assert problems == []
    assert "0 open and 1 accepted" in summary


def test_an_acceptance_without_a_reason_does_not_accept() -> None:
    problems, _ = audit_deps.check(PINS, RECORDED, [accept(reason="")])
    assert any("not accepted" in p for p in problems)
    assert any("accepted without a reason" in p for p in problems)


def test_an_acceptance_for_another_version_does_not_carry_over() -> None:
    moved = listed(django=entry("5.2.20"), pyyaml=entry("6.0.3"))
    old = accept(reason="Not reachable from our code.")
    problems, _ = audit_deps.check({"django": "5.2.20", "pyyaml": "6.0.3"}, moved, [old])
    assert len(problems) == 1 and "matches no recorded vulnerability of a current pin" in problems[0]
    # and the vulnerability of the old version is not hidden by an acceptance for another version
    problems, _ = audit_deps.check(PINS, RECORDED, [accept(version="5.2.18", reason="Not reachable.")])
    assert any("django==5.2.19: PYSEC-2026-11" in p for p in problems)


def test_a_pin_changed_without_a_refresh_fails() -> None:
    problems, _ = audit_deps.check({"django": "5.2.20", "pyyaml": "6.0.3"}, RECORDED, [])
    assert problems == [
        "django==5.2.20 is pinned, the list has 5.2.19: run `make audit-deps` after changing pins"
    ]
    problems, _ = audit_deps.check({**PINS, "redis": "8.1.0"}, RECORDED, [])
    assert any("redis==8.1.0 is pinned, the list has missing" in p for p in problems)
    problems, _ = audit_deps.check({"pyyaml": "6.0.3"}, RECORDED, [])
    assert any("django is in the list but no longer pinned" in p for p in problems)


def test_only_exact_pins_are_read(tmp_path: Path) -> None:
    constraints = tmp_path / "constraints.txt"
    constraints.write_text("Django==5.2.19  # the web framework\n\ndjango_stubs==6.1.2\n")
    assert audit_deps.read_pins(constraints) == {"django": "5.2.19", "django-stubs": "6.1.2"}
    constraints.write_text("Django>=5.2\n")
    with pytest.raises(SystemExit, match="not an exact pin"):
        audit_deps.read_pins(constraints)


class FakePyPI:
    """PyPI's two JSON documents for a few projects, as this machine's PyPI serves them: the release document
    for some releases only (404 for the rest), the project document describing the latest release."""

    def __init__(self, fail: bool = False) -> None:
        self.fail = fail
        self.asked: list[str] = []

    def __call__(self, url: str) -> dict[str, Any] | None:
        self.asked.append(url)
        if self.fail and "pyyaml" in url:
            raise urllib.error.URLError("Name or service not known")
        documents: dict[str, dict[str, Any]] = {
            "django/5.2.19": {
                "vulnerabilities": [ADVISORY, {**ADVISORY, "id": "OLD-1", "withdrawn": "2026"}]
            },
            "pyyaml": {"info": {"version": "6.0.3"}, "releases": {"6.0.3": []}, "vulnerabilities": []},
            "redis": {"info": {"version": "8.2.0"}, "releases": {"8.1.0": [], "8.2.0": []}},
        }
        key = url.removeprefix(f"{audit_deps.PYPI}/").removesuffix("/json")
        return documents.get(key)


def test_a_refreshed_list_parses_and_says_what_was_audited(tmp_path: Path) -> None:
    pins = {**PINS, "redis": "8.1.0"}
    fresh = audit_deps.refresh(pins, FakePyPI(), dt.date(2026, 12, 4))
    path = tmp_path / "vulnerabilities.json"
    audit_deps.write(fresh, path)
    read_back = json.loads(path.read_text())
    packages = read_back["packages"]
    assert packages["django"]["audited"] == "release"
    assert [v["id"] for v in packages["django"]["vulnerabilities"]] == ["PYSEC-2026-11"]  # not the withdrawn
    assert packages["pyyaml"] == {"version": "6.0.3", "audited": "latest", "vulnerabilities": []}
    assert packages["redis"]["audited"] is None and "describes 8.2.0 only" in packages["redis"]["note"]
    problems, summary = audit_deps.check(pins, read_back, [])
    assert [p.split(":")[0] for p in problems] == ["django==5.2.19"]
    assert "2026-12-04: 2 audited, 1 open and 0 accepted vulnerabilities; 1 not audited" in summary


def test_a_refresh_that_cannot_reach_pypi_writes_nothing() -> None:
    with pytest.raises(urllib.error.URLError):
        audit_deps.refresh({**PINS}, FakePyPI(fail=True), dt.date(2026, 12, 4))


def test_a_pin_that_is_not_on_pypi_stops_the_refresh() -> None:
    with pytest.raises(SystemExit, match=r"redis==9\.9\.9 is not a release"):
        audit_deps.refresh({"redis": "9.9.9"}, FakePyPI(), dt.date(2026, 12, 4))


def test_the_shipped_list_is_of_the_current_pins_and_has_nothing_open() -> None:
    pins = audit_deps.read_pins(ROOT / "constraints.txt")
    shipped = json.loads((ROOT / "security" / "vulnerabilities.json").read_text())
    problems, _ = audit_deps.check(
        pins, shipped, audit_deps.read_accepted(ROOT / "security" / "accepted.toml")
    )
    assert problems == []


def test_make_lint_runs_the_check_and_the_refresh_is_a_target() -> None:
    makefile = (ROOT / "Makefile").read_text()
    lint = makefile.split("\nlint:", 1)[1].split("\n\n", 1)[0]
    assert "scripts/audit_deps.py check" in lint
    assert "scripts/audit_deps.py refresh" in makefile.split("\naudit-deps:", 1)[1].split("\n\n", 1)[0]
    assert "make audit-deps" in (ROOT / "README.md").read_text()
