"""``emotipal meta FILE.csv``: meta-analysis of a study table from the command line.

Exit status 0 on success and 2 on bad input (one-line message on stderr, never a traceback).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import NoReturn

import numpy as np

from .csvdata import Table, read_table, study_labels
from .effects import EffectSizes, check_effects, fisher_z, z_to_r
from .errors import MetaInputError
from .models import METHODS, fit
from .moderators import meta_regression, separate_subgroups, subgroup_analysis
from .plots import forest_data, forest_svg, funnel_data, funnel_svg
from .report import Analysis, build_report, render_text

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
        epilog="Correlations are pooled as Fisher's z and reported back as r. "
        "Rows with a missing moderator value are left out of the moderator model and reported.",
    )
    parser.add_argument("file", metavar="FILE.csv", help="CSV file with one row per study and a header row")
    effect = parser.add_argument_group("effect sizes (give --r and --n, or --yi and --vi)")
    effect.add_argument("--r", metavar="COL", help="column of correlations")
    effect.add_argument("--n", metavar="COL", help="column of sample sizes (with --r)")
    effect.add_argument("--yi", metavar="COL", help="column of effect sizes (any measure)")
    effect.add_argument("--vi", metavar="COL", help="column of their sampling variances (with --yi)")
    parser.add_argument(
        "--method",
        type=str.upper,
        choices=METHODS,
        default="REML",
        help="tau^2 estimator: REML (default), DL or PM; EE for an equal-effects model",
    )
    mods = parser.add_mutually_exclusive_group()
    mods.add_argument("--moderator", metavar="COL", help="categorical moderator (subgroup analysis)")
    mods.add_argument("--mods", metavar="COL[,COL...]", help="continuous moderators (meta-regression)")
    parser.add_argument(
        "--format", choices=("text", "json"), default="text", help="output format (default text)"
    )
    parser.add_argument("--forest", metavar="FILE.svg", help="write a forest plot as SVG")
    parser.add_argument("--funnel", metavar="FILE.svg", help="write a funnel plot as SVG")
    return parser


def _effects(args: argparse.Namespace, table: Table) -> tuple[EffectSizes, bool, str]:
    """Effect sizes from the chosen columns, validated row by row so errors name the line and column."""
    if args.r is not None or args.n is not None:
        if args.yi is not None or args.vi is not None:
            raise _UsageError("give either --r/--n or --yi/--vi, not both")
        if args.r is None or args.n is None:
            raise _UsageError("--r and --n must be given together")
        r, n = table.numbers(args.r), table.numbers(args.n)
        for i in range(len(table)):
            if not -1.0 < r[i] < 1.0:
                raise MetaInputError(
                    f"{table.where(i, args.r)}: r = {r[i]:g} must lie strictly between -1 and 1"
                )
            if n[i] <= 3:
                raise MetaInputError(f"{table.where(i, args.n)}: n = {n[i]:g} must be greater than 3")
        return fisher_z(r, n), True, f"correlations from '{args.r}', analysed as Fisher's z"
    if args.yi is None or args.vi is None:
        raise _UsageError("give the effect sizes: --r COL --n COL, or --yi COL --vi COL")
    yi, vi = table.numbers(args.yi), table.numbers(args.vi)
    for i in range(len(table)):
        if vi[i] <= 0:
            raise MetaInputError(f"{table.where(i, args.vi)}: variance {vi[i]:g} must be positive")
    return check_effects(yi, vi), False, f"effects '{args.yi}' with variances '{args.vi}'"


def _mod_columns(spec: str, table: Table) -> list[str]:
    cols = [c.strip() for c in spec.split(",")]
    if any(not c for c in cols):
        raise _UsageError(f"--mods {spec!r}: empty column name")
    if len(set(cols)) != len(cols):
        raise _UsageError(f"--mods {spec!r}: a column is listed twice")
    for c in cols:
        table.require(c)
    return cols


def run(args: argparse.Namespace) -> tuple[dict[str, object], Analysis]:
    """Read the table, fit the overall model and the moderator model, write plots; return the report."""
    table = read_table(args.file)
    es, correlation, effect_label = _effects(args, table)
    if len(table) < 2:
        raise MetaInputError(f"{args.file}: at least 2 studies are needed, found {len(table)}")
    overall = fit(es.yi, es.vi, method=args.method)
    analysis = Analysis(args.file, overall, correlation, effect_label, lines=table.lines)
    if args.moderator is not None:
        groups: list[str | None] = list(table.text(args.moderator))
        try:
            sub = subgroup_analysis(es.yi, es.vi, groups, method=args.method, name=args.moderator)
            sep = separate_subgroups(es.yi, es.vi, groups, method=args.method, name=args.moderator)
        except MetaInputError as exc:
            where = (
                args.file
                if f"'{args.moderator}'" in str(exc)
                else f"{args.file}, moderator '{args.moderator}'"
            )
            raise MetaInputError(f"{where}: {exc}") from None
        analysis = Analysis(args.file, overall, correlation, effect_label, sub, sep, lines=table.lines)
    elif args.mods is not None:
        cols = _mod_columns(args.mods, table)
        values = {c: table.optional_numbers(c) for c in cols}
        try:
            reg = meta_regression(es.yi, es.vi, values, method=args.method)
        except MetaInputError as exc:
            raise MetaInputError(f"{args.file}, moderators {', '.join(cols)}: {exc}") from None
        analysis = Analysis(args.file, overall, correlation, effect_label, regression=reg, lines=table.lines)
    report = build_report(analysis)
    _write_plots(args, table, analysis)
    return report, analysis


def _write_plots(args: argparse.Namespace, table: Table, analysis: Analysis) -> None:
    if args.forest is None and args.funnel is None:
        return
    labels = study_labels(table)
    if args.forest is not None:
        groups = table.text(args.moderator) if analysis.subgroups is not None else None
        data = forest_data(
            analysis.overall,
            labels,
            transform=(lambda z: float(z_to_r(z))) if analysis.correlation else None,
            xlabel="Correlation (r)" if analysis.correlation else f"Effect ({args.yi})",
            subgroups=analysis.subgroups,
            groups=groups,
        )
        _write(args.forest, forest_svg(data))
    if args.funnel is not None:
        xlabel = "Fisher's z" if analysis.correlation else f"Effect ({args.yi})"
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
