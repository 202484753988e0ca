"""Targets: registry, validation, and every closed-form C_f against an independent numerical value."""

import json
import math

import numpy as np
import pytest
from scipy.integrate import quad
from scipy.special import expit

from nnapprox.targets import builtin as T
from nnapprox.targets.builtin import get_target, list_targets
from nnapprox.targets.sampling import Domain


def _points(t, N=64, seed=0):
    rng = np.random.default_rng(seed)
    if t.domain.kind == "cube":
        return rng.uniform(t.domain.low, t.domain.high, (N, t.dim))
    return rng.uniform(-1, 1, (N, t.dim)) * t.domain.radius / math.sqrt(t.dim)


# ---------------------------------------------------------------------------
# registry and the Target object
# ---------------------------------------------------------------------------

#: The user's own targets need a function or a file (tests/targets/test_user.py covers them).
USER = ("python", "table")
BUILT_IN = sorted(set(T.TARGETS) - set(USER))


def test_registry_lists_every_target_with_its_kind():
    assert list_targets() == sorted(T.TARGETS)
    assert set(T._KIND_OF) == set(T.TARGETS)
    assert sorted(list_targets("user") + list_targets("table")) == sorted(USER)
    for kind in T.KINDS:
        for name in list_targets(kind):
            if name not in USER:
                assert get_target(name).kind == kind
    assert sum(len(list_targets(k)) for k in T.KINDS) == len(T.TARGETS)
    with pytest.raises(ValueError, match="kind"):
        list_targets("smooth")


@pytest.mark.parametrize("name", BUILT_IN)
def test_every_target_evaluates_and_rebuilds_from_params(name):
    t = get_target(name)
    X = _points(t)
    y = t(X)
    assert y.shape == (64,) and y.dtype == np.float64 and np.all(np.isfinite(y))
    json.dumps(t.params)  # JSON-friendly parameters
    t2 = get_target(t.name, **t.params)
    np.testing.assert_array_equal(t2(X), y)
    assert t2.c_f == t.c_f and t2.dim == t.dim and t2.domain == t.domain
    assert t.c_f is None or t.c_f == math.inf or (t.c_f >= 0 and math.isfinite(t.c_f))
    assert (t.c_f == math.inf) == (t.kind == "non_barron" or name in ("sawtooth", "tent"))
    if t.dim == 1:  # 1-D input accepted for d = 1
        np.testing.assert_array_equal(t(X[:, 0]), y)
    with pytest.raises(ValueError, match="expects"):
        t(np.zeros((3, t.dim + 1)))


def test_same_params_same_function_and_seed_changes_it():
    X = np.random.default_rng(1).normal(size=(50, 3)) / 3
    a = get_target("cosine_sum", d=3, seed=7)
    b = get_target("cosine_sum", d=3, seed=7)
    c = get_target("cosine_sum", d=3, seed=8)
    np.testing.assert_array_equal(a(X), b(X))
    assert not np.allclose(a(X), c(X))
    r1, r2 = get_target("cosine_ridge", d=3, omega=2.0, seed=3), get_target("cosine_ridge", d=3, omega=2.0, seed=3)
    np.testing.assert_array_equal(r1(X), r2(X))


def test_domains_and_radius():
    t = get_target("gaussian", d=4, radius=2.0)
    assert t.domain == Domain("ball", radius=2.0) and t.radius == 2.0
    c = get_target("gaussian", d=4, radius=0.5, domain="cube")
    assert c.domain.kind == "cube" and (c.domain.low, c.domain.high) == (-0.5, 0.5)
    assert c.radius == pytest.approx(0.5 * 2.0)  # sqrt(4) * 0.5
    assert get_target("compositional").radius == pytest.approx(math.sqrt(8))
    assert get_target("sawtooth", k=3).domain == Domain("cube", low=0.0, high=1.0)


# ---------------------------------------------------------------------------
# validation
# ---------------------------------------------------------------------------


def test_unknown_name_lists_valid_names():
    with pytest.raises(ValueError, match="valid names") as e:
        get_target("gausian")
    assert "gaussian" in str(e.value) and "'gausian'" in str(e.value)


