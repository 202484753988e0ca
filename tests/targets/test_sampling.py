"""Sampling: exact uniform law on the ball and cube; datasets from independent streams."""

import math

import numpy as np
import pytest
from scipy import stats

from nnapprox.targets.builtin import get_target
from nnapprox.targets.sampling import Domain, add_noise, make_dataset, sample_domain


@pytest.mark.parametrize("d", [1, 2, 3, 5, 10])
@pytest.mark.parametrize("r", [1.0, 2.5])
def test_ball_radius_law_is_exact(d, r):
    rng = np.random.default_rng(100 * d + int(r))
    X = sample_domain(Domain("ball", radius=r), 20_000, d, rng)
    assert X.shape == (20_000, d) and X.dtype == np.float64
    norms = np.linalg.norm(X, axis=1)
    assert np.all(norms <= r * (1 + 1e-12))
    # P(|x| <= t) = (t/r)^d  <=>  (|x|/r)^d ~ U(0, 1)
    assert stats.kstest((norms / r) ** d, "uniform").pvalue > 1e-3


@pytest.mark.parametrize("d", [2, 3, 6])
def test_ball_directions_are_isotropic(d):
    N = 20_000
    X = sample_domain(Domain("ball"), N, d, np.random.default_rng(d))
    U = X / np.linalg.norm(X, axis=1, keepdims=True)
    # E u = 0 and E u u^T = I/d; each entry has sd <= 1/sqrt(N)
    assert np.max(np.abs(U.mean(axis=0))) < 5 / math.sqrt(N)
    assert np.max(np.abs(U.T @ U / N - np.eye(d) / d)) < 5 / math.sqrt(N)
    if d == 2:  # angle uniform on (-π, π]
        ang = np.arctan2(U[:, 1], U[:, 0])
        assert stats.kstest((ang + np.pi) / (2 * np.pi), "uniform").pvalue > 1e-3
    if d == 3:  # Archimedes: each coordinate of a uniform direction is U(-1, 1)
        assert stats.kstest((U[:, 2] + 1) / 2, "uniform").pvalue > 1e-3


def test_cube_sampling():
    dom = Domain("cube", low=-0.5, high=2.0)
    X = sample_domain(dom, 10_000, 3, np.random.default_rng(0))
    assert X.min() >= -0.5 and X.max() <= 2.0
    for j in range(3):
        assert stats.kstest((X[:, j] + 0.5) / 2.5, "uniform").pvalue > 1e-3
    assert np.all(dom.contains(X))
    assert dom.bounding_radius(3) == pytest.approx(2.0 * math.sqrt(3))
    assert Domain("ball", radius=3.0).bounding_radius(7) == 3.0


def test_domain_and_sampling_validation():
    with pytest.raises(ValueError, match="kind"):
        Domain("sphere")
    with pytest.raises(ValueError, match="radius"):
        Domain("ball", radius=0.0)
    with pytest.raises(ValueError, match="low"):
        Domain("cube", low=1.0, high=1.0)
    rng = np.random.default_rng(0)
    with pytest.raises(ValueError, match="N"):
        sample_domain(Domain(), 0, 2, rng)
    with pytest.raises(ValueError, match="d"):
        sample_domain(Domain(), 5, 0, rng)
    with pytest.raises(ValueError, match="rng"):
        sample_domain(Domain(), 5, 2, 0)
    with pytest.raises(ValueError, match="domain"):
        sample_domain("ball", 5, 2, rng)
    with pytest.raises(ValueError, match="noise"):
        add_noise(np.zeros(3), -1.0, rng)


def test_make_dataset_shapes_values_and_noise():
    t = get_target("gaussian", d=3, s=0.5)
    ds = make_dataset(t, 4000, N_test=1000, noise=0.1, seed=3)
    assert ds.X.shape == (4000, 3) and ds.y.shape == (4000,)
    assert ds.X_test.shape == (1000, 3) and ds.y_test.shape == (1000,)
    assert ds.N == 4000 and ds.d == 3 and ds.noise == 0.1
    np.testing.assert_array_equal(ds.y_test, t(ds.X_test))
    np.testing.assert_array_equal(ds.y_clean, t(ds.X))
    resid = ds.y - ds.y_clean
    assert resid.std() == pytest.approx(0.1, rel=0.05) and abs(resid.mean()) < 0.01
    assert ds.var_f == pytest.approx(float(np.var(ds.y_test)))
    assert np.all(np.linalg.norm(ds.X, axis=1) <= 1 + 1e-12)
    clean = make_dataset(t, 10, N_test=5, seed=3)
    np.testing.assert_array_equal(clean.y, clean.y_clean)
    assert make_dataset(t, 1, N_test=2**14).X_test.shape == (2**14, 3)  # default test size


def test_streams_are_independent_and_reproducible():
    t = get_target("cosine_product", d=2, k=2.0)
    a = make_dataset(t, 100, N_test=500, noise=0.2, seed=1)
    b = make_dataset(t, 100, N_test=500, noise=0.2, seed=1)
    c = make_dataset(t, 300, N_test=500, noise=0.0, seed=1)
    d = make_dataset(t, 100, N_test=500, noise=0.2, seed=2)
    np.testing.assert_array_equal(a.X, b.X)
    np.testing.assert_array_equal(a.y, b.y)
    # the test set does not depend on the training size or noise
    np.testing.assert_array_equal(a.X_test, c.X_test)
    assert not np.allclose(a.X_test, d.X_test)
    assert not np.allclose(a.X[:50], a.X_test[:50])


def test_depth_target_on_its_cube():
    ds = make_dataset(get_target("sawtooth", k=3), 200, N_test=200)
    assert ds.X.min() >= 0 and ds.X.max() <= 1


@pytest.mark.parametrize(
    "kwargs, arg",
    [(dict(N=0), "N"), (dict(N=10, N_test=0), "N_test"), (dict(N=10, noise=-0.1), "noise"), (dict(N=2.5), "N")],
)
def test_make_dataset_validation(kwargs, arg):
    with pytest.raises(ValueError, match=arg):
        make_dataset(get_target("gaussian"), **kwargs)
