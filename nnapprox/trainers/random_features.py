"""Random features: a fixed basis of n random units, output layer by ridge least squares.

The inner weights are drawn once and frozen, so the network is linear in what is fitted: the
fixed-basis baseline of Barron's lower bound (no linear combination of n fixed functions beats
``n^(-2/d)`` uniformly over the class; on a ridge ``cos(ω·x)`` in d = 8 a random basis wastes
almost all of its units).

Distribution of the units ``σ(a_j·x + b_j)``, j = 1..n, with ``R = max_i |x_i|``
(R = r = 1 on the unit ball, so ``scale`` is the slope of a unit across the data):

* ``dist="gaussian"`` (default): ``a_j = (scale / R) ξ_j``, ``ξ_j ~ N(0, I_d / d)``, so
  ``E|a_j|² = (scale / R)²``.
* ``dist="sphere"``: ``a_j = (scale / R) u_j`` with ``u_j`` uniform on the unit sphere.
* ``bias="data"`` (default): ``b_j = −a_j·x_{i(j)}`` for a training point ``x_{i(j)}`` drawn
  at random, so every unit's transition passes through the data.
  ``bias="uniform"``: ``b_j ~ U(−|a_j| R, |a_j| R)``.

One standard draw ``(ξ, u, i(j))`` serves every scale of the search (common random numbers),
so the validation curve over ``scale`` is smooth.

Output layer: ``min_{w, c} (1/N) Σ_i (y_i − c − h_i·w)² + ridge |w|²`` (the intercept is not
penalised). With the column-centred feature matrix ``H`` and ``y``, one QR factorisation of
``[H | y]`` gives ``R`` and ``Qᵀy``; the SVD of the n×n factor then gives the solution for
every ridge value, and, because the first m columns of ``H`` have the leading m×m block of
``R`` as their factor, for every prefix width m too. ``ridge = 0`` is the minimum-norm
least-squares solution (singular values below ``1e-13`` of the largest are dropped).

``scale`` and ``ridge`` left as None are chosen on a validation split (a fraction
``val_fraction`` of the training set): the pair with the smallest validation MSE at width n
(and, on the path, the ridge per prefix width); the output layer is then refitted on all N
points.
"""

from __future__ import annotations

import time

import numpy as np
from scipy.linalg import qr

from nnapprox.base.options import Choice, Float, FloatOrList, Int, IntList, Option
from nnapprox.engine.activations import get_activation
from nnapprox.trainers.common import History, Trainer
from nnapprox.trainers.paths import UnitPath, check_template, one_blas_thread, path_widths

__all__ = ["train_random_features", "DEFAULT_SCALES", "DEFAULT_RIDGES", "DISTS", "BIASES", "RANDOM_FEATURES"]

DEFAULT_SCALES = (0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 32.0)
DEFAULT_RIDGES = (0.0, 1e-12, 1e-10, 1e-8, 1e-6, 1e-4, 1e-2)
DISTS = ("gaussian", "sphere")
BIASES = ("data", "uniform")
_RCOND = 1e-13


def _grid(value, default):
    """A number (fixed) or a list (searched); None -> the default grid. Returns (values, searched)."""
    if value is None:
        return list(default), True
    vals = list(value) if isinstance(value, (list, tuple)) else [value]
    return vals, len(vals) > 1


class _Solver:
    """Ridge solutions for every prefix width from one QR of ``[H − mean | y − mean]``."""

    def __init__(self, H, y):
        self.h_mean = H.mean(axis=0)
        self.y_mean = float(y.mean())
        n = H.shape[1]
        Ha = np.empty((H.shape[0], n + 1))
        np.subtract(H, self.h_mean, out=Ha[:, :n])
        Ha[:, n] = y - self.y_mean
        Rfull = qr(Ha, mode="r", overwrite_a=True, check_finite=False)[0]
        k = min(n + 1, Rfull.shape[0])
        self.R = np.zeros((n + 1, n + 1))
        self.R[:k] = Rfull[:k, : n + 1]
        self.N = H.shape[0]
        self._svd = {}

    def weights(self, m, ridges):
        """Output weights ``(len(ridges), m)`` and intercepts ``(len(ridges),)`` of the first m features."""
        if m not in self._svd:
            U, S, Vt = np.linalg.svd(self.R[:m, :m])
            self._svd[m] = (U.T @ self.R[:m, -1], S, Vt)
        z, S, Vt = self._svd[m]
        keep = S > _RCOND * S[0] if S[0] > 0 else np.zeros_like(S, bool)
        W = np.empty((len(ridges), m))
        for i, lam in enumerate(ridges):
            f = np.zeros_like(S)
            f[keep] = S[keep] / (S[keep] ** 2 + lam * self.N)
            W[i] = Vt.T @ (f * z)
        return W, self.y_mean - W @ self.h_mean[:m]


