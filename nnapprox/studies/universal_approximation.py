"""Study ``universal_approximation``: sin(4x) on [-1, 1] by one hidden layer, built and trained.

The constructive proof of universal approximation writes a continuous f as a staircase of steep
sigmoids; the ``trainer=construct`` jobs (``construction=staircase``) build it for n = 2..512
steps along the schedule steepness = κ n / (hi − lo), and their records carry the errors on a
fine grid (``grid_sup_err``, ``grid_mse``). Trained networks of the same widths (L-BFGS,
sigmoid and relu) come from the other grid of the sweep. Figures show staircases and their
units, the errors of both against n with Barron's bound, and one trained network unit by unit,
all from the jobs' saved parameters.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib import colormaps, rc_context
from matplotlib.figure import Figure
from matplotlib.ticker import FixedLocator, FuncFormatter, NullLocator

from nnapprox.report import generic
from nnapprox.report.fit import fit_power_law, fmt_slope, group_stats
from nnapprox.report.plots import RC, minmax_yerr
from nnapprox.report.study import Section
from nnapprox.report.tables import markdown_table
from nnapprox.report.verdicts import Check
from nnapprox.theory.bounds import barron_curve

__all__ = ["analyse", "staircase_errors", "trained_units", "width_comparison", "FIT_MIN_N", "RATE_TOL"]

#: Widths below this are pre-asymptotic for the staircase (two steps cannot follow sin(4x)).
FIT_MIN_N = 4
#: The staircase's sup-error slope must be within −1 ± RATE_TOL (or its CI contain −1).
RATE_TOL = 0.1
SHOWN_N = (4, 8, 16)
UNITS_N = 8
UNIT_WIDTH, UNIT_ACTIVATION = 8, "sigmoid"
GRID = np.linspace(-1.0, 1.0, 4001)

INTRO = (
    "How does one hidden layer approximate a 1-D function as its width n grows? The constructive proof "
    "builds a staircase of n steep sigmoids with sup error O(1/n); training finds far better networks of "
    "the same width. Target sin(4x) on [-1, 1] (C_f = 4)."
)


def _interval(target):
    dom = target.domain
    return (-dom.radius, dom.radius) if dom.kind == "ball" else (dom.low, dom.high)


def _construct(runs):
    return runs[(runs["trainer.name"] == "construct") & (runs["status"] == "ok")].sort_values("n")


def staircase_errors(runs):
    """Per staircase job: n, steepness, κ, parameters, sup, L2 (RMS) and squared errors on the grid.

    Parameters
    ----------
    runs : pandas.DataFrame
        Records with ``trainer.name == "construct"`` (columns ``n``, ``trainer.kappa``, ``n_params``,
        ``grid_sup_err``, ``grid_mse``, ``target.radius``).

    Returns
    -------
    pandas.DataFrame
        Columns ``n, steepness, kappa, n_params, sup_err, l2_err, mse``.
    """
    st = _construct(runs)
    width = 2 * st["target.radius"].astype(float)
    return pd.DataFrame(
        {
            "n": st["n"].astype(int).to_numpy(),
            "kappa": st["trainer.kappa"].to_numpy(),
            "steepness": (st["trainer.kappa"] * st["n"] / width).to_numpy(),
            "n_params": st["n_params"].astype(int).to_numpy(),
            "sup_err": st["grid_sup_err"].to_numpy(),
            "l2_err": np.sqrt(st["grid_mse"].to_numpy()),
            "mse": st["grid_mse"].to_numpy(),
        }
    )[["n", "steepness", "kappa", "n_params", "sup_err", "l2_err", "mse"]]


def trained_units(net, grid):
    """Split a ``[1, n, 1]`` network into its output bias and its units ``c_j σ(w_j x + b_j)``.

    Parameters
    ----------
    net : MLP
    grid : numpy.ndarray, shape (m,)

    Returns
    -------
    const : float
        The output bias b^[2].
    units : numpy.ndarray, shape (n, m)
        Their sum plus ``const`` is the network's output.

    Raises
    ------
    ValueError
        If the network is not ``[1, n, 1]``.
    """
    if len(net.sizes) != 3 or net.sizes[0] != 1 or net.sizes[2] != 1:
        raise ValueError(f"net has sizes {net.sizes}; expected [1, n, 1]")
    z = grid[:, None] * net.weights[0][:, 0] + net.biases[0]
    return float(net.biases[1][0]), (net.act.value(z.copy()) * net.weights[1][0]).T


def width_comparison(stairs, trained):
    """Staircase MSE against the mean trained test MSE at the widths both have.

    Returns
    -------
    pandas.DataFrame
        ``n``, ``staircase_mse`` and per activation the mean trained MSE (``<act>_mse``) and the
        ratio staircase / trained (``<act>_gain``; > 1: training is better).
    """
    out = stairs[["n", "mse"]].rename(columns={"mse": "staircase_mse"})
    for act, g in trained.groupby("activation", sort=True):
        out = out.merge(g[["n", "mean"]].rename(columns={"mean": f"{act}_mse"}), on="n", how="inner")
        out[f"{act}_gain"] = out["staircase_mse"] / out[f"{act}_mse"]
    return out.reset_index(drop=True)


def _int_ticks(ax, values):
    ax.xaxis.set_major_locator(FixedLocator(np.unique(values)))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _p: f"{v:g}"))
    ax.xaxis.set_minor_locator(NullLocator())


def _plot_staircase(target, nets, units_net):
    x = GRID
    lo, hi = _interval(target)
    with rc_context(RC):
        fig = Figure(figsize=(10.0, 4.9), layout="constrained")
        ax1, ax2 = fig.subplots(1, 2)
        ax1.plot(x, target(x[:, None]), color="k", lw=2.2, label=f"target sin({target.params['freq']:g}x)")
        for (n, net), color in zip(nets, ("tab:orange", "tab:green", "tab:purple"), strict=True):
            ax1.plot(
                x,
                net.predict(x[:, None]),
                color=color,
                lw=1.3,
                label=f"staircase n = {n} (steepness {net.weights[0][0, 0]:g})",
            )
        ax1.set_xlabel("x (input units)")
        ax1.set_ylabel("f(x), f_n(x) (units of f)")
        ax1.set_title("(a) steep-sigmoid staircases, κ = steepness · step width = 10")
        ax1.legend(loc="upper center", bbox_to_anchor=(0.5, -0.14), ncols=2, fontsize=8, frameon=False)
        ax1.grid(True, alpha=0.3)
        const, units = trained_units(units_net, x)
        centres = -units_net.biases[0] / units_net.weights[0][:, 0]
        cmap = colormaps["viridis"]
        for j, u in enumerate(units):
            ax2.plot(
                x,
                u,
                color=cmap(j / max(1, len(units) - 1)),
                lw=1.0,
                label="units (f(t_j) − f(t_{j−1})) σ(k(x − c_j))" if j == 0 else None,
            )
        ax2.axhline(const, color="0.4", ls=":", lw=1.2, label=f"output bias f(t_0) = {const:.2f}")
        ax2.plot(x, const + units.sum(axis=0), color="k", lw=2.0, label=f"sum: f_{len(units)}(x)")
        ax2.plot(x, target(x[:, None]), color="tab:red", ls="--", lw=1.2, label="target")
        ax2.plot(centres, np.zeros_like(centres), "|", color="k", ms=8, mew=1.2, label="step positions c_j")
        ax2.set_xlim(lo, hi)
        ax2.set_xlabel("x (input units)")
        ax2.set_ylabel("unit output (units of f)")
        ax2.set_title(f"(b) the {len(units)} scaled sigmoids of the n = {len(units)} staircase")
        ax2.legend(loc="upper center", bbox_to_anchor=(0.5, -0.14), ncols=2, fontsize=8, frameon=False)
        ax2.grid(True, alpha=0.3)
    return fig


def _plot_rates(target, stairs, sup_fit, l2_fit, trained, var_f):
    freq = target.params["freq"]
    lo, hi = _interval(target)
    n = stairs["n"].to_numpy(dtype=float)
    with rc_context(RC):
        fig = Figure(figsize=(10.0, 5.2), layout="constrained")
        ax1, ax2 = fig.subplots(1, 2)
        for col, res, marker, color, name in (
            ("sup_err", sup_fit, "o", "tab:blue", "sup error"),
            ("l2_err", l2_fit, "s", "tab:green", "L2 error (RMS, uniform μ)"),
        ):
            ax1.plot(
                n,
                stairs[col],
                marker=marker,
                color=color,
                label=f"{name}: slope {fmt_slope(res.slope, res.ci_low, res.ci_high)}",
            )
            xs = n[n >= FIT_MIN_N]
            ax1.plot(xs, np.exp(res.intercept) * xs**res.slope, color=color, ls=":", lw=1.0)
        ax1.plot(
            n,
            freq * (hi - lo) / (2 * n),
            color="0.3",
            ls="--",
            lw=1.1,
            label=f"max|f′|·h/2 = {freq * (hi - lo) / 2:g}/n (step-function bound)",
        )
        ax1.axvspan(
            n.min() / 1.3, FIT_MIN_N / 1.15, color="0.9", zorder=0, label=f"left out of the fit (n < {FIT_MIN_N})"
        )
        for ax in (ax1, ax2):
            ax.set_xscale("log", base=2)
            ax.set_yscale("log")
            ax.grid(True, which="major", alpha=0.3)
        ax1.set_xlabel("hidden width n (neurons) = steps")
        ax1.set_ylabel("error of the staircase (units of f)")
        ax1.set_title(f"(a) staircase along n = 2^j, steepness = κn/{hi - lo:g}, κ = 10")
        ax1.legend(loc="upper center", bbox_to_anchor=(0.5, -0.14), fontsize=8, frameon=False)
        _int_ticks(ax1, n)
        ax2.plot(n, stairs["mse"], marker="o", color="tab:blue", label="staircase (constructed)")
        colors = {"sigmoid": "tab:orange", "relu": "tab:red"}
        widths = n
        for k, (act, g) in enumerate(trained.groupby("activation", sort=True)):
            ax2.errorbar(
                g["n"],
                g["mean"],
                yerr=minmax_yerr(g["mean"], g["min"], g["max"]),
                marker="s^Dv"[k % 4],
                ms=5,
                capsize=2.5,
                color=colors.get(act, f"C{k + 3}"),
                label=f"trained {act} nets, L-BFGS (mean, min–max)",
            )
            widths = np.union1d(widths, g["n"].to_numpy(dtype=float))
        xs = np.geomspace(widths.min(), widths.max(), 50)
        ax2.plot(
            xs,
            barron_curve(target.c_f, xs, target.radius, "sigmoid"),
            color="0.3",
            ls="--",
            lw=1.1,
            label=f"Barron bound (2 r C_f)²/n, C_f = {target.c_f:g}, r = {target.radius:g} (sigmoid)",
        )
        ax2.axhline(var_f, color="0.3", ls=":", lw=1.1, label=f"Var f = {var_f:.3g}")
        ax2.set_xlabel("hidden width n (neurons)")
        ax2.set_ylabel("MSE = squared L2 error (units of f²)")
        ax2.set_title("(b) constructed vs trained one-hidden-layer nets")
        ax2.legend(loc="upper center", bbox_to_anchor=(0.5, -0.14), fontsize=8, frameon=False)
        _int_ticks(ax2, widths)
    return fig


def _plot_trained_units(target, net, row):
    x = np.linspace(*_interval(target), 2001)
    f = target(x[:, None])
    const, units = trained_units(net, x)
    out = const + units.sum(axis=0)
    w, b, c = net.weights[0][:, 0], net.biases[0], net.weights[1][0]
    order = np.argsort(-b / w)
    cmap = colormaps["viridis"]
    with rc_context(RC):
        fig = Figure(figsize=(7.0, 7.2), layout="constrained")
        ax1, ax2, ax3 = fig.subplots(3, 1, sharex=True, height_ratios=[2.2, 1.4, 1.0])
        for rank, j in enumerate(order):
            ax1.plot(
                x,
                units[j],
                color=cmap(rank / max(1, len(order) - 1)),
                lw=1.3,
                label=f"{c[j]:+.2f} σ({w[j]:.2f}x {'+' if b[j] >= 0 else '−'} {abs(b[j]):.2f})",
            )
        ax1.axhline(const, color="0.4", ls=":", lw=1.2, label=f"output bias {const:+.2f}")
        ax1.set_ylabel("c_j σ(w_j x + b_j)\n(units of f)")
        ax1.set_title(
            f"(a) the {len(c)} units of a trained {net.activation_name} net (N = {int(row['data.N'])}, "
            f"L-BFGS {int(row['steps'])} steps, seed {int(row['seed'])})"
        )
        ax1.legend(loc="center left", bbox_to_anchor=(1.01, 0.5), fontsize=7.5, frameon=False)
        ax2.plot(x, f, color="k", lw=2.4, label=f"target sin({target.params['freq']:g}x)")
        ax2.plot(x, out, color="tab:orange", lw=1.2, ls="--", label="sum of units + bias")
        ax2.set_ylabel("f(x), f_n(x)\n(units of f)")
        ax2.set_title("(b) the units add up to the target")
        ax2.legend(loc="center left", bbox_to_anchor=(1.01, 0.5), fontsize=8, frameon=False)
        ax3.plot(x, out - f, color="tab:red", lw=1.0)
        ax3.axhline(0, color="0.5", lw=0.8)
        ax3.set_ylabel("f_n(x) − f(x)\n(units of f)")
        ax3.set_xlabel("x (input units)")
        ax3.set_title(f"(c) error: test MSE {row['test_mse']:.2e}")
        ax3.ticklabel_format(axis="y", style="sci", scilimits=(-2, 2))
        for ax in (ax1, ax2, ax3):
            ax.grid(True, alpha=0.3)
    return fig


def _rate_check(sup_fit, tol=RATE_TOL):
    """The staircase's sup error against its closed-form 1/n rate: a deterministic construction, so a check."""
    ok = np.isfinite(sup_fit.slope) and (abs(sup_fit.slope + 1) <= tol or sup_fit.ci_low <= -1 <= sup_fit.ci_high)
    return Check(
        name="the steep-sigmoid staircase's sup error falls like 1/n along its schedule (the constructive "
        "proof of universal approximation)",
        passed=bool(ok),
        group="sin(4x), κ = 10",
        expected=f"slope −1 ± {tol:g} (a step function with step h has sup error ≤ max|f′| h/2)",
        measured=(
            f"slope {fmt_slope(sup_fit.slope, sup_fit.ci_low, sup_fit.ci_high)} over n ∈ "
            f"[{sup_fit.x_min:g}, {sup_fit.x_max:g}]"
            if np.isfinite(sup_fit.slope)
            else "fewer than 3 widths"
        ),
        kind="staircase_rate",
        detail=f"deterministic errors on a 16385-point grid; n < {FIT_MIN_N} left out (two steps cannot follow "
        "sin(4x))",
    )


