"""FFT estimate of C_f: agrees with the closed forms, exact on lattice trig polynomials, diverges off the class."""
import math

import numpy as np
import pytest

from nnapprox.targets.fourier import estimate_cf, spectrum
from nnapprox.targets.builtin import get_target


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
    assert all(b / a > 1.8 for a, b in zip(jump, jump[1:]))  # ∝ n for a jump in d = 1
    disc = [estimate_cf(get_target("ball_indicator", d=2, rho=0.5), 2, half_width=4.0, n_grid=n) for n in (64, 128, 256)]
    assert all(b / a > 2.5 for a, b in zip(disc, disc[1:]))  # ∝ n^{3/2} in d = 2
    smooth = [estimate_cf(get_target("gaussian", d=1), 1, half_width=16.0, n_grid=n) for n in ns]
    assert max(smooth) - min(smooth) < 1e-10  # converged: resolution does not matter


@pytest.mark.parametrize(
    "kwargs, arg",
    [(dict(d=4), "d"), (dict(d=0), "d"), (dict(d=1, n_grid=101), "n_grid"), (dict(d=1, n_grid=2), "n_grid"),
     (dict(d=1, half_width=0.0), "half_width"), (dict(d=3, n_grid=512), "n_grid")],
)
def test_invalid_arguments(kwargs, arg):
    d = kwargs.pop("d")
    with pytest.raises(ValueError, match=arg):
        estimate_cf(get_target("gaussian", d=max(d, 1)), d, **kwargs)
