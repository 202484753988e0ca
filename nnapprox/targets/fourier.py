"""Numerical Barron constants by FFT on a grid (low dimension).

Convention: ``f(x) = ∫ e^{iω·x} f̃(ω) dω``, ``C_f = ∫ |ω| |f̃(ω)| dω``, hence
``f̃(ω) = (2π)^{-d} ∫ e^{-iω·x} f(x) dx``.

How the continuous transform is approximated
--------------------------------------------
f is sampled on the grid ``x_j = -L + j h`` (``j = 0..n-1``, ``h = 2L/n``) in
each coordinate of the box ``[-L, L)^d``. For f negligible outside the box
(a *decaying* target) the Riemann sum of the transform integral gives, at the
frequencies ``ω_k = (π/L) k`` (``k`` in ``fftfreq`` order, ``|k_i| <= n/2``)::

    f̃(ω_k) ≈ (h / 2π)^d Σ_j f(x_j) e^{-iω_k·x_j} = (h / 2π)^d e^{iL Σ_i ω_{k,i}} F_k,

with ``F = fftn(f(x_j))`` (the shift of the grid origin only changes the phase).
The ω integral is then a Riemann sum with cell ``(π/L)^d``, and the constants
collapse to::

    C_f ≈ n^{-d} Σ_k |ω_k| |F_k|.

This is exactly the ``C_f`` of the trigonometric interpolant of f on the
periodic box, so it is exact for a trigonometric polynomial whose frequencies lie
on the lattice ``(π/L) Z^d`` below the Nyquist frequency ``π n / (2L)``.

Errors: truncation (f must be negligible at the box edge), aliasing (``|f̃|``
must be negligible beyond ``π n / (2L)``), and the kink of ``|ω|`` at 0, which
makes the ω Riemann sum fall short by about ``(π/L)^2 |f̃(0)| / 6`` in d = 1
(``O((π/L)^3)`` in d = 2); take L several times the width of f.

For a target outside the class (a jump or kink), ``|ω| |f̃|`` is not integrable
and the estimate grows without bound with the resolution n/L (∝ n for a jump in
d = 1, ∝ n^{3/2} for the disc indicator in d = 2).
"""

from __future__ import annotations

import logging
import math
import numbers
from dataclasses import dataclass

import numpy as np

__all__ = [
    "spectrum",
    "estimate_cf",
    "estimate_cf_checked",
    "CfEstimate",
    "MAX_GRID_POINTS",
    "START_POINTS",
    "MAX_POINTS",
    "MAX_FFT_POINTS",
    "max_bytes",
]

MAX_GRID_POINTS = 2**24

log = logging.getLogger("nnapprox.targets.fourier")


def _checks(d, half_width, n_grid):
    if isinstance(d, bool) or not isinstance(d, numbers.Integral) or not 1 <= d <= 3:
        raise ValueError(f"d={d!r} is invalid: the FFT estimate supports d = 1, 2, 3")
    if isinstance(n_grid, bool) or not isinstance(n_grid, numbers.Integral) or n_grid < 4 or n_grid % 2:
        raise ValueError(f"n_grid={n_grid!r} is invalid: n_grid must be an even integer >= 4")
    if int(n_grid) ** int(d) > MAX_GRID_POINTS:
        raise ValueError(f"n_grid={n_grid!r} is invalid for d={d}: n_grid^d must be <= {MAX_GRID_POINTS}")
    L = float(half_width)
    if not (math.isfinite(L) and L > 0):
        raise ValueError(f"half_width={half_width!r} is invalid: half_width must be a finite float > 0")
    return int(d), L, int(n_grid)


