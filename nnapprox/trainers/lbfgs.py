"""L-BFGS on the flat parameter vector, through ``scipy.optimize.minimize(jac=True)``.

One function, :meth:`MLP.loss_and_grad_flat`, serves both this trainer and the
gradient check. Replicas are optimised one after the other (each L-BFGS run has its
own line searches, so they cannot share a pass), each on a view of its slice of
``theta``.

Stopping: ``max_steps`` iterations, loss ≤ ``tol``, ``time_budget`` seconds, or
scipy's own tests. scipy's default relative-decrease test (``ftol`` ≈ 2e-9) would
stop near a loss of 1e-9 in absolute terms, far above what float64 can reach, so the
defaults here are ``ftol = 1e-15`` and ``gtol = 1e-12``.
"""
from __future__ import annotations

import numpy as np
from scipy.optimize import minimize

from .common import Recorder, check_int, check_positive, pop_common

__all__ = ["train_lbfgs", "lbfgs_single"]


class _Stop(Exception):
    pass


def lbfgs_single(net, X, y, loss, *, max_steps=1000, tol=0.0, time_budget=None, progress_every=10.0,
                 ftol=1e-15, gtol=1e-12, maxcor=20, rec=None, step0=0):
    """Run L-BFGS on one (non-replicated) network in place.

    Returns ``(steps, stop_reason, status, message, recorder)``.
    """
    rec = rec or Recorder("lbfgs", max_steps, time_budget, progress_every)
    state = {"it": 0, "last": None}

    def fun(theta):
        value, g = net.loss_and_grad_flat(theta, X, y, loss)
        state["last"] = value
        if not np.isfinite(value) or not np.all(np.isfinite(g)):
            # returning inf makes the line search back off; a NaN gradient would poison the update
            return np.inf, np.zeros_like(theta)
        return value, g

    def callback(intermediate_result):
        state["it"] += 1
        f = float(intermediate_result.fun)
        rec.record(step0 + state["it"], f)
        if tol > 0 and f <= tol:
            state["stop"] = "tol"
            raise StopIteration
        if rec.out_of_time():
            state["stop"] = "time_budget"
            raise StopIteration

    x0 = net.theta.copy()
    res = minimize(fun, x0, jac=True, method="L-BFGS-B", callback=callback,
                   options={"maxiter": max_steps, "maxfun": 2 * max_steps + 20, "ftol": ftol,
                            "gtol": gtol, "maxcor": maxcor})
    net.theta[...] = res.x
    final, _ = net.loss_and_grad_flat(res.x, X, y, loss)
    steps = state["it"]
    if not np.isfinite(final) or not np.all(np.isfinite(res.x)):
        return steps, "diverged", "diverged", f"non-finite loss after {steps} L-BFGS iterations", rec
    reason = state.get("stop")
    if reason is None:
        reason = "max_steps" if steps >= max_steps else "converged"
    rec.record(step0 + steps, final, force=True)
    return steps, reason, "ok", str(res.message), rec


def train_lbfgs(net, X, y, loss, rng, **options):
    """L-BFGS. Options: max_steps (1000), tol, time_budget, ftol (1e-15), gtol (1e-12), maxcor (20)."""
    common = pop_common(options)
    ftol = check_positive("ftol", options.pop("ftol", 1e-15), allow_zero=True)
    gtol = check_positive("gtol", options.pop("gtol", 1e-12), allow_zero=True)
    maxcor = check_int("maxcor", options.pop("maxcor", 20), 1)
    if options:
        raise ValueError(f"trainer 'lbfgs' got unknown options {sorted(options)}")
    nets = [net] if net.batch_shape == () else [net.replica(r) for r in range(net.n_replicas)]
    if len(net.batch_shape) > 1:
        raise ValueError("lbfgs supports at most one replica axis")
    rec = Recorder("lbfgs", common["max_steps"], common["time_budget"], common["progress_every"])
    statuses, reasons, messages, total = [], [], [], 0
    for r, single in enumerate(nets):
        Xr = X if X.ndim == 2 else X[r]
        yr = y if y.ndim == 2 else y[r]
        steps, reason, status, msg, _ = lbfgs_single(
            single, Xr, yr, loss, ftol=ftol, gtol=gtol, maxcor=maxcor, rec=rec if len(nets) == 1 else
            Recorder("lbfgs", common["max_steps"], common["time_budget"], common["progress_every"]),
            **common)
        statuses.append(status)
        reasons.append(reason)
        messages.append(msg)
        total = max(total, steps)
    hist = rec.history(status="diverged" if "diverged" in statuses else "ok", replica_status=statuses,
                       stop_reason=reasons[0] if len(set(reasons)) == 1 else ",".join(reasons),
                       steps=total, message="; ".join(sorted(set(messages))), net=net)
    if len(nets) > 1:
        # per-replica histories have different lengths; keep the final loss per replica
        final, _ = net._loss_and_flat_grad(X, y, loss)
        hist.step, hist.elapsed, hist.loss = np.array([total]), np.array([hist.wall_time]), np.array([final])
    return hist
