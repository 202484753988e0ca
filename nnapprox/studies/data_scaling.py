"""Study ``data_scaling``: does the width that minimises the test error grow like (N / log N)^(1/2)?

Barron (1994): a one-hidden-layer network of width n fitted to N noisy samples has risk
``O(C_f^2 / n) + O((n d / N) log N)``; the two terms balance at
``n* = C_f (N / (d log N))^(1/2)`` (:func:`nnapprox.theory.optimal_width`). On top of the generic
analysis (rates in n per N, in N per width, Barron's bound) this plug-in finds, for each N, the
swept width with the smallest mean test MSE (``n_best``, :func:`best_widths`), fits
``n_best ∝ (N / log N)^s`` with a bootstrap CI and judges s against 1/2 on the N whose ``n_best``
is inside the width grid (:func:`exponent_verdict`). It adds

* the table ``nbest``: per group and N, n_best, its bootstrap frequency, the mean test MSE there,
  n* and whether the grid caps n_best;
* the figure ``data_scaling_nbest``: test MSE vs width per N (minima marked), and n_best vs N with
  n* and the fit;
* the figure ``data_scaling_estimation``: test MSE vs N per width with the estimation term
  σ² (n d / N) log N dashed;
* a section explaining both, and the verdict on the exponent.

With several groups (other swept variables than N and the width) each gets its own rows, verdict,
section and figures (``data_scaling_nbest__<group>``).
"""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
from matplotlib import colormaps, rc_context
from matplotlib.figure import Figure
from matplotlib.ticker import FixedLocator, FuncFormatter, NullLocator

from ..report import generic
from ..report.collect import iter_groups, swept_variables
from ..report.fit import fmt_slope, group_stats, width_column
from ..report.plots import RC, label_of, minmax_yerr
from ..report.study import Section
from ..report.tables import fmt_num, markdown_table
from ..report.verdicts import CONSISTENT, CONTRADICTS, NOT_TESTED, Verdict
from ..theory import estimation_term, optimal_width

__all__ = ["analyse", "best_widths", "exponent_verdict", "rule", "plot_nbest", "plot_estimation", "mean_table",
           "THEORY_EXPONENT", "NBEST_COLUMNS", "INTRO"]

#: Theory exponent of n* in N / log N.
THEORY_EXPONENT = 0.5
#: Fewest N with n_best inside the width grid for the exponent to be judged.
MIN_UNCAPPED = 3
#: Columns of the ``nbest`` table.
NBEST_COLUMNS = ("group", "N", "n_best", "boot_freq", "mse_best", "n_star", "capped")
SAMPLE = "data.N"

INTRO = ("Does the width that minimises the test error grow with the training-set size like Barron's (1994) "
         "n* = C_f (N / (d log N))^½, the minimiser of his risk bound O(C_f²/n) + O((n d / N) log N)? One-hidden-"
         "layer networks of several widths are fitted by L-BFGS to N noisy samples of a target with known C_f; for "
         "each N the swept width with the smallest mean test MSE (n_best) is found, and the exponent s of "
         "n_best ∝ (N / log N)^s is compared with ½ on the N where n_best lies inside the width grid.")

THEOREM = ("Barron (1994): risk ≤ O(C_f²/n) + O((n d/N) log N), minimised at n* = C_f (N/(d log N))^(1/2)")
HYPOTHESES = ("one hidden layer of sigmoidal units; noisy labels; the estimator minimises the empirical risk (here: "
              "the trainer's fit); n* follows from the bound's minimiser, so the measured minimiser follows it where "
              "both terms of the bound are tight")
CLAIM = "the best width grows like (N / log N)^(1/2)"


def rule(n_boot: int) -> str:
    """The bullet of "How to read this report" behind the exponent verdict."""
    return ("**Best width.** n_best(N) is the swept width with the smallest mean test MSE over replicas at that N; "
            "it is *capped* when it is the smallest or largest swept width (the minimiser may lie beyond the grid). "
            "The exponent s is the least-squares slope of log n_best on log(N / log N) over the uncapped N. 95% CI: "
            f"{n_boot} percentile-bootstrap resamples of the replicas at every (N, n), the argmin and the fit redone, "
            "each resampled argmin moved uniformly within half a grid step on either side (the minimiser of a curve "
            "locally parabolic in log n lies within half a step of the grid point nearest it), seeded. Consistent "
            f"when the CI contains {THEORY_EXPONENT:g}; not tested (too few points) with fewer than {MIN_UNCAPPED} "
            "uncapped N; otherwise it contradicts.")