def train_random_features(net, X, y, loss, rng, **options):
    """Random-feature regression: frozen random inner weights, ridge least-squares output layer.

    Options
    -------
    n : int
        Number of features (default: the template's hidden width ``net.sizes[1]``; in a config:
        ``model.width``).
    scale : float, sequence of float or None
        Slope scale of the inner weights (see the module docstring). None (default) chooses
        from ``DEFAULT_SCALES`` = (0.5, 1, 2, 4, 8, 16, 32) on the validation split; a
        sequence is searched the same way; a number is used as is.
    ridge : float >= 0, sequence or None
        Penalty on ``|w|²`` (per-sample mean objective). None (default) chooses from
        ``DEFAULT_RIDGES`` = (0, 1e-12, 1e-10, ..., 1e-2) on the validation split.
    dist : {"gaussian", "sphere"}
        Distribution of the inner-weight directions (default ``gaussian``).
    bias : {"data", "uniform"}
        Biases from projections of training points (default) or uniform.
    val_fraction : float in (0, 1)
        Share of the training set held out to choose ``scale`` and ``ridge`` (0.2).
    record_widths : sequence of int, optional
        Prefix widths kept on the path (the first m features, refitted; default 1, 2, 3, 4, 6,
        8, 12, ... below n, and n).

    Returns
    -------
    History
        ``net`` the width-n network, ``path`` a :class:`~nnapprox.trainers.greedy.UnitPath`
        (``prefix(m)`` = the first m features with their own least-squares output layer),
        ``extras`` with ``scale``, ``ridge`` (chosen at width n), ``ridge_per_width``,
        ``val_mse`` (validation MSE of every (scale, ridge) pair searched, a nested list) and
        ``dist``, ``bias``.

    Runs with BLAS at one thread, like the greedy trainers (on two busy cores two OpenBLAS
    threads made it 2x slower).
    """
    with one_blas_thread():
        return _train_random_features(net, X, y, loss, rng, options)


