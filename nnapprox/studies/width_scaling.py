"""Study ``width_scaling``: Barron's bound in every dimension, where it says something (n ≥ n_0), d = 2..16.

Barron (1993): for f of finite Barron constant C_f on the ball of radius r, some network of n sigmoidal
units has ‖f − f_n‖² ≤ (2 r C_f)²/n for *every* measure, and relaxed greedy and OGA construct one on the
measure they fit: the training sample. The bound says something only above n_0 = (2 r C_f)²/Var f, and
under the uniform measure on the ball n_0 ≥ 4 (d + 2) for every f. The targets are chosen near that floor
in every d: sums of m ridges in orthogonal directions at |ω| = 1.5 sqrt(d + 2) (``ridge_sum``; n_0 near
22 m (d + 2)), with paths of relaxed greedy and OGA (sigmoid units, and ReLU units, two per sigmoidal ramp)
to several times n_0, and trained networks (L-BFGS width paths) at the widths they can afford,
labelled as such. Verdicts:

``barron_bound``   per target, d, trainer and unit: K_train = max over n ≥ n_0 of m(n)·training MSE/(2 r C_f)²
                   ≤ 1 on every replica (the generic rule);
``barron_d_trend`` per target, trainer and unit: K_d does not grow with d (the theorem's constant is
                   dimension-free); the slope of log K_d on log d per replica, t-interval;
``sharp_rate``     per target, d, trainer and unit: the local exponent of the training MSE over n ≥ n_0 at least
                   as fast as Siegel & Xu's worst case for the dictionary (sigmoidal ≈ Heaviside: n^(−1−1/d);
                   ReLU: n^(−1−3/d)), one-sided.

Random features (a fixed basis) at the same widths are the contrast: their gap to OGA per d is described
(Barron's fixed-basis lower bound is a worst case over the class with an unstated constant: not drawn).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from matplotlib import colormaps, rc_context
from matplotlib.figure import Figure

from nnapprox.report import generic
from nnapprox.report import judge as barron
from nnapprox.report.fit import fmt_slope, t_interval
from nnapprox.report.plots import RC
from nnapprox.report.study import Section, Window
from nnapprox.report.tables import markdown_table
from nnapprox.report.verdicts import CONSISTENT, CONTRADICTS, NOT_TESTED, Rule, Verdict, register_rule
from nnapprox.studies import sharp_rates
from nnapprox.theory.bounds import oga_rate

__all__ = ["analyse", "judge", "k_table", "trend_table", "rate_rows", "contrast_table", "JUDGE", "D_TREND"]

#: Judgement windows (values fixed in conf/experiment/width_scaling.yaml before the sweep).
JUDGE = {
    "d_trend_tol": Window(
        0.1, "K_d 'grows with d' only when the CI of the slope of log K_d on log d lies above this", 2.0
    ),
    "rate_from": Window(1.0, "the local exponent is fitted over the widths n ≥ rate_from × n_0", 2.0),
    "floor": Window(
        1e-11, "relative training MSE below which widths are left out of the exponent (precision floor)", 10.0
    ),
    "tol": Window(0.1, "slack on Siegel & Xu's exponent", 2.0),
}
D_TREND = register_rule(
    Rule(
        kind="barron_d_trend",
        claim="the bound's effective constant K_d does not grow with the dimension",
        theorem=(
            "Barron (1993): the constant (2 r C_f)² of the bound does not depend on d; tested as the hypothesis that "
            "the error relative to it, K_d = max over n ≥ n_0 of n·MSE/(2 r C_f)², shows no clear growth in d"
        ),
        null="the t-interval (over replicas) of the slope of log K_train,d on log d reaches d_trend_tol or below",
        alternative="the whole CI lies above d_trend_tol: K_d grows clearly with d",
        windows=("d_trend_tol",),
    )
)
#: What a target is called in the tables.
INTRO = (
    "Does the error of one-hidden-layer networks obey Barron's (2 r C_f)²/n with a constant that does not depend "
    "on d? Sums of m ridges in orthogonal directions whose n_0 = (2 r C_f)²/Var f stays near its floor 4 (d + 2) "
    "in d = 2, 4, 8, 16; relaxed greedy and OGA paths (sigmoid and ReLU units) to several times n_0, trained "
    "L-BFGS width paths where they can afford it, and random features as the fixed-basis contrast."
)
GROUP = ["target.m", "target.d", "trainer.name", "activation.name"]
#: The dictionary exponent k of Siegel & Xu's rate for each unit (sigmoidal units behave like Heaviside, k = 0).
DICTIONARY_K = {"sigmoid": 0, "tanh": 0, "heaviside": 0, "relu": 1}


def _ok(runs):
    ok = generic.usable(runs, "train_mse")
    return ok[ok["target.name"] == "ridge_sum"] if "target.name" in ok else ok.iloc[:0]


def _label(m, d=None, trainer=None, act=None):
    parts = [f"{int(m)} ridge{'s' if int(m) > 1 else ''}"]
    if d is not None:
        parts.append(f"d={int(d)}")
    if trainer is not None:
        parts.append(str(trainer))
    if act is not None:
        parts.append(str(act))
    return ", ".join(parts)


def k_table(runs) -> pd.DataFrame:
    """Per target (m ridges), d, trainer and unit: n_0, the widths n ≥ n_0, K_train and K_test (mean over replicas,
    t-interval, largest), and the test / training MSE ratio at the largest width."""
    rows = []
    ok = _ok(runs)
    for key, g in ok.groupby([c for c in GROUP if c in ok.columns], sort=True):
        m, d, trainer, act = key
        k = barron.bound_k(g, "n")
        inside = k[k["widths"] > 0]
        kt, kt_lo, kt_hi = t_interval(inside["K_train"]) if len(inside) else (math.nan,) * 3
        ks, ks_lo, ks_hi = t_interval(inside["K_test"]) if len(inside) else (math.nan,) * 3
        top = g[g["n"] == g["n"].max()]
        rows.append(
            {
                "m": int(m),
                "d": int(d),
                "trainer": trainer,
                "unit": act,
                "judged": "verdict" if barron.guarantee(trainer) == "barron" else "description",
                "c_f": float(g["c_f"].median()),
                "var_f": float(g["var_f"].median()),
                "n_0": float(k["n_0"].iloc[0]) if len(k) else math.nan,
                "n_max": int(g["n"].max()),
                "N": int(g["data.N"].max()),
                "widths_above_n_0": int(inside["widths"].max()) if len(inside) else 0,
                "replicas": int(len(inside)),
                "K_train": kt,
                "K_train_low": kt_lo,
                "K_train_high": kt_hi,
                "K_train_max": float(inside["K_train"].max()) if len(inside) else math.nan,
                "K_test": ks,
                "K_test_low": ks_lo,
                "K_test_high": ks_hi,
                "test_over_train_at_n_max": float((top["test_mse"] / top["train_mse"]).median()),
            }
        )
    return pd.DataFrame(rows)


def trend_table(runs, w) -> pd.DataFrame:
    """Per target, trainer and unit: the slope of log K_train,d on log d, fitted per replica over the d where it
    has widths n ≥ n_0 (t-interval), with the d used."""
    ok = _ok(runs)
    rows = []
    for (m, trainer, act), g in ok.groupby(["target.m", "trainer.name", "activation.name"], sort=True):
        per = []
        for d, h in g.groupby("target.d", sort=True):
            k = barron.bound_k(h, "n")
            k = k[k["widths"] > 0]
            per += [{"d": float(d), "replica": p, "K": kt} for p, kt in zip(k["path"], k["K_train"], strict=True)]
        per = pd.DataFrame(per, columns=["d", "replica", "K"]).dropna()
        piv = per.pivot_table(index="replica", columns="d", values="K").dropna(axis=1)
        ds = piv.columns.to_numpy(dtype=float)
        row = {
            "m": int(m),
            "trainer": trainer,
            "unit": act,
            "ds": ", ".join(f"{x:g}" for x in ds),
            "replicas": int(piv.shape[0]),
            "slope": math.nan,
            "ci_low": math.nan,
            "ci_high": math.nan,
            "judged": barron.guarantee(trainer) == "barron",
        }
        if ds.size >= 3 and piv.shape[0] >= 2 and (piv.to_numpy() > 0).all():
            lx = np.log(ds)
            ly = np.log(piv.to_numpy())
            slopes = (ly - ly.mean(axis=1, keepdims=True)) @ (lx - lx.mean()) / ((lx - lx.mean()) @ (lx - lx.mean()))
            row["slope"], row["ci_low"], row["ci_high"] = t_interval(slopes)
        rows.append(row)
    return pd.DataFrame(rows)


def _trend_verdict(r, tol) -> Verdict:
    base = dict(
        claim=D_TREND.claim,
        theorem=D_TREND.theorem,
        kind=D_TREND.kind,
        rule=D_TREND.null,
        hypotheses=barron.HYPOTHESES,
        group=_label(r["m"], trainer=r["trainer"], act=r["unit"]),
        predicted=f"slope of log K_d on log d ≤ {tol:g}",
        windows={"d_trend_tol": tol},
        measured=f"slope {fmt_slope(r['slope'], r['ci_low'], r['ci_high'])} over d = {r['ds']}",
        regime=f"the d with widths n ≥ n_0 ({r['replicas']} replicas)",
        value=r["slope"],
        ci_low=r["ci_low"],
        ci_high=r["ci_high"],
    )
    if not np.isfinite(r["ci_low"]):
        return Verdict(
            **base,
            outcome=NOT_TESTED,
            reason=f"too few points: fewer than 3 d with widths n ≥ n_0 (d = {r['ds'] or 'none'})",
        )
    if r["ci_low"] > tol:
        return Verdict(
            **base,
            outcome=CONTRADICTS,
            explanation=(
                "K_d grows with d although it stays at most 1: the bound holds in every d, but the error of these "
                "networks relative to it is not dimension-free; the greedy search (random directions, capped |a|) "
                "finds "
                "the ridge directions less well as d grows"
            ),
        )
    return Verdict(**base, outcome=CONSISTENT)


def rate_rows(runs, w) -> pd.DataFrame:
    """The local exponent per target, d, trainer and unit over n ≥ rate_from × n_0, in sharp_rates' row format."""
    ok = _ok(runs)
    rows = []
    for (m, d, trainer, act), g in ok.groupby(GROUP, sort=True):
        if not barron.has_sharp_rate(trainer) or act not in DICTIONARY_K:  # OGA only: relaxed greedy has 1/n
            continue
        n0 = float(barron.bound_k(g, "n")["n_0"].iloc[0])
        win = {**w, "n_min": w["rate_from"] * n0, "sample_fraction": 1.0}
        mask, stops = sharp_rates.regime(g, win)
        sub = g[mask]
        slope, lo, hi, reps = sharp_rates.path_fit(sub, "train_mse")
        widths = sub["n"].nunique()
        k = DICTIONARY_K[act]
        rows.append(
            {
                "target": _label(m, trainer=trainer),
                "d": int(d),
                "k": k,
                "unit": act,
                "predicted": oga_rate(k, int(d)),
                "slope": slope,
                "ci_low": lo,
                "ci_high": hi,
                "test_slope": sharp_rates.path_fit(sub, "test_mse")[0],
                "n_min": sub["n"].min() if widths else np.nan,
                "n_max": sub["n"].max() if widths else np.nan,
                "widths": widths,
                "replicas": reps,
                "stops": stops,
                "window": win,
            }
        )
    return pd.DataFrame(rows)


