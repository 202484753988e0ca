"""Random features: ridge least squares on a frozen basis, validation choices, path, bad options."""

import numpy as np
import pytest
from scipy.special import expit

from nnapprox import MLP, fit
from nnapprox.targets.builtin import get_target
from nnapprox.targets.sampling import make_dataset


def _data(N=400, d=3, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.uniform(-1, 1, size=(N, d))
    return X, np.cos(X @ np.arange(1, d + 1) / d) + 0.1 * X[:, 0] ** 2


def test_fixed_scale_and_ridge_zero_is_least_squares_on_the_frozen_units():
    X, y = _data()
    h = fit(
        MLP([3, 20, 1], "sigmoid"), X, y, trainer="random_features", rng=np.random.default_rng(0), scale=2.0, ridge=0.0
    )
    assert h.extras["scale"] == 2.0 and h.extras["ridge"] == 0.0 and h.extras["val_mse"] is None
    net = h.net
    assert net.sizes == [3, 20, 1] and h.stop_reason == "path_end"
    A, b = net.weights[0], net.biases[0]
    H = expit(X @ A.T + b)
    ref = np.linalg.lstsq(np.column_stack([np.ones(len(X)), H]), y, rcond=None)[0]
    np.testing.assert_allclose(net.biases[1][0], ref[0], rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(net.weights[1][0], ref[1:], rtol=1e-7, atol=1e-9)
    # dist="gaussian": |a| ≈ scale / R on average; bias="data": every transition passes through a data point
    R = np.max(np.linalg.norm(X, axis=1))
    assert 0.5 * 2.0 / R < np.sqrt(np.mean(np.sum(A**2, axis=1))) < 1.5 * 2.0 / R
    assert np.all(np.min(np.abs(X @ A.T + b), axis=0) < 1e-12)


def test_ridge_matches_the_closed_form_with_unpenalised_intercept():
    X, y = _data(N=200)
    lam = 1e-3
    h = fit(
        MLP([3, 10, 1], "tanh"),
        X,
        y,
        trainer="random_features",
        rng=np.random.default_rng(1),
        scale=1.0,
        ridge=lam,
        dist="sphere",
        bias="uniform",
    )
    H = np.tanh(X @ h.net.weights[0].T + h.net.biases[0])
    Hc, yc = H - H.mean(0), y - y.mean()
    w = np.linalg.solve(Hc.T @ Hc / len(X) + lam * np.eye(10), Hc.T @ yc / len(X))
    np.testing.assert_allclose(h.net.weights[1][0], w, rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(h.net.biases[1][0], y.mean() - H.mean(0) @ w, rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(np.linalg.norm(h.net.weights[0], axis=1), 1.0 / np.max(np.linalg.norm(X, axis=1)))


def test_validation_choice_and_path_of_prefixes():
    X, y = _data(N=600)
    h = fit(MLP([3, 24, 1], "sigmoid"), X, y, trainer="random_features", rng=np.random.default_rng(2))
    ex = h.extras
    assert ex["scale"] in ex["scales"] and ex["ridge"] in ex["ridges"]
    val = np.array(ex["val_mse"])
    i, j = ex["scales"].index(ex["scale"]), ex["ridges"].index(ex["ridge"])
    assert val.shape == (7, 7) and val[i, j] == val.min()
    path = h.path
    assert path.widths == [1, 2, 3, 4, 6, 8, 12, 16, 24]  # the default path grid
    P = path.predict(X)
    for k, n in enumerate(path.widths):
        net_n = path.prefix(n)
        np.testing.assert_allclose(net_n.weights[0], h.net.weights[0][:n])  # first n features
        np.testing.assert_allclose(net_n.predict(X), P[k], rtol=1e-9, atol=1e-9)  # same sums, other order
        assert set(ex["ridge_per_width"]) == set(path.widths)
    assert path.train_mse[-1] < path.train_mse[0]
    h2 = fit(
        MLP([3, 24, 1], "sigmoid"),
        X,
        y,
        trainer="random_features",
        rng=np.random.default_rng(2),
        scale=[1.0, 4.0],
        record_widths=[5],
    )
    assert h2.extras["scale"] in (1.0, 4.0) and h2.path.widths == [5, 24]


def test_a_target_in_the_span_is_fitted_exactly():
    X, _ = _data(N=300)
    h = fit(
        MLP([3, 15, 1], "sigmoid"),
        X,
        np.zeros(300),
        trainer="random_features",
        scale=3.0,
        ridge=0.0,
        rng=np.random.default_rng(4),
    )
    A, b = h.net.weights[0], h.net.biases[0]
    y = expit(X @ A.T + b) @ np.linspace(-1, 1, 15) + 0.5
    h2 = fit(
        MLP([3, 15, 1], "sigmoid"), X, y, trainer="random_features", scale=3.0, ridge=0.0, rng=np.random.default_rng(4)
    )
    assert h2.path.train_mse[-1] < 1e-20


def test_bad_options_raise():
    X, y = _data(N=50)
    net = MLP([3, 4, 1], "sigmoid")
    for opts, match in [
        (dict(ridge=-1.0), "ridge=-1.0 must be >= 0"),
        (dict(ridge=[0.0, -1e-3]), "ridge=-0.001 must be >= 0"),
        (dict(scale=0.0), "scale=0.0 must be > 0"),
        (dict(n=0), "n=0"),
        (dict(dist="cauchy"), "dist='cauchy' is not known"),
        (dict(bias="zero"), "bias='zero' is not known"),
        (dict(val_fraction=1.5), "val_fraction=1.5 must be in"),
        (dict(record_widths=[0]), "record_widths"),
        (dict(n_features=3), r"unknown options \['n_features'\]"),
    ]:
        with pytest.raises(ValueError, match=match):
            fit(net, X, y, trainer="random_features", **opts)
    with pytest.raises(ValueError, match="val_fraction=0.01 leaves 0 validation"):
        fit(net, X, y, trainer="random_features", val_fraction=0.01)


@pytest.mark.slow
def test_oga_beats_random_features_fivefold_on_a_high_frequency_ridge():
    target = get_target("cosine_ridge", d=8, omega=10.0)
    ds = make_dataset(target, 4000, N_test=8192, seed=0)
    errs = {}
    for trainer in ("oga", "random_features"):
        h = fit(MLP([8, 256, 1], "sigmoid"), ds.X, ds.y, trainer=trainer, rng=np.random.default_rng(0))
        assert h.net.sizes == [8, 256, 1]
        errs[trainer] = np.mean((h.net.predict(ds.X_test) - ds.y_test) ** 2)
    assert errs["random_features"] >= 5 * errs["oga"], errs
