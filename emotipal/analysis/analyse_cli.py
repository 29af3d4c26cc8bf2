"""``emotipal analyse DIR``: compliance and outcome on an exported or simulated data set.

Prints the analysis (``--format text``, the default, or ``json``) and with ``--html FILE`` also writes a
self-contained HTML report. The JSON report documents its own keys under ``definitions``. Exit status 0 on success and 2 on bad input: a one-line message naming the
file, line and column, never a traceback.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import NoReturn

import numpy as np

from emotipal.analysis.compliance import analyse, load_dataset, render_html, render_text
from emotipal.analysis.compliance.mediation import DEFAULT_RESAMPLES, DEFAULT_SEED
from emotipal.analysis.meta.errors import MetaInputError

PROG = "emotipal analyse"


class _UsageError(Exception):
    """Raised instead of argparse's print-usage-and-exit, so main() controls the message and status."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise _UsageError(message)


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{value} must be at least 1")
    return value


def _int(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a whole number") from None


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog=PROG,
        description="Does homework compliance predict improvement, and does that depend on who rated "
        "compliance, how and when? Runs on a data set directory in the export format "
        "(e.g. written by `emotipal simulate --out DIR`).",
    )
    parser.add_argument("directory", metavar="DIR", help="directory with clients.csv, scores.csv, ...")
    parser.add_argument(
        "--format", choices=("text", "json"), default="text", help="output format (default text)"
    )
    parser.add_argument("--html", metavar="FILE", help="also write a self-contained HTML report")
    parser.add_argument(
        "--resamples",
        type=_positive_int,
        default=DEFAULT_RESAMPLES,
        help="bootstrap resamples for the confidence intervals of the correlations (clients resampled "
        f"within each therapist's caseload) and of the mediation (default {DEFAULT_RESAMPLES})",
    )
    parser.add_argument(
        "--seed", type=_int, default=DEFAULT_SEED, help=f"bootstrap random seed (default {DEFAULT_SEED})"
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point for ``emotipal analyse``; argv excludes the subcommand name. Returns the exit status."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
        analysis = analyse(load_dataset(args.directory), seed=args.seed, resamples=args.resamples)
        html = render_html(analysis) if args.html else None
    except SystemExit as exc:  # --help from argparse
        return int(exc.code or 0) if not isinstance(exc.code, str) else 2
    except _UsageError as exc:
        print(f"{PROG}: error: {exc} (see {PROG} --help)", file=sys.stderr)
        return 2
    except MetaInputError as exc:  # includes AnalysisInputError
        print(f"{PROG}: error: {exc}", file=sys.stderr)
        return 2
    except np.linalg.LinAlgError as exc:
        print(f"{PROG}: error: a model cannot be fitted to these data ({exc})", file=sys.stderr)
        return 2
    if html is not None:
        try:
            Path(args.html).write_text(html, encoding="utf-8")
        except OSError as exc:
            print(f"{PROG}: error: {args.html}: cannot write the report ({exc.strerror})", file=sys.stderr)
            return 2
    if args.format == "json":
        print(json.dumps(analysis.report, indent=2, allow_nan=False))
    else:
        print(render_text(analysis.report), end="")
    if html is not None:
        print(f"wrote {args.html}", file=sys.stderr)
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
