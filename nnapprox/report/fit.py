"""Rates on log-log axes with confidence intervals that resample what is independent, and bound tables.

A rate is the slope ``s`` of the least-squares line through ``(log x, log y)``, so that
``y ~ exp(intercept) * x**s``. Which interval it gets depends on what is independent:

``t-paths``
    Runs that share a seed and replica share their data (and, for a path trainer, one run gives
    every width): each such *path* is one draw. The slope is fitted per path over the x values
    every path has, and the interval is the t-interval of the mean of the k per-path slopes,
    ``mean ± t_(k-1) sd / sqrt(k)`` (exact for normal slopes; its coverage on simulated power laws
    is checked in the tests for the replica counts the studies use). The point estimate is that mean.
``bootstrap-replicates``
    Without path labels (a direct call with replicate values at each x): a percentile bootstrap of
    the replicates within each x, widened by ``sqrt(k / (k - 1))``.
``bootstrap-residuals``
    One value per x: the residuals of the fit resampled, inflated by ``sqrt(P / (P - 2))`` — a
    description, never the basis of a verdict.

The generator is seeded, so the same data give the same interval. Judging the fits against the
theorems is the business of :mod:`nnapprox.report.judge` and the study plug-ins.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd
from scipy.special import stdtrit

from nnapprox.report.collect import iter_groups

#: Columns of :func:`fit_rates`.
FIT_COLUMNS = (
    "group",
    "x",
    "y",
    "slope",
    "ci_low",
    "ci_high",
    "ci_method",
    "intercept",
    "r2",
    "x_min",
    "x_max",
    "n_points",
    "n_seeds",
    "n_runs",
)
#: Widths: the axes on which Barron's approximation bound (2 r C_f)^2 / n applies.
WIDTH_AXES = ("n", "model.width")
#: Training-set size: the axis of the estimation term (n d / N) log N.
SAMPLE_AXES = ("data.N",)


def _check_level(ci):
    if not 0 < ci < 1:
        raise ValueError(f"ci must lie in (0, 1), got {ci!r}")


def usable_mask(df, x, y, logx=True, logy=True):
    """Rows that may enter a fit or a plot: status ok, finite ``x`` and ``y``, positive on log axes.

    Parameters
    ----------
    df : pandas.DataFrame
    x, y : str
        Column names.
    logx, logy : bool
        Require positive values on a log axis.

    Returns
    -------
    numpy.ndarray of bool

    Raises
    ------
    ValueError
        If ``x`` or ``y`` is not a column of ``df``.
    """
    for name, col in (("x", x), ("y", y)):
        if col not in df.columns:
            raise ValueError(f"{name}={col!r} is not a column of the data; columns: {list(df.columns)}")
    xv = pd.to_numeric(df[x], errors="coerce").to_numpy(dtype=float)
    yv = pd.to_numeric(df[y], errors="coerce").to_numpy(dtype=float)
    mask = np.isfinite(xv) & np.isfinite(yv)
    if logx:
        mask &= xv > 0
    if logy:
        mask &= yv > 0
    if "status" in df.columns:
        mask &= (df["status"].astype(str) == "ok").to_numpy()
    return mask


def _by_point(x, y):
    """Distinct x values (sorted) and the replicate y values at each."""
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    xs = np.unique(x)
    return xs, [y[x == v] for v in xs]


def point_summary(x, y, *, n_boot=1000, ci=0.95, seed=0):
    """Mean of ``y`` at each distinct ``x`` with a percentile-bootstrap CI of that mean.

    Parameters
    ----------
    x, y : array_like
        One entry per run; runs with equal ``x`` are replicates.
    n_boot : int
        Bootstrap resamples per point.
    ci : float
        Confidence level in (0, 1).
    seed : int
        Seed of the resampling generator.

    Returns
    -------
    pandas.DataFrame
        Columns ``x``, ``mean``, ``ci_low``, ``ci_high``, ``std``, ``count``; the interval is NaN
        where there is a single replicate.
    """
    _check_level(ci)
    rng = np.random.default_rng(seed)
    q = ((1 - ci) / 2, (1 + ci) / 2)
    rows = []
    for xv, vals in zip(*_by_point(x, y), strict=True):
        k = len(vals)
        lo = hi = math.nan
        if k > 1:
            means = vals[rng.integers(0, k, size=(n_boot, k))].mean(axis=1)
            lo, hi = np.quantile(means, q)
        rows.append(
            {
                "x": xv,
                "mean": vals.mean(),
                "ci_low": lo,
                "ci_high": hi,
                "std": vals.std(ddof=1) if k > 1 else math.nan,
                "count": k,
            }
        )
    return pd.DataFrame(rows, columns=["x", "mean", "ci_low", "ci_high", "std", "count"])


@dataclass(frozen=True)
class RateFit:
    """Result of :func:`fit_power_law`; ``y ~ exp(intercept) * x**slope`` over [x_min, x_max]."""

    slope: float
    ci_low: float
    ci_high: float
    ci_method: str
    intercept: float
    r2: float
    x_min: float
    x_max: float
    n_points: int
    n_seeds: int
    n_runs: int

    def as_dict(self):
        """The fields as a dict."""
        return asdict(self)


def _slopes(lx, ly):
    """Least-squares slopes of each row of ``ly`` (B, P) against ``lx`` (P,)."""
    cx = lx - lx.mean()
    return (ly - ly.mean(axis=-1, keepdims=True)) @ cx / (cx @ cx)


def fit_power_law(x, y, *, paths=None, x_min=None, x_max=None, n_boot=2000, ci=0.95, seed=0, min_points=3):
    """Fit ``y ~ C x**s`` on log-log axes with a CI on ``s`` (see the module docstring for the methods).

    Parameters
    ----------
    x, y : array_like
        One entry per run; runs with equal ``x`` are replicates (seeds). Non-finite or
        non-positive entries are dropped.
    paths : array_like, optional
        One label per run naming its path (runs sharing a seed and replica): with two or more
        paths the slope is fitted per path over the x values every path has and the CI is the
        t-interval of their mean (``t-paths``).
    x_min, x_max : float, optional
        Fit range (inclusive).
    n_boot : int
        Bootstrap resamples (at least 100).
    ci : float
        Confidence level of the percentile interval.
    seed : int
        Seed of the resampling generator (fixed for reproducible intervals).
    min_points : int
        Fewer distinct ``x`` values give a NaN slope (``ci_method = "too-few-points"``).

    Returns
    -------
    RateFit

    Raises
    ------
    ValueError
        If ``x`` and ``y`` differ in length, ``n_boot < 100``, ``ci`` is outside (0, 1),
        ``min_points < 2`` or ``x_min > x_max``.
    """
    x = np.asarray(x, dtype=float).ravel()
    y = np.asarray(y, dtype=float).ravel()
    if x.shape != y.shape:
        raise ValueError(f"x and y must have the same length, got {x.size} and {y.size}")
    if paths is not None:
        paths = np.asarray(paths).ravel()
        if paths.shape != x.shape:
            raise ValueError(f"paths must have one label per run, got {paths.size} for {x.size} runs")
    if n_boot < 100:
        raise ValueError(f"n_boot must be at least 100, got {n_boot!r}")
    _check_level(ci)
    if min_points < 2:
        raise ValueError(f"min_points must be at least 2, got {min_points!r}")
    if x_min is not None and x_max is not None and x_min > x_max:
        raise ValueError(f"x_min={x_min!r} must not exceed x_max={x_max!r}")
    keep = np.isfinite(x) & np.isfinite(y) & (x > 0) & (y > 0)
    if x_min is not None:
        keep &= x >= x_min
    if x_max is not None:
        keep &= x <= x_max
    if paths is not None and np.unique(paths[keep]).size >= 2:
        return _fit_paths(x[keep], y[keep], paths[keep], ci, min_points)
    xs, groups = _by_point(x[keep], y[keep])
    p = len(xs)
    n_seeds = min((len(g) for g in groups), default=0)
    lo_x = float(xs[0]) if p else math.nan
    hi_x = float(xs[-1]) if p else math.nan
    if p < min_points:
        return RateFit(
            math.nan, math.nan, math.nan, "too-few-points", math.nan, math.nan, lo_x, hi_x, p, n_seeds, int(keep.sum())
        )
    lx = np.log(xs)
    ly = np.log([g.mean() for g in groups])
    slope = float(_slopes(lx, ly[None, :])[0])
    intercept = float(ly.mean() - slope * lx.mean())
    resid = ly - (intercept + slope * lx)
    ss_tot = float(((ly - ly.mean()) ** 2).sum())
    r2 = 1.0 - float((resid**2).sum()) / ss_tot if ss_tot > 0 else math.nan
    rng = np.random.default_rng(seed)
    if max(len(g) for g in groups) > 1:
        method = "bootstrap-replicates"
        boot = np.empty((n_boot, p))
        for i, g in enumerate(groups):
            boot[:, i] = g[rng.integers(0, len(g), size=(n_boot, len(g)))].mean(axis=1)
        slopes = _slopes(lx, np.log(boot))
    else:
        method = "bootstrap-residuals"
        scale = math.sqrt(p / (p - 2)) if p > 2 else 1.0
        fitted = intercept + slope * lx
        slopes = _slopes(lx, fitted + scale * resid[rng.integers(0, p, size=(n_boot, p))])
    lo, hi = np.quantile(slopes, [(1 - ci) / 2, (1 + ci) / 2])
    if method == "bootstrap-replicates" and n_seeds > 1:
        # resampling k values underestimates the variance of their mean by (k - 1) / k
        widen = math.sqrt(n_seeds / (n_seeds - 1))
        lo, hi = slope + widen * (lo - slope), slope + widen * (hi - slope)
    return RateFit(slope, float(lo), float(hi), method, intercept, r2, lo_x, hi_x, p, n_seeds, int(keep.sum()))


def path_ids(rows) -> np.ndarray:
    """One label per row naming its replica path.

    Rows with the same seed and replica share their data (and, for a path trainer, one run gives
    every width), so fits and resampling treat them as one draw.
    """
    keys = [k for k in ("seed", "replica") if k in rows.columns]
    if not keys:
        return np.arange(len(rows)).astype(str)
    return rows[keys].astype(str).agg("/".join, axis=1).to_numpy()


def per_path_slopes(x, y, paths):
    """The x values every path has (sorted) and each path's least-squares slope of log y on log x there.

    Parameters
    ----------
    x, y, paths : array_like
        One entry per run (positive ``x`` and ``y``); repeated (path, x) pairs are averaged. A path
        missing some x values (a failed run) is left out, unless that leaves fewer than two paths;
        x values most paths lack are left out first.

    Returns
    -------
    xs : numpy.ndarray, shape ``(P,)``
    slopes, intercepts : numpy.ndarray, shape ``(k,)``
        One per path (empty when fewer than 2 common x values).
    labels : numpy.ndarray, shape ``(k,)``
    """
    frame = pd.DataFrame({"x": np.asarray(x, float), "ly": np.log(np.asarray(y, float)), "p": np.asarray(paths)})
    piv = frame.pivot_table(index="p", columns="x", values="ly", aggfunc="mean")
    # a failed run leaves a hole: keep the x values most paths have, then the paths complete on them
    piv = piv.loc[:, piv.notna().mean(axis=0) > 0.5]
    complete = piv.dropna(axis=0)
    piv = complete if len(complete) >= 2 else piv.dropna(axis=1)
    xs = piv.columns.to_numpy(dtype=float)
    if xs.size < 2:
        return xs, np.array([]), np.array([]), piv.index.to_numpy()
    lx = np.log(xs)
    ly = piv.to_numpy()
    slopes = _slopes(lx, ly)
    return xs, slopes, ly.mean(axis=1) - slopes * lx.mean(), piv.index.to_numpy()


def t_interval(values, ci=0.95):
    """Mean of ``values`` and the t-interval of that mean: ``(mean, low, high)`` (NaN ends below 2 values)."""
    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v)]
    if v.size == 0:
        return math.nan, math.nan, math.nan
    m = float(v.mean())
    if v.size < 2:
        return m, math.nan, math.nan
    half = float(stdtrit(v.size - 1, (1 + ci) / 2) * v.std(ddof=1) / math.sqrt(v.size))
    return m, m - half, m + half


def _fit_paths(x, y, paths, ci, min_points):
    xs, slopes, icpts, labels = per_path_slopes(x, y, paths)
    k = slopes.size
    n_runs = int((np.isin(x, xs) & np.isin(paths, labels)).sum())
    lo_x = float(xs[0]) if xs.size else math.nan
    hi_x = float(xs[-1]) if xs.size else math.nan
    if xs.size < min_points:
        return RateFit(
            math.nan, math.nan, math.nan, "too-few-points", math.nan, math.nan, lo_x, hi_x, int(xs.size), k, n_runs
        )
    slope, lo, hi = t_interval(slopes, ci)
    intercept = float(icpts.mean())
    lx = np.log(xs)
    kept = np.isin(paths, labels)
    ly = np.log([y[(x == v) & kept].mean() for v in xs])
    resid = ly - (intercept + slope * lx)
    ss_tot = float(((ly - ly.mean()) ** 2).sum())
    r2 = 1.0 - float((resid**2).sum()) / ss_tot if ss_tot > 0 else math.nan
    return RateFit(slope, lo, hi, "t-paths", intercept, r2, lo_x, hi_x, int(xs.size), k, n_runs)


def fit_rates(df, x, y="test_mse", hue=(), *, x_min=None, x_max=None, n_boot=2000, ci=0.95, seed=0, min_points=3):
    """One log-log rate fit per group of ``hue`` values, on the usable rows only.

    Rows with a status other than ``ok`` or a missing/non-positive ``x`` or ``y`` are left out
    (see :func:`usable_mask`).

    Parameters
    ----------
    df : pandas.DataFrame
        Tidy records.
    x, y : str
        Column names of the abscissa and the fitted quantity.
    hue : sequence of str
        Grouping columns; one fit per combination of values.
    x_min, x_max, n_boot, ci, seed, min_points
        As in :func:`fit_power_law`.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`FIT_COLUMNS`, one row per group (groups without a usable row included,
        with NaN slope).
    """
    df = df.reset_index(drop=True)
    mask = usable_mask(df, x, y)
    rows = []
    for label, _, g in iter_groups(df, hue):
        m = mask[df.index.get_indexer(g.index)]
        res = fit_power_law(
            g[x].to_numpy(dtype=float)[m],
            g[y].to_numpy(dtype=float)[m],
            paths=path_ids(g)[m],
            x_min=x_min,
            x_max=x_max,
            n_boot=n_boot,
            ci=ci,
            seed=seed,
            min_points=min_points,
        )
        rows.append({"group": label, "x": x, "y": y, **res.as_dict()})
    return pd.DataFrame(rows, columns=list(FIT_COLUMNS))


def slope_over_paths(ns, mse, *, n_min=None, n_max=None, ci=0.95):
    """Log-log slope of the error vs width over whole paths, with the t-interval of the per-path slopes.

    Each row of ``mse`` is one path (a replica: its own data, one run for every width), so the paths
    are the independent draws: the slope is the mean of the per-path least-squares slopes of
    ``log mse`` on ``log n`` and the interval is its t-interval (see :func:`t_interval`).

    Parameters
    ----------
    ns : array, shape ``(P,)``
        Widths.
    mse : array, shape ``(S, P)``
        Errors of S paths at those widths (positive).
    n_min, n_max : float, optional
        Fit range (inclusive).
    ci : float
        Confidence level in (0, 1).

    Returns
    -------
    (slope, ci_low, ci_high) : floats
        NaN ends with a single path.
    """
    ns = np.asarray(ns, dtype=float)
    mse = np.atleast_2d(np.asarray(mse, dtype=float))
    if mse.shape[1] != ns.shape[0]:
        raise ValueError(f"mse has shape {mse.shape}; expected (paths, {ns.shape[0]}) to match ns")
    _check_level(ci)
    keep = np.ones(ns.shape, bool)
    if n_min is not None:
        keep &= ns >= n_min
    if n_max is not None:
        keep &= ns <= n_max
    if keep.sum() < 2 or not np.all(mse[:, keep] > 0):
        raise ValueError("need at least 2 widths in the fit range and positive errors there")
    return t_interval(_slopes(np.log(ns[keep]), np.log(mse[:, keep])), ci)


def fmt_slope(slope, lo, hi):
    """``"-1.02 [-1.10, -0.95]"``, or ``"n/a"`` when the slope is NaN."""
    if not np.isfinite(slope):
        return "n/a"
    if np.isfinite(lo) and np.isfinite(hi):
        return f"{slope:.2f} [{lo:.2f}, {hi:.2f}]"
    return f"{slope:.2f}"


def width_column(df):
    """The width column of ``df``: ``n`` if present, else ``model.width``, else None."""
    for col in WIDTH_AXES:
        if col in df.columns:
            return col
    return None


def bound_ratios(df):
    """Measured / bound (the job's ``bound`` column) for each usable row; NaN where there is no bound.

    Parameters
    ----------
    df : pandas.DataFrame

    Returns
    -------
    numpy.ndarray
    """

    def col(name):
        if name in df.columns:
            return pd.to_numeric(df[name], errors="coerce").to_numpy(dtype=float)
        return np.full(len(df), np.nan)

    mse, bound = col("test_mse"), col("bound")
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = mse / bound
    ok = (df["status"].astype(str) == "ok").to_numpy() if "status" in df.columns else True
    return np.where(ok & np.isfinite(bound) & (bound > 0) & np.isfinite(mse), ratio, np.nan)


def group_stats(df, by, col):
    """Mean, standard error, min, max and count of ``col`` per group, sorted by ``by``.

    Parameters
    ----------
    df : pandas.DataFrame
    by : sequence of str
        Grouping columns.
    col : str
        Numeric column; NaN values are ignored.

    Returns
    -------
    pandas.DataFrame
        Columns ``by + ["mean", "se", "min", "max", "count"]``; ``se`` is ``std(ddof=1) /
        sqrt(count)`` (NaN for a single value).

    Raises
    ------
    ValueError
        If a column is missing.
    """
    by = [by] if isinstance(by, str) else list(by)
    missing = [c for c in by + [col] if c not in df.columns]
    if missing:
        raise ValueError(f"columns {missing} are not in the data; columns: {list(df.columns)}")
    vals = df[by].copy()
    vals["_v"] = pd.to_numeric(df[col], errors="coerce")
    g = vals.dropna(subset=["_v"]).groupby(by, sort=True)["_v"]
    out = g.agg(mean="mean", std="std", min="min", max="max", count="count").reset_index()
    out["se"] = out["std"] / np.sqrt(out["count"])
    return out[by + ["mean", "se", "min", "max", "count"]]
