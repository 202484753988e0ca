"""First-order trainers: gradient descent, momentum and Adam, full batch or mini-batch.

All three share one loop (:func:`_descend`); they differ only in the update rule,
a function ``delta = rule(g, t)`` of the flat gradient ``g`` and the step number
``t`` (from 1), applied as ``θ ← θ − delta``:

* ``gd``        the lecture's rule w ← w − η dw:  delta = η g.
* ``momentum``  heavy ball: v ← μ v + g, delta = η v.
* ``adam``      Kingma & Ba (2015): m ← β1 m + (1−β1) g, v ← β2 v + (1−β2) g²,
  delta = η m̂ / (sqrt(v̂) + ε) with the bias corrections m̂ = m/(1−β1^t), v̂ = v/(1−β2^t).

Mini-batches (``batch_size`` < N) are drawn without replacement from a fresh
permutation per epoch, from the ``rng`` given. Replicas (a network with a replica
axis) share that data order, or, when ``rng`` is a sequence of Generators (one per
replica), each draws its own from its own Generator. A replica whose loss, gradient
or parameters become non-finite is frozen and marked ``diverged``; a replica whose
loss reaches ``tol`` is frozen and stops with reason ``tol``; the others go on. So
replica r of a batch takes exactly the steps of a solo run with ``rng[r]``.
"""
from __future__ import annotations

import numpy as np

from .common import Recorder, check_int, check_positive, nonfinite_message, pop_common, reject_unknown

__all__ = ["train_gd", "train_momentum", "train_adam"]


def _batches(N: int, batch_size: int | None, rng: np.random.Generator):
    """Yield index arrays (or None for the full batch) forever."""
    if batch_size is None or batch_size >= N:
        while True:
            yield None
    while True:
        perm = rng.permutation(N)
        for start in range(0, N - batch_size + 1, batch_size):
            yield perm[start:start + batch_size]


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


def _descend(net, X, y, loss, rng, rule, name: str, *, batch_size=None, max_steps=1000, tol=0.0,
             time_budget=None, progress_every=10.0):
    batch_shape = net.batch_shape
    theta = net.theta
    running = np.ones(batch_shape, dtype=bool)  # neither diverged nor at tol
    replica_status = np.full(batch_shape, "ok", dtype=object)
    replica_stop = np.full(batch_shape, "max_steps", dtype=object)
    replica_steps = np.full(batch_shape, max_steps, dtype=int)
    rec = Recorder(name, max_steps, time_budget, progress_every)
    batches = _replica_batches(X.shape[-2], batch_size, rng)
    full_batch = batch_size is None or batch_size >= X.shape[-2]
    stop, step, message = "max_steps", 0, ""
    for step in range(1, max_steps + 1):
        idx = next(batches)
        Xb, yb = (X, y) if idx is None else (_take_rows(X, idx), _take_rows(y, idx))
        value, g = net._loss_and_flat_grad(Xb, yb, loss)
        finite = np.isfinite(value) & np.isfinite(g).all(axis=-1) & np.isfinite(theta).all(axis=-1)
        newly = running & ~finite
        stopped = newly.any()
        if stopped:
            replica_status[newly] = replica_stop[newly] = "diverged"
            replica_steps[newly] = step
            running &= ~newly
            message = nonfinite_message(step) + (
                f" in replicas {np.flatnonzero(newly.ravel()).tolist()}" if batch_shape else "")
        if tol > 0 and full_batch:
            done = running & (value <= tol)
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
    statuses = list(np.ravel(replica_status)) if batch_shape else [str(replica_status)]
    status = "diverged" if "diverged" in statuses else "ok"
    if stop != "diverged" and status == "diverged":
        message = message or "some replicas diverged"
    hist = rec.history(status=status, replica_status=statuses, stop_reason=stop, steps=step,
                       message=message, net=net)
    hist.replica_stop = [str(v) for v in np.ravel(replica_stop)]
    hist.replica_steps = [int(v) for v in np.ravel(replica_steps)]
    return hist


def _pop_batch(options, N):
    bs = options.pop("batch_size", None)
    if bs is None:
        return None
    return check_int("batch_size", bs, 1)


def train_gd(net, X, y, loss, rng, **options):
    """Plain gradient descent. Options: lr (0.1), batch_size, max_steps, tol, time_budget."""
    lr = check_positive("lr", options.pop("lr", 0.1))
    common = pop_common(options)
    bs = _pop_batch(options, X.shape[-2])
    reject_unknown("gd", options)
    return _descend(net, X, y, loss, rng, lambda g, t: lr * g, "gd", batch_size=bs, **common)


def train_momentum(net, X, y, loss, rng, **options):
    """Heavy-ball momentum. Options: lr (0.05), momentum (0.9), batch_size, max_steps, tol, time_budget."""
    lr = check_positive("lr", options.pop("lr", 0.05))
    mu = check_positive("momentum", options.pop("momentum", 0.9), allow_zero=True)
    if mu >= 1:
        raise ValueError(f"momentum={mu} must be in [0, 1)")
    common = pop_common(options)
    bs = _pop_batch(options, X.shape[-2])
    reject_unknown("momentum", options)
    v = np.zeros_like(net.theta)

    def rule(g, t):
        v[...] = mu * v + g
        return lr * v

    return _descend(net, X, y, loss, rng, rule, "momentum", batch_size=bs, **common)


def train_adam(net, X, y, loss, rng, **options):
    """Adam. Options: lr (1e-3), beta1 (0.9), beta2 (0.999), eps (1e-8), batch_size, max_steps, tol, time_budget."""
    lr = check_positive("lr", options.pop("lr", 1e-3))
    b1 = check_positive("beta1", options.pop("beta1", 0.9), allow_zero=True)
    b2 = check_positive("beta2", options.pop("beta2", 0.999), allow_zero=True)
    eps = check_positive("eps", options.pop("eps", 1e-8))
    for nm, b in (("beta1", b1), ("beta2", b2)):
        if b >= 1:
            raise ValueError(f"{nm}={b} must be in [0, 1)")
    common = pop_common(options)
    bs = _pop_batch(options, X.shape[-2])
    reject_unknown("adam", options)
    m = np.zeros_like(net.theta)
    v = np.zeros_like(net.theta)

    def rule(g, t):
        m[...] = b1 * m + (1 - b1) * g
        v[...] = b2 * v + (1 - b2) * g * g
        mhat = m / (1 - b1 ** t)
        vhat = v / (1 - b2 ** t)
        return lr * mhat / (np.sqrt(vhat) + eps)

    return _descend(net, X, y, loss, rng, rule, "adam", batch_size=bs, **common)
