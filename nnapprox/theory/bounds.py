"""Bound curves of the approximation theory (Barron 1993, 1994).

For f with Barron constant ``C_f`` on a domain inside the ball ``B_r`` and any
probability measure μ there, some one-hidden-layer sigmoidal network of width n
satisfies ``||f − f_n||^2_{L2(μ)} <= (2 r C_f)^2 / n`` (:func:`approx_bound`).
Fitting it from N samples adds an estimation term of order ``(n d / N) log N``
(:func:`estimation_term`); balancing the two gives ``n* ~ C_f (N / (d log N))^{1/2}``
(:func:`optimal_width`) and a risk of order ``C_f (d log N / N)^{1/2}``. Linear
combinations of n *fixed* basis functions cannot beat ``n^{-2/d}`` uniformly over
the class (:func:`fixed_basis_rate`).

ReLU and leaky ReLU
-------------------
The bound is stated for sigmoidal units. ``relu(z) − relu(z − 1)`` is the ramp
sigmoid ``clip(z, 0, 1)``, so every sigmoidal unit of Barron's construction costs
two ReLU units and the bound holds for ReLU networks of width 2n
(:func:`relu_units_for_sigmoidal`). The same holds for leaky ReLU with slope α < 1:
``(lrelu(z) − lrelu(z − 1) − α) / (1 − α) = clip(z, 0, 1)``, the constant going to
the output bias (:func:`ramp_from_relu`).

All functions broadcast over array arguments (widths n, sample sizes N, ...) and
return a Python float when every argument is a scalar.
"""

from __future__ import annotations

import math

import numpy as np

__all__ = [
    "approx_bound",
    "barron_bound",
    "barron_curve",
    "sigmoidal_units",
    "informative_width",
    "SIGMOIDAL",
    "RELU_FAMILY",
    "estimation_term",
    "estimation_slope",
    "least_squares_variance",
    "least_squares_variance_slopes",
    "risk_local_slope",
    "risk_bound",
    "optimal_width",
    "fixed_basis_rate",
    "oga_rate",
    "relu_units_for_sigmoidal",
    "ramp_from_relu",
    "width_where_bound_below",
    "piecewise_linear_lower_bound",
    "shallow_relu_lower_bound",
    "telgarsky_params",
]


def _arr(name, value, *, minimum=None, strict=False, allow_inf=False):
    """float64 array of ``value``, checked elementwise (NaN is never allowed)."""
    if value is None:
        raise ValueError(f"{name}=None is invalid: {name} must be a number or an array of numbers")
    try:
        a = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"{name}={value!r} is invalid: {name} must be a number or an array of numbers") from None
    bad = np.isnan(a) | (~np.isfinite(a) if not allow_inf else np.isneginf(a))
    if minimum is not None:
        bad |= (a <= minimum) if strict else (a < minimum)
    if np.any(bad):
        rel = ">" if strict else ">="
        what = f"{rel} {minimum}" if minimum is not None else "a real number"
        inf = " (inf allowed)" if allow_inf else ", finite"
        raise ValueError(f"{name}={value!r} is invalid: {name} must be {what}{inf}")
    return a


def _out(result, *inputs):
    if all(np.ndim(x) == 0 for x in inputs):
        return float(result)
    return result


def approx_bound(c_f, n, radius=1.0):
    """Barron's approximation bound ``(2 r C_f)^2 / n``.

    Parameters
    ----------
    c_f : float or array, >= 0 (``inf`` gives ``inf``)
    n : int/float or array, > 0
        Hidden width.
    radius : float or array, > 0
        r, radius of a centred ball containing the domain.

    Returns
    -------
    float or array (broadcast shape of the inputs)
    """
    c = _arr("c_f", c_f, minimum=0.0, allow_inf=True)
    nn = _arr("n", n, minimum=0.0, strict=True)
    r = _arr("radius", radius, minimum=0.0, strict=True)
    return _out((2 * r * c) ** 2 / nn, c_f, n, radius)


#: Activations whose units are sigmoidal in Barron's sense (tanh = 2σ(2z) − 1: the same dictionary; the
#: Heaviside step is the sigmoidal limit his construction uses).
SIGMOIDAL = ("sigmoid", "tanh", "heaviside")
#: Activations that need two units per sigmoidal ramp (relu(z) − relu(z − 1) = clip(z, 0, 1)).
RELU_FAMILY = ("relu", "leaky_relu")


def sigmoidal_units(n, activation: str):
    """How many sigmoidal units a width-n layer of ``activation`` realises: n, or ⌊n/2⌋ ramps for ReLU.

    Returns 0 for activations outside Barron's hypotheses (identity, unknown names).
    """
    if activation in SIGMOIDAL:
        return n
    if activation in RELU_FAMILY:
        return np.floor_divide(n, 2) if np.ndim(n) else int(n) // 2
    return 0 * n if np.ndim(n) else 0


