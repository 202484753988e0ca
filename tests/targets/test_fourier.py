"""FFT estimate of C_f: agrees with the closed forms, exact on lattice trig polynomials, diverges off the class."""

import math
from itertools import pairwise

import numpy as np
import pytest

from nnapprox.targets.builtin import get_target
from nnapprox.targets.fourier import estimate_cf, estimate_cf_checked, max_bytes, spectrum


@pytest.mark.parametrize("s", [0.5, 1.0, 2.0])
def test_gaussian_1d_within_one_percent(s):
    t = get_target("gaussian", d=1, s=s)
    est = estimate_cf(t, 1, half_width=16 * max(s, 1.0), n_grid=1024)
    assert est == pytest.approx(t.c_f, rel=1e-2)
    # the documented kink bias: falls short by about (π s / L)^2 / 12 (relative)
    assert (t.c_f - est) / t.c_f == pytest.approx((math.pi * s / (16 * max(s, 1.0))) ** 2 / 12, rel=0.05)


@pytest.mark.parametrize("s", [0.5, 1.0, 2.0])
def test_gaussian_2d_within_one_percent(s):
    t = get_target("gaussian", d=2, s=s)
    assert estimate_cf(t, 2, half_width=12 * max(s, 1.0), n_grid=256) == pytest.approx(t.c_f, rel=1e-2)


def test_spectrum_total_mass_is_f_at_zero():
    # ∫ f̃ dω = f(0) = 1 for the Gaussian
    for d in (1, 2):
        w, ft, cell = spectrum(get_target("gaussian", d=d, s=0.7), d, half_width=10.0, n_grid=128)
        assert w.shape == ft.shape == (128,) * d
        assert np.sum(ft) * cell == pytest.approx(1.0, rel=1e-8)


@pytest.mark.parametrize(
    "name, params, n",
    [
        ("cosine_product", dict(d=2, k=3.0), 32),
        ("cosine_ridge", dict(d=1, omega=[4.0], phase=0.7), 64),
        ("cosine_ridge", dict(d=3, omega=[3.0, -2.0, 1.0]), 16),
        ("cosine_sum", dict(d=2, omegas=[[1.0, 2.0], [-3.0, 0.0]], amplitudes=[1.0, -0.5]), 32),
    ],
)
def test_exact_for_lattice_trig_polynomials(name, params, n):
    t = get_target(name, **params)
    assert estimate_cf(t, t.dim, half_width=math.pi, n_grid=n) == pytest.approx(t.c_f, rel=1e-12)


def test_grows_without_bound_off_the_class():
    ns = [256, 512, 1024, 2048]
    jump = [estimate_cf(get_target("ball_indicator", d=1, rho=0.5), 1, half_width=4.0, n_grid=n) for n in ns]
    assert all(b / a > 1.8 for a, b in pairwise(jump))  # ∝ n for a jump in d = 1
    disc = [
        estimate_cf(get_target("ball_indicator", d=2, rho=0.5), 2, half_width=4.0, n_grid=n) for n in (64, 128, 256)
    ]
    assert all(b / a > 2.5 for a, b in pairwise(disc))  # ∝ n^{3/2} in d = 2
    smooth = [estimate_cf(get_target("gaussian", d=1), 1, half_width=16.0, n_grid=n) for n in ns]
    assert max(smooth) - min(smooth) < 1e-10  # converged: resolution does not matter


@pytest.mark.parametrize(
    "kwargs, arg",
    [
        (dict(d=4), "d"),
        (dict(d=0), "d"),
        (dict(d=1, n_grid=101), "n_grid"),
        (dict(d=1, n_grid=2), "n_grid"),
        (dict(d=1, half_width=0.0), "half_width"),
        (dict(d=3, n_grid=512), "n_grid"),
    ],
)
def test_invalid_arguments(kwargs, arg):
    d = kwargs.pop("d")
    with pytest.raises(ValueError, match=arg):
        estimate_cf(get_target("gaussian", d=max(d, 1)), d, **kwargs)


# --- issue 24: the checked estimate knows its limits (repros 02, 03, 38) ---------------------------------
# Closed forms the estimator was not tuned on: C_f = E|ω| under the (normalised) |f̂|.


def _gauss_cf(d, s):
    """C_f of exp(-|x - c|² / (2 s²)) in R^d, whatever c: E|ω| for ω ~ N(0, I / s²)."""
    return math.sqrt(2) / s * math.gamma((d + 1) / 2) / math.gamma(d / 2)


def _folded_mean(mu):
    """E|ω| for ω ~ N(mu, 1) in d = 1: C_f of cos(mu x) exp(-x²/2)."""
    return mu * math.erf(mu / math.sqrt(2)) + 2 * math.exp(-mu * mu / 2) / math.sqrt(2 * math.pi)


