"""Trainers that measure a network instead of training it: the gradient check and the born-dead probe as jobs.

``gradcheck`` leaves the network as initialised and records how far the hand-written backward
pass is from central finite differences (:func:`nnapprox.engine.gradcheck.check_gradient`), together
with the smallest |z| of a hidden unit over the samples (a ReLU kink within h of a sample spoils
the finite difference) and the number of (sample, unit) pairs sitting exactly on a kink (z = 0,
where backprop uses the lecture's relu'(0) = 1 and central differences see the average ½).
"""

from __future__ import annotations

import time

import numpy as np

from nnapprox.base.options import Float, Option
from nnapprox.engine.diagnostics import born_dead
from nnapprox.engine.gradcheck import check_gradient
from nnapprox.engine.passes import forward
from nnapprox.trainers.common import History, Trainer

__all__ = ["train_gradcheck", "GRADCHECK", "train_init_probe", "INIT_PROBE", "born_dead"]


def train_gradcheck(net, X, y, loss, rng, *, h):
    """Relative error of backprop against central differences at the initial network (no training).

    Returns
    -------
    History
        ``steps = 0``, ``stop_reason = "probe"``; ``extras``: ``gradcheck_rel_error``,
        ``min_abs_z`` (smallest |hidden pre-activation|; NaN without hidden layers) and
        ``on_kink`` (hidden (sample, unit) pairs with z == 0 exactly).
    """
    t0 = time.perf_counter()
    rel = check_gradient(net, X, y, loss=loss.name, h=h)
    zs, _ = forward(net.weights, net.biases, X, net.act, net.out_act)
    hidden = zs[1:-1]
    min_abs_z = float(min(np.abs(z).min() for z in hidden)) if hidden else float("nan")
    on_kink = int(sum(np.count_nonzero(z == 0.0) for z in hidden))
    value, _ = net.flat_loss_and_grad(X, y, loss)
    wall = time.perf_counter() - t0
    return History(
        step=np.array([0]),
        elapsed=np.array([wall]),
        loss=np.array([np.asarray(value, float)]),
        status="ok",
        replica_status=["ok"] * net.n_replicas,
        stop_reason="probe",
        steps=0,
        wall_time=wall,
        message=f"gradient check: relative error {rel:.2e}",
        net=net,
        extras={"gradcheck_rel_error": rel, "min_abs_z": min_abs_z, "on_kink": on_kink},
    )


GRADCHECK = Trainer(
    "gradcheck",
    train_gradcheck,
    (Option("h", 1e-6, Float(gt=0), "finite-difference step"),),
    "no training: the backward pass against central finite differences at the initial network",
)


def train_init_probe(net, X, y, loss, rng, *, constant_tol):
    """Whether the initial network is born dead (no training): :func:`born_dead` on the training inputs.

    Returns
    -------
    History
        ``steps = 0``, ``stop_reason = "probe"``; ``extras`` as :func:`born_dead`.
    """
    t0 = time.perf_counter()
    extras = born_dead(net, X, constant_tol)
    value, _ = net.flat_loss_and_grad(X, y, loss)
    wall = time.perf_counter() - t0
    return History(
        step=np.array([0]),
        elapsed=np.array([wall]),
        loss=np.array([np.asarray(value, float)]),
        status="ok",
        replica_status=["ok"] * net.n_replicas,
        stop_reason="probe",
        steps=0,
        wall_time=wall,
        message="born dead" if extras["born_dead"] else "alive",
        net=net,
        extras=extras,
    )


INIT_PROBE = Trainer(
    "init_probe",
    train_init_probe,
    (Option("constant_tol", 1e-10, Float(ge=0), "relative range of the output below which it is constant"),),
    "no training: is the initial network constant on the training inputs (born dead)?",
)
