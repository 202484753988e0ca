"""The orthonormal basis of an OGA path: preallocated rows, classical Gram–Schmidt with reorthogonalisation on demand.

OGA (:mod:`nnapprox.trainers.greedy`) refits every output weight after each new unit, through
an orthonormal basis ``Q`` of the span of ``[1, g_1, ..., g_k]`` on the N training points. At
large widths the basis is most of a path's memory and time: ``(n_max + 1) N`` floats
(820 MB for n_max = 2048, N = 50 000) and, per unit, passes over its first k rows whose speed is
the machine's memory bandwidth (a product ``Q[:k] g`` reads ``8 k N`` bytes and does 2 flops per
8 bytes).

Cost per unit: two passes over ``Q[:k]`` (``c = Q g``, then ``v = g − Qᵀ c``), in one
preallocated ``(n_max + 1, N)`` array with preallocated vectors. Before issue 21 every unit took
a second round (``c' = Q v``, ``v −= Qᵀ c'``: four passes, "twice is enough"). The second round
corrects the loss of orthogonality of the first, about ``eps |g| / |v|``; on the greedy paths
``|v| / |g|`` was 0.1-0.8 (d = 16, N = 10 000, n = 512: the correction ``|c'| / |v|`` was
5e-17-5e-15), so it changed nothing but the last bits. It is now done when ``|v| <
REORTHOGONALISE |g|`` (a unit mostly inside the span, where one round loses more than about
1e-13 of orthogonality), and always for a unit that may be dependent.
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["OrthoBasis", "REORTHOGONALISE", "DEPENDENT"]

#: A second Gram–Schmidt round is done when the first leaves less than this fraction of |g|.
REORTHOGONALISE = 1e-2
#: A unit whose part outside the span is below this fraction of |g| is numerically inside it.
DEPENDENT = 1e-10


class OrthoBasis:
    """Orthonormal rows spanning ``[1, g_1, ..., g_k]`` on N points, and the triangular factor.

    ``G = Qᵀ R`` with ``G`` the columns ``[1, g_1, ..., g_k]`` (rows of ``Q`` are orthonormal):
    column j of ``R`` holds the coefficients of unit j on the rows before it and its norm
    outside them.

    Parameters
    ----------
    N : int
        Training points.
    n_rows : int
        Rows to preallocate (``n_max + 1``: the constant and one per unit).
    reorthogonalise : float
        A second round when the first leaves less than this fraction of ``|g|``; 1 (or more):
        always (classical Gram–Schmidt twice, bit for bit the path of before issue 21).

    Attributes
    ----------
    Q : array, shape ``(n_rows, N)``
        The first :attr:`k` rows are the basis (an idle unit's row is zero).
    R : array, shape ``(n_rows, n_rows)``
        Upper triangular.
    k : int
        Rows in use.
    """

    def __init__(self, N: int, n_rows: int, reorthogonalise: float = REORTHOGONALISE):
        self.N, self.n_rows = int(N), int(n_rows)
        self.reorthogonalise = float(reorthogonalise)
        self.Q = np.empty((self.n_rows, self.N))
        self.R = np.zeros((self.n_rows, self.n_rows))
        self.k = 0
        self._c = np.empty(self.n_rows)
        self._t = np.empty(self.N)
        self._v = np.empty(self.N)
        self.reorthogonalised = 0  # units that took a second Gram–Schmidt round
        self.Q[0] = 1.0 / math.sqrt(self.N)
        self.R[0, 0] = math.sqrt(self.N)
        self.k = 1

    @staticmethod
    def nbytes(N: int, n_rows: int) -> int:
        """Bytes of the basis: ``Q``, ``R`` and three N-vectors."""
        return 8 * (n_rows * N + n_rows * n_rows + 3 * N + n_rows)

    def orthogonalise(self, g):
        """The part of ``g`` outside the span: ``(v, col, rho, independent)``.

        Parameters
        ----------
        g : array, shape ``(N,)``

        Returns
        -------
        v : array, shape ``(N,)``
            ``g − Qᵀ col`` (a buffer of the basis, overwritten by the next call).
        col : array, shape ``(k,)``
            Coefficients of ``g`` on the rows in use.
        rho : float
            ``|v|``.
        independent : bool
            ``rho > DEPENDENT |g|``.
        """
        k = self.k
        Qk = self.Q[:k]
        c = np.matmul(Qk, g, out=self._c[:k])  # pass 1: c = Q g
        np.matmul(c, Qk, out=self._t)  # pass 2: v = g − Qᵀ c
        v = np.subtract(g, self._t, out=self._v)
        col = c.copy()
        rho = float(np.linalg.norm(v))
        gn = max(float(np.linalg.norm(g)), 1e-300)
        if rho < self.reorthogonalise * gn or self.reorthogonalise >= 1:  # mostly inside the span
            self.reorthogonalised += 1
            c = np.matmul(Qk, v, out=self._c[:k])
            np.matmul(c, Qk, out=self._t)
            v -= self._t
            col += c
            rho = float(np.linalg.norm(v))
        return v, col, rho, rho > DEPENDENT * gn

    def append(self, v, col, rho) -> np.ndarray:
        """Add the row ``v / rho`` (column ``(col, rho)`` of R); return the new row."""
        k = self.k
        q = np.divide(v, rho, out=self.Q[k])
        self.R[:k, k] = col
        self.R[k, k] = rho
        self.k = k + 1
        return q

    def append_idle(self) -> None:
        """Add a zero row for a unit inside the span (``R e_k = e_k``: its output weight is 0)."""
        k = self.k
        self.Q[k] = 0.0
        self.R[k, k] = 1.0
        self.k = k + 1
