"""Study ``cf_scaling``: the C_f² factor of Barron's bound, tested along families of targets.

Barron's bound ‖f − f_n‖² ≤ (2 r C_f)²/n holds at every width n, so the effective constant
K = max_n n · MSE / (2 r C_f)² must stay at or below 1 (the orthogonal greedy algorithm builds
networks that meet the bound: its error is at most the squared variation norm over n, and the
variation norm is at most 2 r C_f). Along a family whose C_f is swept over a decade, a constant K
means the error grows like C_f², the bound's factor; a falling K means the factor is loose for that
family. Which target comes closest to the bound is the sharpest test of the bound itself.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib import rc_context
from matplotlib.figure import Figure

from ..report import generic
from ..report.fit import fit_power_law, fmt_slope
from ..report.plots import RC
from ..report.study import Section
from ..report.tables import markdown_table
from ..report.verdicts import CONSISTENT, CONTRADICTS, NOT_TESTED, Verdict
from ..theory import approx_bound, informative_width

__all__ = ["analyse", "k_table", "trend_table", "FAMILIES", "AT_WIDTH"]

#: target name -> (family label, the parameter swept)
FAMILIES = {"cosine_ridge": ("ridge cos(ω·x)", "target.omega"), "gaussian": ("Gaussian of width s", "target.s"),
            "cosine_sum": ("sum of m ridges", "target.m")}
#: The width of the local exponent of error in C_f (a description).
AT_WIDTH = 64
#: K_tail: the same maximum over the widths n >= TAIL_FROM, where the error decays (at the first widths
#: n·MSE is about n·Var f, whatever C_f is).
TAIL_FROM = 16
INTRO = ("Does the error grow like C_f², the factor of Barron's bound (2 r C_f)²/n? Three families of targets in "
         "d = 2 whose C_f is known in closed form and swept over more than a decade, fitted by orthogonal greedy "
         "paths of sigmoid units; per target the bound's effective constant K = max_n n·MSE/(2 r C_f)².")
RULE = ("K = max over the swept widths of n · test MSE / (2 r C_f)², computed per replica; the 95% CI is a bootstrap "
        "over replicas (widened by sqrt(k/(k−1))). The theorem says K ≤ 1 at every n: consistent when the CI's "
        "upper end is ≤ 1; contradicts when its lower end is > 1; undecided otherwise. The trend of K along a "
        "family (slope of log K on log C_f) and the local exponent of the error in C_f at fixed n describe the "
        "family; the theorem bounds the error, it does not fix them.")


def _ok(runs):
    ok = generic.usable(runs)
    return ok[ok["target.name"].isin(list(FAMILIES)) & ok["c_f"].notna()]


def _boot_mean(vals, n_boot, seed):
    vals = np.asarray(vals, dtype=float)
    k = len(vals)
    if k < 2:
        return float(vals.mean()), np.nan, np.nan
    rng = np.random.default_rng(seed)
    means = vals[rng.integers(0, k, size=(n_boot, k))].mean(axis=1)
    lo, hi = np.quantile(means, [0.025, 0.975])
    m, widen = float(vals.mean()), np.sqrt(k / (k - 1))
    return m, float(m + widen * (lo - m)), float(m + widen * (hi - m))


def k_table(runs, *, n_boot=2000, seed=0):
    """Per target: its family and parameter, C_f, Var f, n_0, K (mean over replicas, CI) and where it peaks."""
    rows = []
    ok = _ok(runs)
    param = pd.Series([row[FAMILIES[row["target.name"]][1]] for _, row in ok.iterrows()], index=ok.index)
    for (name, _), g in ok.groupby([ok["target.name"], param], sort=True):
        fam, col = FAMILIES[name]
        c_f, r, var_f = (float(g[c].median()) for c in ("c_f", "radius", "var_f"))
        B = (2 * r * c_f) ** 2
        per_rep = (g["n"] * g["test_mse"] / B).groupby(g["replica"]).max()
        K, lo, hi = _boot_mean(per_rep.to_numpy(), n_boot, seed)
        peak = g.loc[(g["n"] * g["test_mse"]).idxmax()]
        tail = g[g["n"] >= TAIL_FROM]
        rows.append({"family": fam, "target": name, "parameter": col.split(".")[1], "value": g[col].iloc[0],
                     "c_f": c_f, "var_f": var_f, "n_0": float(informative_width(c_f, var_f, r, "sigmoid")),
                     "n_max": int(g["n"].max()), "K": K, "K_low": lo, "K_high": hi, "K_at_n": int(peak["n"]),
                     "K_train": float((g["n"] * g["train_mse"] / B).groupby(g["replica"]).max().mean()),
                     "K_tail": float((tail["n"] * tail["test_mse"] / B).groupby(tail["replica"]).max().mean())
                     if len(tail) else np.nan,
                     f"mse_at_{AT_WIDTH}": float(g.loc[g["n"] == AT_WIDTH, "test_mse"].mean())
                     if (g["n"] == AT_WIDTH).any() else np.nan})
    return pd.DataFrame(rows).sort_values(["family", "c_f"]).reset_index(drop=True)


def trend_table(table, *, n_boot=2000, seed=0):
    """Per family: the slope of log K on log C_f and the local exponent of the error in C_f at n = AT_WIDTH."""
    rows = []
    for fam, g in table.groupby("family", sort=True):
        kf = fit_power_law(g["c_f"], g["K"], n_boot=max(n_boot, 100), seed=seed)
        ef = fit_power_law(g["c_f"], g[f"mse_at_{AT_WIDTH}"], n_boot=max(n_boot, 100), seed=seed)
        if not np.isfinite(kf.slope):
            reading = "too few targets"
        elif kf.ci_low <= 0 <= kf.ci_high:
            reading = "K about constant: the error grows like C_f²"
        elif kf.ci_high < 0:
            reading = "K falls: the factor C_f² is loose for this family"
        else:
            reading = "K grows: the family approaches the bound as C_f grows"
        rows.append({"family": fam, "c_f_range": f"{g['c_f'].min():.3g}–{g['c_f'].max():.3g}",
                     "K_slope": kf.slope, "K_slope_low": kf.ci_low, "K_slope_high": kf.ci_high, "reading": reading,
                     f"error_exponent_at_{AT_WIDTH}": ef.slope, "largest_K": g["K"].max()})
    return pd.DataFrame(rows)


def _verdict(r) -> Verdict:
    base = dict(claim="the effective constant K = max_n n·MSE/(2 r C_f)² is at most 1",
                theorem="Barron (1993): ‖f − f_n‖² ≤ (2 r C_f)²/n at every n; OGA attains it (DeVore & Temlyakov "
                        "1996: error ≤ (variation norm)²/n, variation norm ≤ 2 r C_f)",
                hypotheses="finite C_f; sigmoidal units; OGA's units the best of the dictionary {σ(a·x + b)} "
                           "(here: |a| capped at max_scale/R, random directions)",
                group=f"{r.family}, {r.parameter} = {r.value:g} (C_f = {r.c_f:.3g})", predicted="K ≤ 1",
                regime=f"every width n ≤ {r.n_max} (n_0 = {r.n_0:.3g})", rule=RULE, kind="cf_constant",
                measured=f"K = {r.K:.3g} [{r.K_low:.3g}, {r.K_high:.3g}] at n = {r.K_at_n}", value=r.K,
                ci_low=r.K_low, ci_high=r.K_high)
    if not np.isfinite(r.K_high):
        return Verdict(**base, outcome=CONSISTENT if r.K <= 1 else NOT_TESTED,
                       reason="" if r.K <= 1 else "too few points: one replica, no CI")
    if r.K_high <= 1:
        return Verdict(**base, outcome=CONSISTENT)
    if r.K_low > 1:
        return Verdict(**base, outcome=CONTRADICTS,
                       explanation="the network is above the bound although OGA's guarantee would meet it: the "
                                   "capped dictionary (|a| ≤ max_scale/R) cannot form the steep units the variation "
                                   "bound 2 r C_f uses, so that hypothesis fails for this target")
    return Verdict(**base, outcome=NOT_TESTED, reason="too few points: the CI of K straddles 1")


def _plot(table, runs):
    with rc_context(RC):
        fig = Figure(figsize=(11.0, 4.4), layout="constrained")
        ax1, ax2 = fig.subplots(1, 2)
        for k, (fam, g) in enumerate(table.groupby("family", sort=True)):
            err = np.vstack([g["K"] - g["K_low"], g["K_high"] - g["K"]])
            ax1.errorbar(g["c_f"], g["K"], yerr=np.nan_to_num(np.clip(err, 0, None)), marker="osD"[k % 3], capsize=2.5,
                         label=fam)
            ax2.plot(g["c_f"], g[f"mse_at_{AT_WIDTH}"], marker="osD"[k % 3], label=fam)
        ax1.axhline(1.0, color="k", ls="--", lw=1.0, label="K = 1: the bound")
        ax1.set(xscale="log", yscale="log", xlabel="Barron constant C_f", ylabel="K = max_n n·MSE / (2 r C_f)²",
                title="(a) the bound's effective constant per target (mean over replicas, 95% CI)")
        cs = np.geomspace(table["c_f"].min(), table["c_f"].max(), 20)
        anchor = table[f"mse_at_{AT_WIDTH}"].median()
        ax2.plot(cs, anchor * (cs / np.median(table["c_f"])) ** 2, "k:", lw=1.0, label="∝ C_f² (the bound's factor)")
        ax2.plot(cs, approx_bound(cs, AT_WIDTH), "k--", lw=1.0, label=f"the bound (2 C_f)²/{AT_WIDTH}")
        ax2.set(xscale="log", yscale="log", xlabel="Barron constant C_f", ylabel=f"test MSE at n = {AT_WIDTH}",
                title=f"(b) error at n = {AT_WIDTH} against C_f")
        for ax in (ax1, ax2):
            ax.grid(True, which="major", alpha=0.3)
            ax.legend(fontsize=8, framealpha=0.9)
    return fig


def analyse(runs, ctx):
    """K per target with its verdict, the trend of K per family, the closest target, two figures."""
    res = generic.analyse(runs, ctx)
    res.intro = INTRO
    res.rules.append(f"**C_f scaling.** {RULE}")
    table = k_table(runs, n_boot=ctx.n_boot, seed=ctx.seed)
    if table.empty:
        return res
    trend = trend_table(table, n_boot=ctx.n_boot, seed=ctx.seed)
    res.tables.update(cf_constants=table, cf_trends=trend)
    res.verdicts = [_verdict(r) for r in table.itertuples(index=False)] + res.verdicts
    res.figures["cf_scaling"] = _plot(table, runs)
    top = table.loc[table["K"].idxmax()]
    show = table[["family", "parameter", "value", "c_f", "var_f", "n_0", "K", "K_low", "K_high", "K_at_n", "K_train",
                  "K_tail"]]
    tshow = trend.assign(**{"slope of log K on log C_f": [fmt_slope(s, lo, hi) for s, lo, hi in
                                                          zip(trend["K_slope"], trend["K_slope_low"],
                                                              trend["K_slope_high"])]})
    res.sections.insert(0, Section("The effective constant K along each family", "\n".join([
        "![K and the error against C_f](figures/cf_scaling.png)", "", f"**Rule.** {RULE}", "", markdown_table(show), "",
        markdown_table(tshow[["family", "c_f_range", "slope of log K on log C_f", "reading",
                              f"error_exponent_at_{AT_WIDTH}", "largest_K"]]), "",
        f"Closest to the bound: {top['family']} with {top['parameter']} = {top['value']:g} (C_f = {top['c_f']:.3g}): "
        f"K = {top['K']:.3g} at n = {top['K_at_n']}, i.e. the network's error is {top['K']:.2g} of the bound there. "
        f"K is attained at n ≤ {int(table['K_at_n'].max())} for every target, where n·MSE is still about n·Var f; "
        f"over the decaying part of the curves (n ≥ {TAIL_FROM}) the bound is looser still: K_tail ≤ "
        f"{table['K_tail'].max():.2g}, because these errors fall faster than 1/n. The error exponent in C_f at "
        f"n = {AT_WIDTH} is a description: the bound allows any growth up to C_f² times 1/n."])))
    return res
