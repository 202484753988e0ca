"""Trainers, selected by name: ``fit(net, X, y, trainer="lbfgs", **options) -> History``.

Every trainer is a plain function registered with one declaration
(:class:`~nnapprox.trainers.common.Trainer`: its options, losses and what it does with the
network) in :data:`TRAINERS`. :func:`fit` checks the options against that declaration (unknown
or out-of-range ones raise ValueError naming them), fills in the defaults, runs the model checks the
config runs (:mod:`nnapprox.trainers.checks`: the same lines) and calls the trainer; the Hydra schema and
the README's option table come from the same declarations.
"""

from __future__ import annotations

import numpy as np

from nnapprox.base.options import resolve
from nnapprox.engine.fastpath import serial_blas
from nnapprox.engine.losses import get_loss
from nnapprox.trainers.bfgs import BFGS
from nnapprox.trainers.checks import ModelFacts, check_data_size, check_loss, check_model
from nnapprox.trainers.common import Diverged, History, Trainer
from nnapprox.trainers.construct import CONSTRUCT
from nnapprox.trainers.gradient import ADAM, GD, MOMENTUM
from nnapprox.trainers.greedy import GREEDY, OGA
from nnapprox.trainers.lbfgs import LBFGS
from nnapprox.trainers.paths import UnitPath
from nnapprox.trainers.probe import GRADCHECK, INIT_PROBE
from nnapprox.trainers.random_features import RANDOM_FEATURES
from nnapprox.trainers.reference import GLM_BFGS

__all__ = ["fit", "TRAINERS", "History", "Diverged", "UnitPath", "list_trainers", "get_trainer", "Trainer"]

#: Every trainer's declaration, by name.
TRAINERS: dict[str, Trainer] = {
    t.name: t
    for t in (GD, MOMENTUM, ADAM, LBFGS, BFGS, GREEDY, OGA, RANDOM_FEATURES, GRADCHECK, INIT_PROBE, CONSTRUCT, GLM_BFGS)
}


def list_trainers() -> list[str]:
    """Names accepted by :func:`fit`."""
    return sorted(TRAINERS)


def get_trainer(name: str) -> Trainer:
    """The declaration of trainer ``name``; ValueError lists the valid names."""
    if not isinstance(name, str) or name not in TRAINERS:
        raise ValueError(f"trainer={name!r} is not known; valid trainers: {', '.join(list_trainers())}")
    return TRAINERS[name]


def _check_rng(spec: Trainer, net, rng):
    if rng is None:
        return np.random.default_rng(0)
    if isinstance(rng, np.random.Generator):
        return rng
    rngs = list(rng) if isinstance(rng, (list, tuple)) else None
    if not spec.replica_rng or rngs is None or not all(isinstance(r, np.random.Generator) for r in rngs):
        per = ", ".join(n for n, t in TRAINERS.items() if t.replica_rng)
        raise ValueError(
            f"rng must be a np.random.Generator (a list of them, one per replica, only for "
            f"trainers {per}); got {type(rng).__name__} for {spec.name!r}"
        )
    if len(net.batch_shape) != 1 or len(rngs) != net.n_replicas:
        raise ValueError(
            f"rng: {len(rngs)} Generators for a network with replica axes {net.batch_shape}; "
            "need one per replica of a single replica axis"
        )
    return rngs


def _mark_nonfinite(hist: History) -> None:
    """A run whose final training loss is not finite is ``diverged``, whichever trainer returned it.

    The gradient trainers and L-BFGS detect this themselves; this catches the others (a greedy path
    or a least-squares fit on data whose squares overflow) so that no trainer returns NaN or inf as ``ok``.
    """
    if not len(hist.loss):
        return
    bad = ~np.isfinite(np.asarray(hist.loss[-1], dtype=float)).reshape(-1)
    if not bad.any():
        return
    statuses = list(hist.replica_status)
    if len(statuses) == bad.size:
        statuses = ["diverged" if b else s for s, b in zip(statuses, bad, strict=True)]
    else:
        statuses = ["diverged"] * len(statuses)
    if hist.status != "diverged":
        hist.message = (
            f"non-finite training loss at the end ({hist.message})"
            if hist.message
            else "non-finite training loss at the end"
        )
        hist.stop_reason = "diverged"
    hist.status, hist.replica_status = "diverged", statuses


