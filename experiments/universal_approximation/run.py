"""Study `universal_approximation`: sin(4x) on [-1, 1] by one hidden layer, built and trained.

The constructive proof of universal approximation writes a continuous f as a staircase of steep
sigmoids (:func:`nnapprox.constructions.staircase`); training finds far better networks of the same
width. This script adds to ``<results>/``:

* ``figures/ua_staircase.png``: the target, staircase approximants for a few n, and the scaled
  sigmoid units of one of them;
* ``figures/ua_rates.png``: staircase sup and L2 errors vs n along the documented schedule
  (n = 2^j, steepness = κ n / 2 on [-1, 1]) and, in the same squared units, the trained
  networks' test MSE from ``runs.csv`` with Barron's bound;
* ``figures/ua_trained_units.png``: one trained sigmoid network of width 8 (retrained here with
  the experiment's settings) split into its units c_j σ(w_j x + b_j);
* ``staircase_errors.csv``, ``width_comparison.csv``, ``trained_units.csv`` and a section of
  ``REPORT.md``.

Run (after the sweep)::

    python experiments/universal_approximation/run.py --results results/universal_approximation
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib import rc_context
from matplotlib.figure import Figure
from threadpoolctl import threadpool_limits

from nnapprox import MLP, fit
from nnapprox.constructions import STAIRCASE_KAPPA, staircase, staircase_schedule
from nnapprox.data import make_dataset
from nnapprox.report import fit_power_law
from nnapprox.report.fit import fmt_slope
from nnapprox.report.sections import (RC, group_stats, load_runs, markdown_table, minmax_yerr,
                                      replace_section, save_figure, study_parser, write_csv)
from nnapprox.targets import get_target
from nnapprox.theory import approx_bound

STUDY = "universal_approximation"
TITLE = "Study-specific analysis"
#: The experiment's target (conf/experiment/universal_approximation.yaml: sin, freq 4.0).
FREQ = 4.0
#: Training settings of the experiment, used to retrain one network here.
N_TRAIN, N_TEST, MAX_STEPS, SEED = 2000, 8192, 3000, 0
UNIT_WIDTH, UNIT_ACTIVATION = 8, "sigmoid"
#: Staircase levels j (n = 2^j) and the fit range of the staircase slopes.
LEVELS = range(1, 10)
FIT_MIN_N = 4
SHOWN_N = (4, 8, 16)
UNITS_N = 8
#: Tolerance of the staircase rate rule: slope of the sup error within -1 ± RATE_TOL.
RATE_TOL = 0.1
GRID = np.linspace(-1.0, 1.0, 20001)


def _cmap():
    from matplotlib import colormaps
    return colormaps["viridis"]


def sin_target(freq=FREQ):
    """The study's target, sin(freq x) on [-1, 1] (``get_target("sin", freq=freq)``)."""
    return get_target("sin", freq=freq)


def domain_interval(target):
    """The interval [lo, hi] on which a 1-D target is sampled (the ball of radius r is [-r, r])."""
    dom = target.domain
    if dom.kind == "ball":
        return -float(dom.radius), float(dom.radius)
    return float(dom.low), float(dom.high)


def staircase_errors(target, levels=LEVELS, kappa=STAIRCASE_KAPPA, grid=GRID):
    """Sup and L2 errors of the staircase along the schedule n = 2^j, steepness = κ n / (hi − lo).

    Parameters
    ----------
    target : Target
        A 1-D target.
    levels : iterable of int
        Exponents j.
    kappa : float
        Relative steepness (sigmoid slope times step width).
    grid : numpy.ndarray
        Evaluation points in the target's interval (uniform, so means are uniform-μ integrals).

    Returns
    -------
    pandas.DataFrame
        Columns ``n, steepness, kappa, n_params, sup_err, l2_err, mse`` (``l2_err`` is the root
        mean square error under the uniform measure, ``mse`` its square).
    """
    interval = domain_interval(target)
    f = target(grid[:, None])
    rows = []
    for n, k in staircase_schedule(levels, interval=interval, kappa=kappa):
        net = staircase(lambda x: target(x[:, None]), n, k, interval=interval)
        e = net.predict(grid[:, None]) - f
        mse = float(np.mean(e * e))
        rows.append({"n": n, "steepness": k, "kappa": kappa, "n_params": net.n_params,
                     "sup_err": float(np.abs(e).max()), "l2_err": mse ** 0.5, "mse": mse})
    return pd.DataFrame(rows)


