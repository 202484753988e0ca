"""Study ``backprop``: the hand-written backward pass is right, and it trains every architecture.

Four kinds of jobs (``conf/experiment/backprop.yaml``), all read from their records here:

1. ``trainer=gradcheck`` with N(0, 0.5²) biases: the backward pass against central differences
   for every activation × depth 1..4 × loss;
2. ``trainer=gradcheck`` with zero biases on a deep ReLU net: units exactly on the kink z = 0;
3. logistic regression (``model.depth=0``, labels y ~ Bernoulli(σ(a·x + b))) by the engine's
   L-BFGS and by scipy's BFGS on an independently written loss (``trainer=glm_bfgs``): the two
   parameter vectors, loaded from the jobs' ``params.npz``;
4. Adam on sin(3x) for every activation × depth.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib import rc_context
from matplotlib.figure import Figure

from nnapprox.report import generic
from nnapprox.report.fit import group_stats
from nnapprox.report.plots import RC, minmax_yerr
from nnapprox.report.study import Section
from nnapprox.report.tables import markdown_table
from nnapprox.report.verdicts import Check

__all__ = [
    "analyse",
    "gradcheck_table",
    "adam_summary",
    "logistic_comparison",
    "GRADCHECK_TOL",
    "REL_MSE_TOL",
    "PARAM_TOL",
]

#: Pass rule of the gradient check (relative error, float64, central differences, h = 1e-6).
GRADCHECK_TOL = 1e-7
#: "Trains" rule of the Adam sweep: mean test MSE at most this fraction of Var f.
REL_MSE_TOL = 1e-2
#: Agreement of the engine and scipy on the logistic-regression parameters (relative distance).
PARAM_TOL = 1e-4

INTRO = (
    "Is the hand-written backward pass (dz = da ⊙ σ'(z), dW = dz aᵀ, db = dz, da_prev = Wᵀ dz) the derivative "
    "of the loss, for every activation, depth and loss, and does it train? Gradient checks at initialisation, a "
    "logistic regression solved by the engine and by scipy, and Adam on every activation × depth."
)


def _trainer(runs, name):
    return runs[runs["trainer.name"] == name] if "trainer.name" in runs else runs.iloc[:0]


def gradcheck_table(runs):
    """One row per gradient-check job with random biases: activation, depth, loss, error, distance to a kink."""
    g = _trainer(runs, "gradcheck")
    g = g[g["model.bias_init"] == "normal"] if "model.bias_init" in g else g.iloc[:0]
    out = pd.DataFrame(
        {
            "activation": g["activation.name"],
            "depth": g["model.depth"].astype(int),
            "loss": g["trainer.loss"],
            "n_params": g["n_params"].astype(int),
            "rel_error": g["extra.gradcheck_rel_error"],
            "min_abs_z": g["extra.min_abs_z"],
        }
    )
    out["passed"] = out["rel_error"] < GRADCHECK_TOL
    return out.sort_values(["activation", "depth", "loss"]).reset_index(drop=True)


def _kink_row(runs):
    """The first zero-bias gradient check with a unit exactly on the ReLU kink (None if none)."""
    g = _trainer(runs, "gradcheck")
    g = g[(g.get("model.bias_init") == "zero") & (g["extra.on_kink"] > 0)] if len(g) else g
    return None if g.empty else g.sort_values("seed").iloc[0]


#: The columns of :func:`adam_summary`, in order.
ADAM_COLUMNS = (
    "activation",
    "depth",
    "n_params",
    "runs",
    "test_mse",
    "test_mse_se",
    "test_mse_min",
    "test_mse_max",
    "rel_mse",
    "passed",
)


def adam_summary(runs, tol=REL_MSE_TOL):
    """Mean test MSE and relative MSE per activation × depth of the Adam sweep, with the rule."""
    df = generic.usable(_trainer(runs, "adam"))
    by = ["activation.name", "model.depth"]
    if df.empty:
        return pd.DataFrame(columns=list(ADAM_COLUMNS))
    mse = group_stats(df, by, "test_mse")
    rel = group_stats(df, by, "rel_mse")
    par = df.groupby(by, sort=True)["n_params"].median().reset_index()
    out = mse.merge(rel[by + ["mean"]].rename(columns={"mean": "rel_mse"}), on=by).merge(par, on=by)
    out = out.rename(
        columns={
            "activation.name": "activation",
            "model.depth": "depth",
            "mean": "test_mse",
            "se": "test_mse_se",
            "min": "test_mse_min",
            "max": "test_mse_max",
            "count": "runs",
        }
    )
    out["n_params"] = out["n_params"].astype(int)
    out["depth"] = out["depth"].astype(int)
    out["passed"] = out["rel_mse"] <= tol
    return out[list(ADAM_COLUMNS)]


def logistic_comparison(runs, ctx):
    """The engine's and scipy's logistic-regression parameters (from ``params.npz``), and the truth.

    Returns
    -------
    table : pandas.DataFrame or None
        One row per solver: w1, w2, b, training loss, accuracy; plus the generating parameters.
    info : dict
        ``param_rel_diff``, ``net`` (the engine's), ``row`` (its record).
    """
    lr = runs[(runs.get("model.depth") == 0) & (runs["status"] == "ok")] if "model.depth" in runs else runs.iloc[:0]
    rows = {t: lr[lr["trainer.name"] == t] for t in ("lbfgs", "glm_bfgs")}
    if any(r.empty for r in rows.values()):
        return None, {}
    nets = {t: ctx.net(r.iloc[0]) for t, r in rows.items()}
    theta = {t: np.append(n.weights[0][0], n.biases[0][0]) for t, n in nets.items()}
    target = ctx.target(rows["lbfgs"].iloc[0])
    truth = np.append(target.info["a"], target.params["b"])
    diff = float(np.linalg.norm(theta["lbfgs"] - theta["glm_bfgs"]) / np.linalg.norm(theta["glm_bfgs"]))
    table = pd.DataFrame(
        [
            {
                "solver": "engine L-BFGS",
                "w1": theta["lbfgs"][0],
                "w2": theta["lbfgs"][1],
                "b": theta["lbfgs"][2],
                "steps": int(rows["lbfgs"].iloc[0]["steps"]),
            },
            {
                "solver": "scipy BFGS (loss written separately)",
                "w1": theta["glm_bfgs"][0],
                "w2": theta["glm_bfgs"][1],
                "b": theta["glm_bfgs"][2],
                "steps": int(rows["glm_bfgs"].iloc[0]["steps"]),
            },
            {"solver": "generating model (a, b)", "w1": truth[0], "w2": truth[1], "b": truth[2], "steps": 0},
        ]
    )
    return table, {
        "param_rel_diff": diff,
        "net": nets["lbfgs"],
        "row": rows["lbfgs"].iloc[0],
        "truth_dist": float(np.linalg.norm(theta["lbfgs"] - truth) / np.linalg.norm(truth)),
        "N": int(rows["lbfgs"].iloc[0]["data.N"]),
    }


def _plot_logistic(X, y, net, truth):
    w1, w2, b = net.weights[0][0, 0], net.weights[0][0, 1], net.biases[0][0]
    pad = 0.15
    lo, hi = X.min(axis=0) - pad, X.max(axis=0) + pad
    g1, g2 = np.meshgrid(np.linspace(lo[0], hi[0], 240), np.linspace(lo[1], hi[1], 240))
    P = net.predict(np.column_stack([g1.ravel(), g2.ravel()])).reshape(g1.shape)
    acc = float(np.mean((net.predict(X) >= 0.5) == (y == 1.0)))
    with rc_context(RC):
        fig = Figure(figsize=(5.8, 5.6), layout="constrained")
        ax = fig.add_subplot()
        fill = ax.contourf(g1, g2, P, levels=np.linspace(0, 1, 11), cmap="RdBu_r", alpha=0.35)
        for cls, color, marker in ((0, "tab:blue", "o"), (1, "tab:red", "s")):
            m = y == cls
            ax.scatter(
                X[m, 0],
                X[m, 1],
                s=12,
                c=color,
                marker=marker,
                edgecolors="k",
                linewidths=0.3,
                label=f"label {cls} ({int(m.sum())} points)",
            )
        xs = np.array([lo[0], hi[0]])
        ax.plot(
            xs,
            -(w1 * xs + b) / w2,
            color="k",
            lw=1.6,
            label=f"fitted w·x + b = 0: w = ({w1:.2f}, {w2:.2f}), b = {b:.2f}",
        )
        ax.plot(
            xs,
            -(truth[0] * xs + truth[2]) / truth[1],
            color="k",
            lw=1.2,
            ls="--",
            label=f"generating a·x + b = 0: a = ({truth[0]:.2f}, {truth[1]:.2f}), b = {truth[2]:.2f}",
        )
        ax.set_xlim(lo[0], hi[0])
        ax.set_ylim(lo[1], hi[1])
        ax.set_aspect("equal")
        ax.set_xlabel("x₁ (input units)")
        ax.set_ylabel("x₂ (input units)")
        # a figure title: constrained layout keeps room for it (an axes title over an equal-aspect panel is cut)
        fig.suptitle(f"Logistic regression, MLP([2, 1]) + L-BFGS\ntraining accuracy {100 * acc:.1f}%")
        fig.colorbar(fill, ax=ax, label="P(y = 1 | x) = σ(w·x + b)")
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.13), frameon=False, fontsize=7.5)
    return fig


def _plot_adam(summary, var_f, tol=REL_MSE_TOL):
    with rc_context(RC):
        fig = Figure(figsize=(5.8, 4.1), layout="constrained")
        ax = fig.add_subplot()
        for k, (act, g) in enumerate(summary.groupby("activation", sort=True)):
            err = minmax_yerr(g["test_mse"], g["test_mse_min"], g["test_mse_max"])
            ax.errorbar(
                g["depth"] + 0.04 * (k - 1.5),
                g["test_mse"],
                yerr=err,
                marker="osD^v"[k % 5],
                ms=5,
                capsize=2.5,
                label=act,
            )
        if np.isfinite(var_f):
            ax.axhline(tol * var_f, color="0.3", ls="--", lw=1.1, label=f"rule: {tol:g} × Var f")
            ax.axhline(var_f, color="0.3", ls=":", lw=1.1, label="Var f (constant predictor)")
        ax.set_yscale("log")
        ax.set_xticks(sorted(summary["depth"].unique()))
        ax.set_xlabel("depth (hidden layers)")
        ax.set_ylabel("test MSE (units of f²)")
        ax.set_title("Adam on sin(3x): mean test MSE over seeds (bars: min to max)")
        ax.grid(True, alpha=0.3)
        ax.legend(framealpha=0.9, fontsize=8)
    return fig


def _gradcheck_checks(grad, kink):
    """The gradient checks as checks (deterministic identities, not evidence)."""
    out = []
    if len(grad):
        worst = grad.loc[grad["rel_error"].idxmax()]
        n_pass = int(grad["passed"].sum())
        out.append(
            Check(
                name="the backward pass equals the gradient of the loss (central differences)",
                passed=n_pass == len(grad),
                group=f"{len(grad)} checks: activation × depth 1–4 × loss",
                expected=f"every relative error ‖g_bp − g_fd‖ / (‖g_bp‖ + ‖g_fd‖) < {GRADCHECK_TOL:g}",
                measured=f"{n_pass} of {len(grad)} below; largest {worst['rel_error']:.1e} ({worst['activation']}, "
                f"depth {worst['depth']}, {worst['loss']})",
                kind="gradcheck",
                detail=f"h = 1e-6, float64; smallest |z| over all checks {grad['min_abs_z'].min():.1e} "
                + (
                    "≫ h: no unit within h of a ReLU kink"
                    if grad["min_abs_z"].min() > 100 * 1e-6
                    else "is within 100 h of a kink: central differences may straddle it"
                )
                + "; the configurations are in gradcheck.csv",
            )
        )
    if kink is not None:
        err = float(kink["extra.gradcheck_rel_error"])
        out.append(
            Check(
                name="at a ReLU kink backprop follows the lecture's relu'(0) = 1, not central differences' ½",
                passed=err > 1e3 * GRADCHECK_TOL,
                group="relu, depth 3, zero biases",
                kind="gradcheck_kink",
                expected=f"relative error ≫ {GRADCHECK_TOL:g} (relu is not differentiable at z = 0)",
                measured=f"relative error {err:.1e} with {int(kink['extra.on_kink'])} (sample, unit) pairs on z = 0",
                detail="central differences see the average ½ of the one-sided slopes",
            )
        )
    return out


def analyse(runs, ctx):
    """The four parts of the study (see the module docstring) as tables, figures, sections and checks."""
    adam = _trainer(runs, "adam")
    res = generic.analyse(adam, ctx) if len(adam) else generic.analyse(runs.iloc[:0], ctx)
    res.intro = INTRO
    grad, kink = gradcheck_table(runs), _kink_row(runs)
    res.checks += _gradcheck_checks(grad, kink)
    res.tables["gradcheck"] = grad
    lines = [
        "Jobs of `trainer=gradcheck` leave the network as initialised (hidden biases N(0, 0.5²), so that no "
        "pre-activation sits on the ReLU kink) and record the relative error ‖g_bp − g_fd‖ / (‖g_bp‖ + ‖g_fd‖) of "
        "the backward pass against central differences (h = 1e-6, float64) on 16 samples in d = 3, width 5. "
        "`mse` with an identity output; `logistic` on logits.",
        "",
    ]
    if len(grad):
        piv = grad.pivot_table(index=["activation", "depth"], columns="loss", values="rel_error").reset_index()
        piv.columns = [str(c) if c in ("activation", "depth") else f"rel. error ({c})" for c in piv.columns]
        lines += [
            markdown_table(piv, formats={c: (lambda v: f"{v:.1e}") for c in piv.columns if c.startswith("rel.")}),
            "",
            "Full table: [gradcheck.csv](gradcheck.csv).",
            "",
        ]
    if kink is not None:
        lines += [
            f"With zero biases a deep ReLU net has units whose inputs are all zero, so z = 0 exactly "
            f"({int(kink['extra.on_kink'])} hidden (sample, unit) pairs in a [3, 5, 5, 5, 1] relu net, seed "
            f"{int(kink['seed'])}). There relu is not differentiable: backprop uses relu'(0) = 1 while central "
            f"differences see ½, and the check reports {kink['extra.gradcheck_rel_error']:.1e}. That is the "
            f"kink, not a bug.",
            "",
        ]
    res.sections.insert(0, Section("Gradient check", "\n".join(lines)))

    table, info = logistic_comparison(runs, ctx)
    if table is not None:
        res.tables["logistic_regression"] = table
        X, y = ctx.data(info["row"])
        res.figures["backprop_logistic_boundary"] = _plot_logistic(
            X, y, info["net"], table.iloc[2][["w1", "w2", "b"]].to_numpy(dtype=float)
        )
        ok = info["param_rel_diff"] < PARAM_TOL
        res.checks.append(
            Check(
                name="the engine's L-BFGS and scipy's BFGS reach the same minimiser of the logistic loss (strictly "
                "convex "
                "when the classes overlap: one minimiser)",
                passed=bool(ok),
                group="MLP([2, 1]), sigmoid output",
                expected=f"‖θ_engine − θ_scipy‖ / ‖θ_scipy‖ < {PARAM_TOL:g}",
                kind="logistic_agreement",
                measured=f"relative distance {info['param_rel_diff']:.1e}",
                detail=f"N = {info['N']}, overlapping classes; a failure means one optimizer stopped early",
            )
        )
        res.sections.insert(
            1,
            Section(
                "Logistic regression (no hidden layer)",
                "\n".join(
                    [
                        f"Labels y ~ Bernoulli(σ(a·x + b)) at N = {info['N']} points of the unit disc "
                        f"(`data.labels=bernoulli`). "
                        'The engine\'s `MLP([2, 1], output_activation="sigmoid")` trained by L-BFGS on the logistic '
                        "loss against "
                        "scipy's BFGS on the same mean cross-entropy written separately (`trainer=glm_bfgs`), both "
                        "from their "
                        "jobs' saved parameters.",
                        "",
                        "![logistic regression](figures/backprop_logistic_boundary.png)",
                        "",
                        markdown_table(table, digits=8),
                        "",
                        f"Relative distance of the two solutions: {info['param_rel_diff']:.1e}. The maximum-likelihood "
                        f"estimate "
                        f"is {100 * info['truth_dist']:.0f}% (relative) from the generating (a, b): sampling error of "
                        f"N = "
                        f"{info['N']}, which the two solvers share.",
                    ]
                ),
            ),
        )

    summary = adam_summary(runs)
    if len(summary):
        res.tables["adam_summary"] = summary
        var_f = float(pd.to_numeric(adam["var_f"], errors="coerce").median())
        res.figures["backprop_adam_mse"] = _plot_adam(summary, var_f)
        failing = summary[~summary["passed"]]
        rule = f"a configuration trains when its mean test MSE over seeds is at most {REL_MSE_TOL:g} × Var f"
        res.checks.append(
            Check(
                name="Adam trains every activation × depth with the hand-written gradients",
                passed=failing.empty,
                group="sin(3x), width 16, 3000 Adam steps",
                expected=f"mean MSE / Var f ≤ {REL_MSE_TOL:g} everywhere",
                measured=f"{len(summary) - len(failing)} of {len(summary)} configurations pass",
                kind="adam_trains",
                detail="a functional check of the engine (no theorem); "
                + (
                    "failing: "
                    + ", ".join(
                        f"{r.activation} depth {r.depth} (MSE/Var f = {r.rel_mse:.2g})" for r in failing.itertuples()
                    )
                    if len(failing)
                    else "none fails"
                ),
            )
        )
        res.sections.insert(
            2,
            Section(
                "Adam trains every activation × depth",
                "\n".join(
                    [
                        f"**Rule: {rule}** (R² ≥ {1 - REL_MSE_TOL:g}).",
                        "",
                        "![Adam test MSE vs depth](figures/backprop_adam_mse.png)",
                        "",
                        markdown_table(
                            summary.rename(
                                columns={
                                    "test_mse": "mean test MSE",
                                    "test_mse_se": "s.e.",
                                    "test_mse_min": "best run",
                                    "test_mse_max": "worst run",
                                    "rel_mse": "MSE / Var f",
                                }
                            )
                        ),
                    ]
                ),
            ),
        )
    return res
