"""Study ``activations``: sigmoid, tanh, relu and leaky relu on the same targets.

The networks are trained (L-BFGS), so nothing here tests Barron's bound, which is about the best
network of each width: every number is a description. The generic analysis fits the rate of every
activation x target group; this plug-in adds, per activation x target:

* ``activation_rates``: the fitted ``test MSE ≈ C n^s`` (slope with its CI, constant C), C over
  Barron's constant (``(2 r C_f)²`` for sigmoidal units, ``2 (2 r C_f)²`` for the ReLU family, from
  :func:`nnapprox.theory.bounds.barron_curve`), the MSE at the largest width and the bound's effective
  constant K over the widths n ≥ n_0 (:func:`nnapprox.report.judge.bound_table`);
* ``unit_stats``: the saturated fraction (sigmoid, tanh) and the dead / all-negative fraction
  (relu, leaky relu) per width: mean, min, max, count;
* the figure ``activations_units`` and the lecture's pros and cons of each activation, each with
  the measured numbers.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from matplotlib import rc_context
from matplotlib.figure import Figure
from matplotlib.ticker import FixedLocator, FuncFormatter, NullLocator

from nnapprox.report import generic, judge
from nnapprox.report.collect import iter_groups
from nnapprox.report.fit import fit_rates, fmt_slope, group_stats, width_column
from nnapprox.report.plots import RC, minmax_yerr
from nnapprox.report.study import Section
from nnapprox.report.tables import fmt_num, markdown_table
from nnapprox.theory.bounds import RELU_FAMILY, SIGMOIDAL, barron_curve

__all__ = [
    "analyse",
    "barron_constant",
    "rate_table",
    "unit_table",
    "plot_units",
    "pros_cons",
    "RATE_COLUMNS",
    "UNIT_COLUMNS",
]

INTRO = (
    "Which activation approximates best? Sigmoid, tanh, relu and leaky relu networks of one hidden layer, "
    "trained by the same optimizer on the same targets: how do their errors fall with n, how do their constants "
    "compare with Barron's (2 r C_f)² (twice that for the ReLU family, which needs two units per sigmoidal "
    "ramp), and do the lecture's pros and cons (saturating sigmoids, dead relus) show up in the trained "
    "networks? Trained networks say nothing about a bound on the best network, so this study has no verdicts: "
    "it describes."
)
HUE = ["activation.name", "target.name"]
REQUIRED = ("activation.name", "target.name", "test_mse")
#: Columns of the ``activation_rates`` table.
RATE_COLUMNS = (
    "activation",
    "target",
    "slope",
    "ci_low",
    "ci_high",
    "ci_method",
    "n_points",
    "C",
    "barron_C",
    "C_over_barron",
    "mse_at_max_n",
    "n_max",
    "n_0",
    "K_train",
    "K_test",
)
#: Columns of the ``unit_stats`` table.
UNIT_COLUMNS = ("activation", "target", "n", "quantity", "mean", "min", "max", "count")
#: Unit diagnostic -> the activations it is defined for.
UNIT_QUANTITIES = {"saturated_frac": SIGMOIDAL, "dead_frac": RELU_FAMILY}
COLORS = {"sigmoid": "tab:green", "tanh": "tab:red", "relu": "tab:orange", "leaky_relu": "tab:blue"}
LINESTYLES = ("-", "--", ":", "-.")
MARKERS = ("o", "s", "^", "D")


def _median(rows, col) -> float:
    """Median of a numeric column over ``rows`` (NaN when absent or empty)."""
    if col not in rows.columns:
        return math.nan
    v = pd.to_numeric(rows[col], errors="coerce").dropna()
    return float(v.median()) if len(v) else math.nan


def barron_constant(c_f, radius, activation) -> float:
    """The constant K of Barron's bound K / n for a width-n layer of ``activation``.

    Parameters
    ----------
    c_f : float
        Barron constant of the target (NaN or inf: no bound).
    radius : float
        Radius r of the ball holding the domain.
    activation : str

    Returns
    -------
    float
        ``(2 r C_f)²`` for sigmoid and tanh, ``2 (2 r C_f)²`` for relu and leaky relu
        (:func:`nnapprox.theory.bounds.barron_curve` at n = 1); NaN for other units or a missing C_f.
    """
    if activation not in SIGMOIDAL + RELU_FAMILY or not (np.isfinite(c_f) and np.isfinite(radius)):
        return math.nan
    return float(barron_curve(float(c_f), 1.0, float(radius), activation))


def _key_of(rows, col):
    """The single value of ``col`` in ``rows`` (None when absent or not unique)."""
    if col not in rows.columns:
        return None
    vals = rows[col].dropna().unique()
    return vals[0] if len(vals) == 1 else None


def rate_table(runs, ctx):
    """Fitted ``test MSE ≈ C n^s`` per activation x target, against Barron's constant.

    Parameters
    ----------
    runs : pandas.DataFrame
        The study's records (only usable rows enter the fits).
    ctx : StudyContext
        Bootstrap settings and the fit range of the width axis.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`RATE_COLUMNS`. ``barron_C`` is :func:`barron_constant` (NaN without a finite
        C_f), ``C_over_barron = C / barron_C``, ``mse_at_max_n`` the mean test MSE at the largest
        width ``n_max``; ``n_0``, ``K_train``, ``K_test``: Barron's bound over the widths n ≥ n_0
        (:func:`nnapprox.report.judge.bound_table`; descriptions for trained networks).
    """
    ok = generic.usable(runs)
    width = width_column(ok)
    if ok.empty or width is None:
        return pd.DataFrame(columns=list(RATE_COLUMNS))
    lo, hi = ctx.fit_range.get(width, (None, None))
    fits = fit_rates(ok, width, "test_mse", HUE, x_min=lo, x_max=hi, n_boot=ctx.n_boot, seed=ctx.seed)
    bounds = judge.bound_table(ok, HUE).set_index("group")
    rows = []
    for (label, (act, target), g), (_, f) in zip(iter_groups(ok, HUE), fits.iterrows(), strict=True):  # same order
        k = barron_constant(_median(g, "c_f"), _median(g, "radius"), act)
        c = math.exp(f["intercept"]) if np.isfinite(f["intercept"]) else math.nan
        n = pd.to_numeric(g[width], errors="coerce")
        b = bounds.loc[label] if label in bounds.index else None
        rows.append(
            {
                "activation": act,
                "target": target,
                "slope": f["slope"],
                "ci_low": f["ci_low"],
                "ci_high": f["ci_high"],
                "ci_method": f["ci_method"],
                "n_points": f["n_points"],
                "C": c,
                "barron_C": k,
                "C_over_barron": c / k if np.isfinite(k) and k > 0 else math.nan,
                "mse_at_max_n": float(g.loc[n == n.max(), "test_mse"].mean()),
                "n_max": float(n.max()),
                "n_0": b["n_0"] if b is not None else math.nan,
                "K_train": b["K_train"] if b is not None else math.nan,
                "K_test": b["K_test"] if b is not None else math.nan,
            }
        )
    return pd.DataFrame(rows, columns=list(RATE_COLUMNS))


def unit_table(runs):
    """Mean, min and max of the saturated and dead fractions per activation x target x width.

    Parameters
    ----------
    runs : pandas.DataFrame
        The study's records (only usable rows count).

    Returns
    -------
    pandas.DataFrame
        Columns :data:`UNIT_COLUMNS`; ``quantity`` is ``saturated_frac`` for sigmoid and tanh and
        ``dead_frac`` for relu and leaky relu (:data:`UNIT_QUANTITIES`); empty when the columns
        are absent.
    """
    ok = generic.usable(runs)
    width = width_column(ok)
    parts = []
    for col, acts in UNIT_QUANTITIES.items():
        if col not in ok.columns or width is None:
            continue
        sub = ok[ok["activation.name"].isin(acts) & pd.to_numeric(ok[col], errors="coerce").notna()]
        if not sub.empty:
            parts.append(group_stats(sub, HUE + [width], col).rename(columns={width: "n"}).assign(quantity=col))
    if not parts:
        return pd.DataFrame(columns=list(UNIT_COLUMNS))
    out = pd.concat(parts, ignore_index=True).rename(columns={"activation.name": "activation", "target.name": "target"})
    return out[list(UNIT_COLUMNS)]


PANELS = (
    (
        "saturated_frac",
        SIGMOIDAL,
        "(a) saturation: σ′(z) < 1% of its peak\n(sigmoid |z| > 6, tanh |z| > 3)",
        "saturated (sample, unit) pairs (fraction)",
    ),
    (
        "dead_frac",
        RELU_FAMILY,
        "(b) units with z < 0 on every test sample\n(relu: dead; leaky relu: gradient 0.01, not dead)",
        "hidden units (fraction)",
    ),
)


def _draw_panel(ax, units, quantity, acts, targets):
    """Draw one quantity's lines (one per activation x target); return the largest max drawn."""
    top = 0.0
    for a, act in enumerate(acts):
        for k, tgt in enumerate(targets):
            g = units[
                (units["quantity"] == quantity) & (units["activation"] == act) & (units["target"] == tgt)
            ].sort_values("n")
            if g.empty:
                continue
            shift = 1 + 0.025 * (a * len(targets) + k)  # keeps coinciding lines apart
            ax.errorbar(
                g["n"] * shift,
                g["mean"],
                yerr=minmax_yerr(g["mean"], g["min"], g["max"]),
                color=COLORS.get(act, "0.3"),
                ls=LINESTYLES[k % 4],
                marker=MARKERS[k % 4],
                ms=4.5,
                capsize=2.5,
                label=f"{act}, {tgt}",
            )
            top = max(top, float(g["max"].max()))
    return top