def staircase_units(target, n, kappa=STAIRCASE_KAPPA, grid=GRID):
    """The terms of the staircase with n units on a grid.

    Returns
    -------
    const : float
        The output bias f(t_0).
    units : numpy.ndarray, shape (n, len(grid))
        ``(f(t_j) − f(t_{j−1})) σ(steepness (x − c_j))`` for j = 1..n.
    centres : numpy.ndarray, shape (n,)
        The step positions c_j.
    """
    interval = domain_interval(target)
    (_, k), = staircase_schedule([int(np.log2(n))], interval=interval, kappa=kappa)
    net = staircase(lambda x: target(x[:, None]), n, k, interval=interval)
    return trained_units(net, grid) + (-net.biases[0] / net.weights[0][:, 0],)


def trained_units(net, grid):
    """Split a one-hidden-layer network with one input into its output bias and units.

    Parameters
    ----------
    net : MLP
        Sizes ``[1, n, 1]``.
    grid : numpy.ndarray, shape (m,)

    Returns
    -------
    const : float
        Output bias b^[2].
    units : numpy.ndarray, shape (n, m)
        ``c_j σ(w_j x + b_j)`` with ``c_j = W^[2]_{1j}``; their sum plus ``const`` is the output.

    Raises
    ------
    ValueError
        If the network is not ``[1, n, 1]``.
    """
    if len(net.sizes) != 3 or net.sizes[0] != 1 or net.sizes[2] != 1:
        raise ValueError(f"net has sizes {net.sizes}; expected [1, n, 1]")
    z = grid[:, None] * net.weights[0][:, 0] + net.biases[0]
    hidden = net.act.value(z.copy())
    return float(net.biases[1][0]), (hidden * net.weights[1][0]).T


def retrain_unit_net(target, *, width=UNIT_WIDTH, activation=UNIT_ACTIVATION, seed=SEED):
    """Train the experiment's network of one width again, seeded as replica 0 of the sweep job.

    The sweep job builds replica r from ``SeedSequence([seed, r]).spawn(3)`` (data, initial
    weights, trainer); the same streams are used here, so the result can be checked against the
    job's record.

    Returns
    -------
    net : MLP
    info : dict
        ``test_mse``, ``steps``, ``stop_reason``, ``train_time``.
    """
    ss_data, ss_init, ss_train = np.random.SeedSequence([seed, 0]).spawn(3)
    ds = make_dataset(target, N_TRAIN, N_TEST, 0.0, seed=ss_data)
    net = MLP([1, width, 1], activation, rng=np.random.default_rng(ss_init))
    t0 = time.perf_counter()
    hist = fit(net, ds.X, ds.y, trainer="lbfgs", max_steps=MAX_STEPS,
               rng=np.random.default_rng(ss_train))
    info = {"test_mse": float(np.mean((net.predict(ds.X_test) - ds.y_test) ** 2)),
            "steps": int(hist.steps), "stop_reason": hist.stop_reason,
            "train_time": time.perf_counter() - t0}
    return net, info


def trained_by_width(df):
    """Mean, min and max test MSE over replicas per activation and width (from runs.csv)."""
    return group_stats(df, ["activation.name", "model.width"], "test_mse").rename(
        columns={"activation.name": "activation", "model.width": "n"})


def width_comparison(stairs, trained):
    """Staircase MSE against the mean trained test MSE at the widths both have.

    Parameters
    ----------
    stairs : pandas.DataFrame
        Output of :func:`staircase_errors`.
    trained : pandas.DataFrame
        Output of :func:`trained_by_width`.

    Returns
    -------
    pandas.DataFrame
        One row per common width: ``n``, ``staircase_mse``, then per activation the mean trained
        MSE (``<act>_mse``) and the ratio staircase / trained (``<act>_gain``).
    """
    out = stairs[["n", "mse"]].rename(columns={"mse": "staircase_mse"})
    for act, g in trained.groupby("activation", sort=True):
        out = out.merge(g[["n", "mean"]].rename(columns={"mean": f"{act}_mse"}), on="n",
                        how="inner")
        out[f"{act}_gain"] = out["staircase_mse"] / out[f"{act}_mse"]
    return out.reset_index(drop=True)


