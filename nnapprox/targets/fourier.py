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

import math
import numbers
from dataclasses import dataclass

import numpy as np

__all__ = ["spectrum", "estimate_cf", "estimate_cf_checked", "CfEstimate", "GRIDS", "MAX_GRID_POINTS"]

MAX_GRID_POINTS = 2**24


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


#: (half-width L, points per coordinate) of the checked estimate in d = 1, 2, 3 (grid step 1/16, 1/8, 1/4).
#: The |ω|-kink error (π/L)² |f̃(0)| / 6 (d = 1) is below 1e-3 relative for unit-width functions.
GRIDS = {1: (64.0, 2048), 2: (32.0, 512), 3: (16.0, 128)}
#: Relative size of f on the outer tenth of the box above which f is not decaying there.
DECAY_TOL = 1e-8
#: Relative change between the two resolutions above which the estimate has not converged.
CONVERGENCE_TOL = 1e-3


@dataclass(frozen=True)
class CfEstimate:
    """A numerical Barron constant with how it was obtained.

    Attributes
    ----------
    value : float or None
        The estimate (None when it could not be trusted).
    rel_error : float
        Relative change between the two resolutions (NaN when not computed).
    method : str
        One line: the grid, or why there is no estimate.
    """

    value: float | None
    rel_error: float
    method: str


def estimate_cf_checked(f, d: int) -> CfEstimate:
    """``C_f`` by FFT (:func:`estimate_cf`) with its checks: decay at the box edge and convergence.

    The estimate treats f as a function on all of R^d, so it needs f negligible near the edge of the
    box ``[-L, L)^d`` (the function itself is the extension whose C_f is computed). It is computed on
    the grid of :data:`GRIDS` and on one 1.5 times larger in L and in points (the same step, a finer
    ω grid); their relative difference is the stated error.

    Parameters
    ----------
    f : callable
        ``(N, d) -> (N,)``.
    d : int
        Input dimension; beyond 3 there is no estimate.

    Returns
    -------
    CfEstimate
        ``value`` None with the reason in ``method`` when d > 3, f is not finite on the box, f does
        not decay at its edge (relative size above :data:`DECAY_TOL`), or the two resolutions differ
        by more than :data:`CONVERGENCE_TOL`.
    """
    if d not in GRIDS:
        return CfEstimate(None, math.nan, f"unknown: no numerical estimate in d = {d} (the FFT grid is limited to "
                                          f"d <= 3); give target.c_f")
    L, n = GRIDS[d]
    h = 2 * L / n
    x1 = -L + h * np.arange(n)
    grids = np.meshgrid(*([x1] * d), indexing="ij")
    X = np.stack([g.ravel() for g in grids], axis=1)
    with np.errstate(all="ignore"):
        v = np.asarray(f(X), dtype=np.float64).reshape(-1)
    if not np.all(np.isfinite(v)):
        return CfEstimate(None, math.nan, f"unknown: f is not finite on the FFT box [-{L:g}, {L:g})^{d}, which the "
                                          f"estimate needs f defined and decaying on; give target.c_f")
    edge = np.max(np.abs(X), axis=1) > 0.9 * L
    scale = float(np.max(np.abs(v))) or 1.0
    rel_edge = float(np.max(np.abs(v[edge]))) / scale
    if rel_edge > DECAY_TOL:
        return CfEstimate(None, math.nan, (
            f"unknown: f does not decay on R^{d} (|f| is {rel_edge:.1e} of its maximum at |x|_inf > {0.9 * L:g}); "
            f"the FFT estimate computes C_f of f itself as a function on R^{d}, so it needs a decaying f; give "
            f"target.c_f"))
    c1 = estimate_cf(f, d, half_width=L, n_grid=n)
    n2 = int(round(1.5 * n / 2)) * 2
    c2 = estimate_cf(f, d, half_width=L * n2 / n, n_grid=n2)
    err = abs(c2 - c1) / max(abs(c2), 1e-300)
    grid = f"FFT on [-{L * n2 / n:g}, {L * n2 / n:g})^{d}, {n2} points per axis (step {h:g})"
    if err > CONVERGENCE_TOL:
        return CfEstimate(None, err, f"unknown: the FFT estimate did not converge ({c1:.4g} vs {c2:.4g} at two box "
                                     f"sizes, relative change {err:.1e}); give target.c_f")
    return CfEstimate(c2, err, f"estimated: {grid}; relative change from the {n}-point grid {err:.1e}")