def plot_units(units):
    """Saturated fraction (sigmoid, tanh) and dead / all-negative fraction (relu family) vs width.

    Parameters
    ----------
    units : pandas.DataFrame
        :func:`unit_table`.

    Returns
    -------
    matplotlib.figure.Figure
        Two panels; means over seeds/replicas with min-max bars, widths on a log2 axis.
    """
    targets = sorted(units["target"].unique()) if len(units) else []
    ns = np.unique(units["n"].to_numpy(dtype=float)) if len(units) else np.array([1.0])
    with rc_context(RC):
        fig = Figure(figsize=(10.0, 4.6), layout="constrained")
        axes = fig.subplots(1, 2, sharex=True)
        for ax, (qty, acts, title, ylabel) in zip(axes, PANELS, strict=True):
            top = _draw_panel(ax, units, qty, acts, targets)
            if top == 0.0:
                ax.text(
                    0.5,
                    0.5,
                    "0 in every run" if (units["quantity"] == qty).any() else "not recorded",
                    transform=ax.transAxes,
                    ha="center",
                    va="center",
                    color="0.4",
                )
            ax.set_ylim(-0.02 * max(top, 0.05), 1.25 * max(top, 0.05))
            ax.set_xscale("log", base=2)
            ax.xaxis.set_major_locator(FixedLocator(ns))
            ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _p: f"{v:g}"))
            ax.xaxis.set_minor_locator(NullLocator())
            ax.set_xlabel("hidden width n (neurons)")
            ax.set_ylabel(ylabel)
            ax.set_title(title)
            ax.grid(True, alpha=0.3)
            if ax.get_legend_handles_labels()[0]:
                ax.legend(fontsize=8, framealpha=0.9, loc="upper left", ncols=2)
        fig.suptitle("Unit diagnostics of the trained networks (mean over seeds and replicas, bars: min–max)")
    return fig


