"""Shared by the depth studies: trained architectures compared at matched parameter counts.

Each shallow configuration (one hidden layer) sets a budget, its parameter count; every other
architecture of the same group joins the budget closest to its own count (in log), if within a factor
``max_ratio`` (1.25) of it. Per group, budget and trainer, each deeper architecture is compared with the
shallow one by a two-sided Mann–Whitney test on their replicas' test MSE, Holm-corrected over the
study's whole family of comparisons, with the Hodges–Lehmann ratio (deep / shallow) and its exact CI.

The rule (``matched_depth``) tests a stated hypothesis about *training*, suggested by the depth
separation theorems (which are existence results at sizes exponential in d, about the best network of
each size): trained deeper networks reach a lower test error than trained one-hidden-layer networks with
as many parameters. Either outcome can decide it: deep significantly better is consistent, shallow
significantly better contradicts (unless the deep architecture contains a hand-built network known to
beat every shallow network of the budget: then training, not the architecture, lost, and the
comparison is *not tested* for an optimizer floor), no significant difference is undecided.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib import rc_context
from matplotlib.figure import Figure
from matplotlib.ticker import FixedLocator, FuncFormatter, NullLocator

from nnapprox.report import generic
from nnapprox.report.hypothesis import ALPHA, holm, rank_compare
from nnapprox.report.plots import RC
from nnapprox.report.study import Window
from nnapprox.report.verdicts import CONSISTENT, CONTRADICTS, NOT_TESTED, Rule, Verdict, register_rule

__all__ = [
    "assign_budgets",
    "compare",
    "verdicts",
    "plot",
    "dense_arch",
    "LABELS",
    "MIN_REPLICAS",
    "RULE",
    "MAX_PARAM_RATIO",
    "AT_CONSTANT",
    "usable",
    "label_counts",
    "JUDGE",
]

#: How a comparison reads from the Holm-adjusted two-sided test.
LABELS = ("depth better", "shallow better", "no significant difference")
#: Fewest replicas per side for a comparison to decide.
MIN_REPLICAS = 5
#: A deeper net joins a budget only if its parameter count is within this factor of the budget's.
MAX_PARAM_RATIO = 1.25
#: A side whose median error is at least this fraction of Var f has not left the constant predictor.
AT_CONSTANT = 0.95
#: The judgement window of every matched study (its YAML fixes the value).
JUDGE = {
    "max_param_ratio": Window(
        MAX_PARAM_RATIO,
        "a deeper net joins a shallow net's budget only if their parameter counts differ by at most this factor",
        1.2,
    )
}

RULE = register_rule(
    Rule(
        kind="matched_depth",
        claim="trained deeper networks reach a lower test MSE than trained one-hidden-layer networks with as many "
        "parameters",
        theorem="a hypothesis about training, suggested by the depth-separation theorems (existence results); tested "
        "on trained networks",
        null="the deeper architecture's test MSE is lower: two-sided Mann–Whitney test over the replicas, "
        "Holm-adjusted "
        f"p ≤ {ALPHA:g} over the study's comparisons, deep median below the shallow one",
        alternative=f"the shallow network's test MSE is significantly lower (Holm-adjusted p ≤ {ALPHA:g}, shallow "
        f"median "
        "below), for an architecture that contains no hand-built net beating every shallow net of the "
        "budget",
    )
)


def dense_arch(row) -> str:
    """A dense network's name in the tables: ``"2 hidden layers (width 8)"``."""
    depth, width = int(row["model.depth"]), int(row["model.width"])
    return f"{depth} hidden layer{'s' if depth > 1 else ''} (width {width})"


def assign_budgets(ok, group_cols, arch, max_ratio: float = MAX_PARAM_RATIO) -> pd.DataFrame:
    """``ok`` with ``arch`` (from the function ``arch(row)``) and ``budget`` (a shallow net's parameter count).

    Each record joins the budget closest (in log) to its parameter count, provided the two differ by at
    most the factor ``max_ratio``; records farther from every budget are dropped (they match none).
    """
    ok = ok.copy()
    ok["arch"] = [arch(r) for _, r in ok.iterrows()]
    ok["budget"] = np.nan
    keys = list(group_cols)
    for idx in [g.index for _, g in ok.groupby(keys)] if keys else [ok.index]:
        g = ok.loc[idx]
        shallow = sorted(g.loc[g["model.depth"] == 1, "n_params"].unique())
        if not shallow:
            continue
        logs = np.log(np.asarray(shallow, dtype=float))
        for i in idx:
            dist = np.abs(logs - np.log(float(ok.at[i, "n_params"])))
            j = int(np.argmin(dist))
            if dist[j] <= np.log(max_ratio) + 1e-12:
                ok.at[i, "budget"] = shallow[j]
    return ok[ok["budget"].notna()]