# --------------------------------------------------------------------------- the numbers

def _log_ratio(N):
    """The abscissa N / log N of the n* law."""
    N = np.asarray(N, dtype=float)
    return N / np.log(N)


def _slopes(lx, ly):
    """Least-squares slopes of the rows of ``ly`` (B, P) (or of ``ly`` (P,)) on ``lx`` (P,)."""
    cx = lx - lx.mean()
    ly = np.atleast_2d(ly)
    return (ly - ly.mean(axis=1, keepdims=True)) @ cx / (cx @ cx)


def mean_table(ok, width):
    """Mean test MSE over replicas for each (N, width).

    Parameters
    ----------
    ok : pandas.DataFrame
        Usable runs (columns ``data.N``, ``width``, ``test_mse``).
    width : str
        The width column.

    Returns
    -------
    pandas.DataFrame
        Index N (sorted), columns widths (sorted), values mean test MSE (NaN where a pair has no run).
    """
    return ok.pivot_table(index=SAMPLE, columns=width, values="test_mse",
                          aggfunc="mean").sort_index().sort_index(axis=1)


def _half_steps(widths):
    """Half the log-gap to the neighbouring widths, below and above each width (mirrored at the ends)."""
    lw = np.log(widths)
    gaps = np.diff(lw)
    if gaps.size == 0:
        return np.zeros_like(lw), np.zeros_like(lw)
    below = np.concatenate([[gaps[0]], gaps]) / 2
    above = np.concatenate([gaps, [gaps[-1]]]) / 2
    return below, above


def _boot_argmins(ok, width, means, rng, n_boot):
    """Bootstrap argmin indices, shape (n_boot, number of N): replicas resampled at every (N, n)."""
    widths = means.columns.to_numpy(dtype=float)
    values = {(N, w): g["test_mse"].to_numpy(dtype=float) for (N, w), g in ok.groupby([SAMPLE, width])}
    idx = np.empty((n_boot, len(means.index)), dtype=int)
    for i, N in enumerate(means.index):
        sims = np.full((n_boot, widths.size), np.inf)
        for j, w in enumerate(means.columns):
            v = values.get((N, w))
            if v is not None and v.size:
                sims[:, j] = v[rng.integers(0, v.size, size=(n_boot, v.size))].mean(axis=1)
        idx[:, i] = np.argmin(sims, axis=1)
    return idx


def _edge(j, available):
    """``"min"``/``"max"`` when width index ``j`` is the smallest/largest of the ``available`` indices."""
    if len(available) < 2:
        return ""
    return "min" if j == available[0] else "max" if j == available[-1] else ""


def _fit(Ns, best_idx, boot_idx, widths, use, rng):
    """Exponent of n_best vs N / log N over the N in ``use``, with its jittered bootstrap CI."""
    nan = {"slope": math.nan, "ci_low": math.nan, "ci_high": math.nan, "intercept": math.nan,
           "n_points": int(use.sum())}
    if use.sum() < 2:
        return nan
    lx = np.log(_log_ratio(Ns[use]))
    lw = np.log(widths)
    ly = lw[best_idx[use]]
    slope = float(_slopes(lx, ly)[0])
    below, above = _half_steps(widths)
    b = boot_idx[:, use]
    u = rng.uniform(size=b.shape)
    jitter = -below[b] + u * (below[b] + above[b])
    boot = _slopes(lx, lw[b] + jitter)
    lo, hi = np.quantile(boot, [0.025, 0.975])
    return {"slope": slope, "ci_low": float(lo), "ci_high": float(hi),
            "intercept": float(ly.mean() - slope * lx.mean()), "n_points": int(use.sum())}


