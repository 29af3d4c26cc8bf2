"""``emotipal analyse DIR``: JSON keys, the text report, the HTML report, and bad input (exit 2).

Pure tests: no database, no Django settings.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from compliance_sim import dataset_dir

from emotipal.analysis.analyse_cli import main

REPO_ROOT = Path(__file__).resolve().parents[2]
ENTRY_KEYS = {"r", "ci_low", "ci_high", "k"}
ESTIMATE_KEYS = {"r", "ci_low", "ci_high", "se_z", "p"}
MODERATOR_KEYS = {
    "tested",
    "groups",
    "matched_on",
    "differences",
    "statistic",
    "df",
    "p",
    "confounded",
    "reason",
}


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return dataset_dir(tmp_path_factory.mktemp("cli") / "data", seed=3, halo=0.5, truth_clients=600)


@pytest.fixture(scope="module")
def json_report(data_dir: Path) -> dict[str, Any]:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main([str(data_dir), "--format", "json", "--resamples", "200"]) == 0
    return json.loads(out.getvalue())


def test_json_has_the_correlation_and_moderator_results(json_report: dict[str, Any]) -> None:
    r = json_report
    assert set(r["overall"]) >= ESTIMATE_KEYS | {"k", "estimate_z", "figures", "truth"}
    assert r["overall"]["k"] == 8  # the figures' mean, not 24 figure-by-therapist "studies"
    assert r["overall"]["ci_low"] < r["overall"]["r"] < r["overall"]["ci_high"]
    assert r["bootstrap"]["resamples"] == 200 and r["bootstrap"]["seed"] == 2026
    expected_levels = {
        "by_source": {"client", "therapist", "combined", "objective"},
        "by_type": {"likert", "count", "percentage"},
        "by_timing": {"contemporaneous", "retroactive"},
    }
    for key, levels in expected_levels.items():
        assert set(r[key]) == levels
        for entry in r[key].values():
            assert set(entry) == ENTRY_KEYS
            assert entry["ci_low"] < entry["r"] < entry["ci_high"]
        assert sum(e["k"] for e in r[key].values()) == r["overall"]["k"]
    moderators = r["moderators"]
    for name in ("source", "type", "timing"):
        assert set(moderators[name]) == MODERATOR_KEYS
        assert moderators[name]["tested"] and 0 <= moderators[name]["p"] <= 1
    # What the figure set can separate: the three raters (2 df), count vs percentage, and timing.
    assert moderators["source"]["groups"] == [["client", "therapist", "combined"], ["objective"]]
    assert (
        moderators["source"]["df"] == 2 and moderators["type"]["df"] == 1 and moderators["timing"]["df"] == 1
    )
    assert moderators["source"]["confounded"] == [
        {
            "levels": ["client", "therapist", "combined"],
            "other_levels": ["objective"],
            "confounded_with": ["type"],
        }
    ]
    assert [d["level"] for d in moderators["type"]["differences"]] == ["percentage"]
    (joint,) = r["confounded"]
    assert joint["moderators"] == ["source", "type"] and joint["matched_on"] == ["timing"]
    assert set(joint["figures_b"]) == {"objective_percentage", "objective_count"}
    assert len(r["figures"]) == 8 and "studies" not in r
    for f in r["figures"]:
        assert {
            "name",
            "source",
            "type",
            "timing",
            "n",
            "n_therapists",
            "reason",
            "between",
            "all_clients",
        } <= set(f)
        assert set(f) >= ESTIMATE_KEYS and f["ci_low"] < f["r"] < f["ci_high"]
        assert set(f["truth"]) == {"within", "all_clients", "covered"}
        assert len(f["by_therapist"]) == 3
    assert set(r["mixed_model"]["coefficients"]) == {
        "intercept",
        "week",
        "within",
        "between",
        "week_x_between",
    }
    assert {"estimate", "ci_low", "ci_high"} <= set(r["mediation"]["indirect"])
    assert r["mediation"]["bootstrap"]["resamples"] == 200
    truth = r["truth"]
    assert (
        truth["true_r"] == 0.5
        and truth["halo"] == 0.5
        and truth["reference_figure"] == "objective_percentage"
    )
    assert truth["truth"]["reference_within_r"] == 0.5
    assert set(truth["truth"]["figures"]) == {f["name"] for f in r["figures"]}
    assert set(truth["realised"]) == {
        "reference_within_r",
        "reference_all_clients_r",
        "latent_within_r",
        "share_missing",
    }
    assert {"time_slope_mean", "time_slope_sd", "lagged_within_effect"} <= set(truth["truth"])
    # Every key of the report is documented in it.
    documented = " ".join(r["definitions"])
    for key in r:
        assert key in documented, key


def test_text_is_the_default(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main([str(data_dir), "--resamples", "50"]) == 0
    out = capsys.readouterr().out
    for text in (
        "within therapists",
        "Overall",
        "By source",
        "By type",
        "By timing",
        "Wald chi2(",
        "Not separable: client, therapist, combined vs objective - confounded with type",
        "source and type are the same split",
        "truth",
        "realised",
        "Mixed model",
        "Mediation",
        "Methods",
    ):
        assert text in out, text


class _Html(HTMLParser):
    """Collects tags, checks that every opened element is closed in order (void elements aside)."""

    VOID = frozenset(
        {"meta", "br", "img", "hr", "input", "link", "line", "rect", "circle", "polygon", "path"}
    )

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []
        self.tags: list[str] = []
        self.svg_titles: list[str] = []
        self.attrs: list[tuple[str, str | None]] = []
        self.errors: list[str] = []
        self._in_title = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.attrs += attrs
        if tag == "title" and "svg" in self.stack:
            self._in_title = True
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.attrs += attrs

    def handle_endtag(self, tag: str) -> None:
        if tag in self.VOID:
            return
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> closes {self.stack[-1:] or 'nothing'}")
            return
        self.stack.pop()
        self._in_title = False

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.svg_titles.append(data)


def test_html_report_is_self_contained_with_inline_svg_plots(
    data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "report.html"
    assert main([str(data_dir), "--format", "json", "--html", str(target), "--resamples", "50"]) == 0
    json.loads(capsys.readouterr().out)  # stdout stays pure JSON
    text = target.read_text(encoding="utf-8")
    assert text.startswith("<!DOCTYPE html>")
    parser = _Html()
    parser.feed(text)
    parser.close()
    assert not parser.errors, parser.errors[:5]
    assert not parser.stack
    assert parser.tags.count("svg") == 2
    assert {"Forest plot", "PHQ-9 trajectories"} <= set(parser.svg_titles)
    assert parser.tags.count("table") >= 6  # figures, three moderators, mixed model, mediation
    # Self-contained: nothing is fetched from anywhere.
    assert "script" not in parser.tags and "img" not in parser.tags and "link" not in parser.tags
    assert not [v for k, v in parser.attrs if k in {"src", "href"}]
    for heading in (
        "Methods",
        "Forest plot",
        "PHQ-9 trajectories",
        "mixed model",
        "Mediation",
        "known truth",
    ):
        assert heading in text
    assert "<?xml" not in text


# --- bad input -------------------------------------------------------------------------------------------


def _edit(path: Path, change: Callable[[list[dict[str, str]], list[str]], list[str] | None]) -> None:
    """Rewrite a CSV file; `change` edits the rows in place and may return new column names."""
    with path.open(newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        columns = list(reader.fieldnames or [])
        rows = list(reader)
    columns = change(rows, columns) or columns
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=columns, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)


def _set(row: int, column: str, value: str) -> Callable[[list[dict[str, str]], list[str]], None]:
    def change(rows: list[dict[str, str]], _columns: list[str]) -> None:
        rows[row][column] = value

    return change


def _drop_column(column: str) -> Callable[[list[dict[str, str]], list[str]], list[str]]:
    return lambda _rows, columns: [c for c in columns if c != column]


def _no_rows(rows: list[dict[str, str]], _columns: list[str]) -> None:
    rows.clear()


def _first_client_only(rows: list[dict[str, str]], _columns: list[str]) -> None:
    rows[:] = [r for r in rows if r["client_key"] == rows[0]["client_key"]]


BAD_INPUTS: list[tuple[str, str, Callable[[list[dict[str, str]], list[str]], list[str] | None] | None, str]] = [
    # (id, file, change (None: delete the file), what the message must say)
    ("missing-file", "scores.csv", None, "scores.csv: file not found"),
    ("missing-column", "scores.csv", _drop_column("phq9"), "column 'phq9' not found"),
    ("text-for-number", "scores.csv", _set(2, "phq9", "abc"), "scores.csv, line 4, column 'phq9': 'abc' is not a number"),
    ("out-of-range", "scores.csv", _set(0, "phq9", "31"), "scores.csv, line 2, column 'phq9': 31 is outside 0..27"),
    ("fractional-week", "scores.csv", _set(0, "week", "1.5"), "column 'week': '1.5' is not a whole number"),
    ("missing-value", "therapist_reviews.csv", _set(5, "assignment_key", ""), "line 7, column 'assignment_key': value is missing"),
    ("unknown-client", "scores.csv", _set(0, "client_key", "zz9"), "unknown client 'zz9' (not in clients.csv)"),
    ("bad-boolean", "entries.csv", _set(1, "submitted", "maybe"), "entries.csv, line 3, column 'submitted': 'maybe' is not True or False"),
    ("bad-weekdays", "assignments.csv", _set(0, "practice_weekdays", "[9]"), "column 'practice_weekdays': '[9]' is not a list of weekdays"),
    ("bad-rating", "retro_ratings.csv", _set(0, "quantity", "7"), "retro_ratings.csv, line 2, column 'quantity': 7 is outside 0..4"),
    ("bad-rater", "retro_ratings.csv", _set(0, "rater", "mother"), "'mother' is not a rater"),
    ("fewer-than-2-clients", "scores.csv", _first_client_only, "at least 2 clients with two or more PHQ-9 scores"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("file", "change", "message"), [b[1:] for b in BAD_INPUTS], ids=[b[0] for b in BAD_INPUTS]
)
def test_bad_input_exits_2_with_a_message_naming_the_place(
    data_dir: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    file: str,
    change: Callable[[list[dict[str, str]], list[str]], list[str] | None] | None,
    message: str,
) -> None:
    bad = tmp_path / "bad"
    shutil.copytree(data_dir, bad)
    if change is None:
        (bad / file).unlink()
    else:
        _edit(bad / file, change)
    assert main([str(bad), "--format", "json"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith("emotipal analyse: error: ")
    assert message in captured.err
    assert captured.err.count("\n") == 1  # one line, no traceback


def test_without_retroactive_ratings_timing_is_not_tested(
    data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bare = tmp_path / "bare"
    shutil.copytree(data_dir, bare)
    _edit(bare / "retro_ratings.csv", _no_rows)
    assert main([str(bare), "--format", "json", "--resamples", "50"]) == 0
    r = json.loads(capsys.readouterr().out)
    assert r["moderators"]["timing"] == {
        **r["moderators"]["timing"],
        "tested": False,
        "reason": "every figure with a value has the same timing",
    }
    assert r["overall"]["k"] == 5
    assert main([str(bare), "--resamples", "50"]) == 0
    assert "Not tested: every figure with a value has the same timing." in capsys.readouterr().out


def test_bad_directory_and_options(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main([str(tmp_path / "nowhere")]) == 2
    assert "nowhere: no such directory" in capsys.readouterr().err
    (tmp_path / "file.csv").write_text("a,b\n")
    assert main([str(tmp_path / "file.csv")]) == 2
    assert "not a directory" in capsys.readouterr().err
    assert main([str(tmp_path), "--format", "xml"]) == 2
    assert "invalid choice" in capsys.readouterr().err
    assert main([str(tmp_path), "--resamples", "0"]) == 2
    assert main([]) == 2
    assert main(["--help"]) == 0


def test_unwritable_html_target_exits_2(
    data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([str(data_dir), "--resamples", "20", "--html", str(tmp_path / "no" / "such" / "r.html")]) == 2
    assert "cannot write the report" in capsys.readouterr().err


def test_command_runs_without_django_and_never_prints_a_traceback(data_dir: Path, tmp_path: Path) -> None:
    code = (
        "import sys, emotipal.analysis.analyse_cli as cli\n"
        "assert cli.main([sys.argv[1]]) == 2\n"
        "assert cli.main([sys.argv[2], '--format', 'json', '--resamples', '20']) == 0\n"
        "assert 'django' not in sys.modules, 'django imported'\n"
        "bad = [m for m in sys.modules\n"
        "       if m.startswith('emotipal.') and not m.startswith('emotipal.analysis')]\n"
        "assert not bad, bad\n"
    )
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    (tmp_path / "clients.csv").write_text("key,therapist_key\nc1,t1\n")
    proc = subprocess.run(  # noqa: S603 - a fixed command, no outside input
        [sys.executable, "-c", code, str(tmp_path), str(data_dir)],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stderr
    assert (
        proc.stderr
        == f"emotipal analyse: error: {tmp_path / 'scores.csv'}: file not found (the data set needs it)\n"
    )
    assert json.loads(proc.stdout)["overall"]["k"] == 8
