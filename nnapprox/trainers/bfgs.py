"""Dense BFGS for small networks at full float64 precision (Michaud, Liu & Tegmark 2023).

The quasi-Newton method of Nocedal & Wright (Algorithm 6.1) on the flat parameter vector: a dense
P × P inverse-Hessian approximation H, the search direction p = −H g, a strong-Wolfe line search
(``scipy.optimize.line_search``, c1 = 1e-4, c2 = 0.9) and the rank-2 update

    H ← H + ((sᵀy + yᵀHy) / (sᵀy)²) s sᵀ − (H y sᵀ + s yᵀH) / sᵀy,

applied in O(P²) by one symmetric rank-2 BLAS update (``dsyr2``) on the upper triangle.
scipy's own ``minimize(method="BFGS")`` forms the same update with two P × P matrix products,
O(P³) per iteration: for the 481 parameters of a 1-20-20-1 network that was most of the time of
an iteration on 20 000 points. Before the first update H is scaled by sᵀy / yᵀy (Nocedal &
Wright, eq. 6.20); a pair with sᵀy ≤ 0 is skipped.

Stopping rules for precision work
---------------------------------
* ``max_steps`` iterations; ``tol`` on the training loss; ``time_budget`` seconds;
* ``gtol``: the largest gradient component (0: off, the default: at 1e-13 RMSE the gradient is
  tiny, and a gradient test would stop a run that is still improving);
* the line search finds no step that lowers the loss: float64 cannot resolve further progress
  (``converged``; scipy's BFGS calls this "precision loss"). Before stopping the method retries
  once from the scaled identity (the curvature pairs may have gone stale).

There is no relative-decrease test: L-BFGS-B's ``ftol`` is relative to max(|f|, 1), i.e.
absolute below a loss of 1, which is what stops scipy's L-BFGS far above the float64 floor.

The dense H costs 8 P² bytes: the trainer is declared for networks of at most :data:`MAX_PARAMS`
parameters (checked before any job runs). Restarts and boosting: :mod:`nnapprox.trainers.stages`.
"""

from __future__ import annotations

import warnings
from typing import Any, cast

import numpy as np
from scipy.linalg.blas import dsymv, dsyr2
from scipy.optimize import line_search

from nnapprox.base.options import Float, Option
from nnapprox.engine.params import param_count
from nnapprox.trainers.common import ITERATIVE, Recorder, Trainer
from nnapprox.trainers.stages import RECORD_LISTS, STAGE_OPTIONS, Run, check_stage_data, check_stages, fit_stages

__all__ = ["bfgs_single", "train_bfgs", "BFGS", "MAX_PARAMS"]

#: Largest network (parameters) the dense trainer takes: H then needs 8 P² = 200 MB.
MAX_PARAMS = 5000


