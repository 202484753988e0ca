"""Study ``radial``: one, two and three hidden layers at matched parameters on a radial target in d = 4, 8, 16.

Eldan & Shamir (2016) give radial functions that a 3-layer network (two hidden layers) approximates
with width polynomial in d while a 2-layer one needs width exponential in d; Safran & Shamir (2017)
prove a depth separation for the ball indicator and its smoothings and see it in experiments. The
target is the smoothed ball indicator σ((ρ − |x|)/ε) (``target=radial``) on the cube [−1, 1]^d; each
shallow net sets a budget, the deeper nets match its parameter count.
"""
from __future__ import annotations

from ..report.study import Section
from ..report.tables import markdown_table
from . import _matched
from ..report import generic

__all__ = ["analyse", "THEOREM"]

THEOREM = ("Eldan & Shamir (2016); Safran & Shamir (2017): radial functions (the ball indicator and its smoothings) "
           "that 2 hidden layers approximate with width polynomial in d, 1 hidden layer only with width exponential "
           "in d")
INTRO = ("Does a second (or third) hidden layer beat width on a radial target, at equal parameters, as the depth "
         "separation theorems for radial functions suggest, and from which d? The smoothed ball indicator on "
         "[−1, 1]^d, d = 4, 8, 16; ReLU nets of 1, 2 and 3 hidden layers at two budgets; Adam and L-BFGS.")


def _per_d(table) -> str:
    """One plain sentence per d: how many comparisons found depth better, shallow better, neither."""
    if table.empty:
        return ""
    parts = []
    for d, g in table.groupby("target.d", sort=True):
        c = g["label"].value_counts()
        parts.append(f"d = {d}: depth better in {c.get(_matched.LABELS[0], 0)} of {len(g)} comparisons, shallow "
                     f"better in {c.get(_matched.LABELS[1], 0)}, no separable difference in {c.get(_matched.LABELS[2], 0)}")
    return "Where depth wins in practice (trained nets, equal parameters): " + "; ".join(parts) + "."


def analyse(runs, ctx):
    """The comparison table, one verdict per (d, budget, trainer, deeper net), the figure."""
    res = generic.base_result(runs, INTRO, [
        "**Budgets.** Each one-hidden-layer net sets a budget (its parameter count); the 2- and 3-layer nets of the "
        "same d join the closest budget (their widths are chosen to match within a few percent; a net more than a "
        "factor 1.25 from every budget would match none).",
        "**Comparison.** Ratio of median test MSE over replicas (deep / shallow) with a 95% bootstrap CI over the "
        "replicas of both; below 1: depth better, above 1: shallow better, else no separable difference."])
    ok = _matched.usable(runs)
    if ok.empty:
        return res
    ok = _matched.assign_budgets(ok, ["target.d"], _matched.dense_arch)
    table = _matched.compare(ok, ["target.d"], ctx.n_boot, ctx.seed)
    res.tables["radial_comparison"] = table
    res.verdicts = _matched.verdicts(
        table, ["target.d"], theorem=THEOREM, hypotheses="radial target; ReLU; equal parameter counts",
        claim="{deep} beats one hidden layer at equal parameters on the radial target", kind="depth_radial")
    res.figures["radial"] = _matched.plot(ok, "target.d", "Smoothed ball indicator on [−1, 1]^d: test error vs "
                                                          "parameters")
    counts = table["label"].value_counts().to_dict() if len(table) else {}
    res.sections.insert(0, Section("Depth at matched parameters", "\n".join([
        "![radial](figures/radial.png)", "",
        f"Comparisons: {', '.join(f'{k}: {v}' for k, v in counts.items())}.", "", _per_d(table), "",
        markdown_table(table)])))
    return res