def best_widths(ok, width=None, *, n_boot=2000, seed=0, c_f=math.nan, d=math.nan):
    """n_best(N) and the exponent of n_best vs N / log N with a bootstrap CI.

    The point estimate is the argmin of the mean test MSE over replicas at each (N, width). Each
    bootstrap resample draws, independently at every (N, width), its replicas with replacement,
    recomputes the means and the argmin at each N, moves the argmin uniformly within half a grid
    step on either side (in log n) and refits; the 95% interval is the percentile interval of those
    slopes. A width equal to the largest (smallest) width swept at that N is ``capped`` ("max",
    "min"): the true minimiser may lie beyond the grid.

    Parameters
    ----------
    ok : pandas.DataFrame
        Usable runs of one group (``data.N``, the width column, ``test_mse``).
    width : str, optional
        The width column (default: ``n`` if present, else ``model.width``).
    n_boot : int
        Bootstrap resamples.
    seed : int
        Seed of the resampling generator.
    c_f, d : float
        Barron constant and input dimension, for the ``n_star`` column (NaN leaves it NaN).

    Returns
    -------
    table : pandas.DataFrame
        Columns ``N, n_best, boot_freq, mse_best, n_star, capped`` (``capped`` is "", "min" or "max").
    fits : dict
        ``"uncapped"`` (the N whose n_best is inside the grid; the verdict's fit) and ``"all"`` (every
        N): each a dict of ``slope``, ``ci_low``, ``ci_high``, ``intercept``, ``n_points``.

    Raises
    ------
    ValueError
        If no (N, width) pair has a usable run.
    """
    width = width or width_column(ok)
    ok = ok[np.isfinite(ok["test_mse"]) & (ok["test_mse"] > 0)]
    means = mean_table(ok, width)
    if means.empty:
        raise ValueError("need at least one N and one width with usable runs")
    Ns = means.index.to_numpy(dtype=float)
    widths = means.columns.to_numpy(dtype=float)
    grid = means.to_numpy()
    best_idx = np.array([np.nanargmin(row) for row in grid])
    capped = np.array([_edge(j, np.flatnonzero(np.isfinite(row))) for j, row in zip(best_idx, grid)])
    rng = np.random.default_rng(seed)
    boot_idx = _boot_argmins(ok, width, means, rng, n_boot)
    n_star = optimal_width(c_f, Ns, d) if np.isfinite(c_f) and np.isfinite(d) else np.full(Ns.size, np.nan)
    table = pd.DataFrame({"N": Ns.astype(int), "n_best": widths[best_idx].astype(int),
                          "boot_freq": (boot_idx == best_idx).mean(axis=0),
                          "mse_best": np.nanmin(grid, axis=1), "n_star": n_star, "capped": capped})
    fits = {"uncapped": _fit(Ns, best_idx, boot_idx, widths, capped == "", rng),
            "all": _fit(Ns, best_idx, boot_idx, widths, np.ones(Ns.size, bool), rng)}
    return table, fits


def _int_text(v):
    """A count as text: ``1000000`` (not ``1e+06``); non-integers with ``%g``."""
    return f"{v:.0f}" if float(v).is_integer() else f"{v:g}"


def _capped_text(table):
    caps = table[table["capped"] != ""]
    return ", ".join(f"{_int_text(n)} ({c})" for n, c in zip(caps["N"], caps["capped"]))


