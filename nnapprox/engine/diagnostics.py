"""What a network does on its data, measured: born dead (constant output), saturated and dead units."""

from __future__ import annotations

import numpy as np

from nnapprox.engine.passes import forward

__all__ = ["born_dead", "unit_stats"]


def born_dead(net, X, tol: float = 1e-10) -> dict:
    """Is a network constant on the data as initialised, and which hidden layers are dead?

    A hidden layer is *dead* when every one of its units has z ≤ 0 on every sample (for ReLU: all
    activations zero, so nothing above it depends on the input and no gradient reaches below it).

    Parameters
    ----------
    net : MLP (single)
    X : array, shape ``(N, d)``
    tol : float
        The output is constant when its range over the samples is at most ``tol (1 + |mean|)``.

    Returns
    -------
    dict
        ``born_dead`` (1.0 when the output is constant on X, else 0.0), ``dead_layers`` (how many
        hidden layers are dead), ``first_dead_layer`` (1-based; 0 when none), ``dead_unit_frac``
        (hidden units with z ≤ 0 on every sample, over all hidden units).
    """
    zs, as_ = forward(net.weights, net.biases, X, net.act, net.out_act)
    out = as_[-1]
    spread = float(np.max(out) - np.min(out))
    constant = spread <= tol * (1.0 + float(np.abs(np.mean(out))))
    dead = [bool(np.all(z <= 0.0)) for z in zs[1:-1]]
    units = [np.all(z <= 0.0, axis=0) for z in zs[1:-1]]
    n_units = sum(u.size for u in units)
    return {
        "born_dead": float(constant),
        "dead_layers": int(sum(dead)),
        "first_dead_layer": (dead.index(True) + 1) if any(dead) else 0,
        "dead_unit_frac": float(sum(int(u.sum()) for u in units) / n_units) if n_units else 0.0,
    }


def unit_stats(net, X) -> dict:
    """Saturated and dead hidden units, the lecture's pros and cons made measurable.

    ``saturated_frac``: fraction of (sample, hidden unit) pairs whose derivative is below 1% of
    its maximum (sigmoid |z| > 6.0, tanh |z| > 3.0); ``dead_frac``: fraction of hidden units
    (ReLU family) with z < 0 on every test sample. Both over all hidden layers; ``None`` where
    they do not apply.
    """
    from nnapprox.engine.passes import forward

    out: dict[str, float | None] = {"saturated_frac": None, "dead_frac": None}
    saturates, kinked = net.act.peak_deriv is not None, net.act.kink  # sigmoid, tanh; relu, leaky_relu
    if not (saturates or kinked) or net.depth == 0:
        return out
    zs, as_ = forward(net.weights, net.biases, X.astype(net.dtype), net.act, net.out_act)
    hidden_z = zs[1:-1]
    if saturates:
        peak = net.act.peak_deriv
        sat = [np.mean(net.act.deriv(z, a) < 0.01 * peak) for z, a in zip(hidden_z, as_[1:-1], strict=True)]
        out["saturated_frac"] = float(np.mean(sat))
    else:
        dead = np.concatenate([np.all(z < 0, axis=0) for z in hidden_z])
        out["dead_frac"] = float(np.mean(dead))
    return out
