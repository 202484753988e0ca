"""Gradient trainers and L-BFGS: closed forms, fits, replicas, divergence, options."""

import numpy as np
import pytest
from scipy.optimize import minimize
from scipy.special import expit

from nnapprox import MLP, Diverged, fit
from nnapprox.trainers.common import should_record


def _sin3(N, rng):
    X = rng.uniform(-1, 1, size=(N, 1))
    return X, np.sin(3 * X[:, 0])


def test_logistic_regression_matches_scipy_on_the_same_convex_loss():
    rng = np.random.default_rng(0)
    N = 200
    X = rng.normal(size=(N, 2))
    w_true, b_true = np.array([1.5, -2.0]), 0.3
    y = (rng.random(N) < expit(X @ w_true + b_true)).astype(float)
    net = MLP([2, 1], activation="identity", output_activation="sigmoid", rng=rng)
    h = fit(net, X, y, trainer="lbfgs", loss="logistic", max_steps=500)
    assert h.status == "ok"

    def nll(p):  # the same loss written directly: mean of log(1+e^z) − y z
        z = X @ p[:2] + p[2]
        return np.mean(np.logaddexp(0, z) - y * z)

    ref = minimize(nll, np.zeros(3), method="BFGS", options={"gtol": 1e-12})
    ours = np.r_[net.weights[0][0], net.biases[0]]
    np.testing.assert_allclose(ours, ref.x, atol=1e-6)


def test_gd_one_step_is_the_lecture_update():
    rng = np.random.default_rng(1)
    net = MLP([2, 3, 1], "tanh", rng=rng)
    X, y = rng.normal(size=(5, 2)), rng.normal(size=5)
    theta0 = net.theta.copy()
    _, g = net.loss_and_grad(X, y)
    fit(net, X, y, trainer="gd", lr=0.3, max_steps=1)
    np.testing.assert_allclose(net.theta, theta0 - 0.3 * g.flat, rtol=1e-14)


def test_adam_and_momentum_first_steps_match_closed_forms():
    rng = np.random.default_rng(2)
    X, y = rng.normal(size=(5, 2)), rng.normal(size=5)
    net = MLP([2, 3, 1], "tanh", rng=np.random.default_rng(0))
    theta0 = net.theta.copy()
    _, g = net.loss_and_grad(X, y)
    fit(net, X, y, trainer="adam", lr=0.01, max_steps=1)
    # first Adam step: m̂ = g, v̂ = g², so delta = lr g / (|g| + eps)
    np.testing.assert_allclose(net.theta, theta0 - 0.01 * g.flat / (np.abs(g.flat) + 1e-8), rtol=1e-12)
    net = MLP([2, 3, 1], "tanh", rng=np.random.default_rng(0))
    fit(net, X, y, trainer="momentum", lr=0.1, momentum=0.9, max_steps=2)
    _, g1 = net.with_theta(theta0 - 0.1 * g.flat).loss_and_grad(X, y)
    # v1 = g0, v2 = 0.9 g0 + g1; θ2 = θ0 − lr (v1 + v2)
    np.testing.assert_allclose(net.theta, theta0 - 0.1 * (g.flat + 0.9 * g.flat + g1.flat), rtol=1e-12)


@pytest.mark.slow
def test_lbfgs_fits_sin3x_below_1e_6():
    rng = np.random.default_rng(0)
    X, y = _sin3(256, rng)
    Xt, yt = _sin3(4096, np.random.default_rng(1))
    net = MLP([1, 16, 1], "tanh", rng=rng)
    h = fit(net, X, y, trainer="lbfgs", max_steps=3000)
    assert h.status == "ok"
    assert np.mean((net.predict(Xt) - yt) ** 2) < 1e-6


def test_adam_fits_sin3x_below_1e_3():
    rng = np.random.default_rng(0)
    X, y = _sin3(256, rng)
    Xt, yt = _sin3(4096, np.random.default_rng(1))
    net = MLP([1, 16, 1], "tanh", rng=rng)
    h = fit(net, X, y, trainer="adam", lr=0.01, max_steps=4000)
    assert h.status == "ok"
    mse = np.mean((net.predict(Xt) - yt) ** 2)
    assert mse < 1e-3, mse
    assert h.loss[-1] < h.loss[0] / 100


