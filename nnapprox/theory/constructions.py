"""Hand-built networks: the lecture's steep-sigmoid staircase, Telgarsky's sawtooth, Yarotsky's x².

Each function returns an engine :class:`~nnapprox.engine.network.MLP` (float64) built with
``MLP.from_params``; weights follow the lecture's shapes ``W[l]: (n_l, n_{l-1})``.

* :func:`staircase` — one hidden sigmoid layer, n units, approximating a 1-D f
  (universal approximation by steps).
* :func:`telgarsky_sawtooth` — ReLU, width 2, depth k, equal to ``Δ^k`` on [0, 1]
  with ``Δ(x) = 2 relu(x) − 4 relu(x − 1/2)`` (2^k linear pieces from O(k) units;
  a shallow ReLU net needs about 2^k units).
* :func:`yarotsky_square` — ReLU, width 3, depth m, computing
  ``g_m(x) = x − Σ_{s=1}^m Δ^s(x) / 4^s``, the piecewise-linear interpolant of x²
  at the 2^m + 1 points j / 2^m, with sup error exactly ``2^{-2m-2}`` on [0, 1].
"""

from __future__ import annotations

import math
import numbers

import numpy as np

from nnapprox.engine.network import MLP

__all__ = [
    "staircase",
    "staircase_schedule",
    "telgarsky_sawtooth",
    "shallow_sawtooth",
    "yarotsky_square",
    "count_linear_pieces",
    "STAIRCASE_KAPPA",
]

#: Default relative steepness κ = steepness · h of the staircase schedule (h the step width).
STAIRCASE_KAPPA = 10.0


def _int_at_least(name, value, minimum):
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < minimum:
        raise ValueError(f"{name}={value!r} is invalid: {name} must be an integer >= {minimum}")
    return int(value)


def _interval(interval):
    try:
        lo, hi = (float(v) for v in interval)
    except (TypeError, ValueError):
        raise ValueError(f"interval={interval!r} is invalid: pass a pair (lo, hi) of finite floats, lo < hi") from None
    if not (math.isfinite(lo) and math.isfinite(hi) and lo < hi):
        raise ValueError(f"interval={interval!r} is invalid: need finite lo < hi")
    return lo, hi


def staircase(f, n: int, steepness: float, interval=(0.0, 1.0)) -> MLP:
    """n steep sigmoids whose sum approximates a 1-D function f on ``[lo, hi]``.

    With knots ``t_j = lo + j h`` (``h = (hi − lo)/n``, j = 0..n) and step
    positions ``c_j = (t_{j-1} + t_j)/2`` (j = 1..n)::

        f_n(x) = f(t_0) + Σ_{j=1}^n (f(t_j) − f(t_{j-1})) σ(steepness · (x − c_j)).

    As ``steepness → ∞`` this is the step function equal to ``f(t_j)`` on
    ``(c_j, c_{j+1})`` (an interval of width h centred at ``t_j``), so its sup error
    is at most ``max|f'| h / 2``. The error falls along the schedule of
    :func:`staircase_schedule`: ``n = 2^j`` and ``steepness = κ n / (hi − lo)``
    (a fixed relative steepness κ = steepness · h, default 10), where it decays
    like ``O(h)`` for Lipschitz f. At fixed n the error is not monotone in the
    steepness alone: moderately steep sigmoids (κ of a few) smooth the steps and beat
    the infinitely steep staircase, so both must grow together.

    Parameters
    ----------
    f : callable
        Maps a 1-D array of points ``(m,)`` to values ``(m,)`` (a d = 1 Target works).
    n : int, >= 1
        Hidden units (steps).
    steepness : float, > 0
        Slope parameter of every sigmoid (inverse length).
    interval : (lo, hi)

    Returns
    -------
    MLP
        Sizes ``[1, n, 1]``, activation ``sigmoid``, identity output.
    """
    n = _int_at_least("n", n, 1)
    k = float(steepness)
    if not (math.isfinite(k) and k > 0):
        raise ValueError(f"steepness={steepness!r} is invalid: steepness must be a finite float > 0")
    lo, hi = _interval(interval)
    t = np.linspace(lo, hi, n + 1)
    vals = np.asarray(f(t), dtype=np.float64).reshape(-1)
    if vals.shape != (n + 1,) or not np.all(np.isfinite(vals)):
        raise ValueError(f"f returned values of shape {vals.shape}; expected {n + 1} finite values at the knots")
    c = 0.5 * (t[:-1] + t[1:])
    W1 = np.full((n, 1), k)
    b1 = -k * c
    W2 = np.diff(vals)[None, :]
    b2 = np.array([vals[0]])
    return MLP.from_params([W1, W2], [b1, b2], activation="sigmoid", output_activation="identity")


