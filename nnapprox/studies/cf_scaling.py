"""Study ``cf_scaling``: the C_f² factor of Barron's bound, tested along families of targets.

Barron's bound ‖f − f_n‖² ≤ (2 r C_f)²/n holds at every width n and for every measure, the training
sample's included, and the orthogonal greedy algorithm builds networks that meet it there. Per target
the verdict is the bound's rule (:func:`nnapprox.report.judge.judge_bound`): K_train = max over
n ≥ n_0 of n · training MSE / (2 r C_f)² ≤ 1 on every replica; below n_0 = (2 r C_f)²/Var f a constant
predictor meets the bound, so those widths say nothing. Along a family whose C_f is swept over a
decade, the trend of log K in log C_f (a t-interval over replicas, each replica one draw across the
family) describes how the error scales with C_f: a constant K means the error grows like C_f², the
bound's factor; a falling K means the factor is loose for that family. That reading is stated only
when its CI can tell (a declared tolerance).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib import rc_context
from matplotlib.figure import Figure
from matplotlib.ticker import FixedLocator, FuncFormatter, NullLocator

from nnapprox.report import generic
from nnapprox.report import judge as barron
from nnapprox.report.fit import fit_power_law, fmt_slope
from nnapprox.report.plots import RC
from nnapprox.report.study import Section, Window
from nnapprox.report.tables import markdown_table
from nnapprox.theory.bounds import approx_bound, informative_width

__all__ = ["analyse", "judge", "k_table", "trend_table", "FAMILIES", "AT_WIDTH", "JUDGE"]

#: target name -> (family label, the parameter swept)
FAMILIES = {
    "cosine_ridge": ("ridge cos(ω·x)", "target.omega"),
    "gaussian": ("Gaussian of width s", "target.s"),
    "cosine_sum": ("sum of m ridges", "target.m"),
}
#: The width of the local exponent of error in C_f (a description).
AT_WIDTH = 64
#: Judgement windows (values fixed in conf/experiment/cf_scaling.yaml before the sweep).
JUDGE = {
    "k_slope_tol": Window(
        0.25,
        "the trend of log K in log C_f reads 'constant' when its whole CI lies within "
        "± this, 'falls'/'grows' when the CI excludes 0",
        2.0,
    )
}
INTRO = (
    "Does the error grow like C_f², the factor of Barron's bound (2 r C_f)²/n? Three families of targets in "
    "d = 2 whose C_f is known in closed form and swept over more than a decade, fitted by orthogonal greedy "
    "paths of sigmoid units; per target Barron's bound on the training sample at the widths n ≥ n_0 where it "
    "says something, and per family how the bound's effective constant K moves with C_f."
)
RULE = (
    "Per target: K_train = max over n ≥ n_0 of n · training MSE / (2 r C_f)² per replica (the bound's rule, "
    "`barron_bound`); K_test the same on the test MSE (a description). Per family (a description): the slope of "
    "log K_train on log C_f over the tested targets, fitted per replica with a t-interval over replicas; it reads "
    "'K constant: the error grows like C_f²' only when the whole CI lies within ± `k_slope_tol`, 'K falls' or "
    "'K grows' when the CI excludes 0, and 'undetermined' otherwise."
)


def _ok(runs):
    ok = generic.usable(runs)
    return ok[ok["target.name"].isin(list(FAMILIES)) & ok["c_f"].notna()]


def _param(ok):
    return pd.Series([row[FAMILIES[row["target.name"]][1]] for _, row in ok.iterrows()], index=ok.index)


def k_table(runs):
    """Per target: its family and parameter, C_f, Var f, n_0, K_train and K_test over n ≥ n_0 (largest over
    replicas), the widths there, and the mean test MSE at ``AT_WIDTH``."""
    rows = []
    ok = _ok(runs)
    for (name, value), g in ok.groupby([ok["target.name"], _param(ok)], sort=True):
        fam, col = FAMILIES[name]
        c_f, r, var_f = (float(g[c].median()) for c in ("c_f", "radius", "var_f"))
        k = barron.bound_k(g, "n")
        inside = k[k["widths"] > 0]
        rows.append(
            {
                "family": fam,
                "target": name,
                "parameter": col.split(".")[1],
                "value": value,
                "c_f": c_f,
                "var_f": var_f,
                "n_0": float(informative_width(c_f, var_f, r, "sigmoid")),
                "n_max": int(g["n"].max()),
                "widths_above_n_0": int(inside["widths"].max()) if len(inside) else 0,
                "K_train": float(inside["K_train"].max()) if len(inside) else np.nan,
                "K_test": float(inside["K_test"].max()) if len(inside) else np.nan,
                f"mse_at_{AT_WIDTH}": float(g.loc[g["n"] == AT_WIDTH, "test_mse"].mean())
                if (g["n"] == AT_WIDTH).any()
                else np.nan,
            }
        )
    return pd.DataFrame(rows).sort_values(["family", "c_f"]).reset_index(drop=True)


def trend_table(runs, tol):
    """Per family: the slope of log K_train on log C_f (per-replica fits, t-interval) over its tested targets,
    and its reading."""
    ok = _ok(runs)
    rows = []
    for name, g in ok.groupby("target.name", sort=True):
        fam = FAMILIES[name][0]
        per = []
        for _value, h in g.groupby(_param(g), sort=True):
            k = barron.bound_k(h, "n")
            per += [
                {"c_f": float(h["c_f"].median()), "path": p, "K": kt}
                for p, kt in zip(k["path"], k["K_train"], strict=True)
            ]
        per = pd.DataFrame(per).dropna() if per else pd.DataFrame(columns=["c_f", "path", "K"])
        fit = fit_power_law(per["c_f"], per["K"], paths=per["path"])
        if not np.isfinite(fit.slope) or not np.isfinite(fit.ci_low):
            reading = f"undetermined: fewer than 3 targets of the family reach n ≥ n_0 ({per['c_f'].nunique()})"
        elif -tol <= fit.ci_low and fit.ci_high <= tol:
            reading = "K constant: the error grows like C_f², the bound's factor"
        elif fit.ci_high < 0:
            reading = "K falls: the factor C_f² is loose for this family"
        elif fit.ci_low > 0:
            reading = "K grows: the family approaches the bound as C_f grows"
        else:
            reading = f"undetermined: the CI is wider than ± {tol:g} and contains 0"
        rows.append(
            {
                "family": fam,
                "targets_tested": int(per["c_f"].nunique()),
                "c_f_range": f"{per['c_f'].min():.3g}–{per['c_f'].max():.3g}" if len(per) else "-",
                "K_slope": fit.slope,
                "K_slope_low": fit.ci_low,
                "K_slope_high": fit.ci_high,
                "ci_method": fit.ci_method,
                "reading": reading,
            }
        )
    return pd.DataFrame(rows)


def _verdicts(runs):
    ok = _ok(runs)
    out = []
    for (name, value), g in ok.groupby([ok["target.name"], _param(ok)], sort=True):
        fam, col = FAMILIES[name]
        v = barron.judge_bound(g, f"{fam}, {col.split('.')[1]} = {value:g} (C_f = {g['c_f'].median():.3g})", "n")
        if v is not None:
            out.append(v)
    return out


def judge(runs, ctx):
    """Barron's bound per target (``barron_bound``)."""
    return _verdicts(runs)


