"""The flat parameter vector: one buffer ``theta`` (``batch + (P,)``, order W1, b1, W2, b2, ...), lecture-shaped
views."""
from __future__ import annotations

from typing import Sequence

from nnapprox.engine.activations import array_module

__all__ = ["param_count", "unpack", "pack"]


def param_count(sizes: Sequence[int]) -> int:
    """Number of parameters of an MLP with layer sizes ``[d, n1, ..., out]``."""
    return int(sum(sizes[l] * sizes[l - 1] + sizes[l] for l in range(1, len(sizes))))


def unpack(theta, sizes: Sequence[int]):
    """Views ``(weights, biases)`` into a flat parameter array.

    Parameters
    ----------
    theta : array, shape ``batch + (P,)``
    sizes : sequence of int, ``[d, n1, ..., out]``

    Returns
    -------
    weights : list of arrays, ``weights[l]`` of shape ``batch + (n_l, n_{l-1})``
    biases : list of arrays, ``biases[l]`` of shape ``batch + (n_l,)``
        Views: writing to them writes to ``theta``.
    """
    batch = theta.shape[:-1]
    if theta.shape[-1] != param_count(sizes):
        raise ValueError(
            f"theta has {theta.shape[-1]} parameters in its last axis; sizes={list(sizes)} need {param_count(sizes)}"
        )
    weights, biases, off = [], [], 0
    for l in range(1, len(sizes)):
        n, m = sizes[l], sizes[l - 1]
        weights.append(theta[..., off:off + n * m].reshape(batch + (n, m)))
        off += n * m
        biases.append(theta[..., off:off + n])
        off += n
    return weights, biases


def pack(weights, biases, out=None):
    """Concatenate weights and biases into one flat array of shape ``batch + (P,)``."""
    xp = array_module(weights[0])
    batch = weights[0].shape[:-2]
    parts = []
    for W, b in zip(weights, biases):
        parts.append(W.reshape(batch + (-1,)))
        parts.append(b.reshape(batch + (-1,)))
    flat = xp.concatenate(parts, axis=-1)
    if out is not None:
        out[...] = flat
        return out
    return flat
