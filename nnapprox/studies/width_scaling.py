"""Study ``width_scaling``: approximation error vs width for a Barron target, d = 1..16.

The generic analysis does the work (rate fits per d and trainer, Barron's bound and its regime
n ≥ n_0 per group); this plug-in adds the question and a table of where each dimension's
bound becomes informative. ``demo`` uses this plug-in too.
"""
from __future__ import annotations

import numpy as np

from ..report import generic
from ..report.study import Section
from ..report.tables import md_table
from ..theory import informative_width

INTRO = ("Does the approximation error of one-hidden-layer sigmoid networks fall like Barron's bound "
         "(2 r C_f)²/n on a Gaussian target, whose C_f is known in closed form, as the dimension d grows? Orthogonal and "
         "relaxed greedy paths (one run gives every width) and L-BFGS width-continuation paths, N large enough "
         "that the approximation term dominates.")


def _regime_table(runs):
    rows = []
    ok = generic.usable(runs)
    for d, g in ok.groupby("target.d"):
        c_f, var_f, r = (float(np.nanmedian(g[c])) for c in ("c_f", "var_f", "radius"))
        n0 = float(informative_width(c_f, var_f, r, "sigmoid"))
        rows.append([int(d), c_f, var_f, (2 * r * c_f) ** 2, n0, int(g["n"].max()),
                     "yes" if g["n"].max() >= n0 else "no"])
    return md_table(rows, ["d", "C_f", "Var f", "(2 r C_f)²", "n_0 = (2 r C_f)²/Var f", "largest n",
                           "any width ≥ n_0"])


def analyse(runs, ctx):
    res = generic.analyse(runs, ctx)
    res.intro = INTRO
    if {"target.d", "c_f", "var_f", "radius", "n"} <= set(runs.columns):
        res.sections.insert(2, Section("Where the bound is informative", "\n".join([
            "Barron's bound exceeds Var f, the error of the best constant, until n_0 = (2 r C_f)²/Var f; below n_0 "
            "it is satisfied by predicting the mean and says nothing about how the error falls. The rate and bound "
            "verdicts therefore test only widths n ≥ n_0.", "", _regime_table(runs)])))
    return res
