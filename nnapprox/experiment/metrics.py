"""How well a network fits: test MSE with its Monte-Carlo error, relative and sup errors, bound ratio.

The test MSE is the mean of ``e_i = (f_n(x_i) − f(x_i))^2`` over the i.i.d. test
points, an unbiased Monte-Carlo estimate of ``||f_n − f||^2_{L2(μ)}``; its standard
error is ``std(e, ddof=1) / sqrt(N_test)``. ``rel_mse = test_mse / var_f``, with
``var_f`` the variance of the clean test values (1 means "no better than the mean").

Every value in the returned dict is a Python float or ``None`` (never NaN or inf),
so records serialise to strict JSON.
"""

from __future__ import annotations

import math

import numpy as np

from nnapprox.theory.bounds import approx_bound

__all__ = ["mse", "mse_with_se", "evaluate", "METRIC_KEYS"]

METRIC_KEYS = ("test_mse", "test_mse_se", "rel_mse", "var_f", "sup_err", "train_mse", "bound", "bound_ratio")


def _vec(name, value):
    a = np.asarray(value, dtype=np.float64)
    if a.ndim == 2 and a.shape[1] == 1:
        a = a[:, 0]
    if a.ndim != 1 or a.shape[0] < 1:
        raise ValueError(f"{name} has shape {a.shape}; expected a non-empty 1-D array (N,) (or (N, 1))")
    return a


def _pair(pred_name, pred, y_name, y):
    p, t = _vec(pred_name, pred), _vec(y_name, y)
    if p.shape != t.shape:
        raise ValueError(f"{pred_name} has shape {p.shape} but {y_name} has shape {t.shape}; they must match")
    return p, t


def _safe(x):
    """Python float, or None for None/NaN/inf."""
    if x is None:
        return None
    x = float(x)
    return x if math.isfinite(x) else None


def mse(pred, y) -> float:
    """Mean squared error of 1-D arrays ``pred`` and ``y`` (shape ``(N,)``)."""
    p, t = _pair("pred", pred, "y", y)
    with np.errstate(over="ignore", invalid="ignore"):
        return float(np.mean((p - t) ** 2))


def mse_with_se(pred, y) -> tuple[float, float]:
    """``(mean, standard error)`` of the squared errors; the error is 0.0 when N = 1."""
    p, t = _pair("pred", pred, "y", y)
    with np.errstate(over="ignore", invalid="ignore"):
        e = (p - t) ** 2
        se = float(np.std(e, ddof=1) / math.sqrt(e.size)) if e.size > 1 else 0.0
        return float(np.mean(e)), se


def evaluate(pred_test, y_test, pred_train=None, y_train=None, *, c_f=None, radius=1.0, n=None) -> dict:
    """All fit metrics of one network.

    Parameters
    ----------
    pred_test, y_test : arrays, shape ``(N_test,)``
        Predictions and clean target values on the test set.
    pred_train, y_train : arrays, shape ``(N,)``, optional
        Predictions and (noisy) labels on the training set.
    c_f : float, optional
        Barron constant of the target (``None`` or ``inf``: no bound).
    radius : float
        r of the bound ``(2 r C_f)^2 / n``.
    n : int, optional
        Hidden width (``None``: no bound).

    Returns
    -------
    dict with keys ``test_mse``, ``test_mse_se``, ``rel_mse``, ``var_f``, ``sup_err``,
    ``train_mse``, ``bound``, ``bound_ratio``: floats, or ``None`` where undefined
    (no training data, no finite bound, ``var_f = 0``, non-finite predictions).
    """
    p, t = _pair("pred_test", pred_test, "y_test", y_test)
    test_mse, test_se = mse_with_se(p, t)
    with np.errstate(over="ignore", invalid="ignore"):
        var_f = float(np.var(t))
        sup_err = float(np.max(np.abs(p - t)))
    rel = test_mse / var_f if var_f > 0 else None

    if (pred_train is None) != (y_train is None):
        raise ValueError("pred_train and y_train must be given together (or both left out)")
    train_mse = mse(*_pair("pred_train", pred_train, "y_train", y_train)) if pred_train is not None else None

    bound = None
    if c_f is not None and n is not None and math.isfinite(float(c_f)):
        bound = approx_bound(float(c_f), n, radius)
    ratio = test_mse / bound if bound is not None and bound > 0 else None

    return {
        "test_mse": _safe(test_mse),
        "test_mse_se": _safe(test_se),
        "rel_mse": _safe(rel),
        "var_f": _safe(var_f),
        "sup_err": _safe(sup_err),
        "train_mse": _safe(train_mse),
        "bound": _safe(bound),
        "bound_ratio": _safe(ratio),
    }