@pytest.mark.parametrize(
    "name, params, arg",
    [
        ("gaussian", dict(d=0), "d"),
        ("gaussian", dict(d=1.5), "d"),
        ("gaussian", dict(d=True), "d"),
        ("gaussian", dict(s=0.0), "s"),
        ("gaussian", dict(s=-1.0), "s"),
        ("gaussian", dict(s=math.inf), "s"),
        ("gaussian", dict(radius=0.0), "radius"),
        ("gaussian", dict(domain="torus"), "domain"),
        ("cosine_ridge", dict(d=0), "d"),
        ("cosine_ridge", dict(d=2, omega=[1.0, 2.0, 3.0]), "omega"),
        ("cosine_ridge", dict(omega="fast"), "omega"),
        ("cosine_product", dict(k=0.0), "k"),
        ("cosine_sum", dict(d=1, omegas=[[1.0], [-1.0]]), "omegas"),
        ("cosine_sum", dict(d=2, omegas=[[1.0, 2.0]], amplitudes=[1.0, 2.0]), "amplitudes"),
        ("cosine_sum", dict(m=0), "m"),
        ("sigmoid_ridge", dict(a=math.nan), "a"),
        ("tanh_ridge", dict(b="x"), "b"),
        ("ball_indicator", dict(rho=0.0), "rho"),
        ("ball_indicator", dict(rho=-0.5), "rho"),
        ("ball_indicator", dict(rho=1.0), "rho"),
        ("ball_indicator", dict(d=0), "d"),
        ("step", dict(d=-1), "d"),
        ("abs", dict(d=0), "d"),
        ("sawtooth", dict(k=0), "k"),
        ("sawtooth", dict(k=2, d=2), "d"),
        ("square", dict(d=3), "d"),
        ("compositional", dict(d=4), "d"),
        ("sin", dict(freq=0.0), "freq"),
        ("gaussian", dict(sigma=1.0), "sigma"),
    ],
)
def test_invalid_parameters_raise_value_error_naming_the_argument(name, params, arg):
    with pytest.raises(ValueError) as e:
        get_target(name, **params)
    msg = str(e.value)
    assert arg in msg
    assert any(w in msg for w in ("must", "allowed", "valid", "invalid"))


def test_range_is_stated_in_messages():
    with pytest.raises(ValueError, match=r"d must be an integer >= 1"):
        get_target("gaussian", d=0)
    with pytest.raises(ValueError, match=r"s must be > 0"):
        get_target("gaussian", s=0)
    with pytest.raises(ValueError, match=r"rho must be > 0"):
        get_target("ball_indicator", rho=0)
    with pytest.raises(ValueError, match=r"allowed: d, s, radius, domain"):
        get_target("gaussian", sigma=1)


# ---------------------------------------------------------------------------
# closed forms against independent numerics
# ---------------------------------------------------------------------------


def _ft1_gauss(s, w):
    """(1/2π) ∫ exp(-x²/2s²) cos(w x) dx by quadrature."""
    val = quad(lambda x: math.exp(-x * x / (2 * s * s)) * math.cos(w * x), 0, 40 * s, limit=400)[0]
    return 2 * val / (2 * math.pi)


@pytest.mark.parametrize("d", [1, 2, 3, 5])
@pytest.mark.parametrize("s", [0.5, 1.0, 2.0])
def test_gaussian_cf_matches_numerical_integral(d, s):
    # f̃(ω) = Π_i φ(ω_i) with φ the numerically computed 1-D transform; f is radial, so
    # f̃(ω) = φ(|ω|) φ(0)^{d-1} and C_f = |S^{d-1}| ∫_0^∞ ρ^d φ(ρ) φ(0)^{d-1} dρ.
    phi0 = _ft1_gauss(s, 0.0)
    sphere = 2 * math.pi ** (d / 2) / math.gamma(d / 2)
    num = sphere * phi0 ** (d - 1) * quad(lambda r: r**d * _ft1_gauss(s, r), 0, 14 / s, limit=200)[0]
    t = get_target("gaussian", d=d, s=s)
    assert t.c_f == pytest.approx(num, rel=1e-3)
    assert t.c_f == pytest.approx(num, rel=1e-7)


def test_gaussian_cf_monte_carlo():
    # C_f = E|ω| for ω ~ N(0, I/s²) since f̃ is that density (mass f(0) = 1).
    rng = np.random.default_rng(0)
    for d, s in [(2, 1.0), (7, 0.5)]:
        w = rng.standard_normal((400_000, d)) / s
        norms = np.linalg.norm(w, axis=1)
        se = norms.std() / math.sqrt(norms.size)
        assert abs(norms.mean() - get_target("gaussian", d=d, s=s).c_f) < 5 * se