def barron_bound(c_f, n, radius=1.0, activation: str = "sigmoid"):
    """Barron's bound for a one-hidden-layer network of width n with the given units.

    ``(2 r C_f)^2 / m`` with ``m`` = :func:`sigmoidal_units` (n for sigmoid and tanh, ⌊n/2⌋ for
    the ReLU family); ``None`` where it does not apply (m = 0: a ReLU width of 1, or units
    outside the theorem's hypotheses). Scalar arguments only.
    """
    m = sigmoidal_units(int(n), activation)
    if m <= 0 or c_f is None or not math.isfinite(float(c_f)):
        return None
    return approx_bound(float(c_f), m, radius)


def barron_curve(c_f, n, radius=1.0, activation: str = "sigmoid"):
    """Barron's bound as a smooth curve of the width (for plots): ``(2 r C_f)^2 / (u n)``.

    ``u`` = 1 sigmoidal unit per unit for sigmoid and tanh, ½ for the ReLU family (two units per
    ramp). Broadcasts over ``n``.
    """
    per = 0.5 if activation in RELU_FAMILY else 1.0
    return (
        approx_bound(c_f, np.asarray(n, dtype=float) * per, radius)
        if np.ndim(n)
        else approx_bound(c_f, float(n) * per, radius)
    )


def informative_width(c_f, var_f, radius=1.0, activation: str = "sigmoid"):
    """``n_0``: the width above which Barron's bound drops below ``Var f``.

    ``(2 r C_f)^2 / Var f`` sigmoidal units, i.e. twice that for ReLU-family networks. Below
    ``n_0`` the bound exceeds the error of the best constant predictor and says nothing.
    Broadcasts; ``inf`` for infinite C_f, NaN where ``var_f <= 0`` or an input is missing.
    """
    c, v, r = (np.asarray(a, dtype=float) for a in (c_f, var_f, radius))
    with np.errstate(divide="ignore", invalid="ignore"):
        n0 = (2 * r * c) ** 2 / np.where(v > 0, v, np.nan)
    n0 = n0 * (2.0 if activation in RELU_FAMILY else 1.0)
    return n0[()] if n0.ndim == 0 else n0


def estimation_term(n, d, N):
    """Estimation term ``n d log(N) / N`` (constants dropped).

    Parameters
    ----------
    n : width, > 0;  d : input dimension, >= 1;  N : sample size, >= 1 (all broadcast)
    """
    nn = _arr("n", n, minimum=0.0, strict=True)
    dd = _arr("d", d, minimum=1.0)
    NN = _arr("N", N, minimum=1.0)
    return _out(nn * dd * np.log(NN) / NN, n, d, N)


def estimation_slope(N) -> float:
    """Local log-log slope of the estimation term ``(n d / N) log N`` over the values ``N``.

    The constant ``n d`` drops out; the least-squares slope of ``log(log N / N)`` on ``log N``
    is ``-1 + d log log N / d log N``, a little above -1. NaN with fewer than two distinct N.
    """
    N = np.unique(_arr("N", N, minimum=1.0, strict=True))
    if len(N) < 2:
        return math.nan
    lx = np.log(N)
    ly = np.log(np.log(N)) - lx
    cx = lx - lx.mean()
    return float((ly - ly.mean()) @ cx / (cx @ cx))


