"""Study `activations`: sigmoid, tanh, relu and leaky relu on the same targets.

From the sweep's ``runs.csv`` this script fits, per activation x target, the rate and the constant
of ``test MSE ≈ C n^s`` (:func:`nnapprox.report.fit_rates`, bootstrap CIs), compares C with
Barron's ``(2 r C_f)^2``, and plots the unit diagnostics the lecture's pros and cons are about:
the fraction of saturated (sample, unit) pairs for sigmoid/tanh and of dead units for relu (for
leaky relu the same column counts units that are negative on every sample, which are not dead:
their gradient is the slope 0.01). It writes to ``<results>/``:

* ``activation_rates.csv``: slope, CI, constant C, C / (2 r C_f)^2, verdict per activation x target;
* ``unit_stats.csv``: mean, min and max saturated / dead fraction per activation x target x width;
* ``figures/activations_units.png`` and a section of ``REPORT.md``.

Run: ``python experiments/activations/run.py --results results/activations``.
"""
from __future__ import annotations

import math
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib import rc_context
from matplotlib.figure import Figure
from matplotlib.ticker import FixedLocator, FuncFormatter, NullLocator

from nnapprox.report import fit_rates, verdict_width_rate
from nnapprox.report.collect import iter_groups
from nnapprox.report.fit import RATE_TOL, fmt_slope, width_rule
from nnapprox.report.sections import (RC, group_stats, load_runs, markdown_table, minmax_yerr,
                                      replace_section, save_figure, study_parser, write_csv)

STUDY = "activations"
TITLE = "Study-specific analysis"
ACTIVATIONS = ("sigmoid", "tanh", "relu", "leaky_relu")
COLORS = {"sigmoid": "tab:green", "tanh": "tab:red", "relu": "tab:orange",
          "leaky_relu": "tab:blue"}
LINESTYLES = ("-", "--", ":", "-.")
MARKERS = ("o", "s", "^", "D")
REQUIRED = ("activation.name", "target.name", "n", "test_mse")


def rate_table(df, *, n_boot=2000, seed=0):
    """Fitted ``test MSE ≈ C n^s`` per activation x target, with Barron's constant for comparison.

    Parameters
    ----------
    df : pandas.DataFrame
        Usable rows of runs.csv.
    n_boot, seed : int
        Bootstrap settings of :func:`nnapprox.report.fit_rates`.

    Returns
    -------
    pandas.DataFrame
        Columns ``activation, target, slope, ci_low, ci_high, C, barron_C, C_over_barron,
        mse_at_max_n, n_max, verdict, sentence``; ``barron_C = (2 r C_f)^2`` (NaN when C_f is not
        finite) and ``verdict`` from :func:`nnapprox.report.verdict_width_rate`.
    """
    hue = ["activation.name", "target.name"]
    fits = fit_rates(df, "n", "test_mse", hue, n_boot=n_boot, seed=seed)
    rows = []
    for (_, key, g), (_, f) in zip(iter_groups(df, hue), fits.iterrows()):  # same order
        act, target = key
        c_f = pd.to_numeric(g["c_f"], errors="coerce").median() if "c_f" in g else math.nan
        r = pd.to_numeric(g["radius"], errors="coerce").median() if "radius" in g else math.nan
        barron = (2 * r * c_f) ** 2 if np.isfinite(c_f) and np.isfinite(r) else math.nan
        v = verdict_width_rate(f, bool(np.isfinite(c_f)), RATE_TOL)
        n_max = float(g["n"].max())
        rows.append({"activation": act, "target": target, "slope": f["slope"],
                     "ci_low": f["ci_low"], "ci_high": f["ci_high"],
                     "C": math.exp(f["intercept"]) if np.isfinite(f["intercept"]) else math.nan,
                     "barron_C": barron,
                     "C_over_barron": (math.exp(f["intercept"]) / barron
                                       if np.isfinite(barron) and np.isfinite(f["intercept"])
                                       else math.nan),
                     "mse_at_max_n": float(g.loc[g["n"] == n_max, "test_mse"].mean()),
                     "n_max": n_max, "verdict": v.status, "sentence": v.sentence})
    return pd.DataFrame(rows)


def unit_table(df):
    """Mean, min and max of the saturated and dead fractions per activation x target x width.

    Returns
    -------
    pandas.DataFrame
        Columns ``activation, target, n, quantity, mean, min, max, count`` with ``quantity``
        ``saturated_frac`` (sigmoid, tanh) or ``dead_frac`` (relu, leaky_relu); empty when the
        columns are absent.
    """
    parts = []
    for col in ("saturated_frac", "dead_frac"):
        if col not in df.columns:
            continue
        sub = df[pd.to_numeric(df[col], errors="coerce").notna()]
        if sub.empty:
            continue
        st = group_stats(sub, ["activation.name", "target.name", "n"], col)
        parts.append(st.assign(quantity=col))
    if not parts:
        return pd.DataFrame(columns=["activation", "target", "n", "quantity", "mean", "min",
                                     "max", "count"])
    out = pd.concat(parts, ignore_index=True).rename(
        columns={"activation.name": "activation", "target.name": "target"})
    return out[["activation", "target", "n", "quantity", "mean", "min", "max", "count"]]


