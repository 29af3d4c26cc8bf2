"""docs/security.md names, for each threat, the test that shows its control: every test it names exists."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
NAMED = re.compile(r"`(tests/[\w/]+\.py)(?:::(\w+))?`")


def functions_in(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    return {node.name for node in ast.walk(tree) if isinstance(node, ast.FunctionDef)}


def test_every_test_the_threat_model_names_exists() -> None:
    model = (ROOT / "docs" / "security.md").read_text()
    for heading in ("## Assets", "## Actors", "## Trust boundaries", "## Threats, controls and tests"):
        assert heading in model
    named = NAMED.findall(model)
    assert len(named) >= 30
    missing = []
    for path, function in named:
        file = ROOT / path
        if not file.is_file() or (function and function not in functions_in(file)):
            missing.append(f"{path}::{function}" if function else path)
    assert missing == []


def test_every_actor_of_the_design_is_in_the_model() -> None:
    model = (ROOT / "docs" / "security.md").read_text()
    for actor in (
        "Client",
        "Support person",
        "Therapist",
        "Supervisor",
        "Researcher",
        "Clinic admin",
        "Outsider",
    ):
        assert f"| {actor}" in model, actor
