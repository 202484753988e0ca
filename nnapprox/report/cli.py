"""``nnapprox-report DIR``: write runs.csv, rates.csv, figures/ and REPORT.md for a sweep."""
from __future__ import annotations

import argparse
import sys

from .fit import RATE_TOL
from .markdown import make_report


def _fit_range(text):
    """Parse ``AXIS=LO:HI`` (either bound may be empty) into ``(axis, (lo, hi))``."""
    axis, sep, rng = text.partition("=")
    lo, sep2, hi = rng.partition(":")
    if not (sep and sep2 and axis):
        raise argparse.ArgumentTypeError(
            f"--fit-range {text!r}: expected AXIS=LO:HI, e.g. n=16:1024")
    try:
        bounds = tuple(float(v) if v.strip() else None for v in (lo, hi))
    except ValueError as err:
        raise argparse.ArgumentTypeError(f"--fit-range {text!r}: {err}") from err
    return axis, bounds


def build_parser():
    """The argument parser of ``nnapprox-report``."""
    p = argparse.ArgumentParser(
        prog="nnapprox-report",
        description="Collect the record.json files of a sweep directory and write runs.csv, "
                    "rates.csv, figures/*.png and REPORT.md.")
    p.add_argument("dir", metavar="DIR", help="sweep directory (job directories at any depth)")
    p.add_argument("--out", metavar="OUTDIR", default=None,
                   help="output directory (default: DIR)")
    p.add_argument("--title", default=None, help="report title")
    p.add_argument("--study", metavar="NAME", default=None,
                   help="report only the records of this study (record key study/experiment)")
    p.add_argument("--fit-range", metavar="AXIS=LO:HI", type=_fit_range, action="append",
                   default=[], help="fit range of an axis, e.g. n=16:1024 or data.N=1000: "
                                    "(repeatable)")
    p.add_argument("--n-boot", type=int, default=2000, help="bootstrap resamples (default 2000)")
    p.add_argument("--seed", type=int, default=0, help="bootstrap seed (default 0)")
    p.add_argument("--tol", type=float, default=RATE_TOL,
                   help=f"slack of the 1/n width-rate rule (default {RATE_TOL})")
    p.add_argument("--svg", action="store_true", help="also write SVG figures")
    return p


def main(argv=None):
    """Run ``nnapprox-report``; returns the exit status (0 ok, 2 bad input).

    Parameters
    ----------
    argv : list of str, optional
        Arguments without the program name; ``sys.argv[1:]`` when None.

    Returns
    -------
    int
    """
    args = build_parser().parse_args(argv)
    try:
        path = make_report(args.dir, out_dir=args.out, title=args.title, study=args.study,
                           fit_range=dict(args.fit_range), n_boot=args.n_boot, seed=args.seed,
                           svg=args.svg, tol=args.tol)
    except ValueError as err:
        print(f"nnapprox-report: error: {err}", file=sys.stderr)
        return 2
    print(path)
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