def plot_units(units, save_to=None):
    """Saturated fraction (sigmoid, tanh) and dead / all-negative fraction (relu family) vs n."""
    panels = (("saturated_frac", ("sigmoid", "tanh"),
               "(a) saturation: σ′(z) < 1% of its peak\n(sigmoid |z| > 6, tanh |z| > 3)",
               "saturated (sample, unit) pairs (fraction)"),
              ("dead_frac", ("relu", "leaky_relu"),
               "(b) units with z < 0 on every test sample\n(relu: dead; leaky relu: "
               "gradient 0.01, not dead)",
               "hidden units (fraction)"))
    targets = sorted(units["target"].unique()) if len(units) else []
    with rc_context(RC):
        fig = Figure(figsize=(10.0, 4.6), layout="constrained")
        axes = fig.subplots(1, 2, sharex=True)
        for ax, (qty, acts, title, ylabel) in zip(axes, panels):
            top = 0.0
            for a, act in enumerate(acts):
                for k, tgt in enumerate(targets):
                    g = units[(units["quantity"] == qty) & (units["activation"] == act)
                              & (units["target"] == tgt)].sort_values("n")
                    if g.empty:
                        continue
                    err = minmax_yerr(g["mean"], g["min"], g["max"])
                    shift = 1 + 0.025 * (a * len(targets) + k)  # keep coinciding lines apart
                    ax.errorbar(g["n"] * shift, g["mean"], yerr=err, color=COLORS[act],
                                ls=LINESTYLES[k % 4], marker=MARKERS[k % 4], ms=4.5, capsize=2.5,
                                label=f"{act}, {tgt}")
                    top = max(top, float(g["max"].max()))
            if top == 0.0:
                ax.text(0.5, 0.5, "0 everywhere" if len(units) else "no data",
                        transform=ax.transAxes, ha="center", va="center", color="0.4")
            ax.set_ylim(-0.02 * max(top, 0.05), 1.1 * max(top, 0.05))
            ax.set_xscale("log", base=2)
            ns = np.unique(units["n"]) if len(units) else np.array([1.0])
            ax.xaxis.set_major_locator(FixedLocator(ns))
            ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _p: f"{v:g}"))
            ax.xaxis.set_minor_locator(NullLocator())
            ax.set_xlabel("hidden width n (neurons)")
            ax.set_ylabel(ylabel)
            ax.set_title(title)
            ax.grid(True, alpha=0.3)
            if ax.get_legend_handles_labels()[0]:
                ax.legend(fontsize=8, framealpha=0.9, loc="upper left")
        fig.suptitle("Unit diagnostics of the trained networks (mean over seeds, bars: min–max)")
        if save_to is not None:
            save_figure(fig, save_to)
    return fig


def _unit_summary(units, act):
    """(mean over all runs' groups, max, width of the max) of an activation's unit fraction."""
    g = units[units["activation"] == act]
    if g.empty:
        return None
    i = g["max"].idxmax()
    return {"mean": float(g["mean"].mean()), "max": float(g.loc[i, "max"]),
            "n_at_max": float(g.loc[i, "n"]), "target_at_max": g.loc[i, "target"]}


def pros_cons(rates, units):
    """The lecture's pros and cons of each activation, each with the measured numbers."""
    lines = []

    def rate_words(act):
        r = rates[rates["activation"] == act]
        if r.empty:
            return "no runs"
        return "; ".join(f"{t}: slope {fmt_slope(s, lo, hi)}, MSE {m:.2g} at n = {n:g}"
                         for t, s, lo, hi, m, n in zip(r["target"], r["slope"], r["ci_low"],
                                                       r["ci_high"], r["mse_at_max_n"],
                                                       r["n_max"]))

    def frac_words(act, what):
        s = _unit_summary(units, act)
        if s is None:
            return f"{what}: not recorded"
        if s["max"] == 0:
            return f"{what}: 0% in every run"
        return (f"{what}: {100 * s['mean']:.1f}% on average over widths and targets, up to "
                f"{100 * s['max']:.1f}% (n = {s['n_at_max']:g}, {s['target_at_max']})")

    lines.append(f"- **sigmoid**: smooth and bounded, the unit of Barron's theorem (the bound "
                 f"(2 r C_f)²/n is stated for sigmoidal units); but σ′ ≤ 1/4 and σ is not "
                 f"zero-centred, and units saturate. Measured: "
                 f"{frac_words('sigmoid', 'saturated pairs')}. "
                 f"Rates: {rate_words('sigmoid')}.")
    lines.append(f"- **tanh**: zero-centred, tanh′ ≤ 1 (a rescaled sigmoid, 2σ(2z) − 1, so the "
                 f"same approximation theory); still saturates. Measured: "
                 f"{frac_words('tanh', 'saturated pairs')}. Rates: {rate_words('tanh')}.")
    lines.append(f"- **relu**: cheap, no saturation for z > 0 (gradient 1); two relu units make "
                 f"a ramp sigmoid, so Barron's bound holds with 2n units; but a unit with z < 0 "
                 f"on every input gets no gradient and is dead for good, and the output is "
                 f"piecewise linear. Measured: {frac_words('relu', 'dead units')}. Rates: "
                 f"{rate_words('relu')}.")
    lines.append(f"- **leaky relu**: relu with slope 0.01 for z < 0, so no unit is ever dead "
                 f"(the `dead_frac` column counts units negative on every test sample; they keep "
                 f"gradient 0.01 and can recover). Measured: "
                 f"{frac_words('leaky_relu', 'all-negative units')}. Rates: "
                 f"{rate_words('leaky_relu')}.")
    return lines