def analyse(runs, ctx):
    """Staircase table, rate fits and check, the three figures, and the generic analysis of the trained nets."""
    trained_runs = runs[runs["trainer.name"] != "construct"]
    res = generic.analyse(trained_runs, ctx)
    res.intro = INTRO
    stairs = staircase_errors(runs)
    if stairs.empty:
        return res
    res.tables["staircase_errors"] = stairs
    keep = stairs["n"] >= FIT_MIN_N
    sup_fit = fit_power_law(stairs.loc[keep, "n"], stairs.loc[keep, "sup_err"], n_boot=max(ctx.n_boot, 100))
    l2_fit = fit_power_law(stairs.loc[keep, "n"], stairs.loc[keep, "l2_err"], n_boot=max(ctx.n_boot, 100))
    res.checks.append(_rate_check(sup_fit))
    built = _construct(runs)
    target = ctx.target(built.iloc[0])
    by_n = {int(r["n"]): ctx.net(r) for _, r in built.iterrows() if int(r["n"]) in SHOWN_N + (UNITS_N,)}
    res.figures["ua_staircase"] = _plot_staircase(
        target, [(n, by_n[n]) for n in SHOWN_N if n in by_n], by_n.get(UNITS_N, next(iter(by_n.values())))
    )
    ok = generic.usable(trained_runs)
    trained = group_stats(ok, ["activation.name", "model.width"], "test_mse").rename(
        columns={"activation.name": "activation", "model.width": "n"}
    )
    var_f = float(np.nanmedian(ok["var_f"])) if len(ok) else float(np.var(target(GRID[:, None])))
    res.figures["ua_rates"] = _plot_rates(target, stairs, sup_fit, l2_fit, trained, var_f)
    comp = width_comparison(stairs, trained)
    res.tables["width_comparison"] = comp
    lo, hi = _interval(target)
    lines = [
        "`constructions.staircase(f, n, steepness)` puts knots t_j = −1 + j h (h = 2/n) and builds f_n(x) = f(t_0) + "
        "Σ_j (f(t_j) − f(t_{j−1})) σ(steepness (x − c_j)) with c_j = (t_{j−1} + t_j)/2: n sigmoid units. As steepness "
        f"→ ∞ this is a step function with sup error ≤ max|f′| h/2 = {target.params['freq'] * (hi - lo) / 2:g}/n. "
        "Along the schedule n = 2^j, steepness = κ n / 2 (κ = 10) both grow together. Errors are measured by the "
        "jobs on a uniform grid of 16385 points.",
        "",
        "![staircase](figures/ua_staircase.png)",
        "",
        "![rates](figures/ua_rates.png)",
        "",
        markdown_table(
            stairs.drop(columns=["kappa"]).rename(
                columns={"sup_err": "sup error", "l2_err": "L2 error (RMS)", "mse": "MSE"}
            )
        ),
        "",
        f"Fitted over n ≥ {FIT_MIN_N}: sup error slope {fmt_slope(sup_fit.slope, sup_fit.ci_low, sup_fit.ci_high)}, L2 "
        f"error slope {fmt_slope(l2_fit.slope, l2_fit.ci_low, l2_fit.ci_high)} (95% CI, residual bootstrap: one "
        f"deterministic value per n). The squared L2 error (MSE) therefore falls like n^{2 * l2_fit.slope:.2f}.",
    ]
    res.sections.insert(0, Section("The staircase construction", "\n".join(lines)))
    if len(comp):
        acts = [c[:-4] for c in comp.columns if c.endswith("_mse") and c != "staircase_mse"]
        parts = [
            f"{a}: ratio {comp[f'{a}_gain'].min():.3g} to {comp[f'{a}_gain'].max():.3g}, training better at "
            f"{int((comp[f'{a}_gain'] > 1).sum())} of {len(comp)} widths"
            for a in acts
        ]
        res.sections.insert(
            1,
            Section(
                "Constructed vs trained",
                "\n".join(
                    [
                        "Panel (b) of the rates figure puts the staircase's MSE next to the trained networks' mean "
                        "test MSE (same "
                        "units). Ratio staircase MSE / trained MSE at equal width (> 1: the trained net is better):",
                        "",
                        markdown_table(
                            comp.rename(columns=lambda c: c.replace("_mse", " MSE").replace("_gain", " ratio"))
                        ),
                        "",
                        "; ".join(parts)
                        + ". The construction shows that n units suffice for a sup error O(1/n); it is far from "
                        "the best network of that width, which training approaches until the optimiser's floor "
                        "flattens the "
                        "trained curves.",
                    ]
                ),
            ),
        )
    unit_row = ok[
        (ok["activation.name"] == UNIT_ACTIVATION) & (ok["model.width"] == UNIT_WIDTH) & (ok["replica"] == 0)
    ].sort_values("seed")
    if len(unit_row):
        row = unit_row.iloc[0]
        net = ctx.net(row)
        res.figures["ua_trained_units"] = _plot_trained_units(target, net, row)
        w, b, c = net.weights[0][:, 0], net.biases[0], net.weights[1][0]
        units = pd.DataFrame({"w_j": w, "b_j": b, "centre −b_j/w_j": -b / w, "c_j (output weight)": c})
        units = units.sort_values("centre −b_j/w_j").reset_index(drop=True)
        units.insert(0, "unit j", np.arange(1, len(c) + 1))
        res.tables["trained_units"] = units.assign(output_bias=float(net.biases[1][0]))
        res.sections.insert(
            2,
            Section(
                "One trained network, unit by unit",
                "\n".join(
                    [
                        f"The {UNIT_ACTIVATION} network of width {UNIT_WIDTH}, seed {int(row['seed'])}, replica 0 of "
                        f"the sweep, loaded "
                        f"from its job's parameters: {int(row['steps'])} L-BFGS iterations ({row['stop_reason']}), "
                        f"test MSE "
                        f"{row['test_mse']:.3e}.",
                        "",
                        "![trained units](figures/ua_trained_units.png)",
                        "",
                        markdown_table(units),
                        "",
                        f"Unlike the staircase (one steep unit per step, steepness {10 * UNIT_WIDTH / (hi - lo):g} at "
                        f"n = "
                        f"{UNIT_WIDTH}, output weights = increments of f), the trained units are gentle: |w_j| ≤ "
                        f"{np.abs(w).max():.2f}, "
                        f"with output weights up to |c_j| = {np.abs(c).max():.2f} of both signs (Σ|c_j| = "
                        f"{np.abs(c).sum():.1f}, "
                        "while |f| ≤ 1) that cancel: the network uses the smooth shape of σ, not its step.",
                    ]
                ),
            ),
        )
    return res