# ---------------------------------------------------------------------------
# figures
# ---------------------------------------------------------------------------

def plot_staircase(target, save_to=None):
    """Target with staircase approximants (left) and the units of the n = 8 staircase (right)."""
    x = GRID
    f = target(x[:, None])
    lo, hi = domain_interval(target)
    with rc_context(RC):
        fig = Figure(figsize=(10.0, 4.9), layout="constrained")
        ax1, ax2 = fig.subplots(1, 2)
        ax1.plot(x, f, color="k", lw=2.2, label=f"target sin({target.params['freq']:g}x)")
        for n, color in zip(SHOWN_N, ("tab:orange", "tab:green", "tab:purple")):
            (_, k), = staircase_schedule([int(np.log2(n))], interval=(lo, hi))
            net = staircase(lambda u: target(u[:, None]), n, k, interval=(lo, hi))
            ax1.plot(x, net.predict(x[:, None]), color=color, lw=1.3,
                     label=f"staircase n = {n} (steepness {k:g})")
        ax1.set_xlabel("x (input units)")
        ax1.set_ylabel("f(x), f_n(x) (units of f)")
        ax1.set_title(f"(a) steep-sigmoid staircases, κ = steepness·h = {STAIRCASE_KAPPA:g}")
        ax1.legend(loc="upper center", bbox_to_anchor=(0.5, -0.14), ncols=2, fontsize=8,
                   frameon=False)
        ax1.grid(True, alpha=0.3)
        const, units, centres = staircase_units(target, UNITS_N)
        cmap = _cmap()
        colors = [cmap(i / max(1, len(units) - 1)) for i in range(len(units))]
        for j, (u, c) in enumerate(zip(units, colors)):
            ax2.plot(x, u, color=c, lw=1.0, label="units (f(t_j) − f(t_{j−1})) σ(k(x − c_j))"
                     if j == 0 else None)
        ax2.axhline(const, color="0.4", ls=":", lw=1.2, label=f"output bias f(t_0) = {const:.2f}")
        ax2.plot(x, const + units.sum(axis=0), color="k", lw=2.0, label=f"sum: f_{UNITS_N}(x)")
        ax2.plot(x, f, color="tab:red", ls="--", lw=1.2, label="target")
        ax2.plot(centres, np.zeros_like(centres), "|", color="k", ms=8, mew=1.2,
                 label="step positions c_j")
        ax2.set_xlabel("x (input units)")
        ax2.set_ylabel("unit output (units of f)")
        ax2.set_title(f"(b) the {UNITS_N} scaled sigmoids of the n = {UNITS_N} staircase")
        ax2.legend(loc="upper center", bbox_to_anchor=(0.5, -0.14), ncols=2, fontsize=8,
                   frameon=False)
        ax2.grid(True, alpha=0.3)
        if save_to is not None:
            save_figure(fig, save_to)
    return fig


def _integer_ticks(ax, values):
    """x ticks at the given powers of two, labelled as plain integers."""
    from matplotlib.ticker import FixedLocator, FuncFormatter, NullLocator
    ax.xaxis.set_major_locator(FixedLocator(np.unique(values)))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _pos: f"{v:g}"))
    ax.xaxis.set_minor_locator(NullLocator())


