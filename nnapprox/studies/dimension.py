"""Study ``dimension``: adaptive units (oga, greedy) against a fixed random basis across d.

Barron (1993): n adaptive sigmoidal units reach ``(2 r C_f)^2 / n`` in every dimension, while for
any fixed basis of n functions some targets of the class stay at order ``n^(-2/d)`` (a worst
case over the class). The generic analysis fits the width rates per target, d and trainer; this
plug-in adds, per target and d, the test MSE of each method at the largest width they all
recorded and the ratio random features / oga (table ``dimension_ratios``, figure
``dimension_ratio``), judges the high-frequency ridge (|ω| = 10, d ≥ 8) where a random basis
should lose, and describes where random features win (the smooth, nearly polynomial targets).
"""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
from matplotlib import rc_context
from matplotlib.figure import Figure

from ..report import generic
PRECISION_FLOOR = 1e-10
from ..report.plots import RC
from ..report.study import Section
from ..report.tables import fmt_num, markdown_table, md_table
from ..report.verdicts import CONSISTENT, NOT_TESTED, Verdict

__all__ = ["analyse", "ratio_table", "ridge_verdict", "smooth_wins", "plot_ratios", "target_label",
           "METHODS", "RIDGE_FACTOR", "HIGH_D", "HF_OMEGA", "RATIO_COLUMNS"]

#: The methods compared, adaptive first.
METHODS = ("oga", "greedy", "random_features")
COLORS = {"oga": "tab:blue", "greedy": "tab:orange", "random_features": "tab:green"}
MARK = {"oga": "o", "greedy": "s", "random_features": "^"}
#: Random features must be at least this many times worse than oga on the ridge for the claim.
RIDGE_FACTOR = 5.0
#: Dimensions from which the fixed-basis worst case is expected to show on the ridge.
HIGH_D = 8
#: A cosine ridge with |ω| at least this is the high-frequency ridge of the claim.
HF_OMEGA = 10.0
#: Columns of the ``dimension_ratios`` table.
RATIO_COLUMNS = ("target", "hf_ridge", "d", "n", *(f"mse_{m}" for m in METHODS), *(f"rel_{m}" for m in METHODS),
                 "replicas", "rf_over_oga", "rf_over_oga_ci_low", "rf_over_oga_ci_high", "winner")

INTRO = ("Does a fixed random basis lose to adaptive units as the dimension grows, as Barron's contrast between "
         "the dimension-free (2 r C_f)²/n of networks and the n^(−2/d) worst case of fixed bases suggests? "
         "Orthogonal and relaxed greedy networks (oga, greedy) and random features (fixed random inner weights, "
         "least-squares output layer) of the same width on a high-frequency ridge cos(ω·x), |ω| = 10 (a case where "
         "a random basis rarely aligns with ω), a Gaussian and a cosine product, in d = 2 to 16.")

CLAIM = "a fixed random basis loses to adaptive units on the high-frequency ridge in d ≥ 8"
THEOREM = ("Barron (1993), Theorem 6: for any fixed basis of n functions, the worst case over the class of targets "
           "with C_f ≤ C is at least of order C²/(d² n^(2/d)); adaptive units reach (2 r C_f)²/n in every d")
HYPOTHESES = ("the lower bound is a worst case over the class {f : C_f ≤ C}, not a statement about each target; "
              "the |ω| = 10 ridge is chosen as a case where a random basis rarely aligns with ω")
PREDICTED = f"random features ≥ {RIDGE_FACTOR:g}x worse than oga at n_max"
OUTSIDE = ("outside the hypotheses: the lower bound is a worst case over the class and says nothing about one "
           "target")
RULE = (f"Ratio = mean test MSE of random features / mean test MSE of oga at n_max, the largest width every "
        f"method recorded for the target and d (means over seeds/replicas; 95% percentile bootstrap interval "
        f"resampling each method's replicates). Consistent when every high-frequency ridge case "
        f"(|ω| ≥ {HF_OMEGA:g}) with d ≥ {HIGH_D} has ratio ≥ {RIDGE_FACTOR:g}: the ridge is then one of the "
        f"hard targets the worst-case bound says exist. A smaller ratio is not tested, never contradicted: a worst "
        f"case over the class says nothing about one target. The smooth targets are described, not judged.")


def target_label(runs) -> pd.Series:
    """One label per row: the target's name, with ``|ω|=<omega>`` for ridges.

    Parameters
    ----------
    runs : pandas.DataFrame
        Records with ``target.name`` (and ``target.omega`` where the target has one).

    Returns
    -------
    pandas.Series of str
    """
    lab = runs["target.name"].astype(str)
    if "target.omega" not in runs.columns:
        return lab
    om = pd.to_numeric(runs["target.omega"], errors="coerce")
    return lab.where(om.isna(), lab + " |ω|=" + om.map(lambda v: f"{v:g}"))