def _plot(table, runs):
    with rc_context(RC):
        fig = Figure(figsize=(11.0, 5.0), layout="constrained")
        ax1, ax2 = fig.subplots(1, 2)
        drawn = []  # C_f of the points in panel (a): its ticks
        for k, (fam, g) in enumerate(table.groupby("family", sort=True)):
            # colour and marker keyed by the family, so both panels agree even when (a) leaves a family out
            style = {"marker": "osD"[k % 3], "color": f"C{k % 10}"}
            ax2.plot(g["c_f"], g[f"mse_at_{AT_WIDTH}"], label=fam, **style)
            has_k = g[np.isfinite(g["K_train"].to_numpy(dtype=float))]
            if has_k.empty:  # no width reached n_0: nothing to draw, and no legend entry
                continue
            drawn.extend(has_k["c_f"])
            ax1.plot(has_k["c_f"], has_k["K_train"], ls="-", label=f"{fam}: K_train", **style)
            ax1.plot(has_k["c_f"], has_k["K_test"], ls=":", mfc="none", label=f"{fam}: K_test", **style)
        ax1.axhline(1.0, color="k", ls="--", lw=1.0, label="K = 1: the bound")
        ax1.set(
            xscale="log",
            yscale="log",
            xlabel="Barron constant C_f",
            ylabel="K = max over n ≥ n₀ of n·MSE / (2 r C_f)²",
            title="(a) K over the widths n ≥ n₀ (largest over replicas)",
        )
        if drawn:  # plain numbers at the C_f drawn, not 2×10⁰
            ax1.xaxis.set_major_locator(FixedLocator(np.unique(drawn)))
            ax1.xaxis.set_major_formatter(FuncFormatter(lambda v, _p: f"{v:.3g}"))
            ax1.xaxis.set_minor_locator(NullLocator())
        cs = np.geomspace(table["c_f"].min(), table["c_f"].max(), 20)
        ax2.plot(cs, approx_bound(cs, AT_WIDTH), "k--", lw=1.0, label=f"the bound (2 r C_f)²/{AT_WIDTH}, r = 1")
        ax2.set(
            xscale="log",
            yscale="log",
            xlabel="Barron constant C_f",
            ylabel=f"test MSE at n = {AT_WIDTH}",
            title=f"(b) error at n = {AT_WIDTH} against C_f",
        )
        for ax in (ax1, ax2):
            ax.grid(True, which="major", alpha=0.3)
        ax1.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.14), ncols=2, frameon=False)
        ax2.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.14), ncols=2, frameon=False)
    return fig