def plot_rates(target, stairs, sup_fit, l2_fit, trained, save_to=None):
    """Staircase errors vs n (left) and staircase vs trained MSE with Barron's bound (right)."""
    freq = target.params["freq"]
    lo, hi = domain_interval(target)
    n = stairs["n"].to_numpy(dtype=float)
    with rc_context(RC):
        fig = Figure(figsize=(10.0, 5.2), layout="constrained")
        ax1, ax2 = fig.subplots(1, 2)
        for col, res, marker, color, name in (("sup_err", sup_fit, "o", "tab:blue", "sup error"),
                                              ("l2_err", l2_fit, "s", "tab:green",
                                               "L2 error (RMS, uniform μ)")):
            ax1.plot(n, stairs[col], marker=marker, color=color, ls="-",
                     label=f"{name}: slope {fmt_slope(res.slope, res.ci_low, res.ci_high)}")
            xs = n[n >= FIT_MIN_N]
            ax1.plot(xs, np.exp(res.intercept) * xs ** res.slope, color=color, ls=":", lw=1.0)
        ax1.plot(n, freq * (hi - lo) / (2 * n), color="0.3", ls="--", lw=1.1,
                 label=f"max|f′|·h/2 = {freq * (hi - lo) / 2:g}/n (step-function bound)")
        ax1.axvspan(n.min() / 1.3, FIT_MIN_N / 1.15, color="0.9", zorder=0,
                    label=f"left out of the fit (n < {FIT_MIN_N})")
        ax1.set_xscale("log", base=2)
        ax1.set_yscale("log")
        ax1.set_xlabel("hidden width n (neurons) = steps")
        ax1.set_ylabel("error of the staircase (units of f)")
        ax1.set_title(f"(a) staircase along n = 2^j, steepness = κn/{hi - lo:g}, κ = "
                      f"{STAIRCASE_KAPPA:g}")
        ax1.legend(loc="upper center", bbox_to_anchor=(0.5, -0.14), fontsize=8, frameon=False)
        ax1.grid(True, which="major", alpha=0.3)
        _integer_ticks(ax1, n)

        ax2.plot(n, stairs["mse"], marker="o", color="tab:blue", label="staircase (constructed)")
        colors = {"sigmoid": "tab:orange", "relu": "tab:red", "tanh": "tab:green",
                  "leaky_relu": "tab:purple"}
        widths = n
        if trained is not None:
            for k, (act, g) in enumerate(trained.groupby("activation", sort=True)):
                err = minmax_yerr(g["mean"], g["min"], g["max"])
                ax2.errorbar(g["n"], g["mean"], yerr=err, marker="s^Dv"[k % 4], ms=5, capsize=2.5,
                             color=colors.get(act, f"C{k + 3}"),
                             label=f"trained {act} nets, L-BFGS (mean, min–max)")
            widths = np.union1d(widths, trained["n"].to_numpy(dtype=float))
        xs = np.geomspace(widths.min(), widths.max(), 50)
        ax2.plot(xs, approx_bound(target.c_f, xs, target.radius), color="0.3", ls="--", lw=1.1,
                 label=f"Barron bound (2 r C_f)²/n, C_f = {target.c_f:g}, r = {target.radius:g}")
        var_f = float(np.var(target(GRID[:, None])))
        ax2.axhline(var_f, color="0.3", ls=":", lw=1.1, label=f"Var f = {var_f:.3g}")
        ax2.set_xscale("log", base=2)
        ax2.set_yscale("log")
        ax2.set_xlabel("hidden width n (neurons)")
        ax2.set_ylabel("MSE = squared L2 error (units of f²)")
        ax2.set_title("(b) constructed vs trained one-hidden-layer nets")
        ax2.legend(loc="upper center", bbox_to_anchor=(0.5, -0.14), fontsize=8, frameon=False)
        ax2.grid(True, which="major", alpha=0.3)
        _integer_ticks(ax2, widths)
        if save_to is not None:
            save_figure(fig, save_to)
    return fig