def _noncentral_chi2_mean(lam):
    """E|ω| for ω ~ N(m, I) in d = 2 with |m| = lam: C_f of cos(m·x) exp(-|x|²/2)."""
    from scipy.special import hyp1f1

    return math.sqrt(math.pi / 2) * hyp1f1(-0.5, 1, -lam * lam / 2)


CLOSED = {
    # repro 02: the aliased frequency (the old grid gave 40.5 with a stated error of 2e-16)
    "high frequency d=1": (lambda X: np.cos(60 * X[:, 0]) * np.exp(-0.5 * X[:, 0] ** 2), 1, 1.0, _folded_mean(60)),
    "oblique wave d=2": (
        lambda X: np.cos(40 * X[:, 0] + 30 * X[:, 1]) * np.exp(-0.5 * np.sum(X**2, axis=1)),
        2,
        1.0,
        _noncentral_chi2_mean(50),
    ),
    # the narrow Gaussian in d = 3 (the old grid gave 11.7 for 15.96)
    "narrow d=3": (lambda X: np.exp(-np.sum(X**2, axis=1) / (2 * 0.1**2)), 3, 1.0, _gauss_cf(3, 0.1)),
    "off-centre d=1": (lambda X: np.exp(-0.5 * (X[:, 0] - 0.7) ** 2), 1, 1.0, _gauss_cf(1, 1.0)),
    "off-centre d=2": (lambda X: np.exp(-0.5 * np.sum((X - [3.0, -2.0]) ** 2, axis=1)), 2, 1.0, _gauss_cf(2, 1.0)),
    # repro 03: a bump inside the domain [-200, 200] but far from 0 (the old box gave C_f = 0)
    "far bump d=1": (lambda X: np.exp(-0.5 * ((X[:, 0] - 150) / 3) ** 2), 1, 200.0, _gauss_cf(1, 3.0)),
}


@pytest.mark.parametrize("name", list(CLOSED))
def test_checked_estimate_matches_closed_forms_within_its_stated_error(name):
    f, d, radius, exact = CLOSED[name]
    est = estimate_cf_checked(f, d, radius=radius)
    assert est.method.startswith("estimated: FFT"), est.method
    assert est.rel_error <= 1e-3
    assert abs(est.value - exact) / exact <= max(2 * est.rel_error, 1e-12), (est.value, exact, est.rel_error)
    assert 0 < est.bytes <= max_bytes(d)


UNKNOWN = {
    "indicator (C_f infinite)": (
        lambda X: (np.abs(X[:, 0]) < 0.5).astype(float),
        1,
        "has not decayed near the Nyquist",
    ),
    "a kink (C_f infinite)": (lambda X: np.maximum(0, 1 - np.abs(X[:, 0])), 1, "has not decayed near the Nyquist"),
    "the disc in d=2": (lambda X: (np.sum(X**2, axis=1) < 0.25).astype(float), 2, "has not decayed near the Nyquist"),
    "too fast for the grid": (
        lambda X: np.cos(500 * X[:, 0]) * np.exp(-0.5 * np.sum(X**2, axis=1)),
        2,
        "finest step the estimate allows",
    ),
    "no decay": (lambda X: np.sin(3 * X[:, 0]), 1, "f does not decay on R^1"),
    "only defined near the domain": (lambda X: np.log(X[:, 0] + 2), 1, "f is not finite on the FFT box"),
    "d = 4": (lambda X: np.exp(-np.sum(X**2, axis=1)), 4, "no numerical estimate in d = 4"),
}


@pytest.mark.parametrize("name", list(UNKNOWN))
def test_checked_estimate_says_unknown_and_why(name):
    f, d, needle = UNKNOWN[name]
    est = estimate_cf_checked(f, d, radius=1.0)
    assert est.value is None and math.isnan(est.rel_error)
    assert est.method.startswith("unknown: ") and est.method.endswith("; give target.c_f") and needle in est.method


def test_checked_estimate_of_a_function_failing_off_its_domain_is_unknown():
    def f(X):
        if np.any(np.abs(X) > 1.0):
            raise ValueError("outside my domain")
        return np.exp(-np.sum(X**2, axis=1))

    est = estimate_cf_checked(f, 1, radius=1.0)
    assert est.value is None and "failed (outside my domain)" in est.method


def test_checked_estimate_box_holds_the_domain():
    seen = []

    def f(X):
        seen.append(np.abs(X).max())
        return np.exp(-0.5 * np.sum(X**2, axis=1))

    estimate_cf_checked(f, 2, radius=7.0)
    assert max(seen) >= 1.25 * 7.0 * 0.99  # the first box already reaches past the domain's cube
