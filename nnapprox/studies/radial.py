"""Study ``radial``: one, two and three hidden layers at matched parameters on a radial target in d = 4, 8, 16.

Eldan & Shamir (2016) give radial functions that a 3-layer network (two hidden layers) approximates
with width polynomial in d while a 2-layer one needs width exponential in d; Safran & Shamir (2017)
prove a depth separation for the ball indicator and its smoothings and see it in experiments. The
target is the smoothed ball indicator σ((ρ − |x|)/ε) (``target=radial``) on the cube [−1, 1]^d; each
shallow net sets a budget, the deeper nets match its parameter count.
"""

from __future__ import annotations

from nnapprox.report import generic
from nnapprox.report.study import Section
from nnapprox.report.tables import markdown_table
from nnapprox.studies import matched

__all__ = ["analyse", "judge", "comparison", "THEOREM", "JUDGE"]

THEOREM = (
    "Eldan & Shamir (2016); Safran & Shamir (2017): radial functions (the ball indicator and its smoothings) "
    "that 2 hidden layers approximate with width polynomial in d, 1 hidden layer only with width exponential "
    "in d"
)
INTRO = (
    "Does a second (or third) hidden layer beat width on a radial target, at equal parameters, as the depth "
    "separation theorems for radial functions suggest, and from which d? The smoothed ball indicator on "
    "[−1, 1]^d, d = 4, 8, 16; ReLU nets of 1, 2 and 3 hidden layers at two budgets; Adam and L-BFGS."
)


def _per_d(table) -> str:
    """One plain sentence per d: how many comparisons found depth better, shallow better, neither."""
    if table.empty:
        return ""
    parts = []
    for d, g in table.groupby("target.d", sort=True):
        c = matched.label_counts(g)
        parts.append(
            f"d = {d}: depth better in {c[matched.LABELS[0]]} of {len(g)} comparisons, shallow better in "
            f"{c[matched.LABELS[1]]}, no significant difference in {c[matched.LABELS[2]]}"
        )
    return (
        "Where depth wins in practice (trained nets, equal parameters, two-sided rank tests, Holm-corrected over "
        "the study): " + "; ".join(parts) + "."
    )


JUDGE = matched.JUDGE


def comparison(runs, ctx):
    """The matched-parameter comparisons of the study (:func:`nnapprox.studies.matched.compare`)."""
    ok = matched.usable(runs)
    if ok.empty:
        return ok, ok
    ok = matched.assign_budgets(ok, ["target.d"], matched.dense_arch, ctx.windows(JUDGE)["max_param_ratio"])
    return ok, matched.compare(ok, ["target.d"])


def _verdicts(table):
    return matched.verdicts(
        table,
        ["target.d"],
        theorem=THEOREM + "; the comparison of trained nets is a hypothesis about training",
        hypotheses="radial target; ReLU; equal parameter counts",
        claim="trained {deep} beats one hidden layer at equal parameters on the radial target",
    )


def judge(runs, ctx):
    """The ``matched_depth`` verdicts."""
    return _verdicts(comparison(runs, ctx)[1])


def analyse(runs, ctx):
    """The comparison table, one verdict per (d, budget, trainer, deeper net), the figure."""
    res = generic.base_result(
        runs,
        INTRO,
        [
            "**Budgets.** Each one-hidden-layer net sets a budget (its parameter count); the 2- and 3-layer nets of "
            "the "
            "same d join the closest budget (their widths are chosen to match within a few percent; a net more than a "
            f"factor {ctx.windows(JUDGE)['max_param_ratio']:g} from every budget would match none).",
            "**Comparison.** Per budget, trainer and deeper net: a two-sided Mann–Whitney test of the replicas' test "
            "MSE "
            "against the shallow net's, Holm-adjusted over the study's comparisons, and the Hodges–Lehmann ratio deep "
            "/ "
            "shallow with its exact 95% CI; depth better or shallow better when the adjusted p ≤ 0.05, else no "
            "significant difference.",
        ],
    )
    ok, table = comparison(runs, ctx)
    if ok.empty:
        return res
    res.tables["radial_comparison"] = table
    res.verdicts = _verdicts(table)
    res.figures["radial"] = matched.plot(
        ok, "target.d", "Smoothed ball indicator on [−1, 1]^d: test error vs parameters"
    )
    counts = matched.label_counts(table)
    res.sections.insert(
        0,
        Section(
            "Depth at matched parameters",
            "\n".join(
                [
                    "![radial](figures/radial.png)",
                    "",
                    f"Comparisons: {', '.join(f'{k}: {v}' for k, v in counts.items())}.",
                    "",
                    _per_d(table),
                    "",
                    markdown_table(table),
                ]
            ),
        ),
    )
    return res