def _unit_words(units, act, what):
    """``"dead units: 10.0% on average ..."``: an activation's unit fraction in words."""
    g = units[units["activation"] == act] if len(units) else units
    if g.empty:
        return f"{what}: not recorded"
    i = g["max"].idxmax()
    if g.loc[i, "max"] == 0:
        return f"{what}: 0% in every run"
    return (
        f"{what}: {100 * g['mean'].mean():.1f}% on average over widths and targets, up to "
        f"{100 * g.loc[i, 'max']:.1f}% (n = {g.loc[i, 'n']:g}, {g.loc[i, 'target']})"
    )


def _rate_words(rates, act):
    """An activation's fitted rates and constants per target, in words."""
    r = rates[rates["activation"] == act]
    if r.empty:
        return "no runs"
    parts = []
    for f in r.itertuples(index=False):
        text = (
            f"{f.target}: slope {fmt_slope(f.slope, f.ci_low, f.ci_high)}, C / K = {fmt_num(f.C_over_barron)}, "
            f"MSE {f.mse_at_max_n:.2g} at n = {f.n_max:g}"
        )
        if np.isfinite(f.K_train):
            text += f" (K over n ≥ n_0 = {f.n_0:.3g}: {f.K_train:.2g})"
        parts.append(text)
    return "; ".join(parts)


def pros_cons(rates, units):
    """The lecture's pros and cons of each activation, each with the measured numbers.

    Parameters
    ----------
    rates : pandas.DataFrame
        :func:`rate_table`.
    units : pandas.DataFrame
        :func:`unit_table`.

    Returns
    -------
    list of str
        One Markdown bullet per activation.
    """
    return [
        f"- **sigmoid**: smooth and bounded, the unit of Barron's theorem (the bound (2 r C_f)²/n is stated for "
        f"sigmoidal units); but σ′ ≤ 1/4, σ is not zero-centred, and units saturate. Measured: "
        f"{_unit_words(units, 'sigmoid', 'saturated pairs')}. Rates: {_rate_words(rates, 'sigmoid')}.",
        f"- **tanh**: zero-centred, tanh′ ≤ 1 (a rescaled sigmoid, 2σ(2z) − 1, so the same approximation theory); "
        f"still saturates. Measured: {_unit_words(units, 'tanh', 'saturated pairs')}. Rates: "
        f"{_rate_words(rates, 'tanh')}.",
        f"- **relu**: cheap, no saturation for z > 0 (gradient 1); two relu units make a ramp sigmoid, so Barron's "
        f"bound holds with 2n units (K = 2 (2 r C_f)²); but a unit with z < 0 on every input gets no gradient and is "
        f"dead for good, and the output is piecewise linear. Measured: {_unit_words(units, 'relu', 'dead units')}. "
        f"Rates: {_rate_words(rates, 'relu')}.",
        f"- **leaky relu**: relu with slope 0.01 for z < 0, so no unit is ever dead (the `dead_frac` column counts "
        f"units negative on every test sample; they keep gradient 0.01 and can recover); the same bound as relu. "
        f"Measured: {_unit_words(units, 'leaky_relu', 'all-negative units')}. Rates: "
        f"{_rate_words(rates, 'leaky_relu')}.",
    ]


