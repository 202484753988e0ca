"""Study ``compositional``: a network whose graph mirrors a binary-tree compositional function, at matched parameters.

Poggio, Mhaskar, Rosasco, Miranda & Liao (2017): a compositional function of d variables built from
2-variable constituents of smoothness m is approximated to ε by a deep network with the function's
tree as its graph with O((d − 1) ε^(−2/m)) units, while a shallow network needs O(ε^(−d/m)). The
target (``target=compositional``, d = 8) is such a tree; the tree network (``model.structure=tree``)
has w units per node, each node seeing only its two children. Shallow and generic deep dense nets
with the same parameter count are the comparisons.
"""
from __future__ import annotations

from ..report import generic
from ..report.study import Section
from ..report.tables import markdown_table
from . import _matched

__all__ = ["analyse", "THEOREM"]

THEOREM = ("Poggio, Mhaskar, Rosasco, Miranda & Liao (2017): for binary-tree compositional functions, deep networks "
           "with the tree as their graph need O((d − 1) ε^(−2/m)) units against O(ε^(−d/m)) for shallow ones")
INTRO = ("Does a network that mirrors the target's binary tree beat a shallow network, and a generic deep one, with "
         "as many parameters? The 8-input tree function on [0, 1]^8; tree networks with 2, 4, 8 units per node; "
         "Adam and L-BFGS, 5 replicas each.")


def _arch(row):
    if row.get("model.structure") == "tree":
        return f"tree ({int(row['model.width'])} units per node)"
    return _matched.dense_arch(row).replace(" (", " dense (")


def analyse(runs, ctx):
    """The comparison table, one verdict per (budget, trainer, deeper net), the figure."""
    res = generic.base_result(runs, INTRO, [
        "**Budgets.** Each shallow net sets a budget; the tree and the dense 3-layer nets join the closest one "
        "(within a factor 1.25).",
        "**Comparison.** Ratio of median test MSE over replicas (deep / shallow), 95% bootstrap CI over the replicas "
        "of both; below 1: depth better, above 1: shallow better, else no separable difference."])
    ok = _matched.usable(runs)
    if ok.empty:
        return res
    ok = _matched.assign_budgets(ok, [], _arch)
    table = _matched.compare(ok, [], ctx.n_boot, ctx.seed)
    res.tables["compositional_comparison"] = table
    res.verdicts = _matched.verdicts(
        table, [], theorem=THEOREM, hypotheses="binary-tree compositional target with smooth 2-input constituents; "
                                                "ReLU; equal parameter counts",
        claim="{deep} beats one hidden layer at equal parameters on the tree function", kind="depth_compositional")
    res.figures["compositional"] = _matched.plot(ok, None, "Binary-tree function of 8 inputs: test error vs parameters")
    tree = table[table["deep"].str.startswith("tree")] if len(table) else table
    res.sections.insert(0, Section("Tree, dense and shallow at matched parameters", "\n".join([
        "![compositional](figures/compositional.png)", "",
        ("The tree network against the shallow one: " + "; ".join(
            f"P≈{int(r['budget'])}, {r['trainer.name']}: {r['label']} ({r['ratio']:.3g} [{r['ci_low']:.3g}, "
            f"{r['ci_high']:.3g}])" for r in tree.to_dict("records")) + ".") if len(tree) else "",
        "", markdown_table(table)])))
    return res
