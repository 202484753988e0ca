"""The reference forward and backward passes: the backprop lecture's formulas on whole batches.

``W[l]`` is ``(n_l, n_{l-1})`` and samples are rows, so ``Z = A @ W.T + b`` computes every
sample's z at once; the backward pass gives ``dW = dZ.T @ A_prev`` (the sum over samples of the
outer products), ``db = dZ.sum(axis=0)`` and ``dA_prev = dZ @ W``. Leading batch axes (replicas)
broadcast. :mod:`nnapprox.engine.fastpath` computes the same numbers in blocks and threads.
"""

from __future__ import annotations

from nnapprox.engine.activations import Activation, array_module

__all__ = ["affine", "forward", "backward"]


def affine(A, W, b):
    """Z = A @ W.T + b for every sample row of A (broadcasting over batch axes).

    With a single input unit (n_{l-1} = 1) the product is an outer product, which
    runs faster by broadcasting than through matmul.
    """
    xp = array_module(W)
    Wt = xp.swapaxes(W, -1, -2)
    if W.shape[-1] == 1:
        Z = A * Wt
    else:
        Z = A @ Wt
    Z += b[..., None, :]
    return Z


def forward(weights, biases, X, act: Activation, out_act: Activation):
    """Forward pass keeping every layer's z and a for the backward pass.

    Parameters
    ----------
    weights, biases : lists of arrays, shapes ``batch + (n_l, n_{l-1})`` and ``batch + (n_l,)``
    X : array, shape ``(N, d)`` or ``batch + (N, d)``
    act, out_act : Activation
        Hidden and output activations.

    Returns
    -------
    zs, as_ : lists of length L+1
        ``as_[0] = X``; ``zs[l]``, ``as_[l]`` of shape ``batch + (N, n_l)``
        (``zs[0]`` is None).
    """
    L = len(weights)
    zs, as_ = [None], [X]
    for l in range(L):
        Z = affine(as_[-1], weights[l], biases[l])
        sigma = out_act if l == L - 1 else act
        zs.append(Z)
        as_.append(sigma.value(Z))
    return zs, as_


def backward(weights, zs, as_, dout, act: Activation, out_act: Activation, dout_is_dz: bool = False):
    """Backward pass: gradients of the loss w.r.t. every W and b.

    Parameters
    ----------
    weights : list of arrays, ``batch + (n_l, n_{l-1})``
    zs, as_ : the caches returned by :func:`forward`
    dout : array, ``batch + (N, n_L)``
        ∂L/∂a^L (or ∂L/∂z^L when ``dout_is_dz``, as for the logistic loss on logits).
    act, out_act : Activation

    Returns
    -------
    dWs, dbs : lists shaped like the weights and biases (summed over samples,
        one gradient per replica).
    """
    xp = array_module(dout)
    L = len(weights)
    dWs, dbs = [None] * L, [None] * L
    dz = dout if dout_is_dz else dout * out_act.deriv(zs[L], as_[L])
    for l in range(L, 0, -1):
        A_prev = as_[l - 1]
        dz_t = xp.swapaxes(dz, -1, -2)  # batch + (n_l, N)
        if A_prev.shape[-1] == 1:
            dWs[l - 1] = (dz * A_prev).sum(axis=-2)[..., None]  # rank-1: broadcast, not matmul
        else:
            dWs[l - 1] = dz_t @ A_prev  # Σ_i dz_i a_i^T
        dbs[l - 1] = dz.sum(axis=-2)
        if l > 1:
            da = dz @ weights[l - 1]  # (W^l)^T dz^l for every sample row
            dz = da * act.deriv(zs[l - 1], as_[l - 1])
    return dWs, dbs
