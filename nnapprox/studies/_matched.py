"""Shared by the depth studies: architectures compared at matched parameter counts.

Each shallow configuration (one hidden layer) sets a budget, its parameter count; every other
architecture of the same group joins the budget closest to its own count (in log), if within a factor
1.25 of it. Per group,
budget and trainer, each deeper architecture is compared with the shallow one by the ratio of their
median test MSE over replicas, with a percentile-bootstrap CI that resamples the replicas of both.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib import rc_context
from matplotlib.figure import Figure

from ..report import generic
from ..report.plots import RC
from ..report.verdicts import CONSISTENT, NOT_TESTED, Verdict

__all__ = ["assign_budgets", "compare", "verdicts", "plot", "dense_arch", "LABELS"]

#: How a comparison reads from the CI of (deep median) / (shallow median).
LABELS = ("depth better", "shallow better", "no separable difference")


def dense_arch(row) -> str:
    """A dense network's name in the tables: ``"2 hidden layers (width 8)"``."""
    depth, width = int(row["model.depth"]), int(row["model.width"])
    return f"{depth} hidden layer{'s' if depth > 1 else ''} (width {width})"


#: A deeper net joins a budget only if its parameter count is within this factor of the budget's.
MAX_PARAM_RATIO = 1.25


def assign_budgets(ok, group_cols, arch, max_ratio: float = MAX_PARAM_RATIO) -> pd.DataFrame:
    """``ok`` with ``arch`` (from the function ``arch(row)``) and ``budget`` (a shallow net's parameter count).

    Each record joins the budget closest (in log) to its parameter count, provided the two differ by at
    most the factor ``max_ratio``; records farther from every budget are dropped (they match none).
    """
    ok = ok.copy()
    ok["arch"] = [arch(r) for _, r in ok.iterrows()]
    ok["budget"] = np.nan
    keys = list(group_cols)
    for idx in ([g.index for _, g in ok.groupby(keys)] if keys else [ok.index]):
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


def compare(ok, group_cols, n_boot=2000, seed=0) -> pd.DataFrame:
    """Per group, budget, trainer and deeper architecture: medians, the ratio to the shallow one, its CI, the label."""
    rng = np.random.default_rng(seed)
    rows = []
    keys = list(group_cols) + ["budget", "trainer.name"]
    for key, g in ok.groupby(keys, sort=True):
        key = key if isinstance(key, tuple) else (key,)
        base = g[g["model.depth"] == 1]
        if base.empty:
            continue
        sv = base["test_mse"].to_numpy(dtype=float)
        for arch, h in g[g["model.depth"] != 1].groupby("arch", sort=True):
            dv = h["test_mse"].to_numpy(dtype=float)
            bd = np.median(dv[rng.integers(0, dv.size, (n_boot, dv.size))], axis=1)
            bs = np.median(sv[rng.integers(0, sv.size, (n_boot, sv.size))], axis=1)
            lo, hi = np.quantile(bd / bs, [0.025, 0.975])
            label = LABELS[0] if hi < 1 else LABELS[1] if lo > 1 else LABELS[2]
            rows.append({**dict(zip(keys, key)), "shallow": base["arch"].iloc[0],
                         "shallow_params": int(base["n_params"].median()), "deep": arch,
                         "deep_params": int(h["n_params"].median()), "replicas": f"{len(dv)} / {len(sv)}",
                         "deep_median": float(np.median(dv)), "shallow_median": float(np.median(sv)),
                         "deep_best": float(dv.min()), "shallow_best": float(sv.min()),
                         "ratio": float(np.median(dv) / np.median(sv)), "ci_low": float(lo), "ci_high": float(hi),
                         "label": label})
    return pd.DataFrame(rows)


