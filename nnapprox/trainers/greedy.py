"""Constructive trainers: relaxed greedy (Jones 1992, Barron 1993) and orthogonal greedy (OGA).

Both build a one-hidden-layer network one unit ``g_k(x) = σ(a_k·x + b_k)`` at a time, so one
run yields the whole path of widths n = 1..n_max (:class:`UnitPath`): a width study costs one run.

``greedy`` (relaxed greedy)
    ``f_k = c_k + (1 − α_k) h_{k−1} + β_k g_k`` with ``h`` the sum of the units so far. The
    new unit is the candidate best correlated with the residual ``y − f_{k−1}``; then
    ``(a_k, b_k, α_k, β_k, c_k)`` are refined together by a few Levenberg–Marquardt steps
    on the squared error. Earlier units are never revisited (only rescaled by ``1 − α``).
``oga`` (orthogonal greedy, Siegel & Xu 2022)
    The new unit maximises ``|<r, g>|`` over the dictionary ``{σ(a·x + b): |a| <= cap}``,
    *not* normalised by ``‖g‖`` (normalising picks steep thin slabs whose Gram matrix is
    ill-conditioned and whose test error explodes). All output weights are refit after
    each addition: the columns ``[1, g_1, ..., g_k]`` evaluated on the training set are
    orthonormalised by classical Gram–Schmidt (``G = Q R``; a second round for a unit mostly
    inside the span, :mod:`nnapprox.trainers.basis`), the residual is ``y − Q Qᵀ y`` and the
    output weights solve the triangular system ``R c = Qᵀ y``.

Unit search (shared)
--------------------
Scoring a candidate costs one pass over the data, so the search screens cheaply first.
Inputs are scaled to ``p = u·x / R`` (``u`` a unit direction, ``R = max_i |x_i|``), so a
candidate is ``σ(s (p − t))``: ``a = (s / R) u`` and ``b = −s t``. For each of ``directions``
random directions (a quarter of them perturbations of directions already chosen) the
residual is binned along ``p`` (128 bins on [−1, 1]); the scores of all 10 scales ``s``
(log-spaced in ``[min_scale, max_scale]``) times 64 offsets ``t`` are then one matrix
product of a fixed kernel ``σ(s (c_bin − t))`` with the binned residuals. The best ``top``
candidates are rescored exactly on the training set and the best one is refined by
``refine_steps`` local steps (OGA: L-BFGS on ``<r, g>``; greedy: the LM step above).
``|a|`` is capped at ``max_scale / R`` throughout (a capped unit is rescaled, keeping its
hyperplane).

Screening bins all N points by default. A random subsample (``screen_samples``) is cheaper
but noisy once the residual is nearly orthogonal to the dictionary: on a Gaussian in d = 2
(cap 16, n = 256) screening a 4096-point subsample of N = 8000 ended at a test MSE of 3e-7,
full screening at 4e-9 (with N = 4000 as with N = 20000).

The cap decides the dictionary. The unnormalised score grows with the steepness of a unit
(a step has the largest correlation with a one-signed residual), so OGA uses units near the
cap; smoother dictionaries (smaller caps) converge much faster on smooth targets, larger
caps are needed for high frequencies. OGA test MSE at n = 256, N = 20000, caps 4 / 8 / 16 / 32
(the optimization_gap study's caps grid, before its port to a plug-in): Gaussian d = 2: 5e-14 / 5e-11 / 3e-9 /
2e-7; cosine product d = 4: 6e-8 / 2e-6 / 1e-5 / 4e-5; cosine ridge |ω| = 10, d = 8: 7e-2 / 2e-3 /
5e-4 / 3e-4. The default 16 reaches both regimes (a prototype run found relaxed greedy
better with larger caps).

Units
-----
The unit σ is the template's activation. Barron's bound is stated for bounded sigmoidal σ:
``sigmoid`` (in [0, 1], the default dictionary of the theory) and ``tanh`` (= 2 σ(2z) − 1,
the same dictionary up to an affine map) are the intended units. With ``relu`` or
``leaky_relu`` the same code runs on the dictionary of capped (leaky) ReLU units, which is
unbounded; the bound then needs the ramp ``relu(z) − relu(z − 1)`` (two units per sigmoidal
unit, :func:`nnapprox.theory.bounds.relu_units_for_sigmoidal`), which these trainers do not build.

Costs (float64). A step costs the screening (``directions · M`` projections, conversions and
scattered adds, about 2.5 ns each on one core; in chunks on 2 threads, and for the next step
already while the current one ends: :mod:`nnapprox.trainers.unit_search`), the rescoring and
refinement (``O(N (d + top + refine_steps))``), and for OGA two passes over the first k rows of
the orthonormal basis, ``16 k N`` bytes at the memory bandwidth. OGA keeps the basis,
``(n_max + 1) N`` floats (820 MB for n_max = 2048, N = 50 000; :func:`path_bytes` for all of a
path's arrays). ``make bench`` times both paths against those of before issue 21
(:mod:`tools.bench_greedy`).

Threads change no number; neither do the prefetch, the chunk size or the buffers (the tests
compare the paths bit for bit with :mod:`tools.greedy_reference`, the per-step algorithm of
before issue 21). OGA's default Gram–Schmidt (one round, a second on demand) rounds each new
basis row differently in the last bits, and a path amplifies such differences: OGA paths agree
with those of before issue 21 statistically, not number for number (``reorthogonalise=1``
restores the old numbers at the cost of two more passes per unit).
"""