def _is_hf_ridge(runs) -> pd.Series:
    """Rows of the high-frequency cosine ridge (|ω| ≥ :data:`HF_OMEGA`)."""
    ridge = runs["target.name"].astype(str).eq("cosine_ridge")
    if "target.omega" not in runs.columns:
        return ridge & False
    return ridge & (pd.to_numeric(runs["target.omega"], errors="coerce") >= HF_OMEGA)


def _common_width(g) -> float:
    """The largest width that every method present in ``g`` recorded (NaN if none is shared)."""
    sets = [set(rows["n"].astype(float)) for _, rows in g.groupby("trainer.name")]
    common = set.intersection(*sets) if sets else set()
    return max(common) if common else math.nan


def _ratio_ci(num, den, *, n_boot=2000, seed=0, ci=0.95):
    """Percentile-bootstrap interval of ``mean(num) / mean(den)``, resampling each side's replicates.

    NaN when either side has a single replicate (no spread to resample).
    """
    num, den = np.asarray(num, dtype=float), np.asarray(den, dtype=float)
    if num.size < 2 or den.size < 2:
        return math.nan, math.nan
    rng = np.random.default_rng(seed)
    a = num[rng.integers(0, num.size, size=(n_boot, num.size))].mean(axis=1)
    b = den[rng.integers(0, den.size, size=(n_boot, den.size))].mean(axis=1)
    lo, hi = np.quantile(a / b, [(1 - ci) / 2, (1 + ci) / 2])
    return float(lo), float(hi)


def _ratio_row(g, *, n_boot, seed) -> dict:
    """One row of :func:`ratio_table` from the usable runs of one target and d."""
    n = _common_width(g)
    at = g[g["n"].astype(float) == n]
    row = {"n": n}
    mse = {m: at.loc[at["trainer.name"] == m, "test_mse"].to_numpy(dtype=float) for m in METHODS}
    for m in METHODS:
        rel = at.loc[at["trainer.name"] == m, "rel_mse"].to_numpy(dtype=float) if "rel_mse" in at else []
        row[f"mse_{m}"] = float(mse[m].mean()) if mse[m].size else math.nan
        row[f"rel_{m}"] = float(np.mean(rel)) if len(rel) else math.nan
    row["replicas"] = min((mse[m].size for m in METHODS if mse[m].size), default=0)
    row["rf_over_oga"] = row["mse_random_features"] / row["mse_oga"]
    row["rf_over_oga_ci_low"], row["rf_over_oga_ci_high"] = _ratio_ci(mse["random_features"], mse["oga"],
                                                                       n_boot=n_boot, seed=seed)
    means = {m: row[f"mse_{m}"] for m in METHODS if np.isfinite(row[f"mse_{m}"])}
    row["winner"] = min(means, key=means.get) if means else ""
    return row


def ratio_table(runs, *, n_boot=2000, seed=0) -> pd.DataFrame:
    """Test MSE per method at the largest common width, per target and d, and random features / oga.

    Parameters
    ----------
    runs : pandas.DataFrame
        Records with ``target.name``, ``target.d``, ``trainer.name``, ``n``, ``test_mse``, ``rel_mse``
        (``target.omega`` for ridges); rows that are not usable (:func:`~nnapprox.report.generic.usable`)
        are left out.
    n_boot, seed : int
        Bootstrap resamples and seed of the ratio's interval.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`RATIO_COLUMNS`, one row per target and d: ``n`` is the largest width every
        method recorded, ``mse_<method>`` / ``rel_<method>`` the mean test MSE / MSE over Var f
        there, ``replicas`` the fewest replicates of a method, ``rf_over_oga`` the ratio of the
        means with its bootstrap CI (NaN with one replicate), ``winner`` the method with the lowest
        mean MSE, ``hf_ridge`` whether the target is the high-frequency ridge.
    """
    ok = generic.usable(runs)
    if ok.empty or not {"target.name", "target.d", "trainer.name", "n"} <= set(ok.columns):
        return pd.DataFrame(columns=list(RATIO_COLUMNS))
    ok = ok.assign(target=target_label(ok), hf_ridge=_is_hf_ridge(ok))
    rows = []
    for (t, d), g in ok.groupby(["target", "target.d"], sort=True):
        rows.append({"target": t, "hf_ridge": bool(g["hf_ridge"].iloc[0]), "d": int(d),
                     **_ratio_row(g, n_boot=n_boot, seed=seed)})
    return pd.DataFrame(rows, columns=list(RATIO_COLUMNS))