def build_section(df, rates, units):
    """Markdown of the study-specific section."""
    tab = rates.assign(**{"slope [95% CI]": [fmt_slope(s, lo, hi) for s, lo, hi in
                                             zip(rates["slope"], rates["ci_low"],
                                                 rates["ci_high"])]})
    tab = tab[["target", "activation", "slope [95% CI]", "C", "barron_C", "C_over_barron",
               "n_max", "mse_at_max_n", "verdict"]].rename(columns={
                   "barron_C": "(2 r C_f)²", "C_over_barron": "C / (2 r C_f)²",
                   "n_max": "largest n", "mse_at_max_n": "mean MSE at largest n"})
    tab["verdict"] = tab["verdict"].map({"pass": "**PASS**", "fail": "**FAIL**"}).fillna("n/a")
    tab = tab.sort_values(["target", "activation"]).reset_index(drop=True)
    best = []
    for tgt, g in rates.groupby("target", sort=True):
        i = g["mse_at_max_n"].idxmin()
        j = g["slope"].idxmin() if g["slope"].notna().any() else None
        best.append(f"{tgt}: lowest MSE at the largest width with {g.loc[i, 'activation']} "
                    f"({g.loc[i, 'mse_at_max_n']:.2g})"
                    + (f", steepest decay with {g.loc[j, 'activation']} (slope "
                       f"{g.loc[j, 'slope']:.2f})" if j is not None else ""))
    lines = [
        "Produced by `experiments/activations/run.py`.", "",
        f"From runs.csv: {len(df)} ok runs; targets "
        f"{', '.join(sorted(df['target.name'].unique()))}; "
        f"activations {', '.join(sorted(df['activation.name'].unique()))}; widths "
        f"{', '.join(f'{v:g}' for v in sorted(df['n'].unique()))}.", "",
        "### Rates and constants", "",
        "Least squares of log(mean test MSE over seeds) on log n per activation × target, "
        "MSE ≈ C n^slope, 95% bootstrap CI over seeds (`nnapprox.report.fit_rates`). "
        "C / (2 r C_f)² compares the fitted constant with Barron's (for relu and leaky relu "
        f"the bound needs 2n units, i.e. constant 2 (2 r C_f)²). **Rule (width rate):** "
        f"{width_rule(RATE_TOL)} A positive slope means the wide networks are limited by the "
        f"optimiser (or the estimation error), not by approximation.", "",
        markdown_table(tab), "",
        "Best per target: " + "; ".join(best) + ". Full table: "
        "[activation_rates.csv](activation_rates.csv).", "",
        "### Saturated and dead units", "",
        "![unit diagnostics](figures/activations_units.png)", "",
        "`saturated_frac`: fraction of (test sample, hidden unit) pairs whose derivative is below "
        "1% of its peak (sigmoid |z| > 6, tanh |z| > 3). `dead_frac`: fraction of hidden units "
        "with z < 0 on every test sample; for relu these units are dead (zero gradient on every "
        "input), for leaky relu they are not (gradient 0.01). Numbers per width: "
        "[unit_stats.csv](unit_stats.csv).", "",
        "### Pros and cons, measured", "",
    ] + pros_cons(rates, units) + [""]
    return "\n".join(lines)


def main(argv=None):
    """Run the activations study's analysis; see the module docstring.

    Parameters
    ----------
    argv : list of str, optional
        Command-line arguments (default ``sys.argv[1:]``).

    Returns
    -------
    int
        Exit status 0.
    """
    args = study_parser(STUDY, "Activations study: rates, constants, saturated and dead "
                               "units.").parse_args(argv)
    t0 = time.perf_counter()
    out = Path(args.results)
    df = load_runs(out, REQUIRED, study=STUDY)
    rates = rate_table(df)
    units = unit_table(df)
    write_csv(rates.drop(columns=["sentence"]), out / "activation_rates.csv")
    write_csv(units, out / "unit_stats.csv")
    plot_units(units, save_to=out / "figures" / "activations_units.png")
    replace_section(out / "REPORT.md", TITLE, build_section(df, rates, units))
    print(f"activations: {len(rates)} rate fits, {len(units)} unit-statistic rows "
          f"({time.perf_counter() - t0:.1f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