def _ridge_constant(gprime):
    """C_g = (1/2π) ∫ |ĝ'(ξ)| dξ with ĝ'(ξ) = ∫ g'(t) e^{-iξt} dt (g' even), all by quadrature."""

    def ft(xi):
        if xi == 0:
            return 2 * quad(gprime, 0, np.inf)[0]
        return 2 * quad(gprime, 0, np.inf, weight="cos", wvar=xi)[0]

    return 2 * quad(lambda xi: abs(ft(xi)), 0, 60, limit=200)[0] / (2 * math.pi)


def test_tanh_and_sigmoid_ridge_constants_by_quadrature():
    with np.errstate(over="ignore"):
        c_tanh = _ridge_constant(lambda t: 1.0 / np.cosh(t) ** 2)
        c_sig = _ridge_constant(lambda t: expit(t) * (1 - expit(t)))
    assert c_tanh == pytest.approx(1.0, rel=1e-6)
    assert c_sig == pytest.approx(0.25, rel=1e-6)
    for d, a in [(1, 1.0), (1, -3.0), (2, 2.5), (5, 0.7)]:
        assert get_target("tanh_ridge", d=d, a=a).c_f == pytest.approx(abs(a) * c_tanh, rel=1e-3)
        assert get_target("sigmoid_ridge", d=d, a=a).c_f == pytest.approx(abs(a) * c_sig, rel=1e-3)


@pytest.mark.parametrize("name, g", [("tanh_ridge", np.tanh), ("sigmoid_ridge", expit)])
def test_ridges_are_functions_of_a_dot_x(name, g):
    X = np.random.default_rng(2).normal(size=(40, 3))
    a = np.array([0.5, -1.0, 2.0])
    t = get_target(name, d=3, a=a, b=0.3)
    np.testing.assert_allclose(t(X), g(X @ a + 0.3), rtol=1e-14)
    t = get_target(name, d=3, a=2.0, b=-0.1, seed=4)
    w = t.info["a"]
    assert np.linalg.norm(w) == pytest.approx(2.0)
    np.testing.assert_allclose(t(X), g(X @ w - 0.1), rtol=1e-14)


def _periodic_cf(t, n=32):
    """C_f of a 2π-periodic trig polynomial with integer frequencies, from its exact DFT coefficients."""
    d = t.dim
    x1 = 2 * np.pi * np.arange(n) / n
    grids = np.meshgrid(*([x1] * d), indexing="ij")
    vals = t(np.stack([g.ravel() for g in grids], axis=1)).reshape((n,) * d)
    coef = np.fft.fftn(vals) / n**d
    k1 = np.fft.fftfreq(n, d=1.0 / n)
    kg = np.meshgrid(*([k1] * d), indexing="ij")
    return float(np.sum(np.sqrt(sum(k * k for k in kg)) * np.abs(coef)))


@pytest.mark.parametrize(
    "name, params",
    [
        ("cosine_ridge", dict(d=1, omega=[5.0], phase=0.3)),
        ("cosine_ridge", dict(d=2, omega=[3.0, -2.0], phase=1.0)),
        ("cosine_ridge", dict(d=3, omega=[1.0, 2.0, -2.0])),
        ("cosine_product", dict(d=1, k=3.0)),
        ("cosine_product", dict(d=2, k=2.0)),
        ("cosine_product", dict(d=3, k=1.0)),
        ("cosine_sum", dict(d=1, omegas=[[1.0], [4.0], [7.0]], amplitudes=[0.5, -2.0, 0.25], phases=[0, 1, 2])),
        ("cosine_sum", dict(d=2, omegas=[[1.0, 0.0], [2.0, -3.0], [0.0, 5.0]], amplitudes=[1.0, -0.5, 0.3])),
        ("sin", dict(freq=4.0)),
    ],
)
def test_discrete_spectrum_cf_matches_dft(name, params):
    t = get_target(name, **params)
    assert t.c_f == pytest.approx(_periodic_cf(t), rel=1e-10)


def test_cosine_product_closed_form():
    for d, k in [(1, 2.0), (4, 1.5), (10, 3.0)]:
        assert get_target("cosine_product", d=d, k=k).c_f == pytest.approx(k * math.sqrt(d))