def analyse(runs, ctx):
    """Barron's bound per target (verdicts), K and its trend per family (descriptions), two figures."""
    res = generic.analyse(runs, ctx)
    res.intro = INTRO
    res.rules.append(f"**C_f scaling.** {RULE}")
    # one bound verdict per target (the generic analysis's per-axis groups would repeat them)
    res.verdicts = _verdicts(runs)
    table = k_table(runs)
    if table.empty:
        return res
    trend = trend_table(runs, ctx.windows(JUDGE)["k_slope_tol"])
    res.tables.update(cf_constants=table, cf_trends=trend)
    res.figures["cf_scaling"] = _plot(table, runs)
    tested = table[table["widths_above_n_0"] > 0]
    top = tested.loc[tested["K_train"].idxmax()] if len(tested) else None
    tshow = trend.assign(
        **{
            "slope of log K on log C_f": [
                fmt_slope(s, lo, hi)
                for s, lo, hi in zip(trend["K_slope"], trend["K_slope_low"], trend["K_slope_high"], strict=True)
            ]
        }
    )
    res.sections.insert(
        0,
        Section(
            "The effective constant K along each family",
            "\n".join(
                [
                    "![K and the error against C_f](figures/cf_scaling.png)",
                    "",
                    f"**Rule.** {RULE}",
                    "",
                    markdown_table(table),
                    "",
                    markdown_table(
                        tshow[
                            [
                                "family",
                                "targets_tested",
                                "c_f_range",
                                "slope of log K on log C_f",
                                "ci_method",
                                "reading",
                            ]
                        ]
                    ),
                    "",
                    (
                        f"Closest to the bound among the tested targets: {top['family']} with {top['parameter']} = "
                        f"{top['value']:g} "
                        f"(C_f = {top['c_f']:.3g}): K_train = {top['K_train']:.3g}, i.e. at its worst width n ≥ n_0 "
                        f"the greedy "
                        f"network's training error is {top['K_train']:.2g} of the bound."
                        if top is not None
                        else "No target reaches a width n ≥ n_0: the bound is not tested in this sweep."
                    ),
                    f"{len(table) - len(tested)} of {len(table)} targets have n_0 above the largest swept width "
                    f"(pre-asymptotic). "
                    f"The error exponent in C_f at n = {AT_WIDTH} (panel b) is a description: the bound allows any "
                    f"growth up to "
                    "C_f² times 1/n.",
                ]
            ),
        ),
    )
    return res