def fit(
    net,
    X,
    y,
    trainer: str = "lbfgs",
    loss: str = "mse",
    rng=None,
    raise_on_diverge: bool = False,
    target=None,
    **options,
) -> History:
    """Train ``net`` on ``(X, y)`` with the named trainer.

    Parameters
    ----------
    net : MLP
        Trained in place by the gradient trainers; constructive trainers (greedy, oga,
        random_features, construct) use it as a template (input size, activation, width as the
        default path length) and return a new network in ``history.net``.
    X : array, shape ``(N, d)`` (or ``batch + (N, d)`` for per-replica data)
    y : array, shape ``(N,)`` or ``(N, out)``
    trainer : str
        One of :func:`list_trainers`.
    loss : ``"mse"`` or ``"logistic"``
    rng : np.random.Generator or sequence of Generators, optional
        Mini-batch order and any other randomness of the trainer (default
        ``np.random.default_rng(0)``). The gradient trainers (gd, momentum, adam) also take one
        Generator per replica of a replica batch: each replica then draws its own mini-batch
        order, as its solo run would.
    raise_on_diverge : bool
        Raise :class:`Diverged` instead of returning a history with status ``diverged``.
    target : Target, optional
        The target function, for trainers that build from it (``construct``).
    **options
        Trainer options (``lr``, ``max_steps``, ``batch_size``, ``tol``, ``time_budget``, ...):
        see ``TRAINERS[name].options``.

    Returns
    -------
    History
        ``status`` is ``ok`` or ``diverged``: training never returns NaN silently.

    Raises
    ------
    ValueError
        One line, for an unknown trainer or option, data that do not fit the network, or a model the
        trainer cannot honour (:func:`nnapprox.trainers.checks.check_model`: the config's checks, same line).

    Notes
    -----
    BLAS is held at one thread for the whole run (as in the jobs), and the engine's own threads
    (:mod:`nnapprox.engine.fastpath`) cut the samples the same way for any thread count, so a fit gives
    the same bits for any BLAS or engine thread count.
    """
    from nnapprox.engine.network import MLP

    spec = get_trainer(trainer)
    if not isinstance(net, MLP):
        raise ValueError(f"net={net!r} must be an nnapprox MLP (nnapprox.MLP(sizes, ...))")
    loss_fn = get_loss(loss)
    check_loss(spec, loss_fn.name)
    opts = resolve(spec.options, options, f"trainer {spec.name!r}")
    if spec.needs_target:
        if target is None:
            raise ValueError(f"trainer {spec.name!r} builds its network from the target: pass target=...")
        opts["target"] = target
    elif target is not None:
        raise ValueError(f"target= is only taken by trainers that build from it; {spec.name!r} does not")
    X, y = net.check_data(X, y)
    X = net.cast(X, "X")
    y = net.cast(y, "y")
    # what the config refuses about the model for this trainer, fit refuses in the same line
    check_model(spec, ModelFacts.of(net), loss_fn.name, opts, target)
    check_data_size(spec, opts, X.shape[-2])
    if loss_fn.name == "logistic" and (np.any(y < 0) or np.any(y > 1)):
        raise ValueError(
            f"y must lie in [0, 1] for loss='logistic' (labels or probabilities); got values in "
            f"[{float(np.min(y)):g}, {float(np.max(y)):g}]"
        )
    rng = _check_rng(spec, net, rng)
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"), serial_blas():
        # overflow on the way to divergence is detected and reported as status "diverged";
        # one BLAS thread: the same bits for any thread count (scipy's optimizers sum through BLAS)
        hist = spec.fn(net, X, y, loss_fn, rng, **opts)
    _mark_nonfinite(hist)
    if raise_on_diverge and hist.diverged:
        raise Diverged(hist.message)
    return hist