from __future__ import annotations

import time
from functools import partial
from typing import Any

import numpy as np
from scipy.linalg import solve_triangular

from nnapprox.base.options import Float, Int, IntList, Option
from nnapprox.trainers.basis import REORTHOGONALISE, OrthoBasis
from nnapprox.trainers.common import PROGRESS_EVERY, History, Trainer, log
from nnapprox.trainers.paths import UnitPath, check_template, one_blas_thread, path_widths
from nnapprox.trainers.unit_search import UnitSearch

__all__ = ["train_greedy", "train_oga", "path_bytes", "GREEDY", "OGA", "PATH_OPTIONS", "SEARCH_OPTIONS"]


# ---------------------------------------------------------------------------
# the path object
# ---------------------------------------------------------------------------


# ---------------------------------------------------------------------------
# options shared by the constructive trainers
# ---------------------------------------------------------------------------


def _n_max(n_max, net):
    return (net.sizes[1] if len(net.sizes) > 2 else 1) if n_max is None else n_max


#: Options of every constructive path (greedy, oga, random_features).
PATH_OPTIONS = (
    Option(
        "n_max",
        None,
        Int(1),
        "final width of the path (none: the template's hidden width; in a config: model.width)",
        config=False,
    ),
    Option(
        "record_widths",
        None,
        IntList(1),
        "widths recorded on the path, each <= the path's width (none: 1, 2, 3, 4, 6, 8, 12, ... and the width itself)",
    ),
)
#: Options of the unit search shared by greedy and oga.
SEARCH_OPTIONS = (
    Option("min_scale", 0.5, Float(gt=0), "smallest unit slope |a| R of the search"),
    Option("max_scale", 16.0, Float(gt=0), "largest unit slope |a| R: the dictionary's cap"),
    Option("directions", 256, Int(1), "random directions screened per unit"),
    Option("screen_samples", None, Int(16), "points binned when screening (none: all N)"),
    Option("top", 8, Int(1), "screened candidates rescored exactly on all N points"),
    Option("refine_steps", 10, Int(0), "local refinement steps of the chosen unit (0: none)"),
    PROGRESS_EVERY,
)


#: Options of OGA alone.
OGA_OPTIONS = (
    Option(
        "reorthogonalise",
        REORTHOGONALISE,
        Float(ge=0, le=1),
        "second Gram–Schmidt round for a unit "
        "whose first leaves less than this fraction of |g| (1: every unit, four passes over the basis as "
        "before issue 21 and bit for bit its paths; below 1: two passes for most units, each unit the same "
        "to rounding, a path the same only statistically)",
    ),
)


def path_bytes(name: str, N: int, d: int, n_max: int, directions: int = 256, screen_samples=None) -> int:
    """Peak memory of a greedy path's own arrays (bytes), data and result excluded.

    OGA: the basis (``(n_max + 1) N`` floats and the ``(n_max + 1)²`` triangle,
    :meth:`~nnapprox.trainers.basis.OrthoBasis.nbytes`); relaxed greedy: the Jacobian
    ``N (d + 4)`` and a few N-vectors. Both: the screening's buffers (:func:`screen_bytes`) and
    the exact rescoring of ``top`` candidates (``8 N`` floats).
    """
    from nnapprox.trainers.unit_search import screen_bytes

    M = N if screen_samples is None else min(int(screen_samples), N)
    common = screen_bytes(M, directions) + 8 * N * 8 + 16 * N * 8
    if name == "oga":
        return int(OrthoBasis.nbytes(N, n_max + 1) + common)
    return int(8 * N * (d + 4) + common)


