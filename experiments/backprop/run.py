"""Study `backprop`: the hand-written backward pass is correct and trains every architecture.

Three pieces of evidence, written into ``<results>/`` and a section of ``<results>/REPORT.md``:

1. Gradient check: every activation x depth 1..4 x loss (mse, logistic), analytic gradient
   against central differences in float64 (``gradcheck.csv``).
2. Logistic regression (the lecture's network without a hidden layer) on two Gaussian blobs,
   trained by the engine's L-BFGS and compared with scipy's BFGS on the same loss
   (``logistic_regression.csv``, ``figures/backprop_logistic_boundary.png``).
3. The sweep: every activation x depth trained by Adam on sin(3x) reaches a small test MSE
   (``adam_summary.csv``, ``figures/backprop_adam_mse.png``).

Run: ``python experiments/backprop/run.py --results results/backprop`` (after the sweep).
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib import rc_context
from matplotlib.figure import Figure
from scipy.optimize import minimize
from threadpoolctl import threadpool_limits

from nnapprox import MLP, fit
from nnapprox.activations import ACTIVATIONS
from nnapprox.gradcheck import check_gradient
from nnapprox.network import forward
from nnapprox.report.sections import (RC, group_stats, load_runs, markdown_table, minmax_yerr,
                                      replace_section, save_figure, study_parser, write_csv)

STUDY = "backprop"
TITLE = "Study-specific analysis"
#: Pass rule of the gradient check (relative error, float64, central differences with h = 1e-6).
GRADCHECK_TOL = 1e-7
FD_STEP = 1e-6
DEPTHS = (1, 2, 3, 4)
LOSSES = ("mse", "logistic")
#: "Small test MSE" rule of the Adam sweep: test MSE at most this fraction of Var f.
REL_MSE_TOL = 1e-2
#: Agreement rule engine vs scipy on the logistic-regression parameters (relative distance).
PARAM_TOL = 1e-4


# ---------------------------------------------------------------------------
# 1. gradient check
# ---------------------------------------------------------------------------

def _random_net(sizes, activation, output_activation, seed):
    """A network with default-initialised weights and small random biases N(0, 0.1²).

    Random biases keep every pre-activation away from the ReLU kink z = 0: with the default
    zero biases a unit whose inputs are all zero sits exactly on it.
    """
    rng = np.random.default_rng(seed)
    net = MLP(sizes, activation, output_activation, rng=rng)
    for b in net.biases:
        b[...] = rng.normal(0.0, 0.1, size=b.shape)
    return net


def _min_abs_hidden_z(net, X):
    """Smallest |z| over all hidden pre-activations and samples (distance to a kink)."""
    zs, _ = forward(net.weights, net.biases, X, net.act, net.out_act)
    hidden = zs[1:-1]
    return float(min(np.abs(z).min() for z in hidden)) if hidden else float("nan")


def gradcheck_table(activations=None, depths=DEPTHS, losses=LOSSES, *, d=3, width=5, n_samples=16,
                    seed=0, h=FD_STEP, tol=GRADCHECK_TOL):
    """Relative error of the analytic gradient against central differences, per configuration.

    Parameters
    ----------
    activations : sequence of str, optional
        Hidden activations (default: every registered one).
    depths : sequence of int
        Numbers of hidden layers.
    losses : sequence of str
        ``mse`` (identity output, real labels) and/or ``logistic`` (sigmoid output, 0/1 labels).
    d, width, n_samples : int
        Input dimension, hidden width and number of samples of each check.
    seed : int
        Seed of the data and of every network (configuration k uses ``seed + k``).
    h : float
        Finite-difference step.
    tol : float
        Pass threshold on the relative error.

    Returns
    -------
    pandas.DataFrame
        Columns ``activation, depth, loss, n_params, rel_error, min_abs_z, passed``;
        ``min_abs_z`` is the smallest |hidden pre-activation| (a kink of relu within ``h`` of a
        sample would spoil the finite difference).
    """
    activations = list(activations or ACTIVATIONS)
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n_samples, d))
    y_real = rng.normal(size=n_samples)
    y_class = (rng.random(n_samples) < 0.5).astype(np.float64)
    rows, k = [], 0
    for act in activations:
        for depth in depths:
            for loss in losses:
                out_act = "sigmoid" if loss == "logistic" else "identity"
                net = _random_net([d] + [width] * depth + [1], act, out_act, seed + k)
                y = y_class if loss == "logistic" else y_real
                err = check_gradient(net, X, y, loss=loss, h=h)
                rows.append({"activation": act, "depth": depth, "loss": loss,
                             "n_params": net.n_params, "rel_error": err,
                             "min_abs_z": _min_abs_hidden_z(net, X), "passed": bool(err < tol)})
                k += 1
    return pd.DataFrame(rows)


def kink_demo(*, seed=0, h=FD_STEP, max_tries=200):
    """Gradient check of a deep ReLU net with the default zero biases and a unit on the kink.

    Networks ``[3, 5, 5, 5, 1]`` are drawn from seeds ``seed, seed + 1, ...`` until one has a
    hidden (sample, unit) pair with z == 0 exactly (all inputs of the unit are zero and its bias
    is the default 0); that network is checked.

    Returns
    -------
    dict
        ``rel_error``, ``on_kink`` (number of hidden (sample, unit) pairs with z == 0) and
        ``net_seed``; ``rel_error`` is NaN when no such network turned up in ``max_tries`` seeds.
    """
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(16, 3))
    y = rng.normal(size=16)
    for s in range(seed, seed + max_tries):
        net = MLP([3, 5, 5, 5, 1], "relu", rng=np.random.default_rng(s))
        zs, _ = forward(net.weights, net.biases, X, net.act, net.out_act)
        on_kink = int(sum(np.count_nonzero(z == 0.0) for z in zs[1:-1]))
        if on_kink:
            return {"rel_error": check_gradient(net, X, y, loss="mse", h=h), "on_kink": on_kink,
                    "net_seed": s}
    return {"rel_error": float("nan"), "on_kink": 0, "net_seed": None}


# ---------------------------------------------------------------------------
# 2. logistic regression
# ---------------------------------------------------------------------------

def two_blobs(n_per_class=100, *, seed=0, sep=1.2, std=1.0):
    """Two overlapping Gaussian blobs in the plane (overlap keeps the logistic MLE finite).

    Parameters
    ----------
    n_per_class : int
    seed : int
    sep : float
        Distance of each class mean from the origin (along (1, 0.5)/|(1, 0.5)|).
    std : float
        Standard deviation of each coordinate.

    Returns
    -------
    X : numpy.ndarray, shape (2 n_per_class, 2)
    y : numpy.ndarray, shape (2 n_per_class,), values 0 and 1
    """
    rng = np.random.default_rng(seed)
    direction = np.array([1.0, 0.5]) / np.hypot(1.0, 0.5)
    X0 = rng.normal(-sep * direction, std, size=(n_per_class, 2))
    X1 = rng.normal(sep * direction, std, size=(n_per_class, 2))
    return np.vstack([X0, X1]), np.repeat([0.0, 1.0], n_per_class)


def logistic_loss(theta, X, y):
    """Mean binary cross-entropy of ``sigma(X w + b)`` and its gradient, written independently.

    Parameters
    ----------
    theta : numpy.ndarray, shape (d + 1,)
        ``(w_1, ..., w_d, b)``.
    X : numpy.ndarray, shape (N, d)
    y : numpy.ndarray, shape (N,)

    Returns
    -------
    (float, numpy.ndarray)
    """
    w, b = theta[:-1], theta[-1]
    z = X @ w + b
    value = float(np.mean(np.logaddexp(0.0, z) - y * z))
    r = (0.5 * (1.0 + np.tanh(0.5 * z)) - y) / len(y)  # sigma(z) - y, overflow-free
    return value, np.append(X.T @ r, r.sum())


def logistic_regression(X, y, *, seed=0):
    """Fit the lecture's logistic regression with the engine and with scipy.

    The engine: ``MLP([2, 1], activation="identity", output_activation="sigmoid")`` trained by
    ``fit(..., loss="logistic", trainer="lbfgs")``. The reference: scipy's BFGS on
    :func:`logistic_loss` from zero.

    Returns
    -------
    dict
        ``net`` (trained MLP), ``theta_engine`` and ``theta_scipy`` (``(w1, w2, b)``),
        ``loss_engine``, ``loss_scipy``, ``param_rel_diff``, ``grad_norm_engine``,
        ``accuracy``, ``steps``, ``status``.
    """
    net = MLP([X.shape[1], 1], activation="identity", output_activation="sigmoid",
              rng=np.random.default_rng(seed))
    hist = fit(net, X, y, loss="logistic", trainer="lbfgs", max_steps=500)
    theta_engine = np.append(net.weights[0][0], net.biases[0][0])
    ref = minimize(logistic_loss, np.zeros(X.shape[1] + 1), args=(X, y), jac=True, method="BFGS",
                   options={"gtol": 1e-12, "maxiter": 1000})
    loss_e, grad_e = logistic_loss(theta_engine, X, y)
    prob = net.predict(X)
    return {"net": net, "theta_engine": theta_engine, "theta_scipy": ref.x,
            "loss_engine": loss_e, "loss_scipy": float(ref.fun),
            "param_rel_diff": float(np.linalg.norm(theta_engine - ref.x) / np.linalg.norm(ref.x)),
            "grad_norm_engine": float(np.linalg.norm(grad_e)),
            "accuracy": float(np.mean((prob >= 0.5) == (y == 1.0))),
            "steps": int(hist.steps), "status": hist.status}


def plot_logistic(X, y, res, save_to=None):
    """Data coloured by class, the boundary w·x + b = 0 and contours of P(y = 1 | x)."""
    net = res["net"]
    w1, w2, b = res["theta_engine"]
    pad = 0.6
    lo, hi = X.min(axis=0) - pad, X.max(axis=0) + pad
    hi[1] += 2.0  # empty band at the top for the legend
    g1, g2 = np.meshgrid(np.linspace(lo[0], hi[0], 240), np.linspace(lo[1], hi[1], 240))
    P = net.predict(np.column_stack([g1.ravel(), g2.ravel()])).reshape(g1.shape)
    with rc_context(RC):
        fig = Figure(figsize=(5.6, 4.6), layout="constrained")
        ax = fig.add_subplot()
        fill = ax.contourf(g1, g2, P, levels=np.linspace(0, 1, 11), cmap="RdBu_r", alpha=0.35)
        cs = ax.contour(g1, g2, P, levels=[0.1, 0.25, 0.75, 0.9], colors="0.35",
                        linewidths=0.8, linestyles=":")
        ax.clabel(cs, fmt="%.2f", fontsize=7)
        for cls, color, marker in ((0, "tab:blue", "o"), (1, "tab:red", "s")):
            m = y == cls
            ax.scatter(X[m, 0], X[m, 1], s=14, c=color, marker=marker, edgecolors="k",
                       linewidths=0.3, label=f"class {cls} ({m.sum()} points)")
        xs = np.array([lo[0], hi[0]])
        ax.plot(xs, -(w1 * xs + b) / w2, color="k", lw=1.6,
                label=f"w·x + b = 0 (P = 0.5)\nw = ({w1:.2f}, {w2:.2f}), b = {b:.2f}")
        ax.set_xlim(lo[0], hi[0])
        ax.set_ylim(lo[1], hi[1])
        ax.set_xlabel("x₁ (input units)")
        ax.set_ylabel("x₂ (input units)")
        ax.set_title(f"Logistic regression, MLP([2, 1]) + L-BFGS: training accuracy "
                     f"{100 * res['accuracy']:.1f}%")
        fig.colorbar(fill, ax=ax, label="P(y = 1 | x) = σ(w·x + b)")
        ax.legend(loc="upper left", framealpha=0.9, fontsize=8)
        if save_to is not None:
            save_figure(fig, save_to)
    return fig


# ---------------------------------------------------------------------------
# 3. the Adam sweep
# ---------------------------------------------------------------------------

def adam_summary(df, tol=REL_MSE_TOL):
    """Mean test MSE and relative MSE per activation x depth, with the pass rule.

    Parameters
    ----------
    df : pandas.DataFrame
        Rows of runs.csv with status ok (columns ``activation.name``, ``model.depth``,
        ``test_mse``, ``rel_mse``).
    tol : float
        Pass when the mean relative MSE (test MSE / Var f) is at most ``tol``.

    Returns
    -------
    pandas.DataFrame
        Columns ``activation, depth, n_params, runs, test_mse, test_mse_se, test_mse_min,
        test_mse_max, rel_mse, passed``.
    """
    by = ["activation.name", "model.depth"]
    mse = group_stats(df, by, "test_mse")
    rel = group_stats(df, by, "rel_mse")
    par = df.groupby(by, sort=True)["n_params"].median().reset_index()
    out = mse.merge(rel[by + ["mean"]].rename(columns={"mean": "rel_mse"}), on=by).merge(par, on=by)
    out = out.rename(columns={"activation.name": "activation", "model.depth": "depth",
                              "mean": "test_mse", "se": "test_mse_se", "min": "test_mse_min",
                              "max": "test_mse_max", "count": "runs"})
    out["n_params"] = out["n_params"].astype(int)
    out["passed"] = out["rel_mse"] <= tol
    return out[["activation", "depth", "n_params", "runs", "test_mse", "test_mse_se",
                "test_mse_min", "test_mse_max", "rel_mse", "passed"]]


def plot_adam(summary, var_f, tol=REL_MSE_TOL, save_to=None):
    """Mean test MSE vs depth, one line per activation; bars span the seeds' min to max."""
    with rc_context(RC):
        fig = Figure(figsize=(5.6, 4.0), layout="constrained")
        ax = fig.add_subplot()
        for k, (act, g) in enumerate(summary.groupby("activation", sort=True)):
            err = minmax_yerr(g["test_mse"], g["test_mse_min"], g["test_mse_max"])
            ax.errorbar(g["depth"] + 0.04 * (k - 1.5), g["test_mse"], yerr=err,
                        marker="osD^v"[k % 5],
                        ms=5, capsize=2.5, label=act)
        if np.isfinite(var_f):
            ax.axhline(tol * var_f, color="0.3", ls="--", lw=1.1,
                       label=f"pass line: {tol:g} × Var f")
            ax.axhline(var_f, color="0.3", ls=":", lw=1.1, label="Var f (constant predictor)")
        ax.set_yscale("log")
        ax.set_xticks(sorted(summary["depth"].unique()))
        ax.set_xlabel("depth (hidden layers)")
        ax.set_ylabel("test MSE (units of f²)")
        ax.set_title("Adam on sin(3x): mean test MSE over seeds (bars: min to max)")
        ax.grid(True, alpha=0.3)
        ax.legend(framealpha=0.9, fontsize=8)
        if save_to is not None:
            save_figure(fig, save_to)
    return fig


