"""Losses: value and gradient with respect to the network output.

Conventions (used everywhere in nnapprox)
-----------------------------------------
``mse``
    L = (1/N) Σ_i ½ ‖ŷ_i − y_i‖², the lecture's ½ so that ∂L/∂ŷ_i = (ŷ_i − y_i)/N.
    The *reported* test and train errors (:mod:`nnapprox.experiment.metrics`) are plain mean
    squared errors (1/N) Σ ‖ŷ_i − y_i‖², i.e. twice this training loss.
``logistic``
    Binary cross-entropy of labels y ∈ {0, 1} on logits z (the output layer's
    pre-activation): L = (1/N) Σ_i [softplus(z_i) − y_i z_i], with
    softplus(z) = log(1 + e^z) = max(z, 0) + log1p(e^{−|z|}), which never
    overflows. Its gradient w.r.t. the logit is (σ(z_i) − y_i)/N, so with a
    sigmoid output unit the backward pass starts from dz = ŷ − y exactly (÷ N).

Every function accepts leading replica axes: ``out`` has shape ``(..., N, k)`` and
the loss has shape ``(...)``; the sample mean runs over axis −2.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from nnapprox.engine.activations import array_module, sigmoid

__all__ = ["Loss", "LOSSES", "get_loss"]


@dataclass(frozen=True)
class Loss:
    """A loss: ``value(out, y) -> (...)`` and ``grad(out, y) -> (..., N, k)``.

    ``on_logits`` is True when ``out`` must be the output layer's pre-activation z
    (the network then skips the output nonlinearity's derivative).
    """

    name: str
    value: Callable
    grad: Callable
    on_logits: bool


def _mse_value(out, y):
    xp = array_module(out)
    r = out - y
    return 0.5 * xp.sum(r * r, axis=(-2, -1)) / out.shape[-2]


def _mse_grad(out, y):
    return (out - y) / out.shape[-2]


def _softplus(z):
    xp = array_module(z)
    return xp.maximum(z, 0.0) + xp.log1p(xp.exp(-xp.abs(z)))


def _logistic_value(z, y):
    xp = array_module(z)
    return xp.sum(_softplus(z) - y * z, axis=(-2, -1)) / z.shape[-2]


def _logistic_grad(z, y):
    return (sigmoid(z) - y) / z.shape[-2]


LOSSES: dict[str, Loss] = {
    "mse": Loss("mse", _mse_value, _mse_grad, on_logits=False),
    "logistic": Loss("logistic", _logistic_value, _logistic_grad, on_logits=True),
}


def get_loss(name: str | Loss) -> Loss:
    """Look up a loss by name (``mse`` or ``logistic``); ValueError lists the valid ones."""
    if isinstance(name, Loss):
        return name
    if name not in LOSSES:
        raise ValueError(f"loss={name!r} is not known; valid losses: {', '.join(sorted(LOSSES))}")
    return LOSSES[name]