def exponent_verdict(table, fit, group="all"):
    """The verdict on the n_best exponent against Barron's 1/2.

    Parameters
    ----------
    table : pandas.DataFrame
        The :func:`best_widths` table of one group (``N``, ``capped``).
    fit : dict
        The fit over the uncapped N (``slope``, ``ci_low``, ``ci_high``).
    group : str
        Label of the group.

    Returns
    -------
    Verdict
        Consistent when the CI contains 1/2; not tested (too few points) with fewer than
        :data:`MIN_UNCAPPED` uncapped N; otherwise contradicts, with the explanation.
    """
    free = table[table["capped"] == ""]
    Ns = ", ".join(_int_text(n) for n in free["N"]) or "none"
    capped = _capped_text(table)
    base = dict(claim=CLAIM, theorem=THEOREM, hypotheses=HYPOTHESES, group=group, predicted="exponent 1/2",
                rule=f"consistent when the 95% CI of s contains {THEORY_EXPONENT:g} (least squares of log n_best "
                     f"on log(N / log N) over the uncapped N, at least {MIN_UNCAPPED} of them)",
                regime=f"N with n_best inside the width grid: {Ns}" + (f" (capped: {capped})" if capped else ""))
    s, lo, hi = fit["slope"], fit["ci_low"], fit["ci_high"]
    nums = dict(value=s, ci_low=lo, ci_high=hi, measured=f"exponent {fmt_slope(s, lo, hi)}")
    if len(free) < MIN_UNCAPPED or not (np.isfinite(lo) and np.isfinite(hi)):
        why = (f"n_best is at an edge of the width grid for N = {capped}" if capped else "too few sample sizes")
        return Verdict(**base, **nums, outcome=NOT_TESTED,
                       reason=f"too few points: only {len(free)} of {len(table)} sample sizes have n_best inside "
                              f"the width grid (at least {MIN_UNCAPPED} needed); {why}")
    if lo <= THEORY_EXPONENT <= hi:
        return Verdict(**base, **nums, outcome=CONSISTENT)
    way = ("slower" if hi < THEORY_EXPONENT else "faster")
    hint = ("the approximation error falls faster than C_f²/n or the fitted networks pay more than n d log N / N "
            "for extra width" if way == "slower" else
            "the fitted networks' estimation error grows more slowly with n than n d log N / N (the trainer does not "
            "minimise the empirical risk to the end: implicit regularisation) or the approximation error falls more "
            "slowly than 1/n (optimizer floor)")
    return Verdict(**base, **nums, outcome=CONTRADICTS,
                   explanation=(f"n* minimises an upper bound, so the measured risk's minimiser follows it only where "
                                f"both terms of the bound are tight; here n_best grows {way} than (N / log N)^½ "
                                f"(s = {fmt_slope(s, lo, hi)}): a risk A n^-a + B n^b log N / N is minimised at "
                                f"n ∝ (N / log N)^(1/(a+b)), and s {'<' if way == 'slower' else '>'} ½ means "
                                f"a + b {'>' if way == 'slower' else '<'} 2: {hint}"))


# --------------------------------------------------------------------------- figures

def _ticks(axis, values):
    """Ticks at ``values``, labelled 2, 100, 1e+04."""
    axis.set_major_locator(FixedLocator(np.unique(values)))
    axis.set_major_formatter(FuncFormatter(lambda v, _p: f"{v:g}" if v < 1e4 else f"{v:.0e}"))
    axis.set_minor_locator(NullLocator())


def _panel_mse_vs_width(ax, means, width):
    """Mean test MSE vs width, one line per N, minima starred."""
    widths = means.columns.to_numpy(dtype=float)
    cmap = colormaps["viridis"]
    for i, N in enumerate(means.index):
        color = cmap(i / max(1, len(means.index) - 1) * 0.9)
        row = means.loc[N].to_numpy()
        ax.plot(widths, row, marker="o", ms=3.5, color=color, label=f"N = {_int_text(N)}")
        j = np.nanargmin(row)
        ax.plot(widths[j], row[j], marker="*", ms=13, color=color, mec="k", mew=0.6, ls="none")
    ax.plot([], [], ls="none", marker="*", ms=11, color="0.6", mec="k", mew=0.6, label="minimum: n_best(N)")
    ax.set_xscale("log", base=2)
    ax.set_yscale("log")
    _ticks(ax.xaxis, widths)
    ax.set_xlabel(label_of(width))
    ax.set_ylabel("mean test MSE over replicas (units of f²)")
    ax.set_title("(a) test MSE vs width, one line per training-set size")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.14), fontsize=8, ncols=3, frameon=False)
    ax.grid(True, alpha=0.3)


