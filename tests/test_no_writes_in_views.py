"""Views and API modules stay thin: every write that matters goes through an app's actions (services), which
also write its audit row in the same transaction. This walks the syntax tree of every view and API module and
fails on an ORM write call there."""

from __future__ import annotations

import ast
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
ALWAYS_WRITES = {"save", "delete", "bulk_create", "bulk_update", "get_or_create", "update_or_create"}
QUERYSET_WRITES = {"create", "update"}  # only on a manager or queryset (dict.update is fine)
QUERYSET_MARKERS = {"objects", "filter", "exclude", "all", "select_for_update"}


def view_and_api_modules() -> list[Path]:
    root = REPO_ROOT / "emotipal"
    return sorted(
        {
            *root.glob("*/views/**/*.py"),
            *root.glob("*/api.py"),
            *root.glob("*/api_*.py"),
            *root.glob("*/api/**/*.py"),
        }
    )


def _names_in(node: ast.AST) -> set[str]:
    names = set()
    for sub in ast.walk(node):
        if isinstance(sub, ast.Attribute):
            names.add(sub.attr)
        elif isinstance(sub, ast.Name):
            names.add(sub.id)
    return names


def orm_writes(path: Path) -> list[str]:
    found = []
    where = path.relative_to(REPO_ROOT) if path.is_relative_to(REPO_ROOT) else path.name
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
            continue
        method = node.func.attr
        if isinstance(node.func.value, ast.Name) and node.func.value.id in ("api", "router"):
            continue  # @api.delete(...): declaring an operation, not deleting anything
        if method in ALWAYS_WRITES or (
            method in QUERYSET_WRITES and _names_in(node.func.value) & QUERYSET_MARKERS
        ):
            found.append(f"{where}:{node.lineno} .{method}()")
    return found


def test_the_walk_sees_every_app() -> None:
    apps = {p.relative_to(REPO_ROOT / "emotipal").parts[0] for p in view_and_api_modules()}
    assert {"accounts", "library", "homework", "measures"} <= apps


def test_the_check_finds_a_write(tmp_path: Path) -> None:
    sample = tmp_path / "view.py"
    sample.write_text(
        "def v(r):\n    r.user.save()\n    Entry.objects.filter(pk=1).update(x=2)\n    d.update(a=1)\n"
    )
    assert [w.split(" ")[1] for w in orm_writes(sample)] == [".save()", ".update()"]


def test_no_orm_writes_in_views_or_api_modules() -> None:
    writes = [w for path in view_and_api_modules() for w in orm_writes(path)]
    assert writes == []