def staircase_schedule(levels=range(1, 9), interval=(0.0, 1.0), kappa: float = STAIRCASE_KAPPA):
    """The documented (n, steepness) schedule: ``n = 2^j``, ``steepness = κ n / (hi − lo)``.

    Parameters
    ----------
    levels : iterable of int >= 0
        Exponents j.
    interval : (lo, hi)
    kappa : float, > 0
        Relative steepness (sigmoid slope times step width).

    Returns
    -------
    list of (int, float)
    """
    lo, hi = _interval(interval)
    kappa = float(kappa)
    if not (math.isfinite(kappa) and kappa > 0):
        raise ValueError(f"kappa={kappa!r} is invalid: kappa must be a finite float > 0")
    out = []
    for j in levels:
        j = _int_at_least("levels", j, 0)
        n = 2**j
        out.append((n, kappa * n / (hi - lo)))
    return out


def telgarsky_sawtooth(k: int) -> MLP:
    """ReLU network of width 2 and depth k equal to ``Δ^k`` on [0, 1].

    Each hidden layer holds ``(relu(u), relu(u − 1/2))`` of the previous tent
    value u (u = x for the first layer); the next layer reads ``Δ(u) = 2 relu(u) −
    4 relu(u − 1/2)`` as the linear combination ``[2, −4]``. All weights are
    dyadic, so the result is exact up to rounding amplified by at most 2^k. Returns an MLP of
    sizes ``[1, 2, ..., 2, 1]`` (k >= 1 hidden layers), activation ``relu``.
    """
    k = _int_at_least("k", k, 1)
    weights = [np.array([[1.0], [1.0]])]
    biases = [np.array([0.0, -0.5])]
    for _ in range(k - 1):
        weights.append(np.array([[2.0, -4.0], [2.0, -4.0]]))
        biases.append(np.array([0.0, -0.5]))
    weights.append(np.array([[2.0, -4.0]]))
    biases.append(np.array([0.0]))
    return MLP.from_params(weights, biases, activation="relu", output_activation="identity")


def shallow_sawtooth(k: int) -> MLP:
    """One-hidden-layer ReLU network equal to ``Δ^k`` on [0, 1], one unit per knot (2^k units).

    ``Δ^k`` has slopes ±2^k alternating on the 2^k intervals ``[j/2^k, (j+1)/2^k]``, starting
    with +, so ``Δ^k(x) = 2^k relu(x) + Σ_{j=1}^{2^k−1} (−1)^j 2^{k+1} relu(x − j/2^k)``
    (3·2^k + 1 parameters). A shallow net with n units has at most n + 1 pieces, so 2^k − 1 units
    are necessary: the depth separation against :func:`telgarsky_sawtooth`'s 6k + 1 parameters.

    Parameters
    ----------
    k : int, >= 1

    Returns
    -------
    MLP
        Sizes ``[1, 2^k, 1]``, activation ``relu``.
    """
    k = _int_at_least("k", k, 1)
    m = 2**k
    c = np.empty(m)
    c[0] = m
    c[1:] = [(-1) ** j * 2.0 * m for j in range(1, m)]
    return MLP.from_params(
        [np.ones((m, 1)), c[None, :]], [-np.arange(m) / m, np.zeros(1)], activation="relu", output_activation="identity"
    )