def compare(ok, group_cols, shallow_mask=None) -> pd.DataFrame:
    """Per group, budget, trainer and deeper architecture: the two-sided rank test against the shallow net.

    Parameters
    ----------
    ok : pandas.DataFrame
        Usable runs with ``arch`` and ``budget`` (:func:`assign_budgets`), ``model.depth``, ``n_params``,
        ``trainer.name``, ``test_mse``.
    group_cols : sequence of str
    shallow_mask : callable, optional
        ``shallow_mask(frame) -> bool array``: which rows are the shallow side (default: depth 1).

    Returns
    -------
    pandas.DataFrame
        One row per comparison: medians, best runs, ``ratio`` (Hodges–Lehmann deep / shallow) with its 95%
        CI, ``p`` (two-sided) and ``p_holm`` (Holm over every row of the table), ``label``.
    """
    rows = []
    keys = list(group_cols) + ["budget", "trainer.name"]
    for key, g in ok.groupby(keys, sort=True):
        key = key if isinstance(key, tuple) else (key,)
        is_base = shallow_mask(g) if shallow_mask else (g["model.depth"] == 1).to_numpy()
        base = g[is_base]
        if base.empty:
            continue
        sv = base["test_mse"].to_numpy(dtype=float)
        s_rel = float(base["rel_mse"].median()) if "rel_mse" in base else float("nan")
        for arch, h in g[~is_base].groupby("arch", sort=True):
            rows.append(
                {
                    **dict(zip(keys, key, strict=True)),
                    **comparison_row(
                        h["test_mse"].to_numpy(dtype=float),
                        sv,
                        deep=arch,
                        shallow=base["arch"].iloc[0],
                        deep_depth=int(h["model.depth"].iloc[0]),
                        deep_width=int(h["model.width"].iloc[0]),
                        deep_params=int(h["n_params"].median()),
                        shallow_params=int(base["n_params"].median()),
                        deep_rel=float(h["rel_mse"].median()) if "rel_mse" in h else float("nan"),
                        shallow_rel=s_rel,
                    ),
                }
            )
    return comparison_table(rows)


def comparison_row(
    dv, sv, *, deep, shallow, deep_depth, deep_width, deep_params, shallow_params, deep_rel, shallow_rel
) -> dict:
    """One deep-vs-shallow comparison: the two-sided rank test of the deep errors ``dv`` against the shallow
    errors ``sv`` (arrays, one value per replica), with the medians, best runs and the architectures' facts."""
    r = rank_compare(dv, sv)
    return {
        "shallow": shallow,
        "shallow_params": shallow_params,
        "deep": deep,
        "deep_depth": deep_depth,
        "deep_width": deep_width,
        "deep_params": deep_params,
        "deep_replicas": int(dv.size),
        "shallow_replicas": int(sv.size),
        "deep_median": r["median_a"],
        "shallow_median": r["median_b"],
        "deep_best": float(dv.min()),
        "shallow_best": float(sv.min()),
        "ratio": r["ratio"],
        "ci_low": r["ci_low"],
        "ci_high": r["ci_high"],
        "p": r["p"],
        "deep_rel_median": deep_rel,
        "shallow_rel_median": shallow_rel,
    }


def comparison_table(rows) -> pd.DataFrame:
    """The rows of :func:`comparison_row` as a table with ``p_holm`` (Holm over every row with at least
    :data:`MIN_REPLICAS` replicas a side) and ``label``."""
    table = pd.DataFrame(rows)
    if table.empty:
        return table
    few = (table["deep_replicas"] < MIN_REPLICAS) | (table["shallow_replicas"] < MIN_REPLICAS)
    table["p_holm"] = holm(np.where(few, np.nan, table["p"].to_numpy(dtype=float)))
    sig = table["p_holm"] <= ALPHA
    table["label"] = np.where(
        sig & (table["deep_median"] < table["shallow_median"]), LABELS[0], np.where(sig, LABELS[1], LABELS[2])
    )
    return table


def label_counts(table) -> dict:
    """How many comparisons carry each label."""
    return {lab: int((table["label"] == lab).sum()) for lab in LABELS} if len(table) else {}


