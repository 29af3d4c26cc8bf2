"""Known vulnerabilities in the pinned dependencies (constraints.txt), checked offline against a list in the
repository (security/vulnerabilities.json) that `refresh` rebuilds from PyPI.

    python scripts/audit_deps.py check     # `make lint`: offline, the same answer on every run
    python scripts/audit_deps.py refresh   # `make audit-deps`: asks PyPI, rewrites the list

Why a shipped list instead of running pip-audit in `make lint`: lint must not depend on a network service
(CI would fail, or worse pass, with the service's mood), and pip-audit, where PyPI's per-release documents
cannot be read, reports every package as "not found", audits nothing and still says "No known
vulnerabilities found". Here an unaudited pin is recorded as such and named on every run.

The data is PyPI's: the "vulnerabilities" of https://pypi.org/pypi/NAME/VERSION/json (the PyPA advisory
database via OSV, the same source as pip-audit's PyPI service). Where PyPI does not serve that document but
the pin is the project's latest release, the project document https://pypi.org/pypi/NAME/json lists the same
vulnerabilities; otherwise the pin is recorded as not audited, with the reason.

`check` fails when constraints.txt and the list disagree (a pin changed without a refresh), when a pin has a
recorded vulnerability that security/accepted.toml does not accept with a reason, and when an acceptance
matches no recorded vulnerability (fixed, or the pin moved on: it is deleted, not carried over).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import re
import sys
import tomllib
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
CONSTRAINTS = ROOT / "constraints.txt"
VULNERABILITIES = ROOT / "security" / "vulnerabilities.json"
ACCEPTED = ROOT / "security" / "accepted.toml"
FORMAT = "emotipal-vulnerabilities/1"
PYPI = "https://pypi.org/pypi"
PIN = re.compile(r"^(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)==(?P<version>[A-Za-z0-9.+!_-]+)$")

# A URL -> its JSON document, or None when PyPI answers 404; any other failure raises.
Fetch = Callable[[str], "dict[str, Any] | None"]


def canonical(name: str) -> str:
    """PEP 503: `Django`, `django_stubs` and `django.stubs` are one project each."""
    return re.sub(r"[-_.]+", "-", name).lower()


def read_pins(path: Path) -> dict[str, str]:
    """constraints.txt as canonical name -> version. Anything but `name==version` is refused: the check is
    only as exact as the pins."""
    pins: dict[str, str] = {}
    for number, raw in enumerate(path.read_text().splitlines(), 1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        match = PIN.match(line)
        if match is None:
            raise SystemExit(f"{path.name}:{number}: not an exact pin (name==version): {raw!r}")
        pins[canonical(match["name"])] = match["version"]
    return pins


@dataclass(frozen=True)
class Acceptance:
    package: str
    version: str
    id: str
    reason: str


def read_accepted(path: Path) -> list[Acceptance]:
    if not path.exists():
        return []
    data = tomllib.loads(path.read_text())
    return [
        Acceptance(
            package=canonical(str(item.get("package", ""))),
            version=str(item.get("version", "")),
            id=str(item.get("id", "")),
            reason=str(item.get("reason", "")).strip(),
        )
        for item in data.get("accepted", [])
    ]


def check(pins: dict[str, str], listed: dict[str, Any], accepted: list[Acceptance]) -> tuple[list[str], str]:
    """(problems, summary). No problems: the list is of these pins and each recorded vulnerability is accepted
    with a reason."""
    if listed.get("format") != FORMAT:
        return [f"{VULNERABILITIES.name} is not in the format {FORMAT}: run `make audit-deps`"], ""
    packages: dict[str, Any] = listed.get("packages", {})
    problems = []
    for name in sorted(set(pins) | set(packages)):
        entry = packages.get(name)
        if name not in pins:
            problems.append(f"{name} is in the list but no longer pinned: run `make audit-deps`")
        elif entry is None or entry.get("version") != pins[name]:
            was = "missing" if entry is None else entry.get("version")
            problems.append(
                f"{name}=={pins[name]} is pinned, the list has {was}: run `make audit-deps` after changing pins"
            )
    used: set[Acceptance] = set()
    open_count = 0
    for name, version in sorted(pins.items()):
        entry = packages.get(name) or {}
        if entry.get("version") != version:
            continue
        for vulnerability in entry.get("vulnerabilities", []):
            names = {vulnerability["id"], *vulnerability.get("aliases", [])}
            match = next(
                (
                    a
                    for a in accepted
                    if a.reason and a.package == name and a.version == version and a.id in names
                ),
                None,
            )
            if match is not None:
                used.add(match)
                continue
            open_count += 1
            fixed = ", ".join(vulnerability.get("fixed_in", [])) or "no fixed release yet"
            problems.append(
                f"{name}=={version}: {vulnerability['id']}, not accepted in {ACCEPTED.name}: "
                f"{vulnerability.get('summary', '')} [fixed in {fixed}; {vulnerability.get('link', '')}]"
            )
    for a in accepted:
        if not a.reason:
            problems.append(f"{ACCEPTED.name}: {a.package}=={a.version} {a.id} is accepted without a reason")
        elif a not in used:
            problems.append(
                f"{ACCEPTED.name}: {a.package}=={a.version} {a.id} matches no recorded vulnerability of a "
                "current pin: delete it (fixed, or the pin moved on)"
            )
    unaudited = [n for n, e in packages.items() if n in pins and not e.get("audited")]
    summary = (
        f"audit_deps: {len(pins)} pins, list refreshed {listed.get('refreshed')}: "
        f"{len(pins) - len(unaudited)} audited, {open_count} open and {len(used)} accepted vulnerabilities; "
        f"{len(unaudited)} not audited (PyPI served no vulnerability data for that release; "
        f"see {VULNERABILITIES.relative_to(ROOT)})"
    )
    return problems, summary


# --- refresh ------------------------------------------------------------------------------------------------------


def fetch_pypi(url: str) -> dict[str, Any] | None:
    request = urllib.request.Request(url, headers={"User-Agent": "emotipal-audit-deps"})  # noqa: S310 (https)
    try:
        with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310 (a fixed https host)
            document: dict[str, Any] = json.load(response)
            return document
    except urllib.error.HTTPError as error:
        if error.code == 404:
            return None
        raise


def _vulnerability(raw: dict[str, Any]) -> dict[str, Any]:
    summary = (raw.get("summary") or (raw.get("details") or "").strip().split("\n", 1)[0]).strip()
    return {
        "id": raw["id"],
        "aliases": sorted(raw.get("aliases") or []),
        "summary": summary[:300],
        "fixed_in": list(raw.get("fixed_in") or []),
        "link": raw.get("link") or "",
    }


def look_up(name: str, version: str, fetch: Fetch) -> dict[str, Any]:
    """One pin's entry: its vulnerabilities, and from which PyPI document (or why none)."""
    release = fetch(f"{PYPI}/{name}/{version}/json")
    document: dict[str, Any] | None = release
    audited: str | None = "release"  # which document said so; None: not audited
    note = ""
    if release is None:
        project = fetch(f"{PYPI}/{name}/json")
        if project is None:
            raise SystemExit(f"audit_deps: {name} is not on PyPI")
        if version not in project.get("releases", {}):
            raise SystemExit(f"audit_deps: {name}=={version} is not a release on PyPI")
        latest = project["info"]["version"]
        if latest == version:
            document, audited = project, "latest"
        else:
            document, audited = None, None
            note = f"PyPI served no document for this release; its project document describes {latest} only"
    found = [] if document is None else document.get("vulnerabilities") or []
    vulnerabilities = sorted(
        (_vulnerability(v) for v in found if not v.get("withdrawn")), key=lambda v: str(v["id"])
    )
    entry: dict[str, Any] = {"version": version, "audited": audited, "vulnerabilities": vulnerabilities}
    if note:
        entry["note"] = note
    return entry


