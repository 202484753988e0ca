"""nnapprox.trainers.reference: scipy's BFGS on a GLM loss written independently of the engine."""

import numpy as np
import pytest

from nnapprox import MLP, fit
from nnapprox.trainers.reference import glm_loss


@pytest.mark.parametrize("loss", ["mse", "logistic"])
def test_the_glm_gradient_is_the_derivative_of_its_loss(loss):
    rng = np.random.default_rng(0)
    X, theta = rng.normal(size=(50, 3)), rng.normal(size=4)
    y = rng.uniform(0, 1, 50) if loss == "logistic" else rng.normal(size=50)
    _, g = glm_loss(theta, X, y, loss)
    h = 1e-6
    fd = [
        (glm_loss(theta + h * e, X, y, loss)[0] - glm_loss(theta - h * e, X, y, loss)[0]) / (2 * h) for e in np.eye(4)
    ]
    np.testing.assert_allclose(g, fd, rtol=1e-6, atol=1e-9)


def test_least_squares_by_glm_bfgs_is_the_normal_equations_solution():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(80, 2))
    y = X @ [1.5, -2.0] + 0.3 + 0.1 * rng.normal(size=80)
    net = MLP([2, 1], "tanh", "identity")
    hist = fit(net, X, y, trainer="glm_bfgs")
    coef = np.linalg.lstsq(np.c_[X, np.ones(80)], y, rcond=None)[0]
    np.testing.assert_allclose(np.r_[net.weights[0][0], net.biases[0]], coef, rtol=1e-6, atol=1e-8)
    assert hist.net is net and hist.status == "ok" and hist.extras["grad_norm"] < 1e-8


def test_logistic_glm_bfgs_and_the_engine_lbfgs_agree():
    rng = np.random.default_rng(2)
    X = rng.normal(size=(200, 2))
    y = (rng.uniform(size=200) < 1 / (1 + np.exp(-(X @ [2.0, -1.0] + 0.5)))).astype(float)
    ref = MLP([2, 1], "tanh", "sigmoid")
    fit(ref, X, y, trainer="glm_bfgs", loss="logistic")
    eng = MLP([2, 1], "tanh", "sigmoid", rng=np.random.default_rng(0))
    fit(eng, X, y, trainer="lbfgs", loss="logistic", max_steps=500, gtol=1e-12)
    np.testing.assert_allclose(eng.theta, ref.theta, rtol=1e-4, atol=1e-5)


def test_glm_bfgs_refuses_hidden_layers_and_a_mismatched_output():
    from nnapprox.trainers import TRAINERS

    check = TRAINERS["glm_bfgs"].check_model
    with pytest.raises(ValueError, match="model.depth=1 is not supported by trainer 'glm_bfgs'; allowed: 0"):
        check([1, 4, 1], "tanh", "identity", "mse", {}, None)
    with pytest.raises(ValueError, match="model.output_activation='identity' does not fit trainer.loss='logistic'"):
        check([1, 1], "tanh", "identity", "logistic", {}, None)
    check([1, 1], "tanh", "sigmoid", "logistic", {}, None)