def plot_trained_units(target, net, info, save_to=None):
    """A trained [1, n, 1] network: its units (top), their sum vs the target, the error."""
    x = np.linspace(*domain_interval(target), 2001)
    f = target(x[:, None])
    const, units = trained_units(net, x)
    out = const + units.sum(axis=0)
    w, b, c = net.weights[0][:, 0], net.biases[0], net.weights[1][0]
    order = np.argsort(-b / w)
    cmap = _cmap()
    with rc_context(RC):
        fig = Figure(figsize=(7.0, 7.2), layout="constrained")
        ax1, ax2, ax3 = fig.subplots(3, 1, sharex=True, height_ratios=[2.2, 1.4, 1.0])
        for rank, j in enumerate(order):
            ax1.plot(x, units[j], color=cmap(rank / max(1, len(order) - 1)), lw=1.3,
                     label=f"{c[j]:+.2f} σ({w[j]:.2f}x {'+' if b[j] >= 0 else '−'} "
                           f"{abs(b[j]):.2f})")
        ax1.axhline(const, color="0.4", ls=":", lw=1.2, label=f"output bias {const:+.2f}")
        ax1.set_ylabel("c_j σ(w_j x + b_j)\n(units of f)")
        ax1.set_title(f"(a) the {len(c)} units of a trained {net.activation_name} net "
                      f"(N = {N_TRAIN}, L-BFGS {info['steps']} steps, seed {SEED})")
        ax1.legend(loc="center left", bbox_to_anchor=(1.01, 0.5), fontsize=7.5, frameon=False)
        ax1.grid(True, alpha=0.3)
        ax2.plot(x, f, color="k", lw=2.4, label=f"target sin({target.params['freq']:g}x)")
        ax2.plot(x, out, color="tab:orange", lw=1.2, ls="--", label="sum of units + bias")
        ax2.set_ylabel("f(x), f_n(x)\n(units of f)")
        ax2.set_title("(b) the units add up to the target")
        ax2.legend(loc="center left", bbox_to_anchor=(1.01, 0.5), fontsize=8, frameon=False)
        ax2.grid(True, alpha=0.3)
        ax3.plot(x, out - f, color="tab:red", lw=1.0)
        ax3.axhline(0, color="0.5", lw=0.8)
        ax3.set_ylabel("f_n(x) − f(x)\n(units of f)")
        ax3.set_xlabel("x (input units)")
        ax3.set_title(f"(c) error: test MSE {info['test_mse']:.2e}")
        ax3.ticklabel_format(axis="y", style="sci", scilimits=(-2, 2))
        ax3.grid(True, alpha=0.3)
        if save_to is not None:
            save_figure(fig, save_to)
    return fig


# ---------------------------------------------------------------------------
# the section
# ---------------------------------------------------------------------------

def rate_verdict(res, tol=RATE_TOL):
    """``(status, text)``: does the staircase sup error fall like 1/n along the schedule?"""
    s = fmt_slope(res.slope, res.ci_low, res.ci_high)
    if not np.isfinite(res.slope):
        return "n/a", "too few widths to fit a slope"
    inside = abs(res.slope + 1) <= tol or (res.ci_low <= -1 <= res.ci_high)
    return ("PASS" if inside else "FAIL"), f"slope {s} vs theory −1"


def _sweep_check(df, info):
    """Compare the retrained net with the sweep's record of the same job, when present."""
    if df is None:
        return "no sweep data to compare with"
    m = ((df["activation.name"] == UNIT_ACTIVATION) & (df["model.width"] == UNIT_WIDTH)
         & (df["seed"] == SEED) & (df["replica"] == 0))
    if "data.N" in df:
        m &= df["data.N"] == N_TRAIN
    if "trainer.max_steps" in df:
        m &= df["trainer.max_steps"] == MAX_STEPS
    if "data.N_test" in df:
        m &= df["data.N_test"] == N_TEST
    if not m.any():
        return ("the sweep in runs.csv used other settings (no record with N = "
                f"{N_TRAIN}, max_steps = {MAX_STEPS}), so no record to compare with")
    rec = float(df.loc[m, "test_mse"].iloc[0])
    rel = abs(rec - info["test_mse"]) / rec
    return (f"the sweep's record of the same job (seed {SEED}, replica 0) has test MSE "
            f"{rec:.3e}: {'the same network' if rel < 1e-6 else f'relative difference {rel:.1e}'}")


