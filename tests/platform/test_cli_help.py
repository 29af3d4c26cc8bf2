"""`emotipal --help` and the README list exactly the commands that exist."""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.core.management import get_commands, load_command_class

from emotipal import cli

ROOT = Path(__file__).resolve().parents[2]
# Handled by emotipal/cli.py itself rather than by a Django management command.
CLI_COMMANDS = {"serve", "simulate", "analyse", "meta"}
# "emotipal WORD" followed by sub-actions such as "list|sync" or "compliance".
LINE = re.compile(r"^emotipal (?P<command>[a-z_-]+)(?: (?P<action>[a-z|-]+)(?=\s|$))?", re.M)


def _help_text() -> str:
    done = subprocess.run(
        [sys.executable, "-m", "emotipal.cli", "--help"],
        cwd=ROOT,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def _readme_commands() -> str:
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## The command line", 1)[1]
    return section.split("```", 2)[1]


def _listed(text: str) -> dict[str, set[str]]:
    """Command -> the sub-actions the text names for it (empty set when none)."""
    found: dict[str, set[str]] = {}
    for match in LINE.finditer(text):
        actions = found.setdefault(match["command"], set())
        action = match["action"]
        # Only bare words count as actions: FILE.csv, DIR, --port are arguments, filtered by the regex.
        if action and not action.startswith("-"):
            actions.update(action.split("|"))
    return found


def _emotipal_management_commands() -> set[str]:
    # Found on disk, wherever the apps keep them, so a command added later must be documented too.
    return {
        path.stem
        for path in (ROOT / "emotipal").glob("**/management/commands/*.py")
        if not path.stem.startswith("_")
    }


def _positional_choices(name: str) -> set[str]:
    command = load_command_class(get_commands()[name], name)
    parser = command.create_parser("emotipal", name)
    choices: set[str] = set()
    for action in parser._actions:
        if (
            not action.option_strings
            and action.choices
            and not isinstance(action, argparse._SubParsersAction)
        ):
            choices.update(str(c) for c in action.choices)
    return choices


def test_help_lists_only_commands_that_exist(db: Any) -> None:
    listed = _listed(_help_text())
    assert listed, "no commands found in emotipal --help"
    django_commands = get_commands()
    for command, actions in listed.items():
        if command in CLI_COMMANDS:
            assert not actions, (command, actions)
            continue
        assert command in django_commands, f"emotipal --help lists {command!r}, which does not exist"
        if actions:
            missing = actions - _positional_choices(command)
            assert not missing, f"emotipal --help lists {command} {sorted(missing)}, which it does not accept"


@pytest.mark.parametrize("command", sorted(CLI_COMMANDS - {"serve"}))
def test_the_commands_run_without_django_answer_help(
    command: str, capsys: pytest.CaptureFixture[str]
) -> None:
    # argparse exits 0 after printing help; some of these CLIs catch that and return 0 instead.
    try:
        status = cli.main([command, "--help"])
    except SystemExit as exited:
        status = exited.code  # type: ignore[assignment]
    assert status == 0
    assert "usage" in capsys.readouterr().out.lower()


def test_every_emotipal_management_command_is_in_help_and_readme() -> None:
    ours = _emotipal_management_commands()
    assert {"load_demo", "worker", "export"} <= ours
    in_help, in_readme = set(_listed(_help_text())), set(_listed(_readme_commands()))
    assert ours - in_help == set(), "missing from emotipal --help"
    assert ours - in_readme == set(), "missing from the README's command list"


def test_help_and_readme_list_the_same_commands() -> None:
    assert _listed(_help_text()) == _listed(_readme_commands())


def test_readme_links_nothing_outside_the_repository() -> None:
    readme = (ROOT / "README.md").read_text()
    assert "../" not in readme
    for target in re.findall(r"\]\(([^)#]+)\)", readme):
        if not target.startswith(("http://", "https://", "mailto:")):
            assert (ROOT / target).exists(), target
