"""``emotipal meta FILE.csv``: meta-analysis of a study table from the command line.

Exit status 0 on success and 2 on bad input (one-line message on stderr, never a traceback).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
import sys
from pathlib import Path
from typing import NoReturn

import numpy as np

from . import cli_effects
from .csvdata import Table, read_table, study_labels
from .effects import z_to_r
from .errors import MetaInputError
from .models import METHODS, TESTS, fit
from .moderators import meta_regression, separate_subgroups, subgroup_analysis
from .plots import forest_data, forest_svg, funnel_data, funnel_svg
from .report import Analysis, build_report, render_text
from .report_sections import BiasOptions
from .trimfill import ESTIMATORS, SIDES

PROG = "emotipal meta"


class _UsageError(Exception):
    """Raised instead of argparse's print-usage-and-exit, so main() controls the message and status."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise _UsageError(message)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog=PROG,
        description="Meta-analysis of a CSV table of studies (results match R's metafor).",
        epilog="Correlations are pooled as Fisher's z and reported back as r; log odds and risk ratios are "
        "also reported as ratios. Only empty cells are missing: rows with an empty moderator cell are left "
        "out of the moderator model and reported; name other spellings of 'no value' with --missing.",
    )
    parser.add_argument("file", metavar="FILE.csv", help="CSV file with one row per study and a header row")
    cli_effects.add_arguments(parser)
    parser.add_argument(
        "--method",
        type=str.upper,
        choices=METHODS,
        default="REML",
        help="tau^2 estimator: REML (default), DL or PM; EE for an equal-effects model",
    )
    parser.add_argument(
        "--test",
        type=str.lower,
        choices=TESTS,
        default="z",
        help="z: Wald z tests and normal CIs (metafor's default); knha: Knapp-Hartung t tests and CIs on "
        "k - p df (recommended for few studies)",
    )
    mods = parser.add_mutually_exclusive_group()
    mods.add_argument("--moderator", metavar="COL", help="categorical moderator (subgroup analysis)")
    mods.add_argument("--mods", metavar="COL[,COL...]", help="continuous moderators (meta-regression)")
    parser.add_argument(
        "--missing",
        metavar="TEXT",
        action="append",
        default=[],
        help="a cell text that means 'no value' in the moderator columns, e.g. --missing NA (repeat for "
        "more); without it only empty cells are missing, so a level named 'none' is a level",
    )
    bias = parser.add_argument_group("publication bias")
    bias.add_argument(
        "--orwin-target",
        metavar="VALUE",
        type=float,
        help="Orwin's fail-safe N: the average effect to pull the estimate down to, on the scale of the "
        "analysis (Fisher's z, log ratio, ...); default half the weighted average, as metafor",
    )
    bias.add_argument(
        "--trimfill-side",
        choices=SIDES,
        help="side of the funnel where studies are missing (default: metafor's rule, from the sign of "
        "the slope in Egger's regression)",
    )
    bias.add_argument(
        "--trimfill-estimator",
        type=str.upper,
        choices=ESTIMATORS,
        default="L0",
        help="estimator of the number of missing studies (default L0)",
    )
    parser.add_argument(
        "--influence",
        action="store_true",
        help="add the leave-one-out analysis and the influence diagnostics of every study",
    )
    parser.add_argument(
        "--format", choices=("text", "json"), default="text", help="output format (default text)"
    )
    parser.add_argument("--forest", metavar="FILE.svg", help="write a forest plot as SVG")
    parser.add_argument("--funnel", metavar="FILE.svg", help="write a funnel plot as SVG")
    return parser


def _mod_columns(spec: str, table: Table) -> list[str]:
    cols = [c.strip() for c in spec.split(",")]
    if any(not c for c in cols):
        raise _UsageError(f"--mods {spec!r}: empty column name")
    if len(set(cols)) != len(cols):
        raise _UsageError(f"--mods {spec!r}: a column is listed twice")
    for c in cols:
        table.require(c)
    return cols


def _effects(args: argparse.Namespace, table: Table) -> cli_effects.Effects:
    try:
        return cli_effects.read_effects(args, table)
    except cli_effects.EffectUsageError as exc:
        raise _UsageError(str(exc)) from None


