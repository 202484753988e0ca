"""Network structures beyond the dense stack: the binary tree (sizes and connection mask)."""

from __future__ import annotations

import numpy as np

from nnapprox.engine.params import param_count, unpack

__all__ = ["tree_sizes", "tree_mask"]


def tree_sizes(d: int, width: int) -> list[int]:
    """Layer sizes of a binary-tree network on d = 2^L inputs with ``width`` units per node.

    Level l (1..L) has d / 2^l nodes; its hidden layer holds ``width`` units per node:
    ``[d, (d/2) w, (d/4) w, ..., w, 1]``.
    """
    if isinstance(d, bool) or int(d) != d or d < 2 or (int(d) & (int(d) - 1)):
        raise ValueError(f"d={d!r} is invalid for a tree network: d must be a power of 2 >= 2")
    if isinstance(width, bool) or int(width) != width or width < 1:
        raise ValueError(f"width={width!r} is invalid: an integer >= 1 (units per node)")
    d, w = int(d), int(width)
    sizes, nodes = [d], d
    while nodes > 1:
        nodes //= 2
        sizes.append(nodes * w)
    return sizes + [1]


def tree_mask(d: int, width: int) -> np.ndarray:
    """0/1 mask (flat, in ``theta``'s layout) of the binary-tree network of :func:`tree_sizes`.

    A node's units see only its two children: at level 1 two input coordinates, above it the
    units of the two child nodes. Biases and the output layer are unmasked. The network
    mirrors a binary-tree compositional function f = h(h(h(x1, x2), h(x3, x4)), ...)
    (Poggio, Mhaskar, Rosasco, Miranda & Liao 2017): each node computes a function of two
    numbers, the children's outputs being linear combinations of their units.
    """
    sizes = tree_sizes(d, width)
    theta = np.zeros(param_count(sizes))
    weights, biases = unpack(theta, sizes)
    w = int(width)
    for l in range(len(sizes) - 2):
        child = 1 if l == 0 else w  # inputs per child: one coordinate, or a child node's units
        for node in range(sizes[l + 1] // w):
            weights[l][node * w : (node + 1) * w, 2 * node * child : (2 * node + 2) * child] = 1.0
        biases[l][...] = 1.0
    weights[-1][...] = 1.0
    biases[-1][...] = 1.0
    return theta
