"""First-order trainers: gradient descent, momentum and Adam, full batch or mini-batch.

All three share one loop (:func:`_descend`); they differ only in the update rule,
a function ``delta = rule(g, t)`` of the flat gradient ``g`` and the step number
``t`` (from 1), applied as ``θ ← θ − delta``:

* ``gd``        the lecture's rule w ← w − η dw:  delta = η g.
* ``momentum``  heavy ball: v ← μ v + g, delta = η v.
* ``adam``      Kingma & Ba (2015): m ← β1 m + (1−β1) g, v ← β2 v + (1−β2) g²,
  delta = η m̂ / (sqrt(v̂) + ε) with the bias corrections m̂ = m/(1−β1^t), v̂ = v/(1−β2^t).

Mini-batches (``batch_size`` < N) are drawn without replacement from a fresh
permutation per epoch, from the ``rng`` given; ``tol`` is then tested on the full training
loss at the end of each epoch (a mini-batch loss is too noisy to stop on). Replicas (a network with a replica
axis) share that data order, or, when ``rng`` is a sequence of Generators (one per
replica), each draws its own from its own Generator. A replica whose loss, gradient
or parameters become non-finite is frozen and marked ``diverged``; a replica whose
loss reaches ``tol`` is frozen and stops with reason ``tol``; the others go on. So
replica r of a batch takes exactly the steps of a solo run with ``rng[r]``. A replica whose
training loss ends more than ``BLOWUP_FACTOR`` times above its first value is ``diverged``
too (:mod:`nnapprox.trainers.common`).
"""

from __future__ import annotations

import math

import numpy as np

from nnapprox.base.options import Float, Int, Option
from nnapprox.trainers.common import (
    ITERATIVE,
    Recorder,
    Trainer,
    blew_up,
    blowup_message,
    nonfinite_message,
    should_record,
)

__all__ = ["train_gd", "train_momentum", "train_adam", "GD", "MOMENTUM", "ADAM"]


def _batches(N: int, batch_size: int | None, rng: np.random.Generator | None):
    """Yield index arrays (or None for the full batch) forever."""
    if batch_size is None or batch_size >= N:
        while True:
            yield None
    assert rng is not None, "mini-batches need a generator"
    while True:
        perm = rng.permutation(N)
        for start in range(0, N - batch_size + 1, batch_size):
            yield perm[start : start + batch_size]


def _replica_batches(N: int, batch_size: int | None, rng):
    """Index arrays per step: ``(B,)`` shared by all replicas, ``(R, B)`` with
    one Generator per replica (a sequence ``rng``), or None for the full batch."""
    if isinstance(rng, np.random.Generator) or batch_size is None or batch_size >= N:
        yield from _batches(N, batch_size, rng if isinstance(rng, np.random.Generator) else None)
        return
    streams = [_batches(N, batch_size, r) for r in rng]  # (fit checked: one per replica)
    while True:
        yield np.stack([next(s) for s in streams])


def _take_rows(A, idx):
    """Rows ``idx`` of ``A`` (``(..., N, k)``): shared ``(B,)`` or per replica ``(R, B)``."""
    if idx.ndim == 1:
        return A[..., idx, :]
    if A.ndim == 2:  # shared data, per-replica order
        return A[idx]
    return np.take_along_axis(A, idx[..., None], axis=-2)