def contrast_table(runs) -> pd.DataFrame:
    """Random features against OGA (same target, d, unit) at the largest width both recorded: mean test MSE and
    their ratio (a description)."""
    ok = generic.usable(runs)
    if "trainer.name" not in ok or not (ok["trainer.name"] == "random_features").any():
        return pd.DataFrame()
    rows = []
    for (m, d, act), g in ok.groupby(["target.m", "target.d", "activation.name"], sort=True):
        rf, oga = g[g["trainer.name"] == "random_features"], g[g["trainer.name"] == "oga"]
        common = sorted(set(rf["n"]) & set(oga["n"]))
        if not common:
            continue
        n = common[-1]
        a, b = rf.loc[rf["n"] == n, "test_mse"].mean(), oga.loc[oga["n"] == n, "test_mse"].mean()
        rows.append(
            {
                "m": int(m),
                "d": int(d),
                "unit": act,
                "n": int(n),
                "random_features_mse": a,
                "oga_mse": b,
                "random_features_over_oga": a / b,
            }
        )
    return pd.DataFrame(rows)


def _verdicts(runs, w):
    rates = rate_rows(runs, w)
    out = [sharp_rates.verdict(r, r.window) for r in rates.itertuples(index=False)]
    trend = trend_table(runs, w)
    out += [_trend_verdict(r, w["d_trend_tol"]) for r in trend.to_dict("records") if r["judged"]]
    return out, rates, trend