# ---------------------------------------------------------------------------
# the section
# ---------------------------------------------------------------------------

def _sci(v):
    return f"{v:.1e}"


def build_section(grad, kink, lr, summary, sweep_info):
    """Markdown of the study-specific section."""
    n_pass = int(grad["passed"].sum())
    worst = grad.loc[grad["rel_error"].idxmax()]
    pivot = grad.pivot_table(index=["activation", "depth"], columns="loss", values="rel_error")
    pivot = pivot.reset_index()
    pivot.columns = [str(c) if c in ("activation", "depth") else f"rel. error ({c})"
                     for c in pivot.columns]
    lines = [
        "Produced by `experiments/backprop/run.py`.", "",
        "### 1. Gradient check", "",
        f"Analytic gradient (the engine's backward pass) against central differences "
        f"(h = {FD_STEP:g}) in float64 for every activation × depth 1..4 × loss, on 16 samples "
        f"in d = 3 with hidden width 5; `mse` with an identity output, `logistic` with a sigmoid "
        f"output and 0/1 labels. Relative error ‖g_bp − g_fd‖ / (‖g_bp‖ + ‖g_fd‖). "
        f"**Rule: pass when the relative error is < {GRADCHECK_TOL:g}.** Biases are drawn "
        f"N(0, 0.1²) so that no hidden pre-activation sits on the ReLU kink (smallest |z| over "
        f"all checks: {grad['min_abs_z'].min():.1e}, far above h).", "",
        markdown_table(pivot, formats={c: _sci for c in pivot.columns if c.startswith("rel.")}),
        "",
        f"**{'PASS' if n_pass == len(grad) else 'FAIL'}**: {n_pass} of {len(grad)} checks below "
        f"{GRADCHECK_TOL:g}; the largest error is {worst['rel_error']:.1e} "
        f"({worst['activation']}, depth {worst['depth']}, {worst['loss']}). Full table: "
        f"[gradcheck.csv](gradcheck.csv).", "",
        f"Why the random biases: with the default zero biases a deep ReLU net has units whose "
        f"inputs are all zero, so z = 0 exactly ({kink['on_kink']} hidden (sample, unit) pairs "
        f"in a [3, 5, 5, 5, 1] relu net, seed {kink['net_seed']}). There relu is not "
        f"differentiable; backprop uses the lecture's relu'(0) = 1 while central differences "
        f"see the average ½ of the one-sided slopes, and the check reports "
        f"{kink['rel_error']:.1e} (rule: < {GRADCHECK_TOL:g}). That is the kink, not a bug.", "",
        "### 2. Logistic regression (no hidden layer)", "",
        f"Two Gaussian blobs (100 points each, std 1, means ±1.2 (1, 0.5)/|(1, 0.5)|, seed 0). "
        f"The engine's `MLP([2, 1], activation=\"identity\", output_activation=\"sigmoid\")` "
        f"trained by `fit(..., loss=\"logistic\", trainer=\"lbfgs\")` against scipy's BFGS on "
        f"the same mean cross-entropy, written separately from the engine.", "",
        "![logistic regression](figures/backprop_logistic_boundary.png)", "",
        markdown_table(pd.DataFrame([
            {"solver": "engine (L-BFGS)", "w1": lr["theta_engine"][0],
             "w2": lr["theta_engine"][1], "b": lr["theta_engine"][2], "loss": lr["loss_engine"]},
            {"solver": "scipy BFGS", "w1": lr["theta_scipy"][0], "w2": lr["theta_scipy"][1],
             "b": lr["theta_scipy"][2], "loss": lr["loss_scipy"]}]), digits=8), "",
        f"Training accuracy {100 * lr['accuracy']:.1f}% (the classes overlap, so 100% is not "
        f"expected); {lr['steps']} L-BFGS iterations; gradient norm at the engine's solution "
        f"{lr['grad_norm_engine']:.1e}. **Rule: the two parameter vectors agree when "
        f"‖θ_engine − θ_scipy‖ / ‖θ_scipy‖ < {PARAM_TOL:g}. "
        f"{'PASS' if lr['param_rel_diff'] < PARAM_TOL else 'FAIL'}**: relative distance "
        f"{lr['param_rel_diff']:.1e}.", "",
        "### 3. The Adam sweep: every activation × depth trains", "",
    ]
    if summary is None:
        lines += [f"No sweep data: {sweep_info}", ""]
    else:
        n_ok = int(summary["passed"].sum())
        tab = summary.rename(columns={"test_mse": "mean test MSE", "test_mse_se": "s.e.",
                                      "test_mse_min": "best run", "test_mse_max": "worst run",
                                      "rel_mse": "MSE / Var f"})
        lines += [
            f"{sweep_info} **Rule: a configuration trains when its mean test MSE over seeds is at "
            f"most {REL_MSE_TOL:g} × Var f** (R² ≥ {1 - REL_MSE_TOL:g}).", "",
            "![Adam test MSE vs depth](figures/backprop_adam_mse.png)", "",
            markdown_table(tab), "",
            f"**{'PASS' if n_ok == len(summary) else 'FAIL'}**: {n_ok} of {len(summary)} "
            f"activation × depth configurations pass."
            + ("" if n_ok == len(summary) else " Failing: " + ", ".join(
                f"{r.activation} depth {r.depth} (MSE/Var f = {r.rel_mse:.2g})"
                for r in summary.itertuples() if not r.passed) + "."),
            "",
        ]
    return "\n".join(lines)


