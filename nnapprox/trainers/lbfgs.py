"""L-BFGS on the flat parameter vector, through ``scipy.optimize.minimize(jac=True)``.

One function, :meth:`MLP.loss_and_grad_flat`, serves both this trainer and the
gradient check. Replicas are optimised one after the other (each L-BFGS run has its
own line searches, so they cannot share a pass), each on a view of its slice of
``theta``.

Stopping: ``max_steps`` iterations, loss ≤ ``tol``, ``time_budget`` seconds, or
scipy's own tests. scipy's default relative-decrease test (``ftol`` ≈ 2e-9) would
stop near a loss of 1e-9 in absolute terms, far above what float64 can reach, so the
defaults here are ``ftol = 1e-15`` and ``gtol = 1e-12``.

Reaching the approximation regime (Michaud, Liu & Tegmark 2023)
---------------------------------------------------------------
Four options turn the plain run into what a width study needs (single networks only; the
defaults keep the plain run). scipy's decrease test is relative to ``max(|f|, 1)``, i.e.
absolute below a loss of 1: on sin(3x) with width 32 the default ``ftol = 1e-15`` stopped
one run at a loss of 2e-8, so pass ``ftol=0`` to run to ``max_steps`` at high precision.

``restarts = k``, ``boost = s``
    Best of k runs, and boosting stages fitted to the residual scaled by 1/mean|r| (Michaud et
    al.'s recipe): :mod:`nnapprox.trainers.stages`, shared with the dense ``bfgs`` trainer.
    Restarts, stages and continuation widths are drawn like the network passed in
    (:func:`nnapprox.engine.init.fresh`: its initialisation recipe and mask).
``init_from = small_net``
    Width continuation: ``small_net``'s units are copied into the first units of every layer
    of ``net``, the new units keep ``net``'s own initial weights, old units ignore new ones,
    and the new units' outgoing weights in the output layer are shrunk by
    ``NEW_UNIT_SCALE = 1e-3``, so training starts from ``small_net``'s function up to a tiny
    perturbation.
``record_widths = [n_1, n_2, ...]``
    A width sweep in one call ending at ``net``'s width (which is always recorded): widths in
    increasing order, each started by continuation from the previous solution (all hidden
    layers get width n); ``history.path`` is a :class:`NetPath` with ``prefix(n)`` the trained
    width-n network.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np
from scipy.optimize import minimize

from nnapprox.base.options import Constraint, Float, Int, IntList, Option
from nnapprox.engine.network import MLP, fresh
from nnapprox.trainers.common import ITERATIVE, History, Recorder, Trainer
from nnapprox.trainers.paths import PathMixin, check_path_widths
from nnapprox.trainers.stages import (
    RECORD_LISTS,
    STAGE_OPTIONS,
    Run,
    best_of,
    check_stage_data,
    check_stages,
    fit_stages,
    needs_stages,
    sum_networks,
)

__all__ = ["train_lbfgs", "lbfgs_single", "NetPath", "grow", "sum_networks", "NEW_UNIT_SCALE", "LBFGS"]

NEW_UNIT_SCALE = 1e-3


def lbfgs_single(
    net,
    X,
    y,
    loss,
    *,
    max_steps=1000,
    tol=0.0,
    time_budget=None,
    progress_every=10.0,
    ftol=1e-15,
    gtol=1e-12,
    maxcor=20,
    rec=None,
    step0=0,
    scale=1.0,
) -> Run:
    """Run L-BFGS on one (non-replicated) network in place.

    ``scale`` multiplies the recorded losses (a boosting stage's c², so that the history shows
    the whole model's loss). Returns a :class:`~nnapprox.trainers.stages.Run`.
    """
    rec = rec or Recorder("lbfgs", step0 + max_steps, time_budget, progress_every)  # steps count from step0
    state: dict[str, Any] = {"it": 0, "last": None}

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
        rec.record(step0 + state["it"], scale * f)
        if tol > 0 and f <= tol:
            state["stop"] = "tol"
            raise StopIteration
        if rec.out_of_time():
            state["stop"] = "time_budget"
            raise StopIteration

    x0 = net.theta.copy()
    res = minimize(
        fun,
        x0,
        jac=True,
        method="L-BFGS-B",
        callback=callback,
        options={"maxiter": max_steps, "maxfun": 2 * max_steps + 20, "ftol": ftol, "gtol": gtol, "maxcor": maxcor},
    )
    net.theta[...] = res.x
    final, _ = net.loss_and_grad_flat(res.x, X, y, loss)
    steps = state["it"]
    if not np.isfinite(final) or not np.all(np.isfinite(res.x)):
        return Run(steps, "diverged", "diverged", f"non-finite loss after {steps} L-BFGS iterations", float("nan"), rec)
    reason = state.get("stop")
    if reason is None:
        reason = "max_steps" if steps >= max_steps else "converged"
    rec.record(step0 + steps, scale * final, force=True)
    return Run(steps, reason, "ok", str(res.message), float(final), rec)


def train_lbfgs(
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
    ftol,
    gtol,
    maxcor,
    restarts,
    boost,
    init,
    warm_rows,
    polish_steps,
    init_from,
    record_widths,
):
    """L-BFGS on the flat parameter vector (float64 by default); options: :data:`LBFGS`.

    ``time_budget`` covers all restarts, stages and widths. ``boost`` needs ``loss="mse"`` and an
    identity output; ``init_from`` a network of the same depth, input and output sizes and no
    larger widths; ``init`` overrides the weight scheme of restarts, boosting stages and
    continuation widths (default: the network's own recipe, ``net.init_spec``); ``record_widths``
    a width-continuation sweep ending at ``net``'s width (see the module docstring).

    Returns
    -------
    History
        With restarts: ``extras["restart_losses"]`` (final training loss of each run) and
        ``["restart_best"]``; with boosting, the stages' numbers and ``path`` (a
        :class:`~nnapprox.trainers.stages.BoostPath`, see :mod:`nnapprox.trainers.stages`); with
        ``record_widths``, ``path`` a :class:`NetPath`.
    """
    staged = {"boost": boost, "warm_rows": warm_rows, "polish_steps": polish_steps}
    check_stages(net.sizes, net.activation_name, net.output_activation_name, loss.name, staged, api=True)
    check_stage_data(staged, X.shape[-2], api=True)
    common = dict(max_steps=max_steps, tol=tol, time_budget=time_budget, progress_every=progress_every)
    solver = dict(ftol=ftol, gtol=gtol, maxcor=maxcor)
    widths = None
    if record_widths is not None:
        widths = _continuation_widths(record_widths, net)
    if widths is not None or init_from is not None:
        if net.batch_shape != ():
            raise ValueError(
                "init_from and record_widths need a single network (no replica axes); net has replica "
                f"axes {net.batch_shape}"
            )
        if X.ndim != 2:
            raise ValueError(f"X must have shape (N, d) with init_from/record_widths; got {X.shape}")
        if widths is not None and (boost or init_from is not None or warm_rows is not None):
            raise ValueError("record_widths cannot be combined with boost, init_from or warm_rows")
        if init_from is not None:
            grow(init_from, net)
    single = _single(common, solver)
    if widths is not None:
        return _train_widths(net, X, y, loss, rng, single, restarts, init, widths, time_budget)
    if needs_stages({"restarts": restarts, "boost": boost, "warm_rows": warm_rows}) or init_from is not None:
        return fit_stages(
            single,
            "lbfgs",
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
    nets = [net] if net.batch_shape == () else [net.replica(r) for r in range(net.n_replicas)]
    if len(net.batch_shape) > 1:
        raise ValueError("lbfgs supports at most one replica axis")
    rec = Recorder("lbfgs", common["max_steps"], common["time_budget"], common["progress_every"])
    statuses, reasons, messages, total = [], [], [], 0
    for r, one in enumerate(nets):
        Xr = X if X.ndim == 2 else X[r]
        yr = y if y.ndim == 2 else y[r]
        run = lbfgs_single(
            one,
            Xr,
            yr,
            loss,
            **solver,
            rec=rec
            if len(nets) == 1
            else Recorder("lbfgs", common["max_steps"], common["time_budget"], common["progress_every"]),
            **common,
        )
        statuses.append(run.status)
        reasons.append(run.reason)
        messages.append(run.message)
        total = max(total, run.steps)
    hist = rec.history(
        status="diverged" if "diverged" in statuses else "ok",
        replica_status=statuses,
        stop_reason=reasons[0] if len(set(reasons)) == 1 else ",".join(reasons),
        steps=total,
        message="; ".join(sorted(set(messages))),
        net=net,
    )
    if len(nets) > 1:
        # per-replica histories have different lengths; keep the final loss per replica
        final, _ = net.flat_loss_and_grad(X, y, loss)
        hist.step, hist.elapsed, hist.loss = np.array([total]), np.array([hist.wall_time]), np.array([final])
    return hist


def _single(common, solver):
    """The single run handed to :func:`~nnapprox.trainers.stages.fit_stages`."""

    def single(net, X, y, loss, *, time_budget, scale=1.0, step0=0, max_steps=None):
        opts = dict(common, time_budget=time_budget, max_steps=max_steps or common["max_steps"])
        return lbfgs_single(net, X, y, loss, **solver, **opts, scale=scale, step0=step0)

    return single


# ---------------------------------------------------------------------------
# restarts, boosting, width continuation
# ---------------------------------------------------------------------------


def grow(small, net):
    """Write ``small``'s units into the first units of ``net`` (in place): width continuation.

    Hidden layer l of ``net`` keeps its own weights for the new units (rows beyond
    ``small``'s width); old units get ``small``'s weights and zero weights from new units of
    the layer below; the output layer gets ``small``'s output weights and bias, and
    ``NEW_UNIT_SCALE`` times its own weights from the new units. The function of ``net`` is
    then ``small``'s function plus a perturbation of relative size ~1e-3.

    Parameters
    ----------
    small, net : MLP
        Single networks of equal depth, input and output sizes; ``small``'s widths at most
        ``net``'s.

    Returns
    -------
    MLP
        ``net``.
    """
    if not isinstance(small, MLP):
        raise ValueError(f"init_from={small!r} must be an MLP")
    if small.batch_shape != () or net.batch_shape != ():
        raise ValueError("init_from and net must be single networks (no replica axes)")
    ok = (
        len(small.sizes) == len(net.sizes)
        and small.sizes[0] == net.sizes[0]
        and small.sizes[-1] == net.sizes[-1]
        and all(m <= n for m, n in zip(small.sizes[1:-1], net.sizes[1:-1], strict=True))
    )
    if not ok:
        raise ValueError(
            f"init_from has sizes {small.sizes}; it must have net's depth, input and output "
            f"sizes and widths no larger than net's sizes {net.sizes}"
        )
    if small.activation_name != net.activation_name:
        raise ValueError(f"init_from has activation {small.activation_name!r}; net has {net.activation_name!r}")
    L = len(net.weights)
    for l in range(L):
        Ws, bs = small.weights[l], small.biases[l]
        m_out, m_in = Ws.shape
        W, b = net.weights[l], net.biases[l]
        if l < L - 1:
            W[:m_out, :m_in] = Ws
            W[:m_out, m_in:] = 0.0
            b[:m_out] = bs
        else:
            W[:, :m_in] = Ws
            W[:, m_in:] *= NEW_UNIT_SCALE
            b[:] = bs
    return net


class NetPath(PathMixin):
    """Trained networks of several widths (a width-continuation sweep).

    Attributes
    ----------
    widths : list of int
    times : list of float
        Cumulative wall-clock seconds when each width was trained.
    train_mse : list of float
        Plain training MSE per width (NaN for non-MSE losses).
    """

    def __init__(self, nets, widths, times, train_mse):
        self._nets = {int(n): m for n, m in zip(widths, nets, strict=True)}
        self.widths = [int(n) for n in widths]
        self.times = [float(t) for t in times]
        self.train_mse = [float(v) for v in train_mse]

    def _index(self, n):
        if n not in self._nets:
            raise ValueError(f"n={n!r} is not a recorded width of this path; recorded widths: {self.widths}")
        return self.widths.index(n)

    def prefix(self, n):
        """A copy of the trained width-n network."""
        self._index(n)
        return self._nets[n].copy()

    def predict(self, X, widths=None):
        """Outputs of the networks of ``widths`` (default all), shape ``(len(widths), N)``."""
        widths = self.widths if widths is None else [int(n) for n in np.atleast_1d(widths)]
        for n in widths:
            self._index(n)
        return np.stack([self._nets[n].predict(X).reshape(-1) for n in widths])

    def __repr__(self):
        return f"NetPath(widths={self.widths})"


def _continuation_widths(rw, net):
    hidden = net.sizes[1:-1]
    if not hidden or len(set(hidden)) != 1:
        raise ValueError(f"record_widths needs a network with equal hidden widths; net has sizes {net.sizes}")
    return check_path_widths(rw, hidden[0])


def _train_widths(net, X, y, loss, rng, single, restarts, init, widths, time_budget):
    t0 = time.perf_counter()
    deadline = None if time_budget is None else t0 + time_budget
    nets, times, mses, losses, steps_all, finals, best_idx = [], [], [], [], [], [], []
    prev = None
    for n in widths:
        sizes = [net.sizes[0]] + [n] * (len(net.sizes) - 2) + [net.sizes[-1]]
        cur = net if n == widths[-1] else fresh(net, rng, X, weights=init, sizes=sizes)
        if prev is not None:
            grow(prev, cur)
        best, rl, bi = best_of(single, cur, X, y, loss, rng, restarts=restarts, weights=init, deadline=deadline)
        if best is None:
            break
        losses.append(rl)
        best_idx.append(bi)
        finals.append(best.loss)
        steps_all.append(best.steps)
        nets.append(cur.copy())
        times.append(time.perf_counter() - t0)
        pred = cur.predict(X).reshape(y.shape)
        mses.append(float(np.mean((pred - y) ** 2)) if loss.name == "mse" else float("nan"))
        prev = cur
    done = [w for w, _ in zip(widths, nets, strict=True)]
    path = NetPath(nets, done, times, mses)
    ok = len(done) == len(widths)
    return History(
        step=np.array(done, dtype=int),
        elapsed=np.array(times),
        loss=np.array(finals),
        status="ok" if ok else "diverged",
        replica_status=["ok" if ok else "diverged"],
        stop_reason="path_end" if ok else "diverged",
        steps=int(sum(steps_all)),
        wall_time=time.perf_counter() - t0,
        message=f"width continuation {done}" + ("" if ok else " (stopped: every restart diverged)"),
        net=net,
        path=path,
        extras={"restart_losses": losses, "restart_best": best_idx, "steps_per_width": steps_all},
    )


class _AnyObject(Constraint):
    """Any Python object (checked where it is used)."""

    def ok(self, value) -> bool:
        return True

    def describe(self) -> str:
        return "an MLP"


LBFGS = Trainer(
    "lbfgs",
    train_lbfgs,
    (
        *ITERATIVE,
        Option("ftol", 1e-15, Float(ge=0), "scipy's relative-decrease stop (absolute below a loss of 1; 0: off)"),
        Option("gtol", 1e-12, Float(ge=0), "scipy's projected-gradient stop"),
        Option("maxcor", 20, Int(1), "stored correction pairs"),
        *STAGE_OPTIONS,
        Option("init_from", None, _AnyObject(), "a smaller network to continue from", config=False),
        Option(
            "record_widths",
            None,
            IntList(1),
            "width-continuation path: widths recorded on the way to the network's width",
        ),
    ),
    "L-BFGS (scipy, float64) on the flat parameter vector; restarts, boosting, width continuation",
    check_model=check_stages,
    check_data=check_stage_data,
    record_lists=RECORD_LISTS,
)