def build_section(target, stairs, sup_fit, l2_fit, comp, trained, net_info, sweep_note,
                  units_tab, sweep_info):
    """Markdown of the study-specific section."""
    lo, hi = domain_interval(target)
    status, text = rate_verdict(sup_fit)
    lines = [
        "Produced by `experiments/universal_approximation/run.py`.", "",
        f"Target: sin({target.params['freq']:g} x) on [{lo:g}, {hi:g}] "
        f"(`get_target(\"sin\", freq={target.params['freq']:g})`, the experiment's target), "
        f"C_f = {target.c_f:g}, r = {target.radius:g}. Errors of constructed networks are "
        f"measured on a uniform grid of {GRID.size} points.", "",
        "### The staircase construction", "",
        "`constructions.staircase(f, n, steepness, interval=(-1, 1))` puts knots "
        "t_j = −1 + j h (h = 2/n) and builds f_n(x) = f(t_0) + Σ_j (f(t_j) − f(t_{j−1})) "
        "σ(steepness (x − c_j)) with c_j = (t_{j−1} + t_j)/2: n sigmoid units. As steepness → ∞ "
        "this is a step function with sup error ≤ max|f′| h/2 = "
        f"{target.params['freq'] * (hi - lo) / 2:g}/n. Along the documented schedule "
        f"n = 2^j, steepness = κ n / 2 (κ = {STAIRCASE_KAPPA:g}) both grow together.", "",
        "![staircase](figures/ua_staircase.png)", "",
        "![rates](figures/ua_rates.png)", "",
        markdown_table(stairs.drop(columns=["kappa"]).rename(columns={
            "sup_err": "sup error", "l2_err": "L2 error (RMS)", "mse": "MSE"})), "",
        f"Fitted over n ≥ {FIT_MIN_N} (n = 2 is pre-asymptotic: two steps cannot follow "
        f"sin(4x)): sup error slope {fmt_slope(sup_fit.slope, sup_fit.ci_low, sup_fit.ci_high)},"
        f" L2 error slope {fmt_slope(l2_fit.slope, l2_fit.ci_low, l2_fit.ci_high)} "
        f"(95% CI, residual bootstrap: one deterministic value per n). **Rule: the staircase "
        f"converges at rate 1/n when the sup-error slope is within −1 ± {RATE_TOL:g} or its CI "
        f"contains −1. {status}**: {text}. The squared L2 error (MSE) therefore falls like "
        f"n^{2 * l2_fit.slope:.2f}.", "",
    ]
    lines += ["### Constructed vs trained", ""]
    if comp is None or comp.empty:
        lines += [f"No sweep data: {sweep_info}", ""]
    else:
        acts = [c[:-4] for c in comp.columns if c.endswith("_mse") and c != "staircase_mse"]
        var_f = float(np.var(target(GRID[:, None])))
        n0 = (2 * target.radius * target.c_f) ** 2 / var_f
        swept = np.sort(trained["n"].unique())
        vacuous = int(np.sum(swept < n0))
        bound = approx_bound(target.c_f, trained["n"].to_numpy(dtype=float), target.radius)
        below = int(np.sum(trained["mean"].to_numpy() <= bound))
        parts = []
        for a in acts:
            g = comp[f"{a}_gain"]
            wins = int((g > 1).sum())
            parts.append(f"{a}: ratio {g.min():.3g} to {g.max():.3g}, training better at {wins} "
                         f"of {len(g)} widths")
        lines += [
            f"{sweep_info} Panel (b) of the rates figure puts the staircase's MSE next to the "
            f"trained networks' mean test MSE (same units). Ratio staircase MSE / trained MSE "
            f"at equal width (> 1: the trained net is better):", "",
            markdown_table(comp.rename(columns=lambda c: c.replace("_mse", " MSE").replace(
                "_gain", " ratio"))), "",
            "; ".join(parts) + ". The construction shows that n units suffice for a sup error "
            "O(1/n); it is far from the best network of that width, which training approaches "
            "until the optimiser's floor flattens the trained curves. Barron's bound "
            f"(2 r C_f)²/n exceeds Var f = {var_f:.3g} for n < n_0 = {n0:.0f}, i.e. at "
            f"{vacuous} of the {len(swept)} swept widths, where it says nothing a constant "
            f"predictor cannot; {below} of {len(trained)} trained (activation, width) means lie "
            f"below it.", ""]
    lines += [
        "### One trained network, unit by unit", "",
        f"A {UNIT_ACTIVATION} network of width {UNIT_WIDTH} retrained with the experiment's "
        f"settings (N = {N_TRAIN}, N_test = {N_TEST}, noise 0, L-BFGS max_steps = {MAX_STEPS}, "
        f"seed {SEED}, replica 0 streams): {net_info['steps']} iterations "
        f"({net_info['stop_reason']}), test MSE {net_info['test_mse']:.3e}; {sweep_note}.", "",
        "![trained units](figures/ua_trained_units.png)", "",
        markdown_table(units_tab), "",
        f"Unlike the staircase (one steep unit per step, steepness "
        f"{STAIRCASE_KAPPA * UNIT_WIDTH / (hi - lo):g} at n = {UNIT_WIDTH}, output weights = increments of f, Σ|c_j| ≈ total variation of f), "
        f"the trained units are gentle: |w_j| ≤ {units_tab['w_j'].abs().max():.2f}, with "
        f"output weights up to |c_j| = {units_tab['c_j (output weight)'].abs().max():.2f} of "
        f"both signs (Σ|c_j| = {units_tab['c_j (output weight)'].abs().sum():.1f}, while "
        f"|f| ≤ 1) that cancel: the network uses the smooth shape of σ, not its step.", "",
    ]
    return "\n".join(lines)