def _panel_nbest(ax, table, fit, widths, c_f, d):
    """n_best vs N with the grid edges shaded, n* and the fitted law."""
    Ns = table["N"].to_numpy(dtype=float)
    Nf = np.geomspace(Ns.min(), Ns.max(), 100)
    ax.axhspan(widths.max(), widths.max() * 64, color="0.88", zorder=0,
               label=f"at or beyond the grid's edges (n ≥ {widths.max():g}, n ≤ {widths.min():g})")
    ax.axhspan(widths.min() / 64, widths.min(), color="0.88", zorder=0)
    top = widths.max()
    if np.isfinite(c_f) and np.isfinite(d) and Ns.min() > 1:
        star = optimal_width(c_f, Nf, d)
        top = max(top, float(star.max()))
        ax.plot(Nf, star, color="k", ls="--", lw=1.3, label=f"n* = C_f (N / (d log N))^½, C_f = {c_f:g}, d = {d:g}")
    free = (table["capped"] == "").to_numpy()
    if np.isfinite(fit["slope"]):
        Nfit = np.geomspace(Ns[free].min(), Ns[free].max(), 50)
        ax.plot(Nfit, np.exp(fit["intercept"]) * _log_ratio(Nfit) ** fit["slope"], color="tab:red", ls=":",
                lw=1.5, label=f"fit ∝ (N / log N)^s over the {fit['n_points']} uncapped N, "
                              f"s = {fmt_slope(fit['slope'], fit['ci_low'], fit['ci_high'])}")
    size = 30 + 120 * table["boot_freq"].to_numpy()
    for mask, face, text in ((free, "tab:red", "n_best (marker area ∝ bootstrap frequency)"),
                             (~free, "white", "n_best at a grid edge (capped; not fitted)")):
        if mask.any():
            ax.scatter(Ns[mask], table["n_best"].to_numpy()[mask], s=size[mask], color=face, edgecolors="tab:red",
                       linewidths=1.2, zorder=3, label=text)
    ax.set_xscale("log")
    ax.set_yscale("log", base=2)
    _ticks(ax.xaxis, Ns)
    top *= 1.6
    _ticks(ax.yaxis, 2.0 ** np.arange(np.floor(np.log2(widths.min())), np.log2(top) + 1e-9))
    ax.set_ylim(widths.min() / 1.6, top)
    ax.set_xlabel(label_of(SAMPLE))
    ax.set_ylabel("width with the smallest test MSE (neurons)")
    ax.set_title("(b) best width vs N against Barron's n*")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.14), fontsize=8, frameon=False)
    ax.grid(True, alpha=0.3)


def plot_nbest(ok, table, fit, width, c_f, d, title=None):
    """(a) mean test MSE vs width per N with the minima marked; (b) n_best vs N with n* and the fit.

    Parameters
    ----------
    ok : pandas.DataFrame
        Usable runs of one group.
    table : pandas.DataFrame
        Its :func:`best_widths` table.
    fit : dict
        The exponent fit drawn in (b) (the uncapped one).
    width : str
        The width column.
    c_f, d : float
        For n* (NaN: no n* curve).
    title : str, optional
        Figure title (the group).

    Returns
    -------
    matplotlib.figure.Figure
    """
    means = mean_table(ok, width)
    with rc_context(RC):
        fig = Figure(figsize=(10.5, 5.6), layout="constrained")
        ax1, ax2 = fig.subplots(1, 2)
        _panel_mse_vs_width(ax1, means, width)
        _panel_nbest(ax2, table, fit, means.columns.to_numpy(dtype=float), c_f, d)
        if title:
            fig.suptitle(title)
    return fig


def plot_estimation(ok, width, d, noise, title=None):
    """Test MSE vs N per width (mean, min-max over replicas) with σ² (n d / N) log N dashed in the same colour.

    Parameters
    ----------
    ok : pandas.DataFrame
        Usable runs of one group.
    width : str
        The width column.
    d : float
        Input dimension.
    noise : float
        Label-noise standard deviation σ (0: the term is drawn without σ²).
    title : str, optional

    Returns
    -------
    matplotlib.figure.Figure
    """
    stats = group_stats(ok, [width, SAMPLE], "test_mse")
    widths = sorted(ok[width].unique())
    Ns = np.sort(ok[SAMPLE].unique()).astype(float)
    Nf = np.geomspace(Ns.min(), Ns.max(), 60)
    cmap = colormaps["plasma"]
    scale = noise ** 2 if noise > 0 else 1.0
    with rc_context(RC):
        fig = Figure(figsize=(6.4, 5.4), layout="constrained")
        ax = fig.add_subplot()
        lo_y = np.inf
        for i, w in enumerate(widths):
            color = cmap(i / max(1, len(widths) - 1) * 0.85)
            g = stats[stats[width] == w]
            ax.errorbar(g[SAMPLE], g["mean"], yerr=minmax_yerr(g["mean"], g["min"], g["max"]), marker="o", ms=4,
                        capsize=2, color=color, label=f"n = {w:g}")
            if np.isfinite(d) and Ns.min() >= 1:
                ax.plot(Nf, scale * estimation_term(w, d, Nf), color=color, ls="--", lw=1.0)
            lo_y = min(lo_y, float(g["min"].min()))
        ax.plot([], [], color="0.3", ls="--", label=(f"σ² (n d / N) log N, σ = {noise:g} (dashed)" if noise > 0
                                                     else "(n d / N) log N (dashed)"))
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_ylim(lo_y / 2, None)
        _ticks(ax.xaxis, Ns)
        ax.set_xlabel(label_of(SAMPLE))
        ax.set_ylabel(label_of("test_mse"))
        ax.set_title(title or "Test MSE vs N per width, with the estimation term")
        handles, labels = ax.get_legend_handles_labels()  # the widths first, the dashed curve's entry last
        ax.legend(handles[1:] + handles[:1], labels[1:] + labels[:1], loc="upper center", bbox_to_anchor=(0.5, -0.13),
                  fontsize=7.5, ncols=3, frameon=False)
        ax.grid(True, alpha=0.3)
    return fig


