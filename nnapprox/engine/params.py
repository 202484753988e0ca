"""The flat parameter vector: one buffer ``theta`` (``batch + (P,)``, order W1, b1, W2, b2, ...), lecture-shaped
views.

A network's ``weights`` and ``biases`` are :class:`ParamViews` of that buffer: assigning a layer copies the
array in (:func:`write_params` checks it first), so the buffer, the views, the saved parameters and the
forward pass can never disagree.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from nnapprox.engine.activations import array_module
from nnapprox.engine.inputs import cast

__all__ = ["param_count", "unpack", "pack", "ParamViews", "write_params", "check_mask"]


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
        weights.append(theta[..., off : off + n * m].reshape(batch + (n, m)))
        off += n * m
        biases.append(theta[..., off : off + n])
        off += n
    return weights, biases


def pack(weights, biases, out=None):
    """Concatenate weights and biases into one flat array of shape ``batch + (P,)``."""
    xp = array_module(weights[0])
    batch = weights[0].shape[:-2]
    parts = []
    for W, b in zip(weights, biases, strict=True):
        parts.append(W.reshape(batch + (-1,)))
        parts.append(b.reshape(batch + (-1,)))
    flat = xp.concatenate(parts, axis=-1)
    if out is not None:
        out[...] = flat
        return out
    return flat


def check_mask(mask, P: int) -> np.ndarray:
    """A connection mask as an array: 0/1 of shape ``(P,)`` (one entry per parameter); ValueError otherwise."""
    mask = np.asarray(mask)
    if mask.shape != (P,) or mask.dtype.kind not in "fiub" or not np.isin(mask, (0, 1)).all():
        raise ValueError(f"mask must be 0/1 of shape ({P},) (one entry per parameter); got shape {mask.shape}")
    return mask


def write_params(view, value, name: str, mask=None) -> None:
    """Copy ``value`` into the parameter view ``view`` after checking it: ValueError (one line naming ``name``)
    for a shape other than the view's, a non-numeric, non-finite or unrepresentable value, or a non-zero
    value on a connection ``mask`` leaves out."""
    value = np.asarray(value)
    if value.dtype.kind not in "fiub":
        raise ValueError(f"{name} must be a numeric array; got dtype {value.dtype}")
    if value.shape != view.shape:
        raise ValueError(
            f"{name} has shape {view.shape}; got an array of shape {value.shape} (the network's sizes "
            "are fixed: build a new MLP for other sizes)"
        )
    if not np.all(np.isfinite(value)):
        raise ValueError(f"{name} contains NaN or inf; parameters must be finite")
    value = cast(value, view.dtype, name)
    if mask is not None and np.any((value != 0) & (mask == 0)):
        raise ValueError(
            f"{name} is non-zero on connections the network's mask (model.structure) leaves out; they must stay 0"
        )
    view[...] = value


class ParamViews(list):
    """``net.weights`` or ``net.biases``: one view per layer into the network's flat ``theta``.

    ``views[l] = A`` copies ``A`` into layer l through :func:`write_params` (same shape, finite, zero where
    the mask leaves connections out); writing into ``views[l]`` in place (``views[l][i, j] = x``) writes
    ``theta`` directly. The list has one entry per layer: it cannot grow, shrink or be reordered.
    Pickled or copied alone, it is a plain list of arrays.
    """

    __slots__ = ("name", "masks")

    def __init__(self, name: str, views, masks=None):
        super().__init__(views)
        self.name = name
        #: The mask's views in the same shapes (None without a mask).
        self.masks = masks

    def __setitem__(self, index, value):
        if isinstance(index, slice):
            idx = range(len(self))[index]
            values = list(value)
            if len(values) != len(idx):
                self._fixed()
            for i, v in zip(idx, values, strict=True):
                self[i] = v
            return
        view = list.__getitem__(self, index)  # IndexError for a layer that does not exist
        l = index % len(self)
        write_params(view, value, f"{self.name}[{l}]", None if self.masks is None else self.masks[l])

    def assign_all(self, values) -> None:
        """``net.weights = [W1, W2, ...]``: every layer copied in (one array per layer)."""
        values = list(values)
        if len(values) != len(self):
            raise ValueError(f"{self.name} takes one array per layer ({len(self)}); got {len(values)}")
        for l, v in enumerate(values):
            self[l] = v

    def _fixed(self, *args, **kwargs):
        raise ValueError(
            f"net.{self.name} has one array per layer ({len(self)}): layers cannot be added, removed or "
            f"reordered; assign net.{self.name}[l] = array (copied in) or build a new MLP"
        )

    append = extend = insert = pop = remove = clear = sort = reverse = __delitem__ = _fixed

    def __iadd__(self, other):  # type: ignore[misc]  # refused: a list of layers is not extended
        self._fixed()

    def __imul__(self, other):  # type: ignore[misc]  # refused: a list of layers is not repeated
        self._fixed()

    def __reduce__(self):
        return list, (list(self),)