def least_squares_variance(n, N, sigma):
    """Excess test error of least squares on n + 1 fixed features from N noisy samples: ``σ² (n + 1) / (N − n − 2)``.

    The variance term of an unbiased least-squares fit with p = n + 1 parameters under random design
    (Gaussian features: E‖θ̂ − θ‖²_Σ = σ² p / (N − p − 1)); for p ≪ N it is σ² p / N, linear in n and
    in 1/N, the shape of Barron's estimation term without its log N. NaN where N ≤ n + 2.
    """
    nn = _arr("n", n, minimum=0.0)
    NN = _arr("N", N, minimum=1.0)
    ss = _arr("sigma", sigma, minimum=0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.where(NN > nn + 2, ss**2 * (nn + 1) / (NN - nn - 2), np.nan)
    return _out(out, n, N, sigma)


def least_squares_variance_slopes(n, N):
    """Local log-log slopes of :func:`least_squares_variance` in n and in N: ``(n/(n+1) + n/(N−n−2), −N/(N−n−2))``."""
    nn = np.asarray(n, dtype=float)
    NN = np.asarray(N, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return nn / (nn + 1) + nn / (NN - nn - 2), -NN / (NN - nn - 2)


def risk_local_slope(n, n_best, a):
    """Local log-log slope of the risk ``A n^(−a) + B n`` at n, with the constants fixed by its minimum at n_best.

    Stationarity at n_best gives ``A n^(−a) / (B n) = (n_best / n)^(a+1) / a =: ρ``, so the slope is
    ``(1 − a ρ) / (1 + ρ)``: 0 at n_best, tending to +1 far above it.
    """
    nn = np.asarray(n, dtype=float)
    rho = (float(n_best) / nn) ** (a + 1) / a
    return (1 - a * rho) / (1 + rho)


def risk_bound(c_f, n, d, N, radius=1.0):
    """Sum ``approx_bound(c_f, n, radius) + estimation_term(n, d, N)`` (Barron 1994, constants dropped)."""
    return approx_bound(c_f, n, radius) + estimation_term(n, d, N)


def optimal_width(c_f, N, d):
    """Barron's width ``n* = C_f (N / (d log N))^{1/2}`` balancing the two terms.

    With the explicit constant of :func:`approx_bound` the exact minimiser of
    :func:`risk_bound` is ``2 r`` times this value.

    Parameters
    ----------
    c_f : float or array, >= 0;  N : sample size, > 1;  d : dimension, >= 1

    Returns
    -------
    float or array (real-valued; round up for a width)
    """
    c = _arr("c_f", c_f, minimum=0.0, allow_inf=True)
    NN = _arr("N", N, minimum=1.0, strict=True)
    dd = _arr("d", d, minimum=1.0)
    return _out(c * np.sqrt(NN / (dd * np.log(NN))), c_f, N, d)


def fixed_basis_rate(n, d):
    """Worst-case squared-error rate ``n^{-2/d}`` of n fixed basis functions (Barron's lower bound, constants
    dropped)."""
    nn = _arr("n", n, minimum=0.0, strict=True)
    dd = _arr("d", d, minimum=1.0)
    return _out(nn ** (-2.0 / dd), n, d)


def oga_rate(k, d) -> float:
    """Siegel & Xu (2022): the sharp rate of the orthogonal greedy algorithm over the ReLU^k dictionary.

    For f in the variation space of the dictionary {σ_k(ω·x + b)} (σ_k = relu^k, σ_0 the Heaviside
    step) on a bounded domain of R^d, OGA's L2 error after n steps is O(n^(−1/2 − (2k+1)/(2d))), and
    no better rate holds over that space. Returned as the exponent of the squared error (MSE):
    ``−1 − (2k+1)/d``.

    Parameters
    ----------
    k : int >= 0
    d : int >= 1
    """
    if isinstance(k, bool) or int(k) != k or k < 0:
        raise ValueError(f"k={k!r} is invalid: k must be an integer >= 0")
    if isinstance(d, bool) or int(d) != d or d < 1:
        raise ValueError(f"d={d!r} is invalid: d must be an integer >= 1")
    return -1.0 - (2 * int(k) + 1) / int(d)


def relu_units_for_sigmoidal(n):
    """ReLU (or leaky ReLU) units needed to realise n sigmoidal units: ``2 n``.

    ``relu(z) − relu(z − 1) = clip(z, 0, 1)`` is a (ramp) sigmoid, so each unit of
    Barron's sigmoidal construction is two ReLU units; Barron's bound with width n
    therefore holds for ReLU networks of width 2n.
    """
    nn = _arr("n", n, minimum=0.0)
    res = 2 * nn
    if np.ndim(n) == 0:
        return int(res) if float(res).is_integer() else float(res)
    return res


def ramp_from_relu(z, negative_slope: float = 0.0):
    """The ramp sigmoid ``clip(z, 0, 1)`` computed from two (leaky) ReLU units.

    ``(lrelu(z) − lrelu(z − 1) − α) / (1 − α)`` with ``lrelu(t) = max(t, α t)``;
    α = 0 is the plain ReLU.

    Parameters
    ----------
    z : array
    negative_slope : float in [0, 1)
    """
    a = float(negative_slope)
    if not (0.0 <= a < 1.0):
        raise ValueError(f"negative_slope={negative_slope!r} is invalid: need 0 <= negative_slope < 1")
    z = np.asarray(z, dtype=np.float64)

    def lrelu(t):
        return np.maximum(t, a * t)

    return (lrelu(z) - lrelu(z - 1.0) - a) / (1.0 - a)


def width_where_bound_below(c_f, var_f, radius=1.0):
    """Smallest integer width n >= 1 with ``(2 r C_f)^2 / n < var_f``.

    Below this width Barron's bound is vacuous (no better than predicting the
    mean). Returns ``math.inf`` for ``c_f = inf``.

    Parameters
    ----------
    c_f : float or array, >= 0;  var_f : float or array, > 0;  radius : float or array, > 0

    Returns
    -------
    int (scalar inputs, finite c_f), float inf, or float array
    """
    c = _arr("c_f", c_f, minimum=0.0, allow_inf=True)
    v = _arr("var_f", var_f, minimum=0.0, strict=True)
    r = _arr("radius", radius, minimum=0.0, strict=True)
    q = (2 * r * c) ** 2 / v
    with np.errstate(invalid="ignore"):
        n = np.where(np.isinf(q), np.inf, np.floor(q) + 1.0)
    if all(np.ndim(x) == 0 for x in (c_f, var_f, radius)):
        return math.inf if math.isinf(n) else int(n)
    return n


def piecewise_linear_lower_bound(x, y, max_pieces: int) -> np.ndarray:
    """The least mean squared error of any function with at most m linear pieces on the points (x, y).

    Exact for the empirical measure of the points: a function with m linear pieces (continuous
    or not, breakpoints anywhere) meets the sorted points in at most m contiguous runs, on each of
    which it is one line, so its error is at least that of the best partition into m runs with
    a least-squares line on each. Dynamic programming over the partitions (prefix sums give
    each run's residual in O(1)).

    Parameters
    ----------
    x, y : arrays, shape ``(G,)``
        Points (any order; x distinct).
    max_pieces : int >= 1

    Returns
    -------
    array, shape ``(max_pieces,)``
        Entry m − 1: the least MSE with at most m pieces (non-increasing; 0 once m reaches the
        number of linear pieces of the data).
    """
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    if x.ndim != 1 or x.shape != y.shape or x.size < 2:
        raise ValueError(f"x and y must be 1-D arrays of one length >= 2; got shapes {x.shape} and {y.shape}")
    if isinstance(max_pieces, bool) or int(max_pieces) != max_pieces or max_pieces < 1:
        raise ValueError(f"max_pieces={max_pieces!r} is invalid: an integer >= 1")
    order = np.argsort(x)
    x, y = x[order], y[order]
    G = x.size
    c = [np.concatenate([[0.0], np.cumsum(v)]) for v in (np.ones(G), x, y, x * x, x * y, y * y)]
    # cost[j, i]: residual sum of squares of the least-squares line through points j .. i-1 (j < i)
    j, i = np.meshgrid(np.arange(G + 1), np.arange(G + 1), indexing="ij")
    n, sx, sy, sxx, sxy, syy = (ci[i] - ci[j] for ci in c)
    with np.errstate(divide="ignore", invalid="ignore"):
        vxx = sxx - sx * sx / n
        vxy = sxy - sx * sy / n
        vyy = syy - sy * sy / n
        rss = np.where(vxx > 1e-300 * np.maximum(sxx, 1.0), vyy - vxy * vxy / vxx, 0.0)  # one point: exact
    cost = np.where(i > j, np.maximum(rss, 0.0), np.inf)
    del j, i, n, sx, sy, sxx, sxy, syy, vxx, vxy, vyy, rss
    best = cost[0].copy()  # one piece: points 0 .. i-1
    out = np.empty(int(max_pieces))
    out[0] = best[G] / G
    for m in range(1, int(max_pieces)):
        best = np.min(best[:, None] + cost, axis=0)
        out[m] = best[G] / G
        if out[m] <= 0.0:
            out[m:] = 0.0
            break
    return out


def shallow_relu_lower_bound(x, y, widths) -> np.ndarray:
    """A certified lower bound on the MSE (on the points) of every one-hidden-layer ReLU network of width n.

    Such a network is piecewise linear with at most n + 1 pieces in one dimension, so its error is
    at least :func:`piecewise_linear_lower_bound` with n + 1 pieces.

    Parameters
    ----------
    x, y : arrays, shape ``(G,)``
    widths : array of int >= 1

    Returns
    -------
    array, the shape of ``widths``
    """
    widths = np.asarray(widths, dtype=int)
    if widths.size == 0 or np.any(widths < 1):
        raise ValueError(f"widths={widths!r} must be integers >= 1")
    lb = piecewise_linear_lower_bound(x, y, int(widths.max()) + 1)
    return lb[widths]


def telgarsky_params(k: int) -> int:
    """Parameters of Telgarsky's width-2, depth-k ReLU network for Δ^k on [0, 1]: 6k + 1."""
    if isinstance(k, bool) or int(k) != k or k < 1:
        raise ValueError(f"k={k!r} is invalid: an integer >= 1")
    return 6 * int(k) + 1
