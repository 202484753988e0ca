"""Study ``compositional``: a network whose graph mirrors a binary-tree compositional function, at matched parameters.

Poggio, Mhaskar, Rosasco, Miranda & Liao (2017): a compositional function of d variables built from
2-variable constituents of smoothness m is approximated to ε by a deep network with the function's
tree as its graph with O((d − 1) ε^(−2/m)) units, while a shallow network needs O(ε^(−d/m)). The
target (``target=compositional``, d = 8) is such a tree; the tree network (``model.structure=tree``)
has w units per node, each node seeing only its two children. Shallow and generic deep dense nets
with the same parameter count are the comparisons.
"""

from __future__ import annotations

from nnapprox.report import generic
from nnapprox.report.study import Section
from nnapprox.report.tables import markdown_table
from nnapprox.studies import matched

__all__ = ["analyse", "judge", "comparison", "THEOREM", "JUDGE"]

THEOREM = (
    "Poggio, Mhaskar, Rosasco, Miranda & Liao (2017): for binary-tree compositional functions, deep networks "
    "with the tree as their graph need O((d − 1) ε^(−2/m)) units against O(ε^(−d/m)) for shallow ones"
)
INTRO = (
    "Does a network that mirrors the target's binary tree beat a shallow network, and a generic deep one, with "
    "as many parameters? The 8-input tree function on [0, 1]^8; tree networks with 2, 4, 8 units per node; "
    "Adam and L-BFGS, 8 replicas each."
)


def _arch(row):
    if row.get("model.structure") == "tree":
        return f"tree ({int(row['model.width'])} units per node)"
    return matched.dense_arch(row).replace(" (", " dense (")


JUDGE = matched.JUDGE


def comparison(runs, ctx):
    """The matched-parameter comparisons (the tree and the dense deep nets against the shallow one)."""
    ok = matched.usable(runs)
    if ok.empty:
        return ok, ok
    ok = matched.assign_budgets(ok, [], _arch, ctx.windows(JUDGE)["max_param_ratio"])
    return ok, matched.compare(ok, [])


def _verdicts(table):
    return matched.verdicts(
        table,
        [],
        theorem=THEOREM + "; the comparison of trained nets is a hypothesis about training",
        hypotheses="binary-tree compositional target with smooth 2-input constituents; ReLU; equal parameter counts",
        claim="trained {deep} beats one hidden layer at equal parameters on the tree function",
    )


def judge(runs, ctx):
    """The ``matched_depth`` verdicts."""
    return _verdicts(comparison(runs, ctx)[1])


def analyse(runs, ctx):
    """The comparison table, one verdict per (budget, trainer, deeper net), the figure."""
    res = generic.base_result(
        runs,
        INTRO,
        [
            "**Budgets.** Each shallow net sets a budget; the tree and the dense 3-layer nets join the closest one "
            f"(within a factor {ctx.windows(JUDGE)['max_param_ratio']:g}).",
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
    res.tables["compositional_comparison"] = table
    res.verdicts = _verdicts(table)
    res.figures["compositional"] = matched.plot(ok, None, "Binary-tree function of 8 inputs: test error vs parameters")
    tree = table[table["deep"].str.startswith("tree")] if len(table) else table
    res.sections.insert(
        0,
        Section(
            "Tree, dense and shallow at matched parameters",
            "\n".join(
                [
                    "![compositional](figures/compositional.png)",
                    "",
                    (
                        "The tree network against the shallow one: "
                        + "; ".join(
                            f"P≈{int(r['budget'])}, {r['trainer.name']}: {r['label']} ({r['ratio']:.3g} "
                            f"[{r['ci_low']:.3g}, "
                            f"{r['ci_high']:.3g}], Holm-adjusted p {r['p_holm']:.2g})"
                            for r in tree.to_dict("records")
                        )
                        + "."
                    )
                    if len(tree)
                    else "",
                    "",
                    markdown_table(table),
                ]
            ),
        ),
    )
    return res