def _best_per_target(rates) -> str:
    """``"gaussian: lowest MSE at the largest width with tanh (1e-05), steepest decay with ..."``."""
    best = []
    for tgt, g in rates.groupby("target", sort=True):
        i = g["mse_at_max_n"].idxmin()
        text = f"{tgt}: lowest MSE at the largest width with {g.loc[i, 'activation']} ({g.loc[i, 'mse_at_max_n']:.2g})"
        if g["slope"].notna().any():
            j = g["slope"].idxmin()
            text += f", steepest decay with {g.loc[j, 'activation']} (slope {g.loc[j, 'slope']:.2f})"
        best.append(text)
    return "; ".join(best)


def _rates_section(rates) -> Section:
    """The rates-and-constants section (Markdown table of :func:`rate_table`)."""
    tab = pd.DataFrame(
        {
            "target": rates["target"],
            "activation": rates["activation"],
            "slope [95% CI]": [
                fmt_slope(s, lo, hi)
                for s, lo, hi in zip(rates["slope"], rates["ci_low"], rates["ci_high"], strict=True)
            ],
            "C": rates["C"],
            "K (Barron)": rates["barron_C"],
            "C / K": rates["C_over_barron"],
            "largest n": rates["n_max"],
            "mean MSE at largest n": rates["mse_at_max_n"],
            "n_0": rates["n_0"],
            "K_train (n ≥ n_0)": rates["K_train"],
            "K_test (n ≥ n_0)": rates["K_test"],
        }
    )
    tab = tab.sort_values(["target", "activation"]).reset_index(drop=True)
    body = "\n".join(
        [
            "Least squares of log test MSE on log n per activation × target, MSE ≈ C n^slope, with the same 95% CI as "
            "the rate fits above (per replica, t-interval). K (Barron) is the constant of Barron's bound K/n: (2 r "
            "C_f)² "
            "for sigmoid and tanh, 2 (2 r C_f)² for relu and leaky relu (two units per sigmoidal ramp). C / K compares "
            "the fitted constant with Barron's; it is a like-for-like comparison only where the slope is near −1. "
            "K_train and K_test are max over n ≥ n_0 of n·MSE/K (the bound holds where they are ≤ 1): descriptions, "
            "because a trained network says nothing about a bound on the best one. A slope near 0 or positive means "
            "the wide networks are limited by the optimizer or the estimation error, not by approximation.",
            "",
            markdown_table(tab),
            "",
            f"Best per target: {_best_per_target(rates)}. Full table: [activation_rates.csv](activation_rates.csv).",
        ]
    )
    return Section("Rates and constants per activation", body)


def _units_section(units) -> Section:
    """The saturated-and-dead-units section (figure and a note on the columns)."""
    body = "\n".join(
        [
            "![unit diagnostics](figures/activations_units.png)",
            "",
            "`saturated_frac`: fraction of (test sample, hidden unit) pairs whose derivative is below 1% of its peak "
            "(sigmoid |z| > 6, tanh |z| > 3). `dead_frac`: fraction of hidden units with z < 0 on every test sample; "
            "for relu these units are dead (zero gradient on every input), for leaky relu they are not (gradient "
            f"0.01). {len(units)} activation × target × width cells; numbers per width: "
            "[unit_stats.csv](unit_stats.csv).",
        ]
    )
    return Section("Saturated and dead units", body)


def analyse(runs, ctx):
    """The generic analysis plus the tables ``activation_rates`` and ``unit_stats``, the figure
    ``activations_units`` and three sections (rates and constants, units, pros and cons)."""
    res = generic.analyse(runs, ctx)
    res.intro = INTRO
    missing = [c for c in REQUIRED if c not in runs.columns]
    if runs.empty or missing or width_column(runs) is None:
        what = ", ".join(missing) if missing else "a width column (n or model.width)"
        res.sections.append(
            Section("Rates and constants per activation", f"Not computed: the records lack {what or 'any row'}.")
        )
        return res
    rates = rate_table(runs, ctx)
    units = unit_table(runs)
    res.tables.update(activation_rates=rates, unit_stats=units)
    res.figures["activations_units"] = plot_units(units)
    res.sections += [
        _rates_section(rates),
        _units_section(units),
        Section("Pros and cons, measured", "\n".join(pros_cons(rates, units))),
    ]
    return res