def bound_verdicts(runs):
    """Barron's bound per target, d, trainer and unit (``barron_bound``), labelled by the target and d."""
    return [
        v
        for v in (barron.judge_bound(g, _label(*key), "n") for key, g in _ok(runs).groupby(GROUP, sort=True))
        if v is not None
    ]


def judge(runs, ctx):
    """Barron's bound per group, the d-trend and the exponent verdicts (for the windows' sensitivity)."""
    return bound_verdicts(runs) + _verdicts(runs, ctx.windows(JUDGE))[0]


def plot_k(table):
    """K_train (and K_test, dotted) against d per target, constructive trainer and unit: mean over replicas with its
    t-interval (trained networks and the fixed basis are in the table, not here)."""
    with rc_context(RC):
        fig = Figure(figsize=(10.0, 5.6), layout="constrained")
        axes = fig.subplots(1, 2, sharey=True)
        cmap = colormaps["tab10"]
        drawn = table[(table["widths_above_n_0"] > 0) & (table["judged"] == "verdict")]
        # one colour and marker per target and trainer, the same in both panels (keyed by name, not by position)
        style = {key: i for i, key in enumerate(sorted(set(zip(drawn["m"], drawn["trainer"], strict=True))))}
        for ax, unit in zip(axes, ("sigmoid", "relu"), strict=True):
            sub = drawn[drawn["unit"] == unit]
            for (m, trainer), g in sub.groupby(["m", "trainer"], sort=True):
                i = style[(m, trainer)]
                g = g.sort_values("d")
                err = np.clip(np.vstack([g["K_train"] - g["K_train_low"], g["K_train_high"] - g["K_train"]]), 0, None)
                ax.errorbar(
                    g["d"],
                    g["K_train"],
                    yerr=np.nan_to_num(err),
                    marker="os^D"[i % 4],
                    capsize=2.5,
                    color=cmap(i),
                    label=f"{_label(m, trainer=trainer)}: K_train",
                )
                ax.plot(
                    g["d"],
                    g["K_test"],
                    ls=":",
                    marker="os^D"[i % 4],
                    mfc="none",
                    color=cmap(i),
                    label=f"{_label(m, trainer=trainer)}: K_test",
                )
            ax.axhline(1.0, color="k", ls="--", lw=1.0, label="K = 1: Barron's bound")
            ax.set(xscale="log", yscale="log", xlabel="input dimension d", title=f"{unit} units")
            ax.set_xticks([2, 4, 8, 16], labels=["2", "4", "8", "16"])
            ax.minorticks_off()
            ax.grid(True, alpha=0.3)
        axes[0].set_ylabel("K = max over n ≥ n_0 of m(n)·MSE / (2 r C_f)²")
        handles = {}
        for ax in axes:
            for h, lab in zip(*ax.get_legend_handles_labels(), strict=True):
                handles.setdefault(lab, h)
        fig.legend(
            list(handles.values()), list(handles), loc="outside lower center", ncols=3, fontsize=7.5, frameon=False
        )
        fig.suptitle("The bound's effective constant per dimension (mean over replicas, 95% t-interval)")
    return fig


