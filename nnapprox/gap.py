"""The optimization gap: how far gradient training stops from the best network of the same width.

Barron's theorem bounds the error of the *best* network of width n. A width sweep of
gradient-trained networks measures that error only when the optimizer gets near it. For a
target, a training set of size N and widths n, :func:`optimization_gap` trains

* the gradient baseline (``gradient``, Adam by default) from a standard initialisation, and
* the reference fitters: relaxed greedy and orthogonal greedy (one path for all widths) and
  L-BFGS with restarts (one fit per width), all float64,

and reports, per width, every method's train and test MSE, relative MSE (``test_mse / var_f``)
and bound ratio, beside

``gap = test_mse(gradient) / min over the references of test_mse``,

so ``gap ≫ 1`` says that the gradient-trained sweep measures the optimizer, not the
approximation rate, and ``train_test = test_mse / train_mse`` of the best reference says
whether estimation error (too few samples for the width) is already visible.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .data import make_dataset
from .metrics import evaluate
from .network import MLP
from .trainers import fit

__all__ = ["optimization_gap", "GapResult", "slope_over_seeds", "REFERENCE_METHODS", "DEFAULT_OPTIONS"]

#: Reference fitters the gradient baseline is compared with.
REFERENCE_METHODS = ("greedy", "oga", "lbfgs")

#: Default options per method (``lbfgs``: best of 3 restarts, ``ftol = 0`` so that scipy's
#: absolute decrease test does not stop it near a loss of 1e-9).
DEFAULT_OPTIONS = {
    "adam": {"lr": 3e-3, "max_steps": 3000},
    "gd": {"lr": 0.1, "max_steps": 3000},
    "momentum": {"lr": 0.05, "max_steps": 3000},
    "lbfgs": {"restarts": 3, "max_steps": 2000, "ftol": 0.0},
    "greedy": {},
    "oga": {},
    "random_features": {},
}

TABLE_COLUMNS = ("method", "role", "n", "test_mse", "rel_mse", "train_mse", "bound", "bound_ratio",
                 "wall_time", "status")
SUMMARY_COLUMNS = ("n", "gradient", "gradient_test_mse", "gradient_train_mse", "best_method",
                   "best_test_mse", "best_train_mse", "gap", "best_train_test", "gradient_train_test",
                   "bound", "var_f")


@dataclass
class GapResult:
    """What :func:`optimization_gap` returns.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per (method, width): columns :data:`TABLE_COLUMNS` (``role`` is ``gradient``
        or ``reference``; ``wall_time`` of a path method is its cumulative time at that width).
    summary : pandas.DataFrame
        One row per width: columns :data:`SUMMARY_COLUMNS`; ``gap`` = gradient test MSE over
        the best reference test MSE; ``*_train_test`` = test MSE / train MSE.
    info : dict
        Target name and parameters, N, N_test, seed, C_f, r, Var f.
    """

    table: pd.DataFrame
    summary: pd.DataFrame
    info: dict = field(default_factory=dict)


def _widths(widths):
    try:
        ws = sorted({int(w) for w in np.atleast_1d(widths)})
        ok = all(float(w) == int(w) for w in np.atleast_1d(widths)) and ws and ws[0] >= 1
    except (TypeError, ValueError):
        ok = False
    if not ok:
        raise ValueError(f"widths={widths!r} is invalid: give a positive integer or a list of them")
    return ws


def optimization_gap(target, N, widths, *, seed=0, N_test=2**14, noise=0.0, activation="sigmoid",
                     gradient="adam", gradient_options=None, references=REFERENCE_METHODS,
                     options=None):
    """Gradient-trained error beside the best reference fitter at the same width.

    Parameters
    ----------
    target : Target
        From :func:`nnapprox.targets.get_target`.
    N : int
        Training-set size.
    widths : int or sequence of int
        Hidden widths n.
    seed : int
        Seed of the data set (:func:`nnapprox.data.make_dataset`) and of every trainer's rng.
    N_test : int
        Test-set size.
    noise : float
        Label noise standard deviation.
    activation : str
        Hidden activation of every network (the unit of greedy and oga).
    gradient : str
        The gradient trainer of the baseline (``adam``, ``gd`` or ``momentum``).
    gradient_options : dict, optional
        Its options (default :data:`DEFAULT_OPTIONS` of ``gradient``).
    references : sequence of str
        Reference methods among ``greedy``, ``oga``, ``lbfgs``, ``random_features``.
    options : dict of dict, optional
        Options per reference method, merged over :data:`DEFAULT_OPTIONS`.

    Returns
    -------
    GapResult
    """
    ws = _widths(widths)
    if gradient not in ("gd", "momentum", "adam"):
        raise ValueError(f"gradient={gradient!r} is invalid: use one of gd, momentum, adam")
    refs = list(references)
    allowed = ("greedy", "oga", "lbfgs", "random_features")
    bad = [m for m in refs if m not in allowed]
    if bad or not refs:
        raise ValueError(f"references={references!r} is invalid: choose one or more of {', '.join(allowed)}")
    options = dict(options or {})
    unknown = sorted(set(options) - set(refs))
    if unknown:
        raise ValueError(f"options has keys {unknown} that are not in references={refs}")
    ds = make_dataset(target, N, N_test=N_test, noise=noise, seed=seed)
    d = ds.d
    c_f = target.c_f if target.c_f is not None and math.isfinite(target.c_f) else None
    r = target.radius
    rows = []

    def record(method, role, n, pred_test, pred_train, wall, status):
        m = evaluate(pred_test, ds.y_test, pred_train, ds.y, c_f=c_f, radius=r, n=n)
        rows.append({"method": method, "role": role, "n": n, "test_mse": m["test_mse"],
                     "rel_mse": m["rel_mse"], "train_mse": m["train_mse"], "bound": m["bound"],
                     "bound_ratio": m["bound_ratio"], "wall_time": wall, "status": status})

    g_opts = dict(DEFAULT_OPTIONS[gradient], **(gradient_options or {}))
    for n in ws:
        net = MLP([d, n, 1], activation, rng=np.random.default_rng(seed))
        h = fit(net, ds.X, ds.y, trainer=gradient, rng=np.random.default_rng(seed), **g_opts)
        record(gradient, "gradient", n, net.predict(ds.X_test), net.predict(ds.X), h.wall_time, h.status)

    for method in refs:
        opts = dict(DEFAULT_OPTIONS[method], **options.get(method, {}))
        rng = np.random.default_rng(seed)
        if method in ("greedy", "oga", "random_features"):
            key = "n" if method == "random_features" else "n_max"
            template = MLP([d, ws[-1], 1], activation)
            h = fit(template, ds.X, ds.y, trainer=method, rng=rng, record_widths=ws,
                    **{key: ws[-1]}, **opts)
            Pt, Ptr = h.path.predict(ds.X_test, ws), h.path.predict(ds.X, ws)
            for i, n in enumerate(ws):
                record(method, "reference", n, Pt[i], Ptr[i], h.path.times[h.path.widths.index(n)], h.status)
        else:
            for n in ws:
                net = MLP([d, n, 1], activation, rng=np.random.default_rng(seed))
                h = fit(net, ds.X, ds.y, trainer=method, rng=rng, **opts)
                record(method, "reference", n, h.net.predict(ds.X_test), h.net.predict(ds.X), h.wall_time,
                       h.status)
    table = pd.DataFrame(rows, columns=list(TABLE_COLUMNS))
    summary = _summarise(table, gradient, ds.var_f)
    info = {"target": target.name, "params": dict(target.params), "N": N, "N_test": N_test, "seed": seed,
            "noise": noise, "c_f": c_f, "radius": r, "var_f": ds.var_f, "activation": activation,
            "gradient": gradient, "gradient_options": g_opts, "references": refs}
    return GapResult(table=table, summary=summary, info=info)


def _ratio(a, b):
    if a is None or b is None or not b > 0:
        return math.nan
    return float(a) / float(b)


def _summarise(table, gradient, var_f):
    out = []
    for n, g in table.groupby("n", sort=True):
        grad = g[g.role == "gradient"].iloc[0]
        ref = g[(g.role == "reference") & (g.status == "ok")].dropna(subset=["test_mse"])
        if len(ref):
            best = ref.loc[ref.test_mse.idxmin()]
            bm, bt, btr = best.method, float(best.test_mse), best.train_mse
        else:
            bm, bt, btr = None, math.nan, math.nan
        out.append({"n": int(n), "gradient": gradient, "gradient_test_mse": grad.test_mse,
                    "gradient_train_mse": grad.train_mse, "best_method": bm, "best_test_mse": bt,
                    "best_train_mse": btr, "gap": _ratio(grad.test_mse, bt),
                    "best_train_test": _ratio(bt, btr), "gradient_train_test": _ratio(grad.test_mse, grad.train_mse),
                    "bound": grad.bound, "var_f": var_f})
    return pd.DataFrame(out, columns=list(SUMMARY_COLUMNS))


def slope_over_seeds(ns, mse, *, n_min=None, n_max=None, n_boot=2000, ci=0.95, seed=0):
    """Log-log slope of the seed-mean error vs width, with a bootstrap CI that resamples whole seeds.

    The slope is the least-squares slope of ``log(mean over seeds of mse)`` against
    ``log n``; each bootstrap replicate draws the seeds with replacement (a seed keeps its whole
    path, so errors correlated along a path stay together) and refits.

    Parameters
    ----------
    ns : array, shape ``(P,)``
        Widths.
    mse : array, shape ``(S, P)``
        Errors of S seeds at those widths (positive).
    n_min, n_max : float, optional
        Fit range (inclusive).
    n_boot : int
        Bootstrap replicates.
    ci : float
        Confidence level in (0, 1).
    seed : int
        Seed of the resampling.

    Returns
    -------
    (slope, ci_low, ci_high) : floats
    """
    ns = np.asarray(ns, dtype=float)
    mse = np.atleast_2d(np.asarray(mse, dtype=float))
    if mse.shape[1] != ns.shape[0]:
        raise ValueError(f"mse has shape {mse.shape}; expected (seeds, {ns.shape[0]}) to match ns")
    if not 0 < ci < 1:
        raise ValueError(f"ci={ci!r} must lie in (0, 1)")
    keep = np.ones(ns.shape, bool)
    if n_min is not None:
        keep &= ns >= n_min
    if n_max is not None:
        keep &= ns <= n_max
    if keep.sum() < 2 or not np.all(mse[:, keep] > 0):
        raise ValueError("need at least 2 widths in the fit range and positive errors there")
    lx = np.log(ns[keep])
    cx = lx - lx.mean()
    m = mse[:, keep]

    def slopes(ly):
        return (ly - ly.mean(axis=-1, keepdims=True)) @ cx / (cx @ cx)

    point = float(slopes(np.log(m.mean(axis=0))))
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, m.shape[0], size=(n_boot, m.shape[0]))
    boot = slopes(np.log(m[idx].mean(axis=1)))
    lo, hi = np.quantile(boot, [(1 - ci) / 2, (1 + ci) / 2])
    return point, float(lo), float(hi)
