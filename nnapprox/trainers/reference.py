"""An outside reference: scipy's BFGS on a loss written here, independently of the engine.

``glm_bfgs`` fits a network without hidden layers (``z = X w + b``): logistic regression with
the logistic loss and a sigmoid output, or linear least squares with ``mse`` and an identity
output. Its loss and gradient are written out below from the formulas, not taken from the
engine, so a job of this trainer and an ``lbfgs`` job of the engine on the same data check each
other: both minimise the same convex loss, so their parameters must agree.
"""

from __future__ import annotations

import time

import numpy as np
from scipy.optimize import minimize

from nnapprox.base.options import Float, Int, Option
from nnapprox.trainers.common import History, Trainer

__all__ = ["train_glm_bfgs", "GLM_BFGS", "glm_loss"]


def glm_loss(theta, X, y, loss: str):
    """Mean loss of ``z = X w + b`` and its gradient, ``theta = (w_1, ..., w_d, b)``.

    ``logistic``: mean of ``log(1 + e^z) − y z`` (gradient ``X^T (σ(z) − y) / N``);
    ``mse``: mean of ``½ (z − y)^2`` (gradient ``X^T (z − y) / N``).
    """
    w, b = theta[:-1], theta[-1]
    z = X @ w + b
    if loss == "logistic":
        value = float(np.mean(np.logaddexp(0.0, z) - y * z))
        r = 0.5 * (1.0 + np.tanh(0.5 * z)) - y  # σ(z) − y without overflow
    else:
        value = float(0.5 * np.mean((z - y) ** 2))
        r = z - y
    r = r / len(y)
    return value, np.append(X.T @ r, r.sum())


def train_glm_bfgs(net, X, y, loss, rng, *, max_steps, gtol):
    """BFGS from zero parameters on :func:`glm_loss`; the result is written into ``net``."""
    t0 = time.perf_counter()
    if net.batch_shape != () or X.ndim != 2:
        raise ValueError("glm_bfgs fits one network on one data set (no replica axes)")
    yv = y[:, 0]
    res = minimize(
        glm_loss,
        np.zeros(X.shape[1] + 1),
        args=(X, yv, loss.name),
        jac=True,
        method="BFGS",
        options={"gtol": gtol, "maxiter": max_steps},
    )
    net.weights[0][0] = res.x[:-1]
    net.biases[0][0] = res.x[-1]
    wall = time.perf_counter() - t0
    status = "ok" if np.all(np.isfinite(res.x)) else "diverged"
    return History(
        step=np.array([int(res.nit)]),
        elapsed=np.array([wall]),
        loss=np.array([res.fun]),
        status=status,
        replica_status=[status],
        stop_reason="converged" if res.success else "max_steps",
        steps=int(res.nit),
        wall_time=wall,
        message=str(res.message),
        net=net,
        extras={"grad_norm": float(np.linalg.norm(res.jac))},
    )


def _check_model(sizes, activation, output_activation, loss, options, target):
    if len(sizes) != 2:
        raise ValueError(
            f"model.depth={len(sizes) - 2} is not supported by trainer 'glm_bfgs'; allowed: 0 "
            f"(a network without hidden layers)"
        )
    want = "sigmoid" if loss == "logistic" else "identity"
    if output_activation != want:
        raise ValueError(
            f"model.output_activation={output_activation!r} does not fit trainer.loss={loss!r} "
            f"for trainer 'glm_bfgs'; allowed: {want}"
        )


GLM_BFGS = Trainer(
    "glm_bfgs",
    train_glm_bfgs,
    (Option("max_steps", 1000, Int(1), "BFGS iterations"), Option("gtol", 1e-12, Float(gt=0), "gradient-norm stop")),
    "outside reference: scipy BFGS on an independently written GLM loss (no hidden layers)",
    check_model=_check_model,
)