def test_minibatch_adam_reduces_loss_and_is_reproducible():
    X, y = _sin3(512, np.random.default_rng(0))
    thetas = []
    for _ in range(2):
        net = MLP([1, 16, 1], "tanh", rng=np.random.default_rng(0))
        h = fit(net, X, y, trainer="adam", lr=0.01, batch_size=64, max_steps=500, rng=np.random.default_rng(5))
        thetas.append(net.theta.copy())
    np.testing.assert_array_equal(thetas[0], thetas[1])
    assert np.mean(h.loss[-20:]) < h.loss[0] / 10


@pytest.mark.parametrize(
    "trainer,opts",
    [
        ("gd", dict(lr=0.2, max_steps=300)),
        ("momentum", dict(lr=0.05, max_steps=300)),
        ("adam", dict(lr=0.01, max_steps=300, batch_size=32)),
        ("lbfgs", dict(max_steps=200)),
    ],
)
def test_replica_r_of_a_batch_equals_training_it_alone(trainer, opts):
    X, y = _sin3(128, np.random.default_rng(0))
    seeds = [3, 4, 5]
    batched = MLP([1, 8, 1], "tanh", rng=[np.random.default_rng(s) for s in seeds])
    fit(batched, X, y, trainer=trainer, rng=np.random.default_rng(9), **opts)
    for r, s in enumerate(seeds):
        solo = MLP([1, 8, 1], "tanh", rng=np.random.default_rng(s))
        fit(solo, X, y, trainer=trainer, rng=np.random.default_rng(9), **opts)
        np.testing.assert_allclose(batched.theta[r], solo.theta, rtol=1e-12, atol=1e-12)


def test_divergence_is_reported_not_silent():
    X, y = _sin3(64, np.random.default_rng(0))
    net = MLP([1, 16, 1], "relu", rng=np.random.default_rng(0))
    h = fit(net, X, y, trainer="gd", lr=1e6, max_steps=500)
    assert h.status == "diverged" and h.stop_reason == "diverged"
    assert "non-finite" in h.message
    assert h.steps < 500
    with pytest.raises(Diverged):
        fit(
            MLP([1, 16, 1], "relu", rng=np.random.default_rng(0)),
            X,
            y,
            trainer="gd",
            lr=1e6,
            max_steps=500,
            raise_on_diverge=True,
        )


def test_one_diverging_replica_is_frozen_while_the_others_train():
    X, y = _sin3(64, np.random.default_rng(0))
    net = MLP([1, 4, 1], "tanh", rng=[np.random.default_rng(s) for s in range(3)])
    net.theta[1] *= 1e200  # replica 1 overflows at once
    h = fit(net, X, y, trainer="gd", lr=0.1, max_steps=50)
    assert h.replica_status == ["ok", "diverged", "ok"]
    assert h.status == "diverged" and h.steps == 50
    assert np.all(np.isfinite(h.loss[-1][[0, 2]]))


def test_stopping_rules_tol_and_time_budget():
    X, y = _sin3(64, np.random.default_rng(0))
    net = MLP([1, 16, 1], "tanh", rng=np.random.default_rng(0))
    h = fit(net, X, y, trainer="adam", lr=0.01, max_steps=100000, tol=1e-2)
    assert h.stop_reason == "tol" and h.final_loss <= 1e-2 and h.steps < 100000
    net = MLP([1, 16, 1], "tanh", rng=np.random.default_rng(0))
    h = fit(net, X, y, trainer="gd", lr=0.01, max_steps=10**7, time_budget=0.3)
    assert h.stop_reason == "time_budget" and h.wall_time < 5
    net = MLP([1, 16, 1], "tanh", rng=np.random.default_rng(0))
    h = fit(net, X, y, trainer="lbfgs", max_steps=10**6, tol=1e-4)
    assert h.stop_reason == "tol" and h.final_loss <= 1e-4


