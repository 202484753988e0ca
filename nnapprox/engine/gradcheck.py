"""Gradient check: the analytic gradient against central finite differences.

For each parameter θ_i, (L(θ + h e_i) − L(θ − h e_i)) / (2h) approximates ∂L/∂θ_i with
error O(h²) from truncation plus O(ε_machine |L| / h) from rounding; h = 1e-6 balances
the two in float64. The reported number is the relative error

    ‖g_analytic − g_numeric‖ / max(‖g_analytic‖ + ‖g_numeric‖, tiny).
"""

from __future__ import annotations

import numpy as np

__all__ = ["numerical_gradient", "relative_error", "check_gradient"]


def numerical_gradient(f, theta, h: float = 1e-6):
    """Central differences of a scalar function ``f`` at the flat vector ``theta`` (any shape)."""
    theta = np.array(theta, dtype=np.float64, copy=True)
    flat = theta.reshape(-1)
    g = np.empty_like(flat)
    for i in range(flat.size):
        old = flat[i]
        flat[i] = old + h
        fp = f(theta)
        flat[i] = old - h
        fm = f(theta)
        flat[i] = old
        g[i] = (fp - fm) / (2 * h)
    return g.reshape(theta.shape)


def relative_error(a, b) -> float:
    """‖a − b‖ / max(‖a‖ + ‖b‖, 1e-300)."""
    a, b = np.ravel(a), np.ravel(b)
    return float(np.linalg.norm(a - b) / max(np.linalg.norm(a) + np.linalg.norm(b), 1e-300))


def check_gradient(net, X, y, loss: str = "mse", h: float = 1e-6) -> float:
    """Relative error between :meth:`MLP.loss_and_grad` and central differences.

    Works on replica batches too (the function differentiated is the sum of the
    replicas' losses). The network's parameters are left unchanged.
    """
    X, y = net.check_data(X, y)
    theta0 = net.theta.copy()
    try:
        _, analytic = net.loss_and_grad_flat(theta0, X, y, loss)
        analytic = analytic.copy()
        numeric = numerical_gradient(lambda t: net.loss_and_grad_flat(t, X, y, loss)[0], theta0, h)
    finally:
        net.theta[...] = theta0
    return relative_error(analytic, numeric)
