"""nnapprox.trainers.probe: the gradient check and the born-dead probe as trainers (they never train)."""

import numpy as np

from nnapprox import MLP, fit


def _data(n=64, d=2, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.uniform(-1, 1, (n, d))
    return X, np.sin(X.sum(axis=1))


def test_gradcheck_measures_backprop_against_finite_differences_and_leaves_the_net():
    X, y = _data()
    net = MLP([2, 5, 5, 1], "tanh", rng=np.random.default_rng(1))
    theta = net.theta.copy()
    hist = fit(net, X, y, trainer="gradcheck")
    assert hist.stop_reason == "probe" and hist.steps == 0 and hist.status == "ok" and hist.net is net
    np.testing.assert_array_equal(net.theta, theta)
    assert hist.extras["gradcheck_rel_error"] < 1e-6 and hist.extras["on_kink"] == 0
    assert 0 < hist.extras["min_abs_z"] < 1  # smallest |z| over two hidden layers of 64 samples
    np.testing.assert_allclose(hist.loss[0], net.loss_and_grad(X, y)[0], rtol=1e-12)


def test_gradcheck_counts_samples_on_a_relu_kink_and_has_no_z_without_hidden_layers():
    X = np.zeros((4, 1))  # with zero biases every hidden z is exactly 0 here
    net = MLP([1, 3, 1], "relu", rng=np.random.default_rng(0))
    net.biases[0][:] = 0.0
    hist = fit(net, X, np.ones(4), trainer="gradcheck")
    assert hist.extras["on_kink"] == 4 * 3 and hist.extras["min_abs_z"] == 0.0
    linear = fit(MLP([1, 1], "tanh"), X, np.ones(4), trainer="gradcheck")
    assert np.isnan(linear.extras["min_abs_z"]) and linear.extras["on_kink"] == 0


def test_init_probe_tells_a_born_dead_net_from_a_live_one():
    X, y = _data(d=1)
    alive = fit(MLP([1, 8, 1], "relu", rng=np.random.default_rng(0)), X, y, trainer="init_probe")
    assert not alive.extras["born_dead"]
    assert alive.message == "alive" and alive.steps == 0
    net = MLP([1, 8, 1], "relu", rng=np.random.default_rng(0))
    net.weights[0][:] = 0.1  # z = 0.1 x - 10 < 0 on [-1, 1]: every ReLU unit is off, the output constant
    net.biases[0][:] = -10.0
    dead = fit(net, X, y, trainer="init_probe")
    assert dead.extras["born_dead"] and dead.message == "born dead"


def test_init_probe_tolerance_is_an_option():
    X, y = _data(d=1)
    net = MLP([1, 4, 1], "tanh", rng=np.random.default_rng(0))
    net.weights[0][:] *= 1e-9  # nearly constant output
    assert not fit(net, X, y, trainer="init_probe", constant_tol=0.0).extras["born_dead"]
    assert fit(net, X, y, trainer="init_probe", constant_tol=1.0).extras["born_dead"]