def main(argv=None):
    """Run the universal-approximation study's analysis; see the module docstring.

    Parameters
    ----------
    argv : list of str, optional
        Command-line arguments (default ``sys.argv[1:]``).

    Returns
    -------
    int
        Exit status 0.
    """
    args = study_parser(STUDY, "Universal approximation study: staircase construction vs "
                               "trained one-hidden-layer nets.").parse_args(argv)
    t0 = time.perf_counter()
    out = Path(args.results)
    fig_dir = out / "figures"
    target = sin_target()
    with threadpool_limits(1):  # tiny problems: BLAS threads only add overhead (see README)
        stairs = staircase_errors(target)
        write_csv(stairs, out / "staircase_errors.csv")
        keep = stairs["n"] >= FIT_MIN_N
        sup_fit = fit_power_law(stairs.loc[keep, "n"], stairs.loc[keep, "sup_err"])
        l2_fit = fit_power_law(stairs.loc[keep, "n"], stairs.loc[keep, "l2_err"])
        plot_staircase(target, save_to=fig_dir / "ua_staircase.png")

        df = trained = comp = None
        try:
            df = load_runs(out, ["activation.name", "model.width", "test_mse", "seed", "replica"],
                           study=STUDY)
        except ValueError as e:
            sweep_info = str(e)
        else:
            if "target.freq" in df and not np.allclose(df["target.freq"].dropna(), FREQ):
                raise ValueError(f"runs.csv holds target.freq {sorted(df['target.freq'].unique())};"
                                 f" this script analyses freq = {FREQ:g}")
            trained = trained_by_width(df)
            comp = width_comparison(stairs, trained)
            write_csv(comp, out / "width_comparison.csv")
            sweep_info = (f"From runs.csv: {len(df)} ok runs, activations "
                          f"{', '.join(sorted(df['activation.name'].unique()))}, widths "
                          f"{', '.join(map(str, sorted(df['model.width'].unique())))}.")
        plot_rates(target, stairs, sup_fit, l2_fit, trained, save_to=fig_dir / "ua_rates.png")

        net, net_info = retrain_unit_net(target)
    w, b, c = net.weights[0][:, 0], net.biases[0], net.weights[1][0]
    units_tab = pd.DataFrame({"unit j": np.arange(1, len(c) + 1), "w_j": w, "b_j": b,
                              "centre −b_j/w_j": -b / w, "c_j (output weight)": c})
    units_tab = units_tab.sort_values("centre −b_j/w_j").reset_index(drop=True)
    units_tab["unit j"] = np.arange(1, len(c) + 1)
    write_csv(units_tab.assign(output_bias=float(net.biases[1][0])), out / "trained_units.csv")
    plot_trained_units(target, net, net_info, save_to=fig_dir / "ua_trained_units.png")
    note = _sweep_check(df, net_info)
    replace_section(out / "REPORT.md", TITLE,
                    build_section(target, stairs, sup_fit, l2_fit, comp, trained, net_info, note,
                                  units_tab, sweep_info))
    print(f"universal_approximation: staircase sup slope {sup_fit.slope:.3f}, retrained net "
          f"test MSE {net_info['test_mse']:.2e} ({time.perf_counter() - t0:.1f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