def analyse(runs, ctx):
    """The generic analysis (faceted by d; Barron's bound per group) with the K_d table and trend, the exponents
    against Siegel & Xu, the fixed-basis contrast, and their figure and sections."""
    res = generic.analyse(runs, ctx)
    res.intro = INTRO
    # N and the path's largest width move with d here: their per-axis figures would only repeat the d panels
    for axis in ("data.N", "model.width"):
        res.figures.pop(f"{generic.slug(ctx.name)}__{generic.slug(axis)}", None)
        res.sections = [s for s in res.sections if s.heading != f"Test MSE vs `{axis}`"]
        rates = res.tables.get("rates")
        if rates is not None and len(rates):
            res.tables["rates"] = rates[rates["x"] != axis]
    w = ctx.windows(JUDGE)
    table = k_table(runs)
    if table.empty:
        return res
    verdicts, rates, trend = _verdicts(runs, w)
    # the bound per target and d (the generic per-axis groups name N and the path's width instead of d)
    res.verdicts = [v for v in res.verdicts if v.kind != barron.BOUND_RULE.kind] + bound_verdicts(runs) + verdicts
    res.tables.update(k_by_dimension=table, k_trend=trend, exponents=rates.drop(columns=["window"]))
    res.figures["width_scaling_k"] = plot_k(table)
    contrast = contrast_table(runs)
    if len(contrast):
        res.tables["fixed_basis_contrast"] = contrast
    ratio = table["test_over_train_at_n_max"]
    body = [
        "![K per d](figures/width_scaling_k.png)",
        "",
        "K = max over the widths n ≥ n_0 of m(n)·MSE/(2 r C_f)² per replica (m = n sigmoidal units, ⌊n/2⌋ ReLU pairs); "
        "the table gives the mean over replicas with its t-interval and the largest. K_train of relaxed greedy and OGA "
        "is what the theorem bounds (verdicts above); the rest describe. test/train at n_max: the median ratio of "
        f"test to training MSE at the largest width (here {ratio.min():.2g} to {ratio.max():.2g}).",
        "",
        markdown_table(table),
        "",
        "**The trend in d** (slope of log K_train,d on log d per replica over the d with widths ≥ n_0, t-interval):",
        "",
        markdown_table(trend),
        "",
        "**Local exponents** of the training MSE over n ≥ n_0 against Siegel & Xu's worst case for the dictionary "
        "(sigmoidal units as Heaviside, k = 0; ReLU k = 1):",
        "",
        markdown_table(rates.drop(columns=["window"])) if len(rates) else "(none)",
    ]
    if len(contrast):
        body += [
            "",
            "**Fixed basis (random features) against OGA** at the largest common width: a description; "
            "Barron's fixed-basis lower bound is a worst case over the class with an unstated constant, so it is "
            "not drawn.",
            "",
            markdown_table(contrast),
        ]
    res.sections.insert(min(2, len(res.sections)), Section("Barron's bound in every dimension", "\n".join(body)))
    return res