def run(args: argparse.Namespace) -> tuple[dict[str, object], Analysis]:
    """Read the table, fit the overall model and the moderator model, write plots; return the report."""
    table = read_table(args.file)
    eff = _effects(args, table)
    es = eff.es
    if len(table) < 2:
        raise MetaInputError(f"{args.file}: at least 2 studies are needed, found {len(table)}")
    test, missing = args.test, tuple(args.missing)
    overall = fit(es.yi, es.vi, method=args.method, test=test)
    analysis = Analysis(
        source=args.file,
        overall=overall,
        correlation=eff.scale == "z",
        ratio=eff.scale == "log",
        effect_label=eff.label,
        lines=table.lines,
        bias=BiasOptions(args.orwin_target, args.trimfill_side, args.trimfill_estimator),
        labels=study_labels(table) if args.influence else None,
    )
    if args.moderator is not None:
        groups: list[str | None] = list(table.text(args.moderator))
        name = args.moderator
        try:
            sub = subgroup_analysis(
                es.yi, es.vi, groups, method=args.method, name=name, test=test, missing=missing
            )
            sep = separate_subgroups(
                es.yi, es.vi, groups, method=args.method, name=name, test=test, missing=missing
            )
        except MetaInputError as exc:
            where = args.file if f"'{name}'" in str(exc) else f"{args.file}, moderator '{name}'"
            raise MetaInputError(f"{where}: {exc}") from None
        analysis = dataclasses.replace(analysis, subgroups=sub, separate=sep)
    elif args.mods is not None:
        cols = _mod_columns(args.mods, table)
        values = {c: table.optional_numbers(c, missing) for c in cols}
        try:
            reg = meta_regression(es.yi, es.vi, values, method=args.method, test=test, missing=missing)
        except MetaInputError as exc:
            raise MetaInputError(f"{args.file}, moderators {', '.join(cols)}: {exc}") from None
        analysis = dataclasses.replace(analysis, regression=reg)
    report = build_report(analysis)
    _write_plots(args, table, analysis, eff)
    return report, analysis


def _write_plots(
    args: argparse.Namespace, table: Table, analysis: Analysis, eff: cli_effects.Effects
) -> None:
    if args.forest is None and args.funnel is None:
        return
    labels = study_labels(table)
    if args.forest is not None:
        groups = table.text(args.moderator) if analysis.subgroups is not None else None
        transform = None
        if eff.scale == "z":
            transform = lambda z: float(z_to_r(z))  # noqa: E731 - a one-line back-transform
        elif eff.scale == "log":
            transform = math.exp
        data = forest_data(
            analysis.overall,
            labels,
            transform=transform,
            xlabel=eff.axis,
            subgroups=analysis.subgroups,
            groups=groups,
        )
        _write(args.forest, forest_svg(data))
    if args.funnel is not None:
        xlabel = {"z": "Fisher's z", "log": f"log {eff.axis.lower()}"}.get(eff.scale, eff.axis)
        _write(args.funnel, funnel_svg(funnel_data(analysis.overall, labels, xlabel)))


def _write(path: str, content: str) -> None:
    try:
        Path(path).write_text(content, encoding="utf-8")
    except OSError as exc:
        raise MetaInputError(f"{path}: cannot write the plot ({exc.strerror})") from None


def main(argv: list[str] | None = None) -> int:
    """Entry point for ``emotipal meta``; returns the exit status."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
        report, _ = run(args)
    except SystemExit as exc:  # --help / --version from argparse
        return int(exc.code or 0) if not isinstance(exc.code, str) else 2
    except _UsageError as exc:
        print(f"{PROG}: error: {exc} (see {PROG} --help)", file=sys.stderr)
        return 2
    except MetaInputError as exc:
        print(f"{PROG}: error: {exc}", file=sys.stderr)
        return 2
    except np.linalg.LinAlgError as exc:  # e.g. a numerically singular model matrix
        print(f"{PROG}: error: the model cannot be fitted to these data ({exc})", file=sys.stderr)
        return 2
    if args.format == "json":
        print(json.dumps(report, indent=2, allow_nan=False))
    else:
        print(render_text(report), end="")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