def _search_options(opts):
    if opts["min_scale"] > opts["max_scale"]:
        raise ValueError(f"min_scale={opts['min_scale']} must not exceed max_scale={opts['max_scale']}")
    keys = ("min_scale", "max_scale", "directions", "screen_samples", "top")
    return {k: opts[k] for k in keys}


# ---------------------------------------------------------------------------
# orthogonal greedy
# ---------------------------------------------------------------------------


def train_oga(net, X, y, loss, rng, **options):
    """Orthogonal greedy algorithm: one run gives the networks of every width 1..n_max.

    Runs with BLAS at one thread (see :func:`one_blas_thread`).

    Options
    -------
    n_max : int
        Final width (default: the template's hidden width ``net.sizes[1]``).
    record_widths : sequence of int, optional
        Widths kept on the path (default :func:`default_path_widths`: 1, 2, 3, 4, 6, 8, 12, ...;
        n_max is always kept).
    min_scale, max_scale : float
        Candidate slopes ``|a|`` range over ``[min_scale, max_scale] / R``, R = max_i |x_i|
        (defaults 0.5 and 16).
    directions : int
        Random directions screened per step (256).
    screen_samples : int or None
        Subsample used for screening (None = all N points, the default).
    top : int
        Candidates rescored exactly on all N points (8).
    refine_steps : int
        L-BFGS iterations refining the chosen unit (10; 0 switches refinement off).
    reorthogonalise : float
        A second Gram–Schmidt round for a unit whose first round leaves less than this fraction
        of its norm (0.01; 1: always, see :mod:`nnapprox.trainers.basis`).
    progress_every : float
        Seconds between progress log lines (10; 0 = never).

    Returns
    -------
    History
        ``net`` the width-n_max network, ``path`` a :class:`UnitPath`, ``loss`` the training
        loss ½ MSE at the recorded widths, ``steps = n_max``, ``stop_reason = "path_end"``,
        ``extras`` with ``gram_condition`` (2-norm condition number of the final ``R``),
        ``dependent_retries`` (candidate draws rejected as numerically inside the span),
        ``idle_units`` (units kept with output weight 0 because every draw was, as when
        n_max >= N) and ``reorthogonalised`` (units that took the second round).
    """
    with one_blas_thread():
        return _train_oga(net, X, y, loss, rng, options)


def _train_oga(net, X, y, loss, rng, options):
    t0 = time.perf_counter()
    X, y = check_template(net, X, y, loss, "oga")
    n_max = _n_max(options["n_max"], net)
    widths = path_widths(options["record_widths"], n_max)
    sopts, progress = _search_options(options), options["progress_every"]
    refine_steps = options["refine_steps"]
    N = X.shape[0]
    search = UnitSearch(X, net.activation_name, **sopts)
    rec = set(widths)

    # orthonormal rows spanning [1, g_1, ..., g_k] on the training set
    basis = OrthoBasis(N, n_max + 1, options["reorthogonalise"])
    qy = np.zeros(n_max + 1)  # Q y
    qy[0] = float(basis.Q[0] @ y)
    r = y - qy[0] * basis.Q[0]
    tmp = np.empty(N)
    A = np.zeros((n_max, X.shape[1]))
    bvec = np.zeros(n_max)
    coefs = np.zeros((len(widths), n_max))
    icpt = np.zeros(len(widths))
    times: list[float] = []
    mses: list[float] = []
    retries, idle, last_log = 0, 0, t0
    for k in range(1, n_max + 1):
        for _ in range(4):
            a, b, g, sc = search.best(r, rng)
            a, b, g, sc = search.refine_correlation(r, a, b, sc, refine_steps)
            if k < n_max:
                search.prefetch(rng, a)  # the next screening's bins, while Gram–Schmidt runs
            v, col, rho, independent = basis.orthogonalise(g)
            if independent:
                break
            search.cancel_prefetch(rng)  # the retry draws what it drew before issue 21
            retries += 1  # numerically inside the span already: draw new candidates
        A[k - 1], bvec[k - 1] = a, b
        search.remember(a)
        if independent:
            q = basis.append(v, col, rho)
            qy[k] = float(q @ r)
            r -= np.multiply(q, qy[k], out=tmp)
        else:  # e.g. k >= N: keep the unit with output weight 0 (R e_k = e_k, Qᵀy_k = 0)
            idle += 1
            basis.append_idle()
            qy[k] = 0.0
        if k in rec:
            c = solve_triangular(basis.R[: k + 1, : k + 1], qy[: k + 1])
            i = len(times)
            icpt[i] = c[0]
            coefs[i, :k] = c[1:]
            times.append(time.perf_counter() - t0)
            mses.append(float(r @ r) / N)
        last_log = _progress("oga", progress, last_log, t0, k, n_max, float(r @ r) / N)
    path = UnitPath(A, bvec, net.activation_name, widths, coefs, icpt, times, mses)
    sv = np.linalg.svd(basis.R, compute_uv=False)
    extras = {
        "algorithm": "oga",
        "gram_condition": float(sv[0] / sv[-1]),
        "dependent_retries": retries,
        "idle_units": idle,
        "reorthogonalised": basis.reorthogonalised,
        "R": search.R,
        "max_scale": sopts["max_scale"],
    }
    return _history(path, n_max, t0, extras)