def yarotsky_square(m: int) -> MLP:
    """ReLU network of width 3 and depth m computing ``g_m(x) = x − Σ_{s=1}^m Δ^s(x) / 4^s``.

    ``g_m`` interpolates x² linearly at ``j / 2^m`` (j = 0..2^m), so
    ``sup_{[0,1]} |g_m(x) − x²| = 2^{-2m-2}`` (attained at the midpoints
    ``(2j + 1) / 2^{m+1}``); ``g_m >= x²``.

    Hidden layer s (s = 1..m) holds ``p = relu(Δ^{s-1}(x))``, ``q = relu(Δ^{s-1}(x) − 1/2)``
    and ``c = relu(g_{s-1}(x))`` with ``Δ^0(x) = g_0(x) = x``. On [0, 1] both
    ``Δ^{s-1}`` and ``g_{s-1}`` lie in [0, 1], so the ReLU passes them through, and
    the next layer reads ``Δ^s = 2p − 4q`` and ``g_s = c − (2p − 4q) / 4^s``; the
    output is ``g_m``.

    Parameters
    ----------
    m : int, >= 1

    Returns
    -------
    MLP
        Sizes ``[1, 3, ..., 3, 1]`` (m hidden layers), activation ``relu``.
    """
    m = _int_at_least("m", m, 1)
    weights = [np.array([[1.0], [1.0], [1.0]])]
    biases = [np.array([0.0, -0.5, 0.0])]
    for s in range(1, m):
        a = 4.0**-s
        weights.append(np.array([[2.0, -4.0, 0.0], [2.0, -4.0, 0.0], [-2.0 * a, 4.0 * a, 1.0]]))
        biases.append(np.array([0.0, -0.5, 0.0]))
    a = 4.0**-m
    weights.append(np.array([[-2.0 * a, 4.0 * a, 1.0]]))
    biases.append(np.array([0.0]))
    return MLP.from_params(weights, biases, activation="relu", output_activation="identity")


def count_linear_pieces(y, x, *, rtol: float = 1e-6) -> int:
    """Number of maximal linear pieces of a sampled piecewise-linear function.

    Consecutive sample intervals belong to the same piece when their slopes agree to
    ``rtol * max(1, max|slope|)``. A breakpoint that falls strictly inside a sample interval
    gives that interval a slope of its own, between its neighbours'; such a one-interval run
    between two different slopes is counted as the breakpoint it is, not as a piece. The count
    is then exact when every piece spans at least two sample intervals (on a dyadic grid for
    Telgarsky's sawtooth, where every breakpoint is a sample, always).

    Parameters
    ----------
    y : array, shape ``(N,)``
        Function values (``(N, 1)`` is accepted).
    x : array, shape ``(N,)``, strictly increasing, N >= 2

    Returns
    -------
    int
    """
    x = np.asarray(x, dtype=np.float64).reshape(-1)
    y = np.asarray(y, dtype=np.float64).reshape(-1)
    if x.shape != y.shape or x.size < 2:
        raise ValueError(f"x has shape {x.shape} and y {y.shape}; need equal 1-D shapes with N >= 2")
    dx = np.diff(x)
    if np.any(dx <= 0):
        raise ValueError("x must be strictly increasing")
    slopes = np.diff(y) / dx
    scale = max(1.0, float(np.max(np.abs(slopes))))
    change = np.abs(np.diff(slopes)) > rtol * scale  # change[i]: between interval i and i + 1
    runs = 1 + int(np.count_nonzero(change))
    # interior one-interval runs: a change on both sides of interval i (0 < i < m - 1)
    straddles = int(np.count_nonzero(change[:-1] & change[1:])) if change.size > 1 else 0
    return runs - straddles