def bfgs_single(
    net,
    X,
    y,
    loss,
    *,
    max_steps=10000,
    tol=0.0,
    gtol=0.0,
    time_budget=None,
    progress_every=10.0,
    rec=None,
    step0=0,
    scale=1.0,
) -> Run:
    """Dense BFGS on one (non-replicated) network, in place.

    Parameters
    ----------
    net : MLP
        A single network with at most :data:`MAX_PARAMS` parameters; masked connections stay
        at zero (their gradient is zero, so are their rows of H·g).
    X : array ``(N, d)``, y : array ``(N, out)``
    loss : Loss
    max_steps, tol, gtol, time_budget, progress_every
        See the module notes.
    rec : Recorder, optional
    step0 : int
        Added to the recorded steps.
    scale : float
        Multiplies the recorded losses (a boosting stage's c²).

    Returns
    -------
    Run
    """
    rec = rec or Recorder("bfgs", step0 + max_steps, time_budget, progress_every)  # steps count from step0
    theta_dtype = net.theta.dtype
    cache: dict[str, Any] = {}

    def evaluate(x):
        key = x.tobytes()
        if key not in cache:  # the line search asks for f and g separately at the same point
            cache.clear()
            value, g = net.loss_and_grad_flat(x.astype(theta_dtype, copy=False), X, y, loss)
            g = np.asarray(g, dtype=np.float64).reshape(-1)
            if not np.isfinite(value) or not np.all(np.isfinite(g)):
                value, g = np.inf, np.zeros_like(g)  # the line search backs off from a non-finite point
            cache[key] = (float(value), g)
        return cache[key]

    def f(x):
        return evaluate(x)[0]

    def fprime(x):
        return evaluate(x)[1].copy()

    x = np.asarray(net.theta, dtype=np.float64).reshape(-1).copy()
    fx, gx = evaluate(x)
    gx = gx.copy()
    P = x.size
    H = np.eye(P, order="F")
    scaled, fresh, gamma = False, True, 1.0  # gamma: sᵀy / yᵀy of the first update, once scaled
    old_old = fx + np.linalg.norm(gx) / 2  # scipy's first-step guess: a step of about 1
    k, reason, message = 0, "max_steps", f"{max_steps} iterations"
    if not np.isfinite(fx):
        return Run(0, "diverged", "diverged", "non-finite loss at the initial network", float("nan"), rec)
    while k < max_steps:
        if np.max(np.abs(gx)) <= gtol:  # gtol = 0: only an exactly zero gradient
            reason, message = "converged", f"largest gradient component <= gtol={gtol:g}"
            break
        p = -dsymv(1.0, H, gx)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # LineSearchWarning: the failure is handled below
            alpha, _, _, f_new, _, g_new = cast(Any, line_search(f, fprime, x, p, gx, fx, old_old, amax=1e100))
        if alpha is None or not np.isfinite(f_new) or f_new >= fx:  # no step lowers the loss
            if fresh:
                reason, message = "converged", "no step along the search direction lowers the loss (float64 precision)"
                break
            H = np.eye(P, order="F") * (gamma if scaled else 1.0)  # retry once from the scaled identity
            fresh = True
            old_old = fx + np.linalg.norm(gx) / 2
            continue
        old_old, fresh = fx, False
        s = alpha * p
        x = x + s
        if g_new is None:
            g_new = fprime(x)
        yv = g_new - gx
        gx, fx = np.asarray(g_new, dtype=np.float64), float(f_new)
        k += 1
        rec.record(step0 + k, scale * fx)
        if tol > 0 and fx <= tol:
            reason, message = "tol", f"training loss <= tol={tol:g}"
            break
        if rec.out_of_time():
            reason, message = "time_budget", "time budget spent"
            break
        sy = float(yv @ s)
        if sy <= 0.0:
            continue  # no positive curvature along s: skip the update (H stays positive definite)
        gamma = sy / float(yv @ yv)
        if not scaled:
            H *= gamma
            scaled = True
        Hy = dsymv(1.0, H, yv)
        v = (0.5 * (sy + float(yv @ Hy)) / sy**2) * s - Hy / sy
        H = dsyr2(1.0, s, v, a=H, overwrite_a=1)  # H + s vᵀ + v sᵀ (upper triangle)
    net.theta[...] = x.reshape(net.theta.shape).astype(theta_dtype, copy=False)
    final = f(x)
    if not np.isfinite(final) or not np.all(np.isfinite(x)):
        return Run(k, "diverged", "diverged", f"non-finite loss after {k} BFGS iterations", float("nan"), rec)
    rec.record(step0 + k, scale * final, force=True)
    return Run(k, reason, "ok", message, float(final), rec)