def _descend_single(net, X, y, loss, rule, name, *, max_steps, tol, time_budget, progress_every):
    """:func:`_descend` for one network on the full batch: the same steps, history and stops, with the
    per-step bookkeeping cut to a finiteness test of the loss (a non-finite gradient makes the parameters
    non-finite, which shows in the next step's loss; the last update is checked after the loop) and the
    history kept at :func:`should_record` steps."""
    theta = net.theta
    grad = net.flat_loss_and_grad
    isfinite = math.isfinite
    rec = Recorder(name, max_steps, time_budget, progress_every)
    stop, status, message, first, v, step = "max_steps", "ok", "", None, math.nan, 0
    for step in range(1, max_steps + 1):
        value, g = grad(X, y, loss)
        v = float(value)
        if first is None:
            first = v
        if not isfinite(v):
            stop, status, message = "diverged", "diverged", nonfinite_message(step)
            rec.record(step, v, force=True)
            break
        if tol > 0 and v <= tol:
            stop = "tol"
            rec.record(step, v, force=True)
            break
        if step <= 100 or should_record(step):
            rec.record(step, v)
        elif progress_every:
            rec.progress(step, v)
        theta -= rule(g, step)
        if time_budget is not None and rec.out_of_time():
            stop = "time_budget"
            break
    if rec.steps and rec.steps[-1] != step:
        rec.record(step, v, force=True)
    if status == "ok" and not isfinite(float(theta.sum())):  # the last update, which no loss has seen
        stop, status, message = "diverged", "diverged", nonfinite_message(step)
    last = float(rec.losses[-1]) if rec.losses else math.nan
    if status == "ok" and first is not None and bool(blew_up(first, last)):
        stop, status, message = "diverged", "diverged", blowup_message(first, last)
    hist = rec.history(status=status, replica_status=[status], stop_reason=stop, steps=step, message=message, net=net)
    hist.replica_stop, hist.replica_steps, hist.replica_message = [stop], [step], [message]
    return hist


def _descend(
    net,
    X,
    y,
    loss,
    rng,
    rule,
    name: str,
    *,
    batch_size=None,
    max_steps=1000,
    tol=0.0,
    time_budget=None,
    progress_every=10.0,
):
    if net.batch_shape == () and (batch_size is None or batch_size >= X.shape[-2]):
        return _descend_single(
            net,
            X,
            y,
            loss,
            rule,
            name,
            max_steps=max_steps,
            tol=tol,
            time_budget=time_budget,
            progress_every=progress_every,
        )
    batch_shape = net.batch_shape
    theta = net.theta
    running = np.ones(batch_shape, dtype=bool)  # neither diverged nor at tol
    replica_status = np.full(batch_shape, "ok", dtype=object)
    replica_stop = np.full(batch_shape, "max_steps", dtype=object)
    replica_steps = np.full(batch_shape, max_steps, dtype=int)
    replica_message = np.full(batch_shape, "", dtype=object)
    rec = Recorder(name, max_steps, time_budget, progress_every)
    N = X.shape[-2]
    batches = _replica_batches(N, batch_size, rng)
    full_batch = batch_size is None or batch_size >= N
    per_epoch = 1 if full_batch else N // batch_size  # mini-batch steps per epoch
    stop, step, message = "max_steps", 0, ""
    first = None
    for step in range(1, max_steps + 1):
        idx = next(batches)
        Xb, yb = (X, y) if idx is None else (_take_rows(X, idx), _take_rows(y, idx))
        value, g = net.flat_loss_and_grad(Xb, yb, loss)
        if first is None:
            first = np.array(value, dtype=float, copy=True)
        finite = np.isfinite(value) & np.isfinite(g).all(axis=-1) & np.isfinite(theta).all(axis=-1)
        newly = running & ~finite
        stopped = newly.any()
        if stopped:
            replica_status[newly] = replica_stop[newly] = "diverged"
            replica_steps[newly] = step
            replica_message[newly] = nonfinite_message(step)
            running &= ~newly
            message = nonfinite_message(step) + (
                f" in replicas {np.flatnonzero(newly.ravel()).tolist()}" if batch_shape else ""
            )
        if tol > 0 and (full_batch or step % per_epoch == 0):
            # full batch: this step's loss; mini-batches: the full training loss after an epoch
            check = value if full_batch else net.flat_loss_and_grad(X, y, loss)[0]
            done = running & (check <= tol)
            replica_stop[done] = "tol"
            replica_steps[done] = step
            running &= ~done
            stopped = stopped or done.any()
        rec.record(step, value, force=stopped)  # a replica's last step is always in the history
        if not running.any():
            stop = "tol" if np.any(replica_status != "diverged") else "diverged"
            break
        delta = rule(np.where(running[..., None], g, 0.0), step)
        theta -= np.where(running[..., None], delta, 0.0)
        if rec.out_of_time():
            stop = "time_budget"
            replica_stop[running] = "time_budget"
            replica_steps[running] = step
            break
    if rec.steps and rec.steps[-1] != step:
        rec.record(step, value, force=True)
    # a finite loss that ended far above its start: the step size blew the run up
    last = np.asarray(rec.losses[-1], dtype=float) if rec.losses else np.full(batch_shape, np.nan)
    blown = (replica_status == "ok") & blew_up(first if first is not None else last, last)
    if np.any(blown):
        for i in zip(*np.nonzero(blown), strict=True) if batch_shape else [()]:
            replica_message[i] = blowup_message(float(np.asarray(first)[i]), float(last[i]))
        replica_status[blown] = replica_stop[blown] = "diverged"
        message = (
            str(replica_message.ravel()[np.flatnonzero(blown.ravel())[0]]) if batch_shape else str(replica_message[()])
        )
        if batch_shape:
            message += f" in replicas {np.flatnonzero(blown.ravel()).tolist()}"
        if not np.any(replica_status == "ok"):
            stop = "diverged"
    statuses = list(np.ravel(replica_status)) if batch_shape else [str(replica_status)]
    status = "diverged" if "diverged" in statuses else "ok"
    if stop != "diverged" and status == "diverged":
        message = message or "some replicas diverged"
    hist = rec.history(status=status, replica_status=statuses, stop_reason=stop, steps=step, message=message, net=net)
    hist.replica_stop = [str(v) for v in np.ravel(replica_stop)]
    hist.replica_steps = [int(v) for v in np.ravel(replica_steps)]
    hist.replica_message = [str(v) for v in np.ravel(replica_message)]
    return hist