def _fmt_ratio(r) -> str:
    """``"12.3x [8.1, 17]"`` for one row of the ratio table."""
    ci = (f" [{fmt_num(r.rf_over_oga_ci_low)}, {fmt_num(r.rf_over_oga_ci_high)}]"
          if np.isfinite(r.rf_over_oga_ci_low) else "")
    return f"{fmt_num(r.rf_over_oga)}x{ci}"


def ridge_verdict(table) -> Verdict:
    """The fixed-basis claim on the high-frequency ridge in d ≥ :data:`HIGH_D`.

    Parameters
    ----------
    table : pandas.DataFrame
        Output of :func:`ratio_table`.

    Returns
    -------
    Verdict
        ``consistent`` when every ridge case with d ≥ :data:`HIGH_D` has random features / oga ≥
        :data:`RIDGE_FACTOR`; ``not tested`` otherwise (outside the hypotheses: a worst case over the
        class says nothing about one target), or ``no data`` when no such case has both methods.
    """
    base = dict(claim=CLAIM, theorem=THEOREM, hypotheses=HYPOTHESES, predicted=PREDICTED, rule=RULE,
                group=f"target=cosine_ridge |ω| ≥ {HF_OMEGA:g}, d ≥ {HIGH_D}")
    cases = table[table["hf_ridge"].astype(bool) & (table["d"] >= HIGH_D)] if len(table) else table
    cases = cases[np.isfinite(cases["rf_over_oga"].astype(float))] if len(cases) else cases
    if cases.empty:
        return Verdict(**base, outcome=NOT_TESTED,
                       reason=f"no data: no high-frequency ridge case with d ≥ {HIGH_D} where oga and random "
                              f"features both have a usable test MSE at a common width")
    worst = cases.loc[cases["rf_over_oga"].astype(float).idxmin()]
    each = ", ".join(f"d={r.d}: {fmt_num(r.rf_over_oga)}x" for r in cases.itertuples(index=False))
    common = dict(regime=f"ridge |ω| ≥ {HF_OMEGA:g}, d ≥ {HIGH_D}: d = {', '.join(str(d) for d in cases['d'])} "
                         f"at width n = {', '.join(sorted({fmt_num(n) for n in cases['n']}))} (n_max: the largest "
                         f"width every method recorded)",
                  measured=f"smallest random features / oga {_fmt_ratio(worst)} at d = {worst['d']}, "
                           f"n = {fmt_num(worst['n'])}" + (f" ({each})" if len(cases) > 1 else ""),
                  value=float(worst["rf_over_oga"]), ci_low=float(worst["rf_over_oga_ci_low"]),
                  ci_high=float(worst["rf_over_oga_ci_high"]))
    if (cases["rf_over_oga"].astype(float) >= RIDGE_FACTOR).all():
        return Verdict(**base, outcome=CONSISTENT, **common)
    return Verdict(**base, outcome=NOT_TESTED, reason=OUTSIDE, **common)


def smooth_wins(table) -> pd.DataFrame:
    """The rows of the ratio table off the high-frequency ridge where random features beat oga."""
    if table.empty:
        return table
    smooth = table[~table["hf_ridge"].astype(bool)]
    return smooth[smooth["rf_over_oga"].astype(float) < 1]


def _panel(ax, g):
    """One target's panel: relative test MSE at n_max vs d per method, and n^(-2/d) for reference."""
    g = g.sort_values("d")
    for m in METHODS:
        y = g[f"rel_{m}"].astype(float)
        if np.isfinite(y).any():
            ax.plot(g["d"], y, ls="-", marker=MARK[m], color=COLORS[m], ms=5, label=m.replace("_", " "))
    rel = g[[f"rel_{m}" for m in METHODS]].to_numpy(dtype=float)
    if np.isfinite(rel).any() and np.nanmin(rel) < 10 * PRECISION_FLOOR:
        ax.axhline(PRECISION_FLOOR, color="0.5", ls="--", lw=1.0,
                   label=f"precision floor (MSE / Var f = {PRECISION_FLOOR:g})")
    ds = sorted(g["d"].unique())
    ns = sorted({fmt_num(n) for n in g["n"]})
    ax.set_xscale("log", base=2)
    ax.set_yscale("log")
    ax.set_xticks(ds, labels=[str(d) for d in ds])
    ax.minorticks_off()
    ax.set_xlim(ds[0] / 1.3, ds[-1] * 1.3)
    ax.set(xlabel="input dimension d", title=f"{g['target'].iloc[0]} (n_max = {', '.join(ns)})")
    ax.grid(True, which="major", alpha=0.3)