# --------------------------------------------------------------------------- prose

def _median(ok, col, default=math.nan):
    if col not in ok.columns:
        return default
    v = pd.to_numeric(ok[col], errors="coerce").to_numpy(dtype=float)
    v = v[np.isfinite(v)]
    return float(np.median(v)) if v.size else default


def _sentence(text):
    """``text`` with a capital first letter and a final full stop."""
    text = text.strip()
    return (text[:1].upper() + text[1:] + ("" if text.endswith(".") else ".")) if text else ""


def _set_text(values):
    return "{" + ", ".join(_int_text(v) for v in sorted(values)) + "}"


def _nbest_markdown(table):
    """The ``nbest`` table as Markdown, with N / log N and readable headers."""
    tab = table.drop(columns=["group"], errors="ignore").assign(**{"N / log N": _log_ratio(table["N"])})
    tab = tab[["N", "N / log N", "n_best", "boot_freq", "mse_best", "n_star", "capped"]]
    return markdown_table(tab.rename(columns={
        "boot_freq": "bootstrap frequency of n_best", "mse_best": "mean test MSE at n_best",
        "n_star": "n* = C_f (N/(d log N))^½", "capped": "grid edge"}))


def _verdict_paragraph(verdict, fits, table, widths):
    """The outcome, both fits (uncapped N, all N), the reason or explanation, and where n* leaves the grid."""
    fu, fa = fits["uncapped"], fits["all"]
    text = (f"**{verdict.outcome}**: exponent s = {fmt_slope(fu['slope'], fu['ci_low'], fu['ci_high'])} over the "
            f"{fu['n_points']} uncapped N vs theory {THEORY_EXPONENT:g}")
    if fa["n_points"] > fu["n_points"]:
        text += (f" (over all {fa['n_points']} N, capped ones included: "
                 f"s = {fmt_slope(fa['slope'], fa['ci_low'], fa['ci_high'])})")
    text += ". " + _sentence(verdict.reason or verdict.explanation or "the CI contains ½")
    if verdict.outcome == CONSISTENT and fu["ci_high"] - fu["ci_low"] > 1:
        text += f" The CI is {fu['ci_high'] - fu['ci_low']:.2f} wide, so this is a weak test."
    star_max = float(table["n_star"].max())
    if np.isfinite(star_max) and star_max > max(widths):
        text += (f" Theory puts n* at {star_max:.0f} for the largest N, beyond the largest swept width "
                 f"{max(widths):g}: the grid cannot show the optimum there.")
    return text