def _progress(name, every, last_log, t0, k, n_max, mse):
    """Log ``unit k/n_max, train mse, elapsed, ETA`` once ``every`` seconds have passed; the new last-log time."""
    now = time.perf_counter()
    if every and now - last_log >= every:
        el = now - t0
        log.info(
            "%s: unit %d/%d, train mse %.3e, %.0f s elapsed, ETA %.0f s", name, k, n_max, mse, el, el / k * (n_max - k)
        )
        return now
    return last_log


def _history(path, n_max, t0, extras):
    return History(
        step=np.array(path.widths, dtype=int),
        elapsed=np.array(path.times),
        loss=0.5 * np.array(path.train_mse),
        status="ok",
        replica_status=["ok"],
        stop_reason="path_end",
        steps=n_max,
        wall_time=time.perf_counter() - t0,
        message=f"{extras['algorithm']} path to width {n_max}",
        net=path.prefix(n_max),
        path=path,
        extras=extras,
    )


# ---------------------------------------------------------------------------
# relaxed greedy
# ---------------------------------------------------------------------------


def _lm_unit(search, y, h, a, b, gam, beta, c, steps, use_h, J=None):
    """Levenberg–Marquardt on ``‖y − c − γ h − β σ(X a + b)‖²`` over ``(a, b, γ, β, c)``.

    ``use_h=False`` (the first unit) keeps ``γ`` fixed. ``J`` (optional): a C-contiguous
    ``(N, d + 4)`` buffer for the Jacobian, reused across units (its column of ones is set
    here). Returns the refined ``(a, b, γ, β, c, g, sse)``.
    """
    X, act, d = search.X, search.act, search.d
    if J is None:
        J = np.empty((X.shape[0], d + 4))
    J[:, d + 1] = h if use_h else 0.0  # columns that stay fixed during the refinement
    J[:, d + 3] = 1.0

    def state(a, b, gam, beta, c):
        z = X @ a + b
        g = act.value(z)
        e = y - c - gam * h - beta * g
        return z, g, e, float(e @ e)

    z, g, e, sse = state(a, b, gam, beta, c)
    mu = 1e-3
    for _ in range(steps):
        w = act.deriv(z, g)
        w *= beta
        np.multiply(X, w[:, None], out=J[:, :d])  # derivative of the model (−e) with respect to p
        J[:, d] = w
        J[:, d + 2] = g
        JtJ = J.T @ J
        Jte = J.T @ e
        diag = np.diag(JtJ).copy()
        diag[diag <= 0] = 1.0
        improved = False
        for _ in range(6):
            try:
                dp = np.linalg.solve(JtJ + mu * np.diag(diag), Jte)
            except np.linalg.LinAlgError:
                mu *= 10
                continue
            a1, b1 = search.cap_unit(a + dp[:d], b + dp[d])
            trial = (a1, b1, gam + dp[d + 1] if use_h else gam, beta + dp[d + 2], c + dp[d + 3])
            z1, g1, e1, sse1 = state(*trial)
            if np.isfinite(sse1) and sse1 < sse:
                a, b, gam, beta, c = trial
                z, g, e, sse = z1, g1, e1, sse1
                mu = max(mu / 3, 1e-12)
                improved = True
                break
            mu *= 4
        if not improved:
            break
    return a, b, gam, beta, c, g, sse


def train_greedy(net, X, y, loss, rng, **options):
    """Relaxed greedy algorithm (Jones 1992, Barron 1993): ``f_k = c_k + (1 − α_k) h_{k−1} + β_k g_k``.

    Each new unit is the candidate best correlated with the current residual (see the module
    docstring for the search), then ``(a, b, α, β, c)`` are refined jointly by
    ``refine_steps`` Levenberg–Marquardt steps on the training squared error (``α``, ``β``
    and ``c`` are unconstrained: the least-squares relaxation of Barron's convex step).
    The width-n prefix has output weights ``w_j = β_j Π_{j<i<=n} (1 − α_i)``.

    Options
    -------
    Those of :func:`train_oga` (``n_max``, ``record_widths``, ``min_scale``, ``max_scale``,
    ``directions``, ``screen_samples``, ``top``, ``refine_steps`` (default 10),
    ``progress_every``).

    Returns
    -------
    History
        As for :func:`train_oga`; ``extras["alpha"]`` and ``extras["beta"]`` hold the steps.
    """
    with one_blas_thread():
        return _train_greedy(net, X, y, loss, rng, options)