def plot_ratios(table) -> Figure:
    """Relative test MSE at n_max vs d per method, one panel per target, n^(-2/d) drawn.

    Parameters
    ----------
    table : pandas.DataFrame
        Output of :func:`ratio_table` (at least one row).

    Returns
    -------
    matplotlib.figure.Figure
    """
    targets = list(dict.fromkeys(table["target"]))
    with rc_context(RC):
        fig = Figure(figsize=(max(5.0, 4.0 * len(targets)), 4.2), layout="constrained")
        axes = fig.subplots(1, len(targets), squeeze=False)[0]
        handles = {}
        for ax, t in zip(axes, targets):
            _panel(ax, table[table["target"] == t])
            for h, lab in zip(*ax.get_legend_handles_labels()):
                handles.setdefault(lab, h)
        axes[0].set_ylabel("relative test MSE (MSE / Var f) at n_max")
        fig.legend(list(handles.values()), list(handles), loc="outside lower center",
                   ncols=min(len(handles), 3), frameon=False)
        fig.suptitle("Adaptive units (oga, greedy) vs a fixed random basis across the dimension")
    return fig


def _ratio_section(table) -> Section:
    """The figure, the ratio table and how to read them."""
    show = table.drop(columns=["hf_ridge"]).assign(
        rf_over_oga=[_fmt_ratio(r) for r in table.itertuples(index=False)]).drop(
        columns=["rf_over_oga_ci_low", "rf_over_oga_ci_high"])
    body = "\n".join([
        "![relative test MSE at n_max vs d](figures/dimension_ratio.png)", "",
        "Test MSE (mean over seeds/replicas) at n_max, the largest width every method recorded for the target "
        "and d; `rel_*` = MSE / Var f (comparable across d); `rf_over_oga` = random features / oga with its 95% "
        "bootstrap interval (none with one replicate); `winner` = lowest mean MSE. Barron's fixed-basis lower bound "
        "(order C²/(d² n^(2/d)), a worst case over the class with an unspecified constant) is not drawn: it predicts "
        "nothing for any one target.", "",
        markdown_table(show), "", "Table: `dimension_ratios.csv`."])
    return Section("Fixed basis vs adaptive units across d", body)


def _cases(rows) -> str:
    """``"gaussian d=2, cosine_product d=8"``: the target and d of each row."""
    return ", ".join(f"{r.target} d={r.d}" for r in rows.itertuples(index=False))


def _wins_text(table) -> str:
    """The paragraph of :func:`_wins_section`: how often and where random features beat oga."""
    smooth = table[~table["hf_ridge"].astype(bool)]
    wins = smooth_wins(table)
    names = ", ".join(dict.fromkeys(smooth["target"]))
    text = (f"A description, not a verdict. Off the high-frequency ridge random features beat oga in {len(wins)} "
            f"of {len(smooth)} cases{': ' + _cases(wins) if len(wins) else ''}. These targets ({names}) are smooth "
            f"and nearly polynomial on the unit ball: a random sigmoidal basis with a least-squares output layer "
            f"can fit them well, and Barron's worst-case lower bound does not forbid it (it speaks of some targets "
            f"of the class, not of these).")
    floor = wins[wins["rel_random_features"].astype(float) < PRECISION_FLOOR]
    if len(floor):
        text += (f" Where random features reach the precision floor (MSE / Var f < {PRECISION_FLOOR:g}: "
                 f"{_cases(floor)}) the ratio only says that they fit the target to rounding error; its size "
                 f"reflects rounding, not approximation.")
    return text


def _wins_section(table) -> Section:
    """Where random features win (a description, no verdict)."""
    smooth = table[~table["hf_ridge"].astype(bool)]
    rows = [[r.target, r.d, r.n, r.mse_oga, r.mse_random_features, _fmt_ratio(r), r.winner]
            for r in smooth.itertuples(index=False)]
    lines = [_wins_text(table), ""]
    if rows:
        lines.append(md_table(rows, ["target", "d", "n_max", "oga MSE", "random features MSE",
                                     "random features / oga", "winner"]))
    return Section("Where random features win", "\n".join(lines))


def analyse(runs, ctx):
    """The generic analysis plus the table ``dimension_ratios``, the figure ``dimension_ratio``, the ridge
    verdict (:func:`ridge_verdict`) and two sections (the comparison; where random features win)."""
    res = generic.analyse(runs, ctx)
    res.intro = INTRO
    res.rules.append(f"**Fixed basis vs adaptive units.** {RULE}")
    table = ratio_table(runs, n_boot=ctx.n_boot, seed=ctx.seed)
    if table.empty:
        return res
    ridge = ridge_verdict(table)  # a worst case over the class cannot fail on one target: a description
    res.sections.insert(min(2, len(res.sections)), Section("The high-frequency ridge (a description)", (
        f"{ridge.claim}: {ridge.measured or ridge.reason}. {HYPOTHESES}; so this is reported, not judged.")))
    res.tables["dimension_ratios"] = table
    res.figures["dimension_ratio"] = plot_ratios(table)
    at = min(2, len(res.sections))
    res.sections[at:at] = [_ratio_section(table), _wins_section(table)]
    return res
