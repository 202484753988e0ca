"""nnapprox.theory.bounds: bound curves (values, broadcasting, the optimal width, ReLU ramps, validation) and the
certified lower bound on every shallow ReLU net."""

import itertools
import math

import numpy as np
import pytest

from nnapprox import MLP, fit
from nnapprox.targets.builtin import iterated_tent
from nnapprox.theory import bounds as th
from nnapprox.theory.bounds import piecewise_linear_lower_bound, shallow_relu_lower_bound, telgarsky_params


def test_approx_bound_values_and_broadcasting():
    assert th.approx_bound(1.5, 10, radius=2.0) == pytest.approx((2 * 2 * 1.5) ** 2 / 10)
    assert isinstance(th.approx_bound(1.0, 4), float)
    n = np.array([1, 2, 4, 8])
    np.testing.assert_allclose(th.approx_bound(0.5, n), 1.0 / n)
    out = th.approx_bound(np.array([[1.0], [2.0]]), n)
    assert out.shape == (2, 4)
    assert th.approx_bound(math.inf, 10) == math.inf
    assert th.approx_bound(0.0, 10) == 0.0


def test_estimation_and_rates():
    assert th.estimation_term(10, 3, 1000) == pytest.approx(10 * 3 * math.log(1000) / 1000)
    N = np.array([10, 100, 1000])
    np.testing.assert_allclose(th.estimation_term(5, 2, N), 10 * np.log(N) / N)
    assert th.estimation_term(5, 2, 1) == 0.0
    np.testing.assert_allclose(th.fixed_basis_rate(np.array([1, 4, 16]), 4), [1.0, 0.5, 0.25])
    assert th.fixed_basis_rate(100, 1) == pytest.approx(1e-4)
    assert th.risk_bound(1.0, 4, 2, 100) == pytest.approx(th.approx_bound(1.0, 4) + th.estimation_term(4, 2, 100))


def test_optimal_width_balances_the_terms():
    c, N, d, r = 2.0, 10_000, 3, 1.5
    n_star = th.optimal_width(c, N, d)
    assert n_star == pytest.approx(c * math.sqrt(N / (d * math.log(N))))
    grid = np.linspace(1, 20 * n_star, 200_001)
    best = grid[np.argmin(th.risk_bound(c, grid, d, N, radius=r))]
    assert best == pytest.approx(2 * r * n_star, rel=1e-3)  # as documented
    np.testing.assert_allclose(
        th.optimal_width(1.0, np.array([100, 1000]), 1), np.sqrt(np.array([100, 1000]) / np.log([100, 1000]))
    )


@pytest.mark.parametrize("alpha", [0.0, 0.01, 0.3])
def test_two_relu_units_make_a_ramp_sigmoid(alpha):
    z = np.linspace(-3, 4, 701)
    np.testing.assert_allclose(th.ramp_from_relu(z, alpha), np.clip(z, 0, 1), atol=1e-14)
    assert th.relu_units_for_sigmoidal(7) == 14
    np.testing.assert_array_equal(th.relu_units_for_sigmoidal(np.array([1, 5])), [2, 10])


def test_width_where_bound_below():
    for c, v, r in [(1.0, 0.3, 1.0), (0.25, 0.05, 2.0), (2.0, 1.0, 1.0), (0.0, 0.1, 1.0)]:
        n = th.width_where_bound_below(c, v, r)
        assert isinstance(n, int) and n >= 1
        assert th.approx_bound(c, n, r) < v
        if n > 1:
            assert th.approx_bound(c, n - 1, r) >= v
    assert th.width_where_bound_below(math.inf, 1.0) == math.inf
    np.testing.assert_array_equal(th.width_where_bound_below(np.array([1.0, 2.0]), 1.0), [5.0, 17.0])


@pytest.mark.parametrize(
    "call, arg",
    [
        (lambda: th.approx_bound(-1.0, 3), "c_f"),
        (lambda: th.approx_bound(None, 3), "c_f"),
        (lambda: th.approx_bound(1.0, 0), "n"),
        (lambda: th.approx_bound(1.0, 3, radius=0.0), "radius"),
        (lambda: th.approx_bound(1.0, np.array([1.0, np.nan])), "n"),
        (lambda: th.estimation_term(1, 0, 10), "d"),
        (lambda: th.estimation_term(1, 1, 0), "N"),
        (lambda: th.optimal_width(1.0, 1, 1), "N"),
        (lambda: th.fixed_basis_rate(-1, 2), "n"),
        (lambda: th.width_where_bound_below(1.0, 0.0), "var_f"),
        (lambda: th.ramp_from_relu(0.0, 1.0), "negative_slope"),
    ],
)
def test_validation(call, arg):
    with pytest.raises(ValueError, match=arg):
        call()


def _brute_force(x, y, m):
    """Least MSE over every split of the sorted points into at most m contiguous runs, a line on each."""
    G = x.size
    best = math.inf
    for k in range(1, m + 1):
        for cuts in itertools.combinations(range(1, G), k - 1):
            edges = (0,) + cuts + (G,)
            rss = 0.0
            for a, b in zip(edges[:-1], edges[1:], strict=True):
                xs, ys = x[a:b], y[a:b]
                if b - a >= 2:
                    A = np.stack([xs, np.ones_like(xs)], axis=1)
                    coef, *_ = np.linalg.lstsq(A, ys, rcond=None)
                    rss += float(np.sum((A @ coef - ys) ** 2))
            best = min(best, rss)
    return best / G


def test_piecewise_linear_bound_equals_brute_force_on_small_data():
    rng = np.random.default_rng(0)
    x = np.sort(rng.uniform(size=9))
    y = rng.normal(size=9)
    lb = piecewise_linear_lower_bound(x, y, 4)
    assert lb == pytest.approx(
        [_brute_force(x, y, m) for m in range(1, 5)], rel=1e-9, abs=1e-12
    )  # prefix sums: ~1e-14 absolute
    assert np.all(np.diff(lb) <= 1e-15)


def test_bound_vanishes_exactly_at_the_sawtooth_piece_count():
    for k in (2, 3, 4):
        x = np.linspace(0, 1, 8 * 2**k + 1)
        y = iterated_tent(x, k)
        lb = piecewise_linear_lower_bound(x, y, 2**k)
        assert lb[-1] == 0.0 and lb[-2] > 1e-4  # 2^k pieces exact, 2^k - 1 not
        sh = shallow_relu_lower_bound(x, y, [2**k - 1, 2**k - 2])
        assert sh[0] == 0.0 and sh[1] > 0  # n units: n + 1 pieces


def test_every_trained_shallow_net_lies_above_the_bound():
    k = 3
    x = np.linspace(0, 1, 8 * 2**k + 1)
    y = iterated_tent(x, k)
    for n in (2, 3, 5):
        lb = shallow_relu_lower_bound(x, y, [n])[0]
        for s in range(3):
            net = MLP([1, n, 1], "relu", rng=np.random.default_rng(s))
            fit(net, x[:, None], y, trainer="lbfgs", max_steps=300, progress_every=0)
            mse = float(np.mean((net.predict(x[:, None]).ravel() - y) ** 2))
            assert mse >= lb - 1e-12
    assert telgarsky_params(5) == 31