def test_seeded_cosine_sum_amplitudes_recovered_by_least_squares():
    # The spectrum is {±ω_j}; recover the coefficients of cos(ω_j·x), sin(ω_j·x) from samples
    # and rebuild C_f = Σ_j |ω_j| sqrt(α_j² + β_j²) without using the stored amplitudes.
    t = get_target("cosine_sum", d=3, m=5, omega=4.0, seed=11)
    W = t.info["omegas"]
    X = np.random.default_rng(0).uniform(-2, 2, (600, 3))
    A = np.hstack([np.cos(X @ W.T), np.sin(X @ W.T)])
    coef, *_ = np.linalg.lstsq(A, t(X), rcond=None)
    amp = np.hypot(coef[:5], coef[5:])
    assert t.c_f == pytest.approx(float(np.sum(amp * np.linalg.norm(W, axis=1))), rel=1e-10)
    assert np.allclose(A @ coef, t(X), atol=1e-12)


# ---------------------------------------------------------------------------
# non-Barron and depth targets
# ---------------------------------------------------------------------------


def test_non_barron_values():
    X = np.array([[-0.5, 0.1], [0.25, -0.2], [0.0, 0.9], [0.3, 0.4]])
    np.testing.assert_array_equal(get_target("step", d=2)(X), [0, 1, 0, 1])
    np.testing.assert_array_equal(get_target("abs", d=2)(X), [0.5, 0.25, 0.0, 0.3])
    np.testing.assert_array_equal(get_target("ball_indicator", d=2, rho=0.5)(X), [0, 1, 0, 1])
    for name in ("step", "abs", "ball_indicator"):
        assert get_target(name, d=3).c_f == math.inf


@pytest.mark.parametrize("k", [1, 2, 3, 5, 8])
def test_sawtooth_is_the_iterated_tent(k):
    x = np.random.default_rng(k).random(1000)
    y = 2.0 ** (k - 1) * x
    ref = 2 * np.abs(y - np.round(y))  # Δ^k(x) = 2 dist(2^{k-1} x, Z) on [0, 1]
    np.testing.assert_allclose(get_target("sawtooth", k=k)(x), ref, atol=1e-12)
    if k == 1:
        np.testing.assert_array_equal(get_target("tent")(x), get_target("sawtooth", k=1)(x))


def test_square_and_compositional():
    x = np.linspace(0, 1, 11)
    np.testing.assert_allclose(get_target("square")(x), x**2)
    t = get_target("compositional")
    assert t.dim == 8 and t.c_f is None and t.kind == "depth"
    X = np.array([[0.5, 1.0, 1.0, 1.0, 0.2, 0.5, 0.0, 0.3]])
    u = math.sin(math.pi * (0.5 + 1.0) / 4)
    v = math.sin(math.pi * (0.1 + 0.0) / 4)
    assert t(X)[0] == pytest.approx(math.sin(math.pi * u * v), rel=1e-14)
    Y = t(np.random.default_rng(0).random((2000, 8)))
    assert Y.min() >= 0 and Y.max() <= 1 and Y.var() > 0.05


def test_scalar_slope_in_one_dimension_is_the_slope_itself():
    x = np.linspace(-1, 1, 21)
    np.testing.assert_allclose(get_target("sigmoid_ridge", a=-3.0, b=0.5)(x), expit(-3 * x + 0.5), rtol=1e-14)
    np.testing.assert_allclose(get_target("tanh_ridge", a=2.0, seed=5)(x), np.tanh(2 * x), rtol=1e-14)
    assert get_target("sigmoid_ridge", a=-3.0).c_f == 0.75


def test_target_defaults():
    assert T.target_defaults("gaussian") == dict(d=1, s=1.0, radius=1.0, domain="ball")
    assert T.target_defaults("sawtooth") == dict(k=1, d=1)
    with pytest.raises(ValueError, match="valid names"):
        T.target_defaults("nope")


def test_radial_target_is_radial_with_half_the_mass_inside():
    t = get_target("radial", d=8, eps=0.05)
    rng = np.random.default_rng(0)
    X = rng.uniform(-1, 1, size=(20000, 8))
    f = t.fn(X)
    assert 0.45 < np.mean(f > 0.5) < 0.55
    Q, _ = np.linalg.qr(rng.normal(size=(8, 8)))
    Xs = X[:200] * 0.5
    assert t.fn(Xs @ Q.T) == pytest.approx(t.fn(Xs), abs=1e-12)  # depends on |x| only
    assert t.fn(np.zeros((1, 8)))[0] > 0.999
    with pytest.raises(ValueError, match="eps"):
        get_target("radial", d=4, eps=0)
