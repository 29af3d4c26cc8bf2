"""The effect sizes ``emotipal meta`` reads from a study table, with messages that name line and column.

Four ways to give them, matching metafor's ``escalc`` argument names:

* ``--r COL --n COL``: correlations, analysed as Fisher's z (measure ZCOR);
* ``--measure OR|RR|RD --ai COL --bi COL --ci COL --di COL``: a 2x2 table per study (events and
  non-events in group 1, then in group 2) as a log odds ratio, log risk ratio or risk difference;
* ``--measure SMD --m1i COL --sd1i COL --n1i COL --m2i COL --sd2i COL --n2i COL``: means, standard
  deviations and sizes of two groups as Hedges' g;
* ``--yi COL --vi COL``: effects already computed, with their sampling variances.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass

from .csvdata import Table
from .effects import (
    EffectSizes,
    check_effects,
    fisher_z,
    hedges_g,
    log_odds_ratio,
    log_risk_ratio,
    risk_difference,
)
from .errors import MetaInputError

TABLE_MEASURES: dict[str, str] = {"OR": "log odds ratio", "RR": "log risk ratio", "RD": "risk difference"}
MEASURES: tuple[str, ...] = (*TABLE_MEASURES, "SMD")
TABLE_COLUMNS = ("ai", "bi", "ci", "di")
SMD_COLUMNS = ("m1i", "sd1i", "n1i", "m2i", "sd2i", "n2i")
ALL_COLUMNS = ("r", "n", "yi", "vi", *TABLE_COLUMNS, *SMD_COLUMNS)


class EffectUsageError(Exception):
    """The options do not say unambiguously where the effect sizes are (a usage error, exit 2)."""


@dataclass(frozen=True)
class Effects:
    """The effect sizes read, how to present them and what to call them."""

    es: EffectSizes
    scale: str  # "z" (Fisher's z, shown as r too), "log" (log ratio, shown exponentiated too) or "plain"
    label: str
    axis: str  # axis title for plots


def add_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group(
        "effect sizes",
        "give --r/--n, or --yi/--vi, or --measure OR|RR|RD with --ai --bi --ci --di, "
        "or --measure SMD with --m1i --sd1i --n1i --m2i --sd2i --n2i",
    )
    group.add_argument("--r", metavar="COL", help="column of correlations")
    group.add_argument("--n", metavar="COL", help="column of sample sizes (with --r)")
    group.add_argument("--yi", metavar="COL", help="column of effect sizes (any measure)")
    group.add_argument("--vi", metavar="COL", help="column of their sampling variances (with --yi)")
    group.add_argument(
        "--measure",
        type=str.upper,
        choices=MEASURES,
        help="compute the effects: OR (log odds ratio), RR (log risk ratio), RD (risk difference) from a "
        "2x2 table, or SMD (Hedges' g) from group means, SDs and sizes",
    )
    for col, text in zip(
        TABLE_COLUMNS,
        ("events in group 1", "non-events in group 1", "events in group 2", "non-events in group 2"),
        strict=True,
    ):
        group.add_argument(f"--{col}", metavar="COL", help=f"column of {text} (OR/RR/RD)")
    for col, text in zip(
        SMD_COLUMNS,
        ("mean", "SD", "size", "mean", "SD", "size"),
        strict=True,
    ):
        group.add_argument(f"--{col}", metavar="COL", help=f"column of the group {col[-2]} {text} (SMD)")


def _given(args: argparse.Namespace, names: tuple[str, ...]) -> list[str]:
    return [n for n in names if getattr(args, n) is not None]


def read_effects(args: argparse.Namespace, table: Table) -> Effects:
    """Effect sizes from the chosen columns, validated row by row so errors name the line and column."""
    given = _given(args, ALL_COLUMNS)
    families = {
        "r": ("r", "n"),
        "yi": ("yi", "vi"),
        "table": TABLE_COLUMNS,
        "smd": SMD_COLUMNS,
    }
    used = [f for f, cols in families.items() if set(cols) & set(given)]
    if len(used) > 1:
        raise EffectUsageError(
            "give the effect sizes one way only (--r/--n, --yi/--vi, or --measure columns)"
        )
    if not used:
        raise EffectUsageError(
            "give the effect sizes: --r COL --n COL, --yi COL --vi COL, or --measure with its columns"
        )
    family = used[0]
    missing = [f"--{c}" for c in families[family] if c not in given]
    if missing:
        raise EffectUsageError(f"{' and '.join(missing)} must be given too")
    if family == "r":
        _no_measure(args)
        return _correlations(args, table)
    if family == "yi":
        _no_measure(args)
        return _given_effects(args, table)
    if family == "table":
        if args.measure not in TABLE_MEASURES:
            raise EffectUsageError("with --ai --bi --ci --di give --measure OR, RR or RD")
        return _two_by_two(args, table)
    if args.measure != "SMD":
        raise EffectUsageError("with --m1i ... --n2i give --measure SMD")
    return _smd(args, table)


def _no_measure(args: argparse.Namespace) -> None:
    if args.measure is not None:
        raise EffectUsageError("--measure goes with --ai ... --di or --m1i ... --n2i, not with --r or --yi")


def _correlations(args: argparse.Namespace, table: Table) -> Effects:
    r, n = table.numbers(args.r), table.numbers(args.n)
    for i in range(len(table)):
        if not -1.0 < r[i] < 1.0:
            raise MetaInputError(f"{table.where(i, args.r)}: r = {r[i]:g} must lie strictly between -1 and 1")
        if n[i] <= 3:
            raise MetaInputError(f"{table.where(i, args.n)}: n = {n[i]:g} must be greater than 3")
    return Effects(
        fisher_z(r, n), "z", f"correlations from '{args.r}', analysed as Fisher's z", "Correlation (r)"
    )


def _given_effects(args: argparse.Namespace, table: Table) -> Effects:
    yi, vi = table.numbers(args.yi), table.numbers(args.vi)
    for i in range(len(table)):
        if vi[i] <= 0:
            raise MetaInputError(f"{table.where(i, args.vi)}: variance {vi[i]:g} must be positive")
    return Effects(
        check_effects(yi, vi),
        "plain",
        f"effects '{args.yi}' with variances '{args.vi}'",
        f"Effect ({args.yi})",
    )


def _two_by_two(args: argparse.Namespace, table: Table) -> Effects:
    cols = [getattr(args, c) for c in TABLE_COLUMNS]
    cells = [table.numbers(c) for c in cols]
    for col, values in zip(cols, cells, strict=True):
        for i in range(len(table)):
            if values[i] < 0 or values[i] != int(values[i]):
                raise MetaInputError(
                    f"{table.where(i, col)}: {values[i]:g} is not a count (a whole number >= 0)"
                )
    a, b, c, d = cells
    for i in range(len(table)):
        if a[i] + b[i] == 0:
            raise MetaInputError(
                f"{table.where(i, cols[0])}: group 1 has no participants ({cols[0]} + {cols[1]} = 0)"
            )
        if c[i] + d[i] == 0:
            raise MetaInputError(
                f"{table.where(i, cols[2])}: group 2 has no participants ({cols[2]} + {cols[3]} = 0)"
            )
    measure = args.measure
    if measure == "OR":
        es = log_odds_ratio(a, b, c, d)
    elif measure == "RR":
        es = log_risk_ratio(a, b, c, d)
    else:
        es = risk_difference(a, b, c, d)
        zero = [i for i in range(len(table)) if es.vi[i] <= 0]
        if zero:  # pragma: no cover - risk_difference refuses these first
            raise MetaInputError(f"{table.where(zero[0], cols[0])}: the risk difference has zero variance")
    name = TABLE_MEASURES[measure]
    label = f"{name} ({measure}) from '{cols[0]}', '{cols[1]}', '{cols[2]}', '{cols[3]}'"
    if measure == "RD":
        return Effects(es, "plain", label, "Risk difference")
    ratio = "Odds ratio" if measure == "OR" else "Risk ratio"
    return Effects(es, "log", label + "; 0.5 added to every cell of a study with a zero cell", ratio)


def _smd(args: argparse.Namespace, table: Table) -> Effects:
    cols = [getattr(args, c) for c in SMD_COLUMNS]
    m1, sd1, n1, m2, sd2, n2 = (table.numbers(c) for c in cols)
    for i in range(len(table)):
        for col, n in ((cols[2], n1[i]), (cols[5], n2[i])):
            if n < 2 or n != int(n):
                raise MetaInputError(
                    f"{table.where(i, col)}: group size {n:g} must be a whole number of at least 2"
                )
        for col, sd in ((cols[1], sd1[i]), (cols[4], sd2[i])):
            if sd < 0:
                raise MetaInputError(f"{table.where(i, col)}: standard deviation {sd:g} is negative")
        if sd1[i] == 0 and sd2[i] == 0:
            raise MetaInputError(f"{table.where(i, cols[1])}: both standard deviations are 0")
    label = f"standardised mean difference (Hedges' g) of '{cols[0]}' minus '{cols[3]}'"
    return Effects(hedges_g(m1, sd1, n1, m2, sd2, n2), "plain", label, "Standardised mean difference (g)")
