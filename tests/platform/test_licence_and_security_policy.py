"""The licence file is the licence pyproject declares, in full; SECURITY.md says how to report and names
tests that exist."""

from __future__ import annotations

import hashlib
import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# The FSF's text of the GNU AGPL v3 (https://www.gnu.org/licenses/agpl-3.0.txt), byte for byte.
AGPL_3_MD5 = "eb1e647870add0502f8f010b19de32af"


def test_the_licence_file_is_the_declared_licence_unchanged() -> None:
    declared = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["license"]
    assert declared == "AGPL-3.0-or-later"
    text = (ROOT / "LICENSE").read_bytes()
    assert text.startswith(
        b"                    GNU AFFERO GENERAL PUBLIC LICENSE\n                       Version 3"
    )
    assert hashlib.md5(text).hexdigest() == AGPL_3_MD5  # noqa: S324 (a checksum, not security)


def test_the_security_policy_says_how_to_report_and_its_tests_exist() -> None:
    policy = (ROOT / "SECURITY.md").read_text()
    assert "## Reporting a vulnerability" in policy and "privately" in policy
    named = set(re.findall(r"`(tests/[\w/]+\.py)`", policy))
    assert len(named) >= 8
    missing = [path for path in named if not (ROOT / path).is_file()]
    assert not missing, f"SECURITY.md names tests that do not exist: {missing}"
