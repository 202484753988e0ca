"""``nnapprox-report DIR``: the report runner from the command line (runs.csv, tables, figures,
verdicts.json and REPORT.md for a sweep folder)."""

from __future__ import annotations

import argparse
import math
import sys

from nnapprox.base.io import WriteError
from nnapprox.runner.report import run_report


def _fit_range(text):
    """Parse ``AXIS=LO:HI`` (either bound may be empty) into ``(axis, (lo, hi))``."""
    axis, sep, rng = text.partition("=")
    lo, sep2, hi = rng.partition(":")
    if not (sep and sep2 and axis):
        raise argparse.ArgumentTypeError(f"--fit-range {text!r}: expected AXIS=LO:HI, e.g. n=16:1024")
    try:
        bounds = tuple(float(v) if v.strip() else None for v in (lo, hi))
    except ValueError as err:
        raise argparse.ArgumentTypeError(f"--fit-range {text!r}: {err}") from err
    if any(b is not None and not math.isfinite(b) for b in bounds):
        raise argparse.ArgumentTypeError(f"--fit-range {text!r}: the bounds must be finite numbers (or empty)")
    if None not in bounds and bounds[0] >= bounds[1]:
        raise argparse.ArgumentTypeError(f"--fit-range {text!r}: LO must be below HI")
    return axis, bounds


def _window(text):
    """Parse ``NAME=VALUE`` (a finite number) into ``(name, value)``."""
    name, sep, value = text.partition("=")
    try:
        v = float(value)
    except ValueError:
        v = math.nan
    if not (sep and name) or not math.isfinite(v):
        raise argparse.ArgumentTypeError(f"--judge {text!r}: expected WINDOW=VALUE with a finite number, e.g. n_min=64")
    return name, int(v) if v.is_integer() and "." not in value and "e" not in value.lower() else v


class _Parser(argparse.ArgumentParser):
    """An argument parser whose refusals are one line (``nnapprox-report: error: ...``, exit status 2)."""

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def build_parser():
    """The argument parser of ``nnapprox-report``."""
    p = _Parser(
        prog="nnapprox-report",
        description="Collect the record.json files of a sweep folder, analyse each study with its plug-in and "
        "write runs.csv, the study's tables, figures/*.png, verdicts.json and REPORT.md.",
    )
    p.add_argument("dir", metavar="DIR", help="sweep folder (job folders at any depth), a job folder or a record.json")
    p.add_argument("--out", metavar="OUTDIR", default=None, help="output folder (default: DIR)")
    p.add_argument("--title", default=None, help="report title")
    p.add_argument("--study", metavar="NAME", default=None, help="report only the records of this study")
    p.add_argument(
        "--plugin",
        metavar="MODULE",
        default=None,
        help="study plug-in (default: the one the records name, else nnapprox.studies.<study>)",
    )
    p.add_argument(
        "--fit-range",
        metavar="AXIS=LO:HI",
        type=_fit_range,
        action="append",
        default=[],
        help="fit range of an axis, e.g. n=16:1024 or data.N=1000: (repeatable)",
    )
    p.add_argument("--n-boot", type=int, default=2000, help="bootstrap resamples (default 2000)")
    p.add_argument("--seed", type=int, default=0, help="bootstrap seed (default 0)")
    p.add_argument(
        "--judge",
        metavar="WINDOW=VALUE",
        type=_window,
        action="append",
        default=[],
        help="replace one of the study's judgement windows (see its REPORT.md), e.g. n_min=64 "
        "(repeatable; default: the values the sweep declared)",
    )
    p.add_argument("--svg", action="store_true", help="also write SVG figures")
    p.add_argument(
        "--all",
        action="store_true",
        dest="all_jobs",
        help="report every record below DIR (default: the jobs of the latest sweep, its sweep.json)",
    )
    return p


def main(argv=None):
    """Run ``nnapprox-report``; returns the exit status (0 ok, 2 bad input or nothing to report)."""
    args = build_parser().parse_args(argv)
    for problem in (
        args.n_boot < 100 and f"--n-boot={args.n_boot} must be >= 100",
        args.seed < 0 and f"--seed={args.seed} must be >= 0",
    ):
        if problem:
            print(f"nnapprox-report: error: {problem}", file=sys.stderr)
            return 2
    try:
        path = run_report(
            args.dir,
            out_dir=args.out,
            title=args.title,
            study=args.study,
            plugin=args.plugin,
            fit_range=dict(args.fit_range),
            n_boot=args.n_boot,
            seed=args.seed,
            svg=args.svg,
            judge=dict(args.judge) or None,
            all_jobs=args.all_jobs,
        )
    except (ValueError, WriteError) as err:
        print(f"nnapprox-report: error: {err}", file=sys.stderr)
        return 2
    print(path)
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
