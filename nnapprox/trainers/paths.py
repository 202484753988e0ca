"""What every width path shares (greedy, OGA, random features, L-BFGS width continuation, boosting).

A path is one run that gives networks of several widths: :class:`PathMixin` is its interface
(``widths``, ``times``, ``train_mse``, ``prefix(n)``, ``predict``), :class:`UnitPath` the path of
networks that share their hidden units. :func:`path_widths` says which widths a path records,
:func:`check_template` what a constructive trainer takes from the network it is given, and
:func:`one_blas_thread` holds BLAS at one thread while a path is built.
"""

from __future__ import annotations

import numpy as np
from threadpoolctl import threadpool_limits

from nnapprox.engine.activations import get_activation
from nnapprox.engine.network import MLP

__all__ = [
    "PathMixin",
    "UnitPath",
    "check_template",
    "default_path_widths",
    "check_path_widths",
    "path_widths",
    "one_blas_thread",
]


class PathMixin:
    """What every path shares: ``widths``, ``times``, ``train_mse``, ``prefix(n)`` and ``predict``.

    A path is evaluated like any trained network, by the job (:mod:`nnapprox.experiment.job`): one record
    per recorded width.
    """


class UnitPath(PathMixin):
    """Networks of increasing width that share their hidden units (unit j of every prefix is the same).

    Parameters
    ----------
    A : array, shape ``(n_max, d)``
        Inner weights, one unit per row (lecture shape of ``W[1]``).
    b : array, shape ``(n_max,)``
        Inner biases.
    activation : str
        The unit σ.
    widths : sequence of int
        The recorded widths n (ascending).
    coefs : array, shape ``(len(widths), n_max)``
        Output weights of each recorded prefix (zero beyond its width).
    intercepts : array, shape ``(len(widths),)``
        Output biases.
    times : sequence of float
        Cumulative wall-clock seconds of the run when each recorded width was complete.
    train_mse : sequence of float
        Training mean squared error (plain, not halved) at each recorded width.

    Attributes
    ----------
    widths, times, train_mse : lists
    n_max : int
    """

    def __init__(self, A, b, activation, widths, coefs, intercepts, times, train_mse):
        self.A = np.asarray(A, dtype=np.float64)
        self.b = np.asarray(b, dtype=np.float64)
        self.activation = str(activation)
        self.widths = [int(n) for n in widths]
        self.coefs = np.asarray(coefs, dtype=np.float64)
        self.intercepts = np.asarray(intercepts, dtype=np.float64)
        self.times = [float(t) for t in times]
        self.train_mse = [float(v) for v in train_mse]
        self._act = get_activation(self.activation)
        self._row = {n: i for i, n in enumerate(self.widths)}

    @property
    def n_max(self) -> int:
        return self.A.shape[0]

    def _index(self, n) -> int:
        if n not in self._row:
            raise ValueError(f"n={n!r} is not a recorded width of this path; recorded widths: {_short(self.widths)}")
        return self._row[n]

    def prefix(self, n: int) -> MLP:
        """The width-``n`` network of the path (its first n units and the output layer fitted at step n).

        Returns
        -------
        MLP
            Sizes ``[d, n, 1]``, the path's activation, identity output.
        """
        i = self._index(n)
        W = [self.A[:n].copy(), self.coefs[i, :n][None, :].copy()]
        bs = [self.b[:n].copy(), np.array([self.intercepts[i]])]
        return MLP.from_params(W, bs, activation=self.activation, output_activation="identity", dtype=np.float64)

    def hidden(self, X) -> np.ndarray:
        """Hidden activations ``σ(X Aᵀ + b)`` of all n_max units, shape ``(N, n_max)``."""
        X = np.asarray(X, dtype=np.float64)
        if X.ndim != 2 or X.shape[1] != self.A.shape[1]:
            raise ValueError(f"X has shape {X.shape}; expected (N, {self.A.shape[1]})")
        Z = X @ self.A.T
        Z += self.b
        return self._act.value(Z, out=Z)

    def predict(self, X, widths=None) -> np.ndarray:
        """Outputs of several prefixes at once; the hidden activations are computed once.

        Parameters
        ----------
        X : array, shape ``(N, d)``
        widths : sequence of int, optional
            Recorded widths (default: all of :attr:`widths`).

        Returns
        -------
        array, shape ``(len(widths), N)``
        """
        widths = self.widths if widths is None else [int(n) for n in np.atleast_1d(widths)]
        rows = [self._index(n) for n in widths]
        H = self.hidden(X)
        out = self.coefs[rows] @ H.T
        out += self.intercepts[rows][:, None]
        return out

    def __repr__(self) -> str:
        return (
            f"UnitPath(n_max={self.n_max}, d={self.A.shape[1]}, activation={self.activation!r}, "
            f"widths={_short(self.widths)})"
        )


def _short(widths) -> str:
    w = list(widths)
    return str(w) if len(w) <= 12 else f"[{', '.join(map(str, w[:5]))}, ..., {', '.join(map(str, w[-3:]))}]"


def check_template(net, X, y, loss, name):
    """What a constructive trainer takes of its template and data (the model checks are
    :mod:`nnapprox.trainers.checks`', which :func:`nnapprox.trainers.fit` runs first): X, y as float64."""
    from nnapprox.trainers import TRAINERS
    from nnapprox.trainers.checks import ModelFacts, check_loss, own_units

    check_loss(TRAINERS[name], getattr(loss, "name", loss))
    own_units(TRAINERS[name], ModelFacts.of(net), getattr(loss, "name", loss), {}, None)
    if X.ndim != 2 or y.ndim != 2:
        raise ValueError(
            f"trainer {name!r} takes one data set X of shape (N, d); got X.shape={X.shape} "
            f"(per-replica data is not supported)"
        )
    return np.ascontiguousarray(X, dtype=np.float64), np.ascontiguousarray(y[:, 0], dtype=np.float64)


def default_path_widths(n_max: int) -> list[int]:
    """The widths a path records by default: 1, 2, 3, 4, 6, 8, 12, 16, 24, ... up to n_max, and n_max.

    Two points per octave (powers of two and 1.5 times them) give evenly spaced points on the
    log axis of a rate fit.
    """
    grid = {m * 2**k for m in (1, 3) for k in range(int(n_max).bit_length()) if m * 2**k <= n_max}
    return sorted(set(grid) | {int(n_max)})


def check_path_widths(widths, n_max: int, key: str = "record_widths") -> list[int]:
    """Recorded widths within ``[1, n_max]`` (n_max appended: it is always recorded)."""
    out = sorted({int(n) for n in widths})
    if out[-1] > n_max:
        raise ValueError(
            f"{key}={list(widths)!r} exceeds the path's width n_max={n_max}: give integers in [1, {n_max}]"
        )
    return out if out[-1] == n_max else out + [int(n_max)]


def path_widths(record_widths, n_max: int) -> list[int]:
    """``record_widths`` (checked against n_max) or the default grid."""
    return default_path_widths(n_max) if record_widths is None else check_path_widths(record_widths, n_max)


def one_blas_thread():
    """BLAS at one thread: a greedy step is hundreds of small products (k x N, N x 8); with two
    OpenBLAS threads on two busy cores a path ran up to 9x slower than with one."""
    return threadpool_limits(limits=1, user_api="blas")