def train_gd(net, X, y, loss, rng, *, lr, batch_size, **common):
    """Plain gradient descent θ ← θ − η ∇L (options: :data:`GD`)."""
    return _descend(net, X, y, loss, rng, lambda g, t: lr * g, "gd", batch_size=batch_size, **common)


def train_momentum(net, X, y, loss, rng, *, lr, momentum, batch_size, **common):
    """Heavy-ball momentum v ← μ v + ∇L, θ ← θ − η v (options: :data:`MOMENTUM`)."""
    v = np.zeros_like(net.theta)

    def rule(g, t):
        v[...] = momentum * v + g
        return lr * v

    return _descend(net, X, y, loss, rng, rule, "momentum", batch_size=batch_size, **common)


def train_adam(net, X, y, loss, rng, *, lr, beta1, beta2, eps, batch_size, **common):
    """Adam (Kingma & Ba 2015) with bias corrections (options: :data:`ADAM`)."""
    m = np.zeros_like(net.theta)
    v = np.zeros_like(net.theta)

    def rule(g, t):
        m[...] = beta1 * m + (1 - beta1) * g
        v[...] = beta2 * v + (1 - beta2) * g * g
        mhat = m / (1 - beta1**t)
        vhat = v / (1 - beta2**t)
        return lr * mhat / (np.sqrt(vhat) + eps)

    return _descend(net, X, y, loss, rng, rule, "adam", batch_size=batch_size, **common)


_BATCH = Option(
    "batch_size", None, Int(1), "samples per mini-batch, drawn without replacement per epoch (none: full batch)"
)
_BETA = Float(ge=0, lt=1)

GD = Trainer(
    "gd",
    train_gd,
    (Option("lr", 0.1, Float(gt=0), "step size η"), _BATCH, *ITERATIVE),
    "gradient descent w <- w - lr dw (full batch or mini-batches)",
    replica_rng=True,
    one_pass=True,
)
MOMENTUM = Trainer(
    "momentum",
    train_momentum,
    (
        Option("lr", 0.05, Float(gt=0), "step size η"),
        Option("momentum", 0.9, _BETA, "heavy-ball coefficient μ"),
        _BATCH,
        *ITERATIVE,
    ),
    "heavy-ball momentum",
    replica_rng=True,
    one_pass=True,
)
ADAM = Trainer(
    "adam",
    train_adam,
    (
        Option("lr", 1e-3, Float(gt=0), "step size η"),
        Option("beta1", 0.9, _BETA, "decay of the first-moment average"),
        Option("beta2", 0.999, _BETA, "decay of the second-moment average"),
        Option("eps", 1e-8, Float(gt=0), "added to sqrt(v̂) in the denominator"),
        _BATCH,
        *ITERATIVE,
    ),
    "Adam (Kingma & Ba 2015), full batch or mini-batches",
    replica_rng=True,
    one_pass=True,
)