def _train_random_features(net, X, y, loss, rng, options):
    t0 = time.perf_counter()
    X, y = check_template(net, X, y, loss, "random_features")
    N, d = X.shape
    n = options["n"] if options["n"] is not None else (net.sizes[1] if len(net.sizes) > 2 else 1)
    widths = path_widths(options["record_widths"], n)
    scales, search_scale = _grid(options["scale"], DEFAULT_SCALES)
    ridges, search_ridge = _grid(options["ridge"], DEFAULT_RIDGES)
    dist, bias, vf = options["dist"], options["bias"], options["val_fraction"]
    act = get_activation(net.activation_name)
    R = float(max(np.sqrt(np.max(np.einsum("ij,ij->i", X, X))), 1e-300))

    # one standard draw for every scale
    if dist == "gaussian":
        Xi = rng.standard_normal((n, d)) / np.sqrt(d)
    else:
        Xi = rng.standard_normal((n, d))
        Xi /= np.linalg.norm(Xi, axis=1, keepdims=True)
    anchor = X[rng.integers(0, N, n)]
    unif = rng.uniform(-1.0, 1.0, n)

    def units(scale):
        A = (scale / R) * Xi
        if bias == "data":
            b = -np.einsum("ij,ij->i", A, anchor)
        else:
            b = unif * np.linalg.norm(A, axis=1) * R
        return A, b

    def features(Xs, A, b):
        Z = Xs @ A.T
        Z += b
        return act.value(Z, out=Z)

    search = search_scale or search_ridge
    val_mse = None
    if search:
        n_val = int(round(vf * N))
        try:
            _check_data(options, N)
        except ValueError as e:
            raise ValueError(str(e).replace("trainer.", "").replace("data.N", "N")) from None
        perm = rng.permutation(N)
        iv, it = perm[:n_val], perm[n_val:]
        val_mse = np.full((len(scales), len(ridges)), np.inf)
        for i, s in enumerate(scales):
            A, b = units(s)
            sol = _Solver(features(X[it], A, b), y[it])
            W, c = sol.weights(n, ridges)
            P = features(X[iv], A, b) @ W.T + c
            with np.errstate(over="ignore", invalid="ignore"):
                err = np.mean((P - y[iv][:, None]) ** 2, axis=0)
            val_mse[i] = np.where(np.isfinite(err), err, np.inf)
        i_s, i_r = np.unravel_index(int(np.argmin(val_mse)), val_mse.shape)
        scale, ridge = scales[i_s], ridges[i_r]
    else:
        scale, ridge = scales[0], ridges[0]

    A, b = units(scale)
    # per-width ridge on the validation split (scale fixed), then refit on all points
    per_width = {}
    if search_ridge:
        sol = _Solver(features(X[it], A, b), y[it])
        Hv = features(X[iv], A, b)
        for m in widths:
            W, c = sol.weights(m, ridges)
            err = np.mean((Hv[:, :m] @ W.T + c - y[iv][:, None]) ** 2, axis=0)
            per_width[m] = ridges[int(np.argmin(np.where(np.isfinite(err), err, np.inf)))]
    else:
        per_width = {m: ridge for m in widths}
    per_width[n] = ridge
    H = features(X, A, b)
    sol = _Solver(H, y)
    coefs = np.zeros((len(widths), n))
    icpt = np.zeros(len(widths))
    times, mses = [], []
    for i, m in enumerate(widths):
        W, c = sol.weights(m, [per_width[m]])
        coefs[i, :m], icpt[i] = W[0], c[0]
        res = H[:, :m] @ W[0] + c[0] - y
        mses.append(float(res @ res) / N)
        times.append(time.perf_counter() - t0)
    path = UnitPath(A, b, net.activation_name, widths, coefs, icpt, times, mses)
    extras = {
        "algorithm": "random_features",
        "scale": float(scale),
        "ridge": float(ridge),
        "ridge_per_width": {int(m): float(v) for m, v in per_width.items()},
        "val_mse": None if val_mse is None else val_mse.tolist(),
        "scales": list(map(float, scales)),
        "ridges": list(map(float, ridges)),
        "dist": dist,
        "bias": bias,
        "R": R,
    }
    return History(
        step=np.array(widths, dtype=int),
        elapsed=np.array(times),
        loss=0.5 * np.array(mses),
        status="ok",
        replica_status=["ok"],
        stop_reason="path_end",
        steps=n,
        wall_time=time.perf_counter() - t0,
        message=f"random features n={n}, scale={scale:g}, ridge={ridge:g}",
        net=path.prefix(n),
        path=path,
        extras=extras,
    )


def _check_data(options, N):
    searched = (
        options["scale"] is None
        or options["ridge"] is None
        or isinstance(options["scale"], list)
        or isinstance(options["ridge"], list)
    )
    if not searched:
        return
    vf = options["val_fraction"]
    n_val = int(round(vf * N))
    if n_val < 1 or N - n_val < 2:
        raise ValueError(
            f"trainer.val_fraction={vf:g} leaves {n_val} validation and {N - n_val} fitting points of "
            f"data.N={N}; choosing scale and ridge needs at least 1 and 2"
        )


RANDOM_FEATURES = Trainer(
    "random_features",
    train_random_features,
    (
        Option(
            "n", None, Int(1), "number of features (none: the template's width; in a config: model.width)", config=False
        ),
        Option(
            "record_widths",
            None,
            IntList(1),
            "prefix widths recorded, each <= the width (none: 1, 2, 3, 4, 6, 8, 12, ... and the width)",
        ),
        Option(
            "scale",
            None,
            FloatOrList(Float(gt=0)),
            "slope scale of the inner weights; a list is searched on the validation split (none: 0.5, 1, ..., 32)",
        ),
        Option(
            "ridge",
            None,
            FloatOrList(Float(ge=0)),
            "ridge penalty on the output weights; a list is searched (none: 0, 1e-12, ..., 1e-2)",
        ),
        Option("dist", "gaussian", Choice(DISTS, "distributions"), "distribution of the inner-weight directions"),
        Option("bias", "data", Choice(BIASES, "choices"), "biases through data points or uniform"),
        Option("val_fraction", 0.2, Float(gt=0, lt=1), "share of the training set held out to choose scale and ridge"),
    ),
    "random features: frozen random units, ridge least-squares output layer (a fixed basis)",
    losses=("mse",),
    builds_own=True,
    path=True,
    check_data=_check_data,
    adaptive_units=False,
    width_option="n",
    depth=1,
    uses_init=False,
    float32=False,
    trees=False,
)