def refresh(pins: dict[str, str], fetch: Fetch, today: dt.date, workers: int = 4) -> dict[str, Any]:
    """The whole list, or an exception: a failed look-up never leaves a half-refreshed list behind."""

    def one(item: tuple[str, str]) -> tuple[str, dict[str, Any]]:
        return item[0], look_up(item[0], item[1], fetch)

    with ThreadPoolExecutor(max_workers=workers) as pool:
        packages = dict(pool.map(one, sorted(pins.items())))
    return {
        "format": FORMAT,
        "source": "PyPI JSON API, field vulnerabilities (scripts/audit_deps.py refresh)",
        "refreshed": today.isoformat(),
        "packages": packages,
    }


def write(listed: dict[str, Any], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(listed, indent=2, sort_keys=True) + "\n")


def main(argv: Iterable[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("command", choices=["check", "refresh"])
    args = parser.parse_args(list(argv) if argv is not None else None)
    pins = read_pins(CONSTRAINTS)
    if args.command == "refresh":
        try:
            listed = refresh(pins, fetch_pypi, dt.date.today())
        except (urllib.error.URLError, TimeoutError) as error:
            print(f"audit_deps: PyPI could not be reached ({error}); the list is unchanged", file=sys.stderr)
            return 1
        write(listed, VULNERABILITIES)
        print(f"audit_deps: wrote {VULNERABILITIES.relative_to(ROOT)}")
    else:
        if not VULNERABILITIES.exists():
            print(
                f"audit_deps: no {VULNERABILITIES.relative_to(ROOT)}: run `make audit-deps`", file=sys.stderr
            )
            return 1
        listed = json.loads(VULNERABILITIES.read_text())
    problems, summary = check(pins, listed, read_accepted(ACCEPTED))
    print(summary)
    for problem in problems:
        print(f"  {problem}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