def verdicts(table, group_cols, *, theorem, hypotheses, claim, contains=None, metric="test MSE"):
    """One ``matched_depth`` verdict per comparison row (see the module docstring for the rule).

    Parameters
    ----------
    table : pandas.DataFrame
        :func:`compare`.
    group_cols : sequence of str
    theorem, hypotheses, claim : str
        The study's wording (``claim`` may use the row's fields, e.g. ``{deep}``).
    contains : callable, optional
        ``contains(row) -> str or None``: for a row whose deep architecture contains a hand-built network
        that beats every shallow network of the budget, the sentence saying so (the optimizer-floor reason).
    metric : str
        The error compared (named in the verdicts).
    """
    out = []
    for r in table.to_dict("records"):
        grp = ", ".join(
            [f"{'target' if c == 'target.name' else c.split('.')[-1]}={r[c]}" for c in group_cols]
            + [f"P≈{int(r['budget'])}", r["trainer.name"], r["deep"]]
        )
        v = dict(
            claim=claim.format(**r),
            theorem=theorem,
            hypotheses=hypotheses,
            group=grp,
            predicted=f"deep / shallow {metric} < 1, significantly",
            measured=(
                f"{r['ratio']:.3g} [{r['ci_low']:.3g}, {r['ci_high']:.3g}], p = {r['p']:.2g}, Holm "
                f"{r['p_holm']:.2g} ({r['label']})"
            ),
            regime=(
                f"{r['deep_params']} vs {r['shallow_params']} parameters, replicas {r['deep_replicas']} / "
                f"{r['shallow_replicas']}"
            ),
            rule=RULE.null,
            kind=RULE.kind,
            value=r["ratio"],
            ci_low=r["ci_low"],
            ci_high=r["ci_high"],
            windows={"alpha": ALPHA},
        )
        if min(r["deep_replicas"], r["shallow_replicas"]) < MIN_REPLICAS:
            out.append(
                Verdict(
                    **v,
                    outcome=NOT_TESTED,
                    reason=(
                        f"too few points: {r['deep_replicas']} / {r['shallow_replicas']} replicas (at least "
                        f"{MIN_REPLICAS} "
                        "a side)"
                    ),
                )
            )
        elif min(r.get("deep_rel_median", 0.0), r.get("shallow_rel_median", 0.0)) >= AT_CONSTANT:
            out.append(
                Verdict(
                    **v,
                    outcome=NOT_TESTED,
                    reason=(
                        f"optimizer floor: both sides end at the constant predictor (median error / Var f "
                        f"{r['deep_rel_median']:.3g} and {r['shallow_rel_median']:.3g} ≥ {AT_CONSTANT:g}): whichever "
                        f"is "
                        "lower, neither has learnt the target"
                    ),
                )
            )
        elif r["label"] == LABELS[0]:
            out.append(Verdict(**v, outcome=CONSISTENT))
        elif r["label"] == LABELS[1]:
            why = contains(r) if contains is not None else None
            if why:
                out.append(Verdict(**v, outcome=NOT_TESTED, reason=f"optimizer floor: {why}"))
            else:
                out.append(
                    Verdict(
                        **v,
                        outcome=CONTRADICTS,
                        explanation=(
                            f"at P≈{int(r['budget'])} the trained one-hidden-layer net is significantly better; the "
                            f"separation "
                            "theorems speak of the best network of each size at sizes exponential in d, so this "
                            "contradicts "
                            "the hypothesis that their advantage shows in training at this budget, not the theorems"
                        ),
                    )
                )
        else:
            out.append(
                Verdict(
                    **v,
                    outcome=NOT_TESTED,
                    reason=(
                        f"undecided: no significant difference (Holm-adjusted p = {r['p_holm']:.2g} > {ALPHA:g}; "
                        f"replicas "
                        f"{r['deep_replicas']} / {r['shallow_replicas']})"
                    ),
                )
            )
    return out


def plot(ok, group_col, title):
    """Test MSE / Var f against parameters: one panel per value of ``group_col`` (or one), a line per
    architecture family and trainer (median over replicas, bars min–max); the legend below the panels."""
    groups = sorted(ok[group_col].unique()) if group_col else [None]
    styles = {"lbfgs": "-", "adam": "--"}
    with rc_context(RC):
        fig = Figure(figsize=(max(6.0, 4.4 * len(groups)), 4.6), layout="constrained")
        axes = np.atleast_1d(fig.subplots(1, len(groups), sharey=True))
        handles = {}
        for ax, gv in zip(axes, groups, strict=True):
            g = ok if gv is None else ok[ok[group_col] == gv]
            fam = g["arch"].str.replace(r" \(.*\)", "", regex=True)
            for (f, tr), h in g.assign(family=fam).groupby(["family", "trainer.name"], sort=True):
                st = h.groupby("n_params")["rel_mse"].agg(["median", "min", "max"])
                cont = ax.errorbar(
                    st.index,
                    st["median"],
                    yerr=[st["median"] - st["min"], st["max"] - st["median"]],
                    marker="o",
                    ms=4,
                    capsize=2,
                    ls=styles.get(tr, ":"),
                    label=f"{f}, {tr}",
                )
                handles.setdefault(f"{f}, {tr}", cont)
            ax.set(
                xscale="log",
                yscale="log",
                xlabel="parameters (ticks: the budgets)" if "budget" in g else "parameters",
                title=f"{group_col.split('.')[-1]} = {gv}" if gv is not None else "",
            )
            # ticks at the parameter budgets (the shallow nets' counts), as plain numbers, not 6×10¹
            ticks = np.unique(g["budget"] if "budget" in g else g["n_params"]).astype(float)
            ax.xaxis.set_major_locator(FixedLocator(ticks))
            ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _p: f"{v:.0f}"))
            ax.xaxis.set_minor_locator(NullLocator())
            ax.grid(True, alpha=0.3)
        axes[0].set_ylabel("test MSE / Var f (median, min–max)")
        fig.legend(
            list(handles.values()), list(handles.keys()), loc="outside lower center", ncols=3, fontsize=8, frameon=False
        )
        fig.suptitle(title)
    return fig


def usable(runs):
    """The usable runs (status ok, a positive test MSE)."""
    return generic.usable(runs)
