"""Metrics: values, Monte-Carlo standard error, JSON safety."""

import json
import math

import numpy as np
import pytest

from nnapprox.experiment.metrics import METRIC_KEYS, evaluate, mse, mse_with_se


def test_values():
    y = np.array([0.0, 1.0, 2.0, 3.0])
    p = np.array([0.5, 1.0, 1.0, 3.0])
    m = evaluate(p, y, p[:2], y[:2], c_f=0.5, radius=2.0, n=8)
    e = (p - y) ** 2
    assert set(m) == set(METRIC_KEYS)
    assert m["test_mse"] == pytest.approx(e.mean())
    assert m["test_mse_se"] == pytest.approx(e.std(ddof=1) / 2)
    assert m["var_f"] == pytest.approx(1.25)
    assert m["rel_mse"] == pytest.approx(e.mean() / 1.25)
    assert m["sup_err"] == 1.0
    assert m["train_mse"] == pytest.approx(0.125)
    assert m["bound"] == pytest.approx((2 * 2.0 * 0.5) ** 2 / 8)
    assert m["bound_ratio"] == pytest.approx(e.mean() / m["bound"])
    assert all(isinstance(v, float) for v in m.values())


def test_missing_pieces_are_none():
    y = np.linspace(0, 1, 10)
    m = evaluate(y + 0.1, y)
    assert m["train_mse"] is None and m["bound"] is None and m["bound_ratio"] is None
    assert evaluate(y, y, c_f=math.inf, n=10)["bound"] is None
    assert evaluate(y, y, c_f=1.0, n=None)["bound"] is None
    assert evaluate(y, y, c_f=0.0, n=3)["bound_ratio"] is None  # bound 0
    assert evaluate(np.ones(5), np.ones(5))["rel_mse"] is None  # var_f = 0


def test_non_finite_predictions_give_json_safe_none():
    y = np.linspace(0, 1, 10)
    p = y.copy()
    p[3] = np.nan
    m = evaluate(p, y, p, y, c_f=1.0, n=4)
    assert m["test_mse"] is None and m["sup_err"] is None and m["train_mse"] is None
    json.dumps(m, allow_nan=False)
    big = np.full(10, 1e200)
    json.dumps(evaluate(big, y, c_f=1.0, n=4), allow_nan=False)


def test_standard_error_is_calibrated():
    # spread of the test MSE over independent test sets ≈ the reported standard error
    rng = np.random.default_rng(0)
    mses, ses = [], []
    for _ in range(300):
        x = rng.uniform(-1, 1, 2000)
        m, se = mse_with_se(np.sin(3 * x) + 0.1 * x, np.sin(3 * x))
        mses.append(m)
        ses.append(se)
    assert np.std(mses) == pytest.approx(np.mean(ses), rel=0.15)


def test_shapes():
    y = np.arange(5.0)
    assert evaluate(y[:, None], y)["test_mse"] == 0.0  # (N, 1) accepted
    assert mse(y, y + 1) == 1.0
    assert mse_with_se(np.ones(1), np.zeros(1)) == (1.0, 0.0)
    with pytest.raises(ValueError, match="pred_test"):
        evaluate(y[:4], y)
    with pytest.raises(ValueError, match="pred_test"):
        evaluate(np.ones((5, 2)), y)
    with pytest.raises(ValueError, match="y_train"):
        evaluate(y, y, pred_train=y)
