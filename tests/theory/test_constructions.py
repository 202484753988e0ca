"""Hand-built networks: exact sawtooth, exact Yarotsky error, staircase error along its schedule."""

from itertools import pairwise

import numpy as np
import pytest

from nnapprox.engine.network import MLP
from nnapprox.targets.builtin import get_target, iterated_tent
from nnapprox.theory.constructions import (
    count_linear_pieces,
    staircase,
    staircase_schedule,
    telgarsky_sawtooth,
    yarotsky_square,
)

X_DYADIC = np.linspace(0.0, 1.0, 2**14 + 1)  # contains every breakpoint j / 2^k for k <= 14


def _net(net, x):
    return net.forward(x[:, None])[:, 0]


def _sawtooth_ref(x, k):
    y = 2.0 ** (k - 1) * x
    return 2 * np.abs(y - np.round(y))  # Δ^k(x) = 2 dist(2^{k-1} x, Z) on [0, 1]


@pytest.mark.parametrize("k", range(1, 9))
def test_telgarsky_sawtooth_is_exact(k):
    net = telgarsky_sawtooth(k)
    assert isinstance(net, MLP)
    assert net.sizes == [1] + [2] * k + [1] and net.depth == k
    assert net.activation_name == "relu"
    x = np.concatenate([X_DYADIC, np.random.default_rng(k).random(5000)])
    y = _net(net, x)
    np.testing.assert_allclose(y, _sawtooth_ref(x, k), rtol=0, atol=1e-12)
    np.testing.assert_allclose(y, get_target("sawtooth", k=k)(x), rtol=0, atol=1e-12)
    assert count_linear_pieces(_net(net, X_DYADIC), X_DYADIC) == 2**k


@pytest.mark.parametrize("m", range(1, 9))
def test_yarotsky_square_sup_error_is_exact(m):
    net = yarotsky_square(m)
    assert net.sizes == [1] + [3] * m + [1] and net.activation_name == "relu"
    y = _net(net, X_DYADIC)
    g = X_DYADIC - sum(iterated_tent(X_DYADIC, s) / 4.0**s for s in range(1, m + 1))
    np.testing.assert_allclose(y, g, rtol=0, atol=1e-14)
    err = y - X_DYADIC**2
    assert abs(np.max(np.abs(err)) - 2.0 ** (-2 * m - 2)) < 1e-12
    assert err.min() > -1e-15  # the interpolant lies above the convex x²
    nodes = np.arange(2**m + 1) / 2**m
    np.testing.assert_allclose(_net(net, nodes), nodes**2, atol=1e-15)
    mids = (np.arange(2**m) + 0.5) / 2**m  # the error is attained at every midpoint
    np.testing.assert_allclose(_net(net, mids) - mids**2, 2.0 ** (-2 * m - 2), atol=1e-14)
    assert count_linear_pieces(y, X_DYADIC) == 2**m


def _sup_err(net, f, lo, hi):
    x = np.linspace(lo, hi, 8_001)
    return float(np.max(np.abs(_net(net, x) - f(x))))


@pytest.mark.parametrize(
    "f, interval",
    [
        (lambda x: np.sin(2 * np.pi * x) + 0.5 * x**2, (0.0, 1.0)),
        (get_target("gaussian", d=1, s=0.3), (-1.0, 1.0)),
        (np.abs, (-1.0, 2.0)),
    ],
)
def test_staircase_error_falls_along_schedule(f, interval):
    sched = staircase_schedule(range(1, 9), interval)
    assert [n for n, _ in sched] == [2**j for j in range(1, 9)]
    errs = []
    for n, k in sched:
        net = staircase(f, n, k, interval=interval)
        assert net.sizes == [1, n, 1] and net.activation_name == "sigmoid"
        errs.append(_sup_err(net, f, *interval))
    assert all(b < a for a, b in pairwise(errs))
    assert errs[-1] < 0.03 * max(errs[0], 0.1)


def test_steep_staircase_tends_to_the_step_function():
    f = lambda x: x**2  # noqa: E731
    n = 8
    net = staircase(f, n, 1e5, interval=(0.0, 1.0))
    t = np.linspace(0, 1, n + 1)
    c = (t[:-1] + t[1:]) / 2
    x = np.random.default_rng(0).random(2000)
    x = x[np.min(np.abs(x[:, None] - c[None, :]), axis=1) > 1e-3]  # away from the jumps
    steps = f(t)[np.searchsorted(c, x)]
    np.testing.assert_allclose(_net(net, x), steps, atol=1e-12)
    # at the knots the staircase interpolates f
    np.testing.assert_allclose(_net(net, t), f(t), atol=1e-12)


@pytest.mark.parametrize(
    "call, arg",
    [
        (lambda: staircase(np.sin, 0, 10.0), "n"),
        (lambda: staircase(np.sin, 4, 0.0), "steepness"),
        (lambda: staircase(np.sin, 4, 1.0, interval=(1.0, 0.0)), "interval"),
        (lambda: staircase(lambda x: np.zeros(2), 4, 1.0), "f"),
        (lambda: telgarsky_sawtooth(0), "k"),
        (lambda: yarotsky_square(0), "m"),
        (lambda: staircase_schedule([1], kappa=-1.0), "kappa"),
        (lambda: count_linear_pieces([0, 1], [0, 0]), "x"),
    ],
)
def test_validation(call, arg):
    with pytest.raises(ValueError, match=arg):
        call()


def test_count_linear_pieces():
    x = np.linspace(-1, 1, 201)
    assert count_linear_pieces(3 * x + 1, x) == 1
    assert count_linear_pieces(np.abs(x), x) == 2
    assert count_linear_pieces(np.maximum(x, 0.5 * x) + np.maximum(x - 0.5, 0), x) == 3