def main(argv=None):
    """Run the backprop study's analysis; see the module docstring.

    Parameters
    ----------
    argv : list of str, optional
        Command-line arguments (default ``sys.argv[1:]``).

    Returns
    -------
    int
        Exit status 0.
    """
    args = study_parser(STUDY, "Backprop study: gradient checks, logistic regression, "
                               "Adam sweep summary.").parse_args(argv)
    t0 = time.perf_counter()
    out = Path(args.results)
    (out / "figures").mkdir(parents=True, exist_ok=True)

    with threadpool_limits(1):  # tiny problems: BLAS threads only add overhead
        grad = gradcheck_table()
        kink = kink_demo()
        X, y = two_blobs(seed=0)
        lr = logistic_regression(X, y, seed=0)
    write_csv(grad, out / "gradcheck.csv")
    plot_logistic(X, y, lr, save_to=out / "figures" / "backprop_logistic_boundary.png")
    write_csv(pd.DataFrame([{"solver": "engine_lbfgs", "w1": lr["theta_engine"][0],
                             "w2": lr["theta_engine"][1], "b": lr["theta_engine"][2],
                             "loss": lr["loss_engine"], "accuracy": lr["accuracy"]},
                            {"solver": "scipy_bfgs", "w1": lr["theta_scipy"][0],
                             "w2": lr["theta_scipy"][1], "b": lr["theta_scipy"][2],
                             "loss": lr["loss_scipy"], "accuracy": np.nan}]),
              out / "logistic_regression.csv")

    summary, info = None, ""
    try:
        df = load_runs(out, ["activation.name", "model.depth", "test_mse", "rel_mse", "n_params"],
                       study=STUDY)
    except ValueError as e:
        info = str(e)
    else:
        summary = adam_summary(df)
        write_csv(summary, out / "adam_summary.csv")
        var_f = float(pd.to_numeric(df["var_f"], errors="coerce").median()) \
            if "var_f" in df else float("nan")
        plot_adam(summary, var_f, save_to=out / "figures" / "backprop_adam_mse.png")
        steps = sorted(df["trainer.max_steps"].unique()) if "trainer.max_steps" in df else []
        info = (f"From runs.csv: {len(df)} ok runs (hidden width "
                f"{', '.join(map(str, sorted(df['model.width'].unique())))}, "
                f"N = {', '.join(map(str, sorted(df['data.N'].unique())))}, Adam "
                f"max_steps = {', '.join(map(str, steps))}; Var f = {var_f:.3g}).")
    replace_section(out / "REPORT.md", TITLE, build_section(grad, kink, lr, summary, info))
    trained = "no sweep data" if summary is None else \
        f"{int(summary['passed'].sum())}/{len(summary)} configurations train"
    print(f"backprop: {int(grad['passed'].sum())}/{len(grad)} gradient checks pass, logistic "
          f"regression param diff {lr['param_rel_diff']:.1e}, {trained} "
          f"({time.perf_counter() - t0:.1f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