def spectrum(f, d: int, *, half_width: float = 16.0, n_grid: int = 512):
    """Grid approximation of ``|f̃|``.

    Parameters
    ----------
    f : callable
        ``(N, d) -> (N,)`` (a :class:`~nnapprox.targets.builtin.Target` works), decaying.
    d : int, 1..3
    half_width : float
        L, the box is ``[-L, L)^d``.
    n_grid : int, even
        Points per coordinate.

    Returns
    -------
    omega_norm : array, shape ``(n_grid,) * d``
        ``|ω_k|`` in ``np.fft`` order.
    ft_abs : array, shape ``(n_grid,) * d``
        ``|f̃(ω_k)|`` (the density, per unit ω volume).
    cell : float
        ω volume of one grid cell, ``(π / L)^d``.
    """
    d, L, n = _checks(d, half_width, n_grid)
    h = 2 * L / n
    x1 = -L + h * np.arange(n)
    grids = np.meshgrid(*([x1] * d), indexing="ij")
    X = np.stack([g.ravel() for g in grids], axis=1)
    values = np.asarray(f(X), dtype=np.float64).reshape((n,) * d)
    F = np.fft.fftn(values)
    w1 = 2 * np.pi * np.fft.fftfreq(n, d=h)
    wgrids = np.meshgrid(*([w1] * d), indexing="ij")
    omega_norm = np.sqrt(sum(w * w for w in wgrids))
    ft_abs = np.abs(F) * (h / (2 * np.pi)) ** d
    return omega_norm, ft_abs, (np.pi / L) ** d


def estimate_cf(f, d: int, *, half_width: float = 16.0, n_grid: int = 512) -> float:
    """Numerical ``C_f = ∫ |ω| |f̃(ω)| dω`` by FFT on ``[-L, L)^d`` (see the module notes).

    Parameters
    ----------
    f : callable
        ``(N, d) -> (N,)``, negligible outside the box.
    d : int, 1..3 (n_grid^d points are evaluated)
    half_width : float
        Box half-width L. The ω grid step is π/L; in d = 1 the estimate falls
        short by about ``(π/L)^2 |f̃(0)| / 6`` (relative ``(π s / L)^2 / 12`` for a Gaussian of width s).
    n_grid : int, even
        Points per coordinate; the highest frequency resolved is ``π n_grid / (2L)``.

    Returns
    -------
    float
        ``n_grid^{-d} Σ_k |ω_k| |F_k|``, ``F = fftn`` of the samples.
    """
    omega_norm, ft_abs, cell = spectrum(f, d, half_width=half_width, n_grid=n_grid)
    return float(np.sum(omega_norm * ft_abs) * cell)


# ---------------------------------------------------------------------------
# the checked estimate: a grid chosen for f, and checks of its own assumptions
# ---------------------------------------------------------------------------

#: Points per axis of the first grid of the checked estimate, and of the finest one f is evaluated on (d = 1, 2, 3).
START_POINTS = {1: 256, 2: 64, 3: 32}
MAX_POINTS = {1: 2**17, 2: 1024, 3: 128}
#: The largest zero-padded FFT (points in all) of the box-size check, and the size up to which it is cheap.
MAX_FFT_POINTS = 2**23
CHEAP_FFT_POINTS = 2**20
#: Rows of f evaluated at once (the grid's points are made block by block).
BLOCK_ROWS = 2**15
#: Relative size of f on the outer tenth of the box above which f is not decaying there.
DECAY_TOL = 1e-8
#: Largest relative change between two steps (and share of ∫|ω||f̃| near a Nyquist frequency, and box error)
#: of an estimate that is given a value.
CONVERGENCE_TOL = 1e-3
#: Largest difference, relative to max |f|, between f and the grid's interpolant at points off the grid.
INTERP_TOL = 1e-5
#: How often the box may be doubled to reach where f has decayed.
BOX_DOUBLINGS = 12
#: Points off the grid where f is compared with the grid's interpolant.
CHECK_POINTS = 64
_PADS = (1.25, 1.5, 2.0, 3.0, 4.0, 6.0, 8.0, 12.0, 16.0)


@dataclass(frozen=True)
class CfEstimate:
    """A numerical Barron constant with how it was obtained.

    Attributes
    ----------
    value : float or None
        The estimate (None when it could not be trusted).
    rel_error : float
        Its stated relative error (NaN when there is no value).
    method : str
        One line: the grid and the checks, or ``unknown: <why>; give target.c_f``.
    bytes : int
        The memory the computation held at its peak (the grid, the FFTs), to count in a job's memory estimate.
    """

    value: float | None
    rel_error: float
    method: str
    bytes: int = 0