def verdicts(table, group_cols, *, theorem, hypotheses, claim, kind, shallow_reason=None):
    """One verdict per comparison row, by the stated rule on the CI of (deep median) / (shallow median).

    Depth better (CI below 1) is consistent with the separation theorems. Shallow better or no separable
    difference is *not tested*, never a contradiction: the theorems are existence results at sizes
    exponential in d with unknown constants, about the best network of each size, not the trained one,
    so a budget where the trained shallow net is as good or better is outside what they say. The label
    itself (depth better / shallow better / no separable difference) is the study's answer per budget.
    ``shallow_reason(row)``, when given and not None for a row, replaces the pre-asymptotic reason of a
    shallow-better row (e.g. an optimizer floor where a hand-built deep net of that size is known to win).
    """
    out = []
    for r in table.to_dict("records"):
        grp = ", ".join([f"{'target' if c == 'target.name' else c.split('.')[-1]}={r[c]}" for c in group_cols] +
                        [f"P≈{int(r['budget'])}", r["trainer.name"], r["deep"]])
        v = dict(claim=claim.format(**r), theorem=theorem, hypotheses=hypotheses, group=grp,
                 predicted="deep / shallow median test MSE < 1",
                 measured=f"{r['ratio']:.3g} [{r['ci_low']:.3g}, {r['ci_high']:.3g}] ({r['label']})",
                 regime=f"{r['deep_params']} vs {r['shallow_params']} parameters, replicas {r['replicas']}",
                 rule="95% bootstrap CI (replicas of both) of the ratio of medians: below 1 consistent; otherwise not "
                      "tested", kind=kind, value=r["ratio"], ci_low=r["ci_low"], ci_high=r["ci_high"])
        if r["label"] == LABELS[0]:
            out.append(Verdict(**v, outcome=CONSISTENT))
        elif r["label"] == LABELS[1] and shallow_reason is not None and shallow_reason(r):
            out.append(Verdict(**v, outcome=NOT_TESTED, reason=shallow_reason(r)))
        elif r["label"] == LABELS[1]:
            out.append(Verdict(**v, outcome=NOT_TESTED, reason=(
                "pre-asymptotic: the separation theorems are existence results at sizes where a shallow net must be "
                f"exponentially wide (constants unknown); at P≈{int(r['budget'])} the trained shallow net is better "
                "(shallow better), which they do not exclude")))
        else:
            out.append(Verdict(**v, outcome=NOT_TESTED, reason=(
                f"too few points to decide: the CI covers 1 (no separable difference; replicas {r['replicas']})")))
    return out


def plot(ok, group_col, title):
    """Test MSE / Var f against parameters: one panel per value of ``group_col`` (or one), a line per
    architecture family and trainer (median over replicas, bars min–max)."""
    groups = sorted(ok[group_col].unique()) if group_col else [None]
    styles = {"lbfgs": "-", "adam": "--"}
    with rc_context(RC):
        fig = Figure(figsize=(4.4 * len(groups), 4.0), layout="constrained")
        axes = np.atleast_1d(fig.subplots(1, len(groups), sharey=True))
        for ax, gv in zip(axes, groups):
            g = ok if gv is None else ok[ok[group_col] == gv]
            fam = g["arch"].str.replace(r" \(.*\)", "", regex=True)
            for (f, tr), h in g.assign(family=fam).groupby(["family", "trainer.name"], sort=True):
                st = h.groupby("n_params")["rel_mse"].agg(["median", "min", "max"])
                ax.errorbar(st.index, st["median"], yerr=[st["median"] - st["min"], st["max"] - st["median"]],
                            marker="o", ms=4, capsize=2, ls=styles.get(tr, ":"), label=f"{f}, {tr}")
            ax.set(xscale="log", yscale="log", xlabel="parameters",
                   title=f"{group_col.split('.')[-1]} = {gv}" if gv is not None else "")
            ax.grid(True, alpha=0.3)
        axes[0].set_ylabel("test MSE / Var f (median, min–max)")
        axes[-1].legend(fontsize=7)
        fig.suptitle(title)
    return fig


def usable(runs):
    return generic.usable(runs)