def train_bfgs(
    net,
    X,
    y,
    loss,
    rng,
    *,
    max_steps,
    tol,
    time_budget,
    progress_every,
    gtol,
    restarts,
    boost,
    init,
    warm_rows,
    polish_steps,
):
    """Dense BFGS (options: :data:`BFGS`); replicas one after the other, or restarts and boosting stages.

    Returns
    -------
    History
        As :func:`nnapprox.trainers.stages.fit_stages` (``extras``: restart losses, the kept
        restart, and with ``boost`` each stage's scale, loss, steps and time).
    """
    staged = {"boost": boost, "warm_rows": warm_rows, "polish_steps": polish_steps}
    check_bfgs(net.sizes, net.activation_name, net.output_activation_name, loss.name, staged, api=True)
    check_stage_data(staged, X.shape[-2], api=True)

    def single(one, Xs, ys, loss_, *, time_budget, scale=1.0, rec=None, step0=0, max_steps=None):
        return bfgs_single(
            one,
            Xs,
            ys,
            loss_,
            max_steps=max_steps or steps,
            tol=tol,
            gtol=gtol,
            time_budget=time_budget,
            progress_every=progress_every,
            rec=rec,
            scale=scale,
            step0=step0,
        )

    steps = max_steps

    if net.batch_shape == () and X.ndim == 2:
        return fit_stages(
            single,
            "bfgs",
            net,
            X,
            y,
            loss,
            rng,
            max_steps=max_steps,
            time_budget=time_budget,
            progress_every=progress_every,
            restarts=restarts,
            boost=boost,
            init=init,
            warm_rows=warm_rows,
            polish_steps=polish_steps,
        )
    if restarts > 1 or boost or warm_rows is not None:
        raise ValueError(
            f"restarts, boost and warm_rows need a single network (no replica axes); net has replica axes "
            f"{net.batch_shape}"
        )
    if len(net.batch_shape) > 1:
        raise ValueError("bfgs supports at most one replica axis")
    rec = Recorder("bfgs", max_steps, time_budget, progress_every)
    runs = []
    for r in range(net.n_replicas):
        Xr = X if X.ndim == 2 else X[r]
        yr = y if y.ndim == 2 else y[r]
        runs.append(
            single(
                net.replica(r),
                Xr,
                yr,
                loss,
                time_budget=time_budget,
                rec=Recorder("bfgs", max_steps, time_budget, progress_every),
            )
        )
    statuses = [u.status for u in runs]
    reasons = [u.reason for u in runs]
    hist = rec.history(
        status="diverged" if "diverged" in statuses else "ok",
        replica_status=statuses,
        stop_reason=reasons[0] if len(set(reasons)) == 1 else ",".join(reasons),
        steps=max(u.steps for u in runs),
        message="; ".join(sorted({u.message for u in runs})),
        net=net,
    )
    final, _ = net.flat_loss_and_grad(X, y, loss)
    hist.step, hist.elapsed, hist.loss = np.array([hist.steps]), np.array([hist.wall_time]), np.array([final])
    return hist


def check_bfgs(sizes, activation, output_activation, loss, options, target=None, *, api=False) -> None:
    """``check_model`` of the dense trainer: the network must be small enough for a dense H."""
    P = param_count(sizes)
    if P > MAX_PARAMS:
        raise ValueError(
            f"trainer=bfgs keeps a dense {P} x {P} inverse Hessian: the network has {P} parameters "
            f"(sizes {list(sizes)}); allowed: at most {MAX_PARAMS} (use trainer=lbfgs)"
        )
    check_stages(sizes, activation, output_activation, loss, options, target, api=api)


BFGS = Trainer(
    "bfgs",
    train_bfgs,
    (
        *(
            o
            if o.name != "max_steps"
            else Option("max_steps", 10000, o.constraint, "BFGS iterations per run (each restart and boosting stage)")
            for o in ITERATIVE
        ),
        Option(
            "gtol",
            0.0,
            Float(ge=0),
            "stop when the largest gradient component is <= gtol (0: off; the run stops when no step lowers the loss)",
        ),
        *STAGE_OPTIONS,
    ),
    "dense BFGS (O(P²) updates, strong-Wolfe line search) for small networks at full float64 precision; "
    "restarts, boosting (Michaud et al. 2023)",
    check_model=check_bfgs,
    check_data=check_stage_data,
    record_lists=RECORD_LISTS,
)