def max_bytes(d: int) -> int:
    """An upper bound of the memory :func:`estimate_cf_checked` holds in dimension d (bytes)."""
    if d not in MAX_POINTS:
        return 0
    n = MAX_POINTS[d] ** d
    return int(max(40 * n + 32 * n // MAX_POINTS[d] * CHECK_POINTS, 8 * n + 24 * MAX_FFT_POINTS) + 48 * BLOCK_ROWS * d)


def _unknown(why: str, nbytes: int = 0, err: float = math.nan) -> CfEstimate:
    return CfEstimate(None, err, f"unknown: {why}; give target.c_f", nbytes)


def _grid(f, d, L, n, name):
    """f on the grid ``-L + j h`` (``h = 2L/n``) of ``[-L, L)^d``, block by block; shape ``(n,) * d``."""
    h = 2 * L / n
    x1 = -L + h * np.arange(n)
    total = n**d
    if total >= 2**16:
        log.info(
            "C_f estimate of %s: evaluating f on %s points of the box [-%g, %g)^%d (step %.3g; about %.0f MB)",
            name,
            f"{total:,}",
            L,
            L,
            d,
            h,
            (40 * total + 48 * min(total, BLOCK_ROWS) * d) / 2**20,
        )
    out = np.empty(total)
    for start in range(0, total, BLOCK_ROWS):
        idx = np.arange(start, min(start + BLOCK_ROWS, total))
        X = np.empty((len(idx), d))
        for axis in range(d - 1, -1, -1):
            X[:, axis] = x1[idx % n]
            idx = idx // n
        out[start : start + len(X)] = f(X)
    return out.reshape((n,) * d)


def _edge_share(v, L) -> float:
    """max |f| on the outer tenth of the box (``|x|_inf > 0.9 L``) over max |f| (0 for f = 0)."""
    n, d = v.shape[0], v.ndim
    x1 = -L + (2 * L / n) * np.arange(n)
    outer = np.flatnonzero(np.abs(x1) > 0.9 * L)
    scale = float(np.max(np.abs(v)))
    if scale == 0:
        return 0.0
    return max(float(np.max(np.abs(np.take(v, outer, axis=a)))) for a in range(d)) / scale


def _sums(v, L, m):
    """``(C, share)``: the grid's ``C_f`` with the samples zero-padded to m points per axis (a box ``m/n`` times
    wider, the same step), and the share of ``Σ |ω_k| |F_k|`` where some ``|k_i| > 3m/8`` (near the Nyquist
    frequency: above 3/4 of it)."""
    d, n = v.ndim, v.shape[0]
    h = 2 * L / n
    a = v if m == n else np.pad(v, [(0, m - n)] * d)
    F = np.fft.rfftn(a)
    del a
    w_full = 2 * np.pi * np.fft.fftfreq(m, d=h)
    w_last = 2 * np.pi * np.fft.rfftfreq(m, d=h)
    herm = np.full(m // 2 + 1, 2.0)
    herm[0] = herm[-1] = 1.0  # the rfft's half spectrum: every other frequency twice, 0 and Nyquist once
    cut = 3 * m / 8
    far_full = np.abs(np.fft.fftfreq(m) * m) > cut
    far_last = np.arange(m // 2 + 1) > cut
    if d == 1:
        c = herm * np.abs(w_last) * np.abs(F)
        total, far = float(c.sum()), float(c[far_last].sum())
    else:
        grids = np.meshgrid(*([w_full] * (d - 2) + [w_last]), indexing="ij", sparse=True)
        rest2 = sum(g * g for g in grids)
        fgrids = np.meshgrid(*([far_full] * (d - 2) + [far_last]), indexing="ij", sparse=True)
        rest_far = np.logical_or.reduce(np.broadcast_arrays(*fgrids)) if d > 2 else far_last
        total = far = 0.0
        for i in range(m):
            c = herm * np.sqrt(w_full[i] ** 2 + rest2) * np.abs(F[i])
            s = float(c.sum())
            total += s
            far += s if far_full[i] else float(c[rest_far].sum())
    return total / m**d, (far / total if total > 0 else 0.0)


def _interpolant(v, L, pts) -> np.ndarray:
    """The trigonometric interpolant of the grid values v on ``[-L, L)^d`` at the rows of pts."""
    d, n = v.ndim, v.shape[0]
    F = np.fft.rfftn(v)
    herm = np.full(n // 2 + 1, 2.0)
    herm[0] = herm[-1] = 1.0
    u = np.pi * (pts + L) / L  # phase per unit index: 2π (x + L) / (2L)
    T = np.tensordot(
        F, herm[:, None] * np.exp(1j * np.arange(n // 2 + 1)[:, None] * u[None, :, d - 1]), axes=([d - 1], [0])
    )
    k = np.fft.fftfreq(n) * n
    for axis in range(d - 2, -1, -1):
        T = np.einsum("...jm,jm->...m", T, np.exp(1j * k[:, None] * u[None, :, axis]))
    return T.real / n**d


def _check_points(v, L, radius, d):
    """Points off the grid: in the domain's cube, in the box, and around the grid's largest |f|."""
    rng = np.random.default_rng(20240601)
    n = v.shape[0]
    h = 2 * L / n
    k = CHECK_POINTS // 3
    peak = np.array(np.unravel_index(int(np.argmax(np.abs(v))), v.shape), dtype=np.float64) * h - L
    pts = np.vstack(
        [
            rng.uniform(-radius, radius, (k, d)),
            rng.uniform(-0.95 * L, 0.95 * L, (k, d)),
            peak + rng.uniform(-h, h, (CHECK_POINTS - 2 * k, d)),
        ]
    )
    return np.clip(pts, -L, L - h)


def _rel(a, b) -> float:
    big = max(abs(a), abs(b))
    return abs(a - b) / big if big > 0 else 0.0


def estimate_cf_checked(f, d: int, *, radius: float = 1.0, name: str = "f") -> CfEstimate:
    """``C_f`` by FFT on a grid chosen for f, with checks of every assumption it makes.

    The estimate is ``C_f`` of f restricted to a box ``[-L, L)^d`` and extended by 0 (an extension of f
    from its domain, so an upper bound of the domain's ``C_f``, and f's own when f decays):

    1. **the box**: L starts at 1.25 times the domain's half-width (the domain lies inside the box, away
       from its edge) and doubles until f has decayed on the box's outer tenth (relative size at most
       :data:`DECAY_TOL`);
    2. **the step**: the points per axis double (from :data:`START_POINTS` to :data:`MAX_POINTS`) until the
       spectrum has decayed near the Nyquist frequency at two different steps (h and 2h, each with at most
       :data:`CONVERGENCE_TOL` of ``∫|ω||f̃|`` above 3/4 of its Nyquist frequency π/h), the two estimates agree
       to :data:`CONVERGENCE_TOL`, and f at :data:`CHECK_POINTS` points off the grid (in the domain, in
       the box, around the peak) matches the grid's interpolant to :data:`INTERP_TOL`;
    3. **the ω grid**: the samples are zero-padded (a finer ω grid, the kinks of ``|ω| |f̃|`` resolved)
       until twice the estimate's change, scaled to the error of an O(1/L²) convergence, is below
       :data:`CONVERGENCE_TOL` at two successive paddings.

    The stated error is the sum of the step change, the Nyquist share of the fine step and the box error.
    Otherwise the value is None and ``method`` says ``unknown: <why>; give target.c_f``.

    Parameters
    ----------
    f : callable
        ``(N, d) -> (N,)`` float (non-finite values allowed: they make the estimate unknown).
    d : int
        Input dimension; beyond 3 there is no estimate.
    radius : float
        Half-width of the smallest centred cube containing the domain.
    name : str
        How log lines name f.

    Returns
    -------
    CfEstimate
    """
    if d not in MAX_POINTS:
        return _unknown(f"no numerical estimate in d = {d} (the FFT grid is limited to d <= 3)")
    r = float(radius)
    L, n, doublings, peak = 1.25 * r, START_POINTS[d], 0, 0
    while True:
        try:
            with np.errstate(all="ignore"):
                v = _grid(f, d, L, n, name)
        except Exception as e:  # noqa: BLE001 - the user's function on points outside its domain
            return _unknown(
                f"evaluating f on the FFT box [-{L:g}, {L:g})^{d} failed ({' '.join(str(e).split())}); "
                f"the estimate needs f on all of R^{d}, decaying",
                peak,
            )
        peak = max(peak, 40 * v.size + 32 * v.size // n * CHECK_POINTS + 48 * min(v.size, BLOCK_ROWS) * d)
        if not np.all(np.isfinite(v)):
            return _unknown(
                f"f is not finite on the FFT box [-{L:g}, {L:g})^{d}, which the estimate needs f defined "
                f"and decaying on",
                peak,
            )
        edge = _edge_share(v, L)
        if edge > DECAY_TOL:
            if doublings < BOX_DOUBLINGS:
                L, doublings = 2 * L, doublings + 1
                continue
            return _unknown(
                f"f does not decay on R^{d} (|f| is {edge:.1e} of its maximum at |x|_inf > {0.9 * L:g}); "
                f"the FFT estimate computes C_f of f itself as a function on R^{d}, so it needs a decaying f",
                peak,
            )
        step = _converged_step(f, v, L, r, d, n)
        if isinstance(step, str):
            if 2 * n <= MAX_POINTS[d]:
                n *= 2
                continue
            return _unknown(
                f"{step}, at the finest step the estimate allows in d = {d} ({n}^{d} points); f varies too "
                f"fast for the grid or is outside the Barron class",
                peak,
            )
        return _box(v, L, n, d, step, peak)


def _converged_step(f, v, L, radius, d, n):
    """``(c, change, share)`` when the spectrum is resolved at steps h and 2h (see step 2), else why not."""
    h = 2 * L / n
    c, share = _sums(v, L, n)
    c2, share2 = _sums(v[(slice(None, None, 2),) * d], L, n // 2)
    change = _rel(c, c2)
    if max(share, share2) > CONVERGENCE_TOL:
        which = (share, h) if share > CONVERGENCE_TOL else (share2, 2 * h)
        return (
            f"the spectrum has not decayed near the Nyquist frequency ({which[0]:.1e} of ∫|ω||f̃| lies above "
            f"3/4 of π/h at step h = {which[1]:.3g})"
        )
    if change > CONVERGENCE_TOL:
        return f"the estimate changes by {change:.1e} between steps {2 * h:.3g} and {h:.3g} ({c2:.6g} to {c:.6g})"
    pts = _check_points(v, L, radius, d)
    try:
        with np.errstate(all="ignore"):
            fx = np.asarray(f(pts), dtype=np.float64)
    except Exception as e:  # noqa: BLE001
        return f"evaluating f between the grid points failed ({' '.join(str(e).split())})"
    scale = max(float(np.max(np.abs(v))), float(np.max(np.abs(fx))) if np.all(np.isfinite(fx)) else math.inf)
    if not np.isfinite(scale):
        return "f is not finite between the grid points"
    miss = float(np.max(np.abs(_interpolant(v, L, pts) - fx))) / scale if scale > 0 else 0.0
    if miss > INTERP_TOL:
        return (
            f"f between the grid points differs from the grid's interpolant by {miss:.1e} of max |f| (step "
            f"{h:.3g}): the grid does not resolve f"
        )
    return c, change, share


def _box(v, L, n, d, step, peak) -> CfEstimate:
    """Step 3: zero-padding until the ω grid is fine enough: two successive box errors at most the tolerance (a
    quarter of it while the FFT stays below :data:`CHEAP_FFT_POINTS`; ``|f̃|`` has kinks wherever f̃ changes
    sign, so one difference alone can vanish by chance). The estimate with its stated error: the step change,
    the Nyquist share of the fine step and the larger of the two box errors."""
    c, change, share = step
    prev_c, prev_m, errs = c, n, []
    for p in _PADS:
        m = int(round(p * n / 2)) * 2
        if m**d > MAX_FFT_POINTS:
            break
        peak = max(peak, 8 * v.size + 24 * m**d)
        cp = _sums(v, L, m)[0]
        ratio = m / prev_m
        errs.append(2 * _rel(cp, prev_c) / (ratio**2 - 1))  # twice the error of an O(1/L^2) convergence
        prev_c, prev_m = cp, m
        err = max(errs[-2:])
        if (
            len(errs) >= 2
            and err <= CONVERGENCE_TOL
            and (err <= CONVERGENCE_TOL / 4 or (2 * p * n) ** d > CHEAP_FFT_POINTS)
        ):
            h = 2 * L / n
            total = change + share + err
            return CfEstimate(
                cp,
                total,
                (
                    f"estimated: FFT of f on [-{L:g}, {L:g})^{d} with step {h:.3g} ({n} points per axis; spectrum "
                    f"decayed near the Nyquist frequency at steps {h:.3g} and {2 * h:.3g}, change {change:.1e}), "
                    f"zero-padded to {m} points per axis (box error {err:.1e}); stated error {total:.1e}"
                ),
                peak,
            )
    return _unknown(
        f"the estimate still depends on the box size ({c:.6g} on [-{L:g}, {L:g})^{d}, {prev_c:.6g} padded "
        f"to {prev_m / n:g} times that box); the ω grid cannot resolve f̃ near 0 within the memory allowed",
        peak,
    )