def _section_body(ok, width, table, fits, verdict, names, c_f, d, noise, n_boot):
    """Markdown of one group's section."""
    reps = ok.groupby([SAMPLE, width]).size()
    widths = sorted(ok[width].unique())
    return "\n".join([
        f"{len(ok)} ok runs, N ∈ {_set_text(ok[SAMPLE].unique())}, widths n ∈ {_set_text(widths)}, "
        f"{reps.min() if reps.min() == reps.max() else f'{reps.min()}–{reps.max()}'} replicas per (N, n); "
        f"target C_f = {fmt_num(c_f)}, d = {fmt_num(d)}, label noise σ = {fmt_num(noise)}.", "",
        "Barron's risk bound O(C_f²/n) + O((n d / N) log N) is smallest at n* = C_f (N / (d log N))^½ (constants "
        "dropped; with the explicit (2 r C_f)²/n the minimiser is 2r n*). For each N the best swept width n_best is "
        "the argmin of the mean test MSE over replicas; the exponent s of n_best ∝ (N / log N)^s is a least-squares "
        f"fit on log-log axes over the N where n_best is inside the width grid, with a 95% bootstrap CI ({n_boot} "
        "resamples of the replicas at every (N, n), argmin and fit redone, each argmin moved within half a grid "
        "step).", "",
        f"![best width vs N](figures/{names[0]}.png)", "",
        _nbest_markdown(table), "",
        _verdict_paragraph(verdict, fits, table, widths), "",
        "Panel (a) shows the trade-off behind n*: where the estimation term matters the curve rises with n (wide "
        "networks fit the noise), where the approximation term matters it falls with n; n_best moves right as N "
        "grows if the theory holds. A small bootstrap frequency means the minimum is flat: neighbouring widths are "
        "within replica noise. In panel (b) open markers are capped (at a grid edge) and left out of the fit.", "",
        f"![test MSE vs N per width](figures/{names[1]}.png)", "",
        "Points: mean test MSE over replicas, bars: min to max. Dashed: σ² (n d / N) log N in each width's colour. "
        "Barron's estimation term has no explicit constant; σ² is the natural scale (least squares with p ≈ n d "
        "parameters has excess risk ≈ σ² p / N). Where a measured curve flattens above its dashed line the "
        "approximation error (or the optimiser) dominates; where it tracks the dashed slope the estimation term "
        "does. The \"Test MSE vs `data.N`\" table has the fitted slopes per width."])


# --------------------------------------------------------------------------- the plug-in

def _group_part(ok, width, label, many, ctx):
    """Table, fits, verdict, figures and section of one group's usable runs."""
    c_f, d, noise = _median(ok, "c_f"), _median(ok, "target.d"), _median(ok, "data.noise", 0.0)
    table, fits = best_widths(ok, width, n_boot=ctx.n_boot, seed=ctx.seed, c_f=c_f, d=d)
    table.insert(0, "group", label)
    verdict = exponent_verdict(table, fits["uncapped"], label)
    suffix = f"__{generic.slug(label)}" if many else ""
    names = (f"data_scaling_nbest{suffix}", f"data_scaling_estimation{suffix}")
    title = f"{ctx.name}: {label}" if many else None
    figs = {names[0]: plot_nbest(ok, table, fits["uncapped"], width, c_f, d, title=title),
            names[1]: plot_estimation(ok, width, d, noise, title=title)}
    heading = "Best width vs N" + (f" ({label})" if many else "")
    section = Section(heading, _section_body(ok, width, table, fits, verdict, names, c_f, d, noise, ctx.n_boot))
    return table, verdict, figs, section


def analyse(runs, ctx):
    """The data-scaling plug-in: the generic analysis plus n_best(N) against Barron's n*.

    Parameters
    ----------
    runs : pandas.DataFrame
        The study's records (``data.N``, ``n`` or ``model.width``, ``test_mse``, ``status``; ``c_f``,
        ``target.d``, ``data.noise`` for n* and the estimation term).
    ctx : StudyContext

    Returns
    -------
    StudyResult
        The generic result with the intro, the ``nbest`` table, the figures ``data_scaling_nbest`` and
        ``data_scaling_estimation`` (suffixed ``__<group>`` with several groups), one section and one
        exponent verdict per group (listed first).
    """
    res = generic.analyse(runs, ctx)
    res.intro = INTRO
    width = width_column(runs)
    ok = generic.usable(runs)
    if width is None or SAMPLE not in runs.columns or ok.empty:
        res.sections.insert(min(2, len(res.sections)), Section("Best width vs N", (
            "No usable runs with a training-set size `data.N` and a width: n_best cannot be computed.")))
        res.tables["nbest"] = pd.DataFrame(columns=list(NBEST_COLUMNS))
        return res
    swept = swept_variables(runs)
    by = [c for c in swept.groups() if c not in (SAMPLE, width, "model.width", "n")]
    groups = [(label, g) for label, _, g in iter_groups(ok, by) if not g.empty]
    tables, verdicts, sections = [], [], []
    for label, g in groups:
        table, verdict, figs, section = _group_part(g, width, label, len(groups) > 1, ctx)
        tables.append(table)
        verdicts.append(verdict)
        sections.append(section)
        res.figures.update(figs)
    res.tables["nbest"] = pd.concat(tables, ignore_index=True)[list(NBEST_COLUMNS)]
    res.verdicts = verdicts + res.verdicts
    res.sections[2:2] = sections
    res.rules.append(rule(ctx.n_boot))
    return res
