"""Trainers, selected by name: ``fit(net, X, y, trainer="lbfgs", **options) -> History``.

Every trainer is a plain function ``train_<name>(net, X, y, loss, rng, **options)``
registered in :data:`TRAINERS`; it validates its own options (ValueError on unknown
or out-of-range ones) and returns a :class:`~nnapprox.trainers.common.History`.
"""
from __future__ import annotations

import numpy as np

from ..losses import get_loss
from .common import Diverged, History
from .gradient import train_adam, train_gd, train_momentum
from .greedy import UnitPath, train_greedy, train_oga
from .lbfgs import train_lbfgs
from .random_features import train_random_features

__all__ = ["fit", "TRAINERS", "History", "Diverged", "UnitPath", "list_trainers"]

TRAINERS = {
    "gd": train_gd,
    "momentum": train_momentum,
    "adam": train_adam,
    "lbfgs": train_lbfgs,
    "greedy": train_greedy,
    "oga": train_oga,
    "random_features": train_random_features,
}


#: Trainers that take one Generator per replica (``fit(..., rng=[...])``).
PER_REPLICA_RNG = ("gd", "momentum", "adam")


def list_trainers() -> list[str]:
    """Names accepted by :func:`fit`."""
    return sorted(TRAINERS)


def fit(net, X, y, trainer: str = "lbfgs", loss: str = "mse", rng=None, raise_on_diverge: bool = False,
        **options) -> History:
    """Train ``net`` on ``(X, y)`` with the named trainer.

    Parameters
    ----------
    net : MLP
        Trained in place by the gradient trainers; constructive trainers (greedy,
        oga, random_features) use it as a template (input size, activation, width
        as the default path length) and return a new network in ``history.net``.
    X : array, shape ``(N, d)`` (or ``batch + (N, d)`` for per-replica data)
    y : array, shape ``(N,)`` or ``(N, out)``
    trainer : str
        One of :func:`list_trainers`.
    loss : ``"mse"`` or ``"logistic"``
    rng : np.random.Generator or sequence of Generators, optional
        Mini-batch order and any other randomness of the trainer (default
        ``np.random.default_rng(0)``). The gradient trainers (gd, momentum, adam)
        also take one Generator per replica of a replica batch: each replica then
        draws its own mini-batch order, as its solo run would.
    raise_on_diverge : bool
        Raise :class:`Diverged` instead of returning a history with status ``diverged``.
    **options
        Trainer options (``lr``, ``max_steps``, ``batch_size``, ``tol``, ``time_budget``, ...).

    Returns
    -------
    History
        ``status`` is ``ok`` or ``diverged`` — training never returns NaN silently.
    """
    if trainer not in TRAINERS:
        raise ValueError(f"trainer={trainer!r} is not known; valid trainers: {', '.join(list_trainers())}")
    X, y = net._check(X, y)
    X = X.astype(net.dtype, copy=False)
    y = y.astype(net.dtype, copy=False)
    rng = np.random.default_rng(0) if rng is None else rng
    if not isinstance(rng, np.random.Generator):
        rngs = list(rng) if isinstance(rng, (list, tuple)) else None
        if trainer not in PER_REPLICA_RNG or rngs is None or \
                not all(isinstance(r, np.random.Generator) for r in rngs):
            raise ValueError(f"rng must be a np.random.Generator (a list of them, one per replica, only for "
                             f"trainers {', '.join(PER_REPLICA_RNG)}); got {type(rng).__name__} for {trainer!r}")
        if len(net.batch_shape) != 1 or len(rngs) != net.n_replicas:
            raise ValueError(f"rng: {len(rngs)} Generators for a network with replica axes {net.batch_shape}; "
                             "need one per replica of a single replica axis")
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        # overflow on the way to divergence is detected and reported as status "diverged"
        hist = TRAINERS[trainer](net, X, y, get_loss(loss), rng, **options)
    if raise_on_diverge and hist.diverged:
        raise Diverged(hist.message)
    return hist
