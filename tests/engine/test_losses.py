"""nnapprox.engine.losses: the logistic loss's stability and the MSE convention."""

import warnings

import numpy as np
import pytest

from nnapprox.engine.losses import get_loss

# --- losses -------------------------------------------------------------------


def test_logistic_loss_is_stable_and_exact():
    loss = get_loss("logistic")
    z = np.array([[-1e4], [-5.0], [0.0], [5.0], [1e4]])
    y = np.array([[0.0], [1.0], [1.0], [0.0], [1.0]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        v = loss.value(z, y)
    direct = np.mean([0.0, np.log1p(np.exp(5.0)), np.log(2.0), np.log1p(np.exp(5.0)), 0.0])
    np.testing.assert_allclose(v, direct, rtol=1e-14)
    sig = 1 / (1 + np.exp(-np.clip(z, -700, 700)))
    np.testing.assert_allclose(loss.grad(z, y), (sig - y) / 5, rtol=1e-14, atol=1e-300)


def test_mse_convention_is_half_mean_squared_error():
    loss = get_loss("mse")
    out = np.array([[1.0], [2.0], [4.0]])
    y = np.array([[0.0], [2.0], [2.0]])
    assert loss.value(out, y) == pytest.approx(0.5 * (1 + 0 + 4) / 3)
    np.testing.assert_allclose(loss.grad(out, y), (out - y) / 3)
    with pytest.raises(ValueError, match="loss='l1'.*logistic.*mse"):
        get_loss("l1")