def test_history_is_decimated_for_long_runs():
    assert all(should_record(s) for s in range(1, 101))
    kept = [s for s in range(1, 100001) if should_record(s)]
    assert len(kept) < 400 and kept[-1] == 100000
    X, y = _sin3(16, np.random.default_rng(0))
    h = fit(MLP([1, 2, 1], "tanh"), X, y, trainer="gd", lr=0.01, max_steps=5000)
    assert len(h.step) == 100 + 90 + 40 and h.step[-1] == 5000  # all of 1..100, every 10th, every 100th
    df = h.to_frame()
    assert list(df.columns) == ["step", "elapsed", "loss"] and len(df) == len(h.step)


def test_bad_trainer_options_raise():
    X, y = _sin3(16, np.random.default_rng(0))
    net = MLP([1, 2, 1], "tanh")
    with pytest.raises(ValueError, match="trainer='sgdd' is not known; valid trainers: .*adam"):
        fit(net, X, y, trainer="sgdd")
    with pytest.raises(ValueError, match="lr=-1"):
        fit(net, X, y, trainer="gd", lr=-1)
    with pytest.raises(ValueError, match="max_steps=0"):
        fit(net, X, y, trainer="adam", max_steps=0)
    with pytest.raises(ValueError, match="batch_size=0"):
        fit(net, X, y, trainer="adam", batch_size=0)
    with pytest.raises(ValueError, match="momentum=1.5"):
        fit(net, X, y, trainer="momentum", momentum=1.5)
    with pytest.raises(ValueError, match="unknown options \\['learning_rate'\\]"):
        fit(net, X, y, trainer="gd", learning_rate=0.1)
    with pytest.raises(ValueError, match="X contains NaN"):
        fit(net, np.full((3, 1), np.nan), np.zeros(3))


def test_per_replica_generators_are_checked_and_give_each_replica_its_solo_run():
    """fit(..., rng=[...]): one Generator per replica (gd/momentum/adam only); with mini-batches
    replica r then takes exactly the steps of a solo run with rng[r]."""
    from nnapprox import MLP, fit

    rng = np.random.default_rng(0)
    X, y = rng.uniform(-1, 1, (3, 64, 2)), rng.normal(size=(3, 64, 1))

    def make():
        return MLP([2, 5, 1], "tanh", rng=[np.random.default_rng(k) for k in range(3)])

    def gens():
        return [np.random.default_rng(10 + k) for k in range(3)]

    with pytest.raises(ValueError, match="one per replica"):
        fit(make(), X, y, trainer="gd", rng=gens()[:2], batch_size=16, max_steps=3)
    with pytest.raises(ValueError, match="only for trainers"):
        fit(make(), X, y, trainer="lbfgs", rng=gens(), max_steps=3)
    with pytest.raises(ValueError, match="Generator"):
        fit(make(), X, y, trainer="adam", rng=[1, 2, 3], max_steps=3)
    net = make()
    hist = fit(net, X, y, trainer="adam", rng=gens(), batch_size=16, max_steps=40, lr=0.01)
    assert hist.replica_steps == [40, 40, 40] and hist.replica_stop == ["max_steps"] * 3
    for r, g in enumerate(gens()):
        solo = make().replica(r).copy()
        fit(solo, X[r], y[r], trainer="adam", rng=g, batch_size=16, max_steps=40, lr=0.01)
        np.testing.assert_allclose(net.replica(r).theta, solo.theta, rtol=1e-10, atol=1e-12)


# tol is honoured with mini-batches (full training loss at the end of each epoch)
def test_tol_with_mini_batches():
    rng = np.random.default_rng(0)
    X = rng.uniform(-1, 1, (64, 1))
    h = fit(MLP([1, 4, 1], rng=rng), X, np.sin(3 * X[:, 0]), trainer="gd", batch_size=8, tol=10.0, max_steps=500)
    assert h.stop_reason == "tol" and h.steps == 64 // 8  # the first epoch's end