def _train_greedy(net, X, y, loss, rng, options):
    t0 = time.perf_counter()
    X, y = check_template(net, X, y, loss, "greedy")
    n_max = _n_max(options["n_max"], net)
    widths = path_widths(options["record_widths"], n_max)
    sopts, progress = _search_options(options), options["progress_every"]
    refine_steps = options["refine_steps"]
    N, d = X.shape
    search = UnitSearch(X, net.activation_name, **sopts)
    rec = set(widths)

    A = np.zeros((n_max, d))
    bvec = np.zeros(n_max)
    alpha = np.zeros(n_max)
    beta = np.zeros(n_max)
    w_cur = np.zeros(n_max)
    coefs = np.zeros((len(widths), n_max))
    icpt = np.zeros(len(widths))
    times: list[float] = []
    mses: list[float] = []
    h = np.zeros(N)
    J = np.empty((N, d + 4))  # the Levenberg–Marquardt Jacobian, one buffer for the path
    c = float(y.mean())
    r = y - c
    last_log = t0
    for k in range(1, n_max + 1):
        a, b, g, _ = search.best(r, rng)
        if k < n_max:
            search.prefetch(rng, pending=True)  # the next screening's bins, while the unit is refined
        use_h = k > 1
        cols = np.stack([np.ones(N), h, g], axis=1) if use_h else np.stack([np.ones(N), g], axis=1)
        sol = np.linalg.lstsq(cols, y, rcond=None)[0]
        c0, gam0, beta0 = (sol[0], sol[1], sol[2]) if use_h else (sol[0], 1.0, sol[1])
        a, b, gam, bk, ck, g, sse = _lm_unit(search, y, h, a, b, gam0, beta0, c0, refine_steps, use_h, J)
        search.remember(a)
        A[k - 1], bvec[k - 1] = a, b
        alpha[k - 1], beta[k - 1] = 1.0 - gam, bk
        h = gam * h + bk * g
        c = ck
        r = y - c - h
        w_cur[: k - 1] *= gam
        w_cur[k - 1] = bk
        if k in rec:
            i = len(times)
            coefs[i] = w_cur
            icpt[i] = c
            times.append(time.perf_counter() - t0)
            mses.append(float(r @ r) / N)
        last_log = _progress("greedy", progress, last_log, t0, k, n_max, float(r @ r) / N)
    path = UnitPath(A, bvec, net.activation_name, widths, coefs, icpt, times, mses)
    extras = {
        "algorithm": "greedy",
        "alpha": alpha.tolist(),
        "beta": beta.tolist(),
        "R": search.R,
        "max_scale": sopts["max_scale"],
    }
    return _history(path, n_max, t0, extras)


def _training_bytes(name: str, N: int, d: int, width: int, options: dict) -> int:
    """:func:`path_bytes` from a path's resolved options (``Trainer.training_bytes``)."""
    return path_bytes(name, N, d, width, options["directions"], options["screen_samples"])


#: What a constructive path does with the model: its own one-hidden-layer float64 network of model.width units.
_PATH_FACTS: dict[str, Any] = dict(width_option="n_max", depth=1, uses_init=False, float32=False, trees=False)

OGA = Trainer(
    "oga",
    train_oga,
    PATH_OPTIONS + SEARCH_OPTIONS + OGA_OPTIONS,
    "orthogonal greedy algorithm (Siegel & Xu 2022): units one at a time, all output weights "
    "refit; one run gives every width",
    losses=("mse",),
    builds_own=True,
    path=True,
    guarantee="barron",
    sharp_rate=True,
    **_PATH_FACTS,
    training_bytes=partial(_training_bytes, "oga"),
)
GREEDY = Trainer(
    "greedy",
    train_greedy,
    PATH_OPTIONS + SEARCH_OPTIONS,
    "relaxed greedy algorithm (Jones 1992, Barron 1993); one run gives every width",
    losses=("mse",),
    builds_own=True,
    path=True,
    guarantee="barron",
    **_PATH_FACTS,
    training_bytes=partial(_training_bytes, "greedy"),
)
