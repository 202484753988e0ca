"""The greedy paths as they were before issue 21: a compact reference for tests and ``make bench``.

Issue 21 made the constructive paths (:mod:`nnapprox.trainers.greedy`) faster; this module keeps
the per-step algorithm they replaced, so that the tests can check that the new code records the
same errors and ``make bench`` (:mod:`tools.bench_greedy`) can time old against new in one
process. It is not a trainer: nothing registers it, and jobs never use it.

What is kept, step for step: the screening (directions in chunks of ``2**17 // N`` whose
projections are binned by ``np.bincount``, one thread), the exact rescoring of the ``top``
candidates, the exact offsets of the ReLU^k family, the L-BFGS refinement of ``<r, g>`` (OGA) and
the Levenberg–Marquardt step (relaxed greedy), classical Gram–Schmidt applied twice against the
rows ``Q[:k]`` (four matrix–vector passes over ``k x N`` per unit), the residual update and the
recorded training MSE ``|r|^2 / N``. The dictionary (scales, offsets, kernel, cap, random
directions) comes from :class:`~nnapprox.trainers.greedy.UnitSearch`, so both draw the same
random numbers.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.linalg import solve_triangular
from scipy.optimize import minimize
from threadpoolctl import threadpool_limits

from nnapprox.trainers.paths import path_widths
from nnapprox.trainers.unit_search import N_BINS, N_OFFSETS, UnitSearch

__all__ = ["ReferenceSearch", "reference_oga", "reference_greedy"]


class ReferenceSearch(UnitSearch):
    """:class:`UnitSearch` with the screening, rescoring and refinement of before issue 21."""

    def _directions(self, rng):
        D = self.directions
        n_near = D // 4 if self.chosen else 0
        U = rng.standard_normal((D, self.d))
        U /= np.linalg.norm(U, axis=1, keepdims=True)
        if n_near:
            base = np.asarray(self.chosen)[rng.integers(0, len(self.chosen), n_near)]
            tau = rng.uniform(0.05, 0.5, (n_near, 1))
            V = base + tau * U[:n_near]
            U[:n_near] = V / np.linalg.norm(V, axis=1, keepdims=True)
        return U

    def screen(self, r, rng):
        if self.M < self.N:
            idx = rng.choice(self.N, self.M, replace=False)
            Xs, rs = self.X[idx], r[idx]
        else:
            Xs, rs = self.X, r
        rs = rs - rs.mean()
        U = self._directions(rng)
        D, M = U.shape[0], Xs.shape[0]
        Us = U * (N_BINS / 2 * (1 - 1e-12) / self.R)
        chunk = max(1, min(D, 2**17 // M))
        shift = (N_BINS / 2 + N_BINS * np.arange(chunk))[:, None]
        weights = np.tile(rs, chunk)
        Rb = np.empty((D, N_BINS))
        for j0 in range(0, D, chunk):
            j1 = min(D, j0 + chunk)
            P = Us[j0:j1] @ Xs.T
            P += shift[: j1 - j0]
            bins = P.astype(np.intp).ravel()
            Rb[j0:j1] = np.bincount(bins, weights=weights[: bins.size], minlength=(j1 - j0) * N_BINS).reshape(
                j1 - j0, N_BINS
            )
        S = np.abs(Rb @ self.kernel.T)
        best = np.argmax(S, axis=1)
        val = S[np.arange(D), best]
        order = np.argsort(-val)[: self.top]
        k = best[order]
        s = self.scales[k // N_OFFSETS]
        t = self.offsets[k % N_OFFSETS]
        return (s / self.R)[:, None] * U[order], -s * t

    def units(self, A, b):
        Z = self.X @ A.T
        Z += b
        return self.act.value(Z, out=Z)

    def exact_offsets(self, r, A):
        from math import comb

        k = self.power
        norms = np.linalg.norm(A, axis=1)
        U = A / np.where(norms > 0, norms, 1.0)[:, None]
        A_out, b_out = np.empty_like(A), np.empty(len(A))
        s = self.cap * self.R
        for i, u in enumerate(U):
            p = self.X @ u / self.R
            order = np.argsort(p)
            ps, rs = p[order], r[order]
            pw = np.vstack([rs * ps**m for m in range(k + 1)])
            suffix = np.cumsum(pw[:, ::-1], axis=1)[:, ::-1]
            prefix = np.cumsum(pw, axis=1)
            up = sum(comb(k, m) * (-ps) ** (k - m) * suffix[m] for m in range(k + 1))
            down = sum(comb(k, m) * ps ** (k - m) * (-1.0) ** m * prefix[m] for m in range(k + 1))
            j_up, j_down = int(np.argmax(np.abs(up))), int(np.argmax(np.abs(down)))
            if abs(up[j_up]) >= abs(down[j_down]):
                A_out[i], b_out[i] = (s / self.R) * u, -s * ps[j_up]
            else:
                A_out[i], b_out[i] = -(s / self.R) * u, s * ps[j_down]
        return A_out, b_out

    def best(self, r, rng):
        A, b = self.screen(r, rng)
        if self.power is not None:
            A, b = self.exact_offsets(r, A)
        G = self.units(A, b)
        sc = r @ G
        j = int(np.argmax(np.abs(sc)))
        return A[j].copy(), float(b[j]), G[:, j].copy(), float(sc[j])

    def refine_correlation(self, r, a, b, score, steps):
        sign = 1.0 if score >= 0 else -1.0
        X, act, d = self.X, self.act, self.d
        scale = 1.0 / self.N

        def fun(p):
            z = X @ p[:d] + p[d]
            g = act.value(z)
            w = r * act.deriv(z, g)
            grad = np.empty(d + 1)
            grad[:d] = -sign * scale * (w @ X)
            grad[d] = -sign * scale * w.sum()
            return -sign * scale * float(r @ g), grad

        if steps > 0:
            res = minimize(fun, np.r_[a, b], jac=True, method="L-BFGS-B", options={"maxiter": steps})
            a1, b1 = self.cap_unit(res.x[:d], res.x[d])
            g1 = act.value(X @ a1 + b1)
            s1 = float(r @ g1)
            if np.isfinite(s1) and abs(s1) > abs(score):
                return a1, b1, g1, s1
        return a, b, act.value(X @ a + b), score


def _cgs2(Q, k, g):
    """Classical Gram–Schmidt of ``g`` against ``Q[:k]``, twice: ``(v, col, rho, independent)``."""
    v = g.copy()
    col = np.zeros(k)
    for _ in range(2):
        c = Q[:k] @ v
        v -= c @ Q[:k]
        col += c
    rho = float(np.linalg.norm(v))
    return v, col, rho, rho > 1e-10 * max(float(np.linalg.norm(g)), 1e-300)


def reference_oga(X, y, activation="sigmoid", *, n_max, rng, record_widths=None, refine_steps=10, **search_options):
    """The OGA path of before issue 21.

    Parameters
    ----------
    X : array, shape ``(N, d)``
    y : array, shape ``(N,)``
    activation : str
    n_max : int
    rng : np.random.Generator
    record_widths : sequence of int, optional
    refine_steps : int
    **search_options
        ``min_scale``, ``max_scale``, ``directions``, ``screen_samples``, ``top``.

    Returns
    -------
    dict
        ``widths``, ``train_mse`` (``|r|^2 / N``), ``A`` ``(n_max, d)``, ``b`` ``(n_max,)``,
        ``coefs`` ``(len(widths), n_max)``, ``intercepts`` ``(len(widths),)``.
    """
    with threadpool_limits(limits=1, user_api="blas"):
        X = np.ascontiguousarray(X, dtype=np.float64)
        y = np.ascontiguousarray(y, dtype=np.float64).ravel()
        N, d = X.shape
        widths = path_widths(record_widths, n_max)
        rec = {n: i for i, n in enumerate(widths)}
        search = ReferenceSearch(X, activation, **search_options)
        Q = np.empty((n_max + 1, N))
        Rm = np.zeros((n_max + 1, n_max + 1))
        qy = np.zeros(n_max + 1)
        Q[0] = 1.0 / math.sqrt(N)
        Rm[0, 0] = math.sqrt(N)
        qy[0] = float(Q[0] @ y)
        r = y - qy[0] * Q[0]
        A, bvec = np.zeros((n_max, d)), np.zeros(n_max)
        coefs, icpt, mses = np.zeros((len(widths), n_max)), np.zeros(len(widths)), []
        for k in range(1, n_max + 1):
            for _ in range(4):
                a, b, g, sc = search.best(r, rng)
                a, b, g, sc = search.refine_correlation(r, a, b, sc, refine_steps)
                v, col, rho, independent = _cgs2(Q, k, g)
                if independent:
                    break
            A[k - 1], bvec[k - 1] = a, b
            search.remember(a)
            if independent:
                Q[k] = v / rho
                Rm[:k, k], Rm[k, k] = col, rho
                qy[k] = float(Q[k] @ r)
                r -= qy[k] * Q[k]
            else:
                Q[k], Rm[k, k], qy[k] = 0.0, 1.0, 0.0
            if k in rec:
                c = solve_triangular(Rm[: k + 1, : k + 1], qy[: k + 1])
                icpt[rec[k]], coefs[rec[k], :k] = c[0], c[1:]
                mses.append(float(r @ r) / N)
    return {"widths": widths, "train_mse": mses, "A": A, "b": bvec, "coefs": coefs, "intercepts": icpt}


def _lm_unit(search, y, h, a, b, gam, beta, c, steps, use_h):
    X, act, d = search.X, search.act, search.d

    def state(a, b, gam, beta, c):
        z = X @ a + b
        g = act.value(z)
        e = y - c - gam * h - beta * g
        return z, g, e, float(e @ e)

    z, g, e, sse = state(a, b, gam, beta, c)
    mu = 1e-3
    for _ in range(steps):
        gp = act.deriv(z, g)
        J = np.empty((X.shape[0], d + 4))
        J[:, :d] = (beta * gp)[:, None] * X
        J[:, d] = beta * gp
        J[:, d + 1] = h if use_h else 0.0
        J[:, d + 2] = g
        J[:, d + 3] = 1.0
        JtJ, Jte = J.T @ J, J.T @ e
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


def reference_greedy(X, y, activation="sigmoid", *, n_max, rng, record_widths=None, refine_steps=10, **search_options):
    """The relaxed greedy path of before issue 21 (arguments and result as :func:`reference_oga`)."""
    with threadpool_limits(limits=1, user_api="blas"):
        X = np.ascontiguousarray(X, dtype=np.float64)
        y = np.ascontiguousarray(y, dtype=np.float64).ravel()
        N, d = X.shape
        widths = path_widths(record_widths, n_max)
        rec = {n: i for i, n in enumerate(widths)}
        search = ReferenceSearch(X, activation, **search_options)
        A, bvec, w_cur = np.zeros((n_max, d)), np.zeros(n_max), np.zeros(n_max)
        coefs, icpt, mses = np.zeros((len(widths), n_max)), np.zeros(len(widths)), []
        h = np.zeros(N)
        c = float(y.mean())
        r = y - c
        for k in range(1, n_max + 1):
            a, b, g, _ = search.best(r, rng)
            use_h = k > 1
            cols = np.stack([np.ones(N), h, g], axis=1) if use_h else np.stack([np.ones(N), g], axis=1)
            sol = np.linalg.lstsq(cols, y, rcond=None)[0]
            c0, gam0, beta0 = (sol[0], sol[1], sol[2]) if use_h else (sol[0], 1.0, sol[1])
            a, b, gam, bk, ck, g, _ = _lm_unit(search, y, h, a, b, gam0, beta0, c0, refine_steps, use_h)
            search.remember(a)
            A[k - 1], bvec[k - 1] = a, b
            h = gam * h + bk * g
            c = ck
            r = y - c - h
            w_cur[: k - 1] *= gam
            w_cur[k - 1] = bk
            if k in rec:
                coefs[rec[k]], icpt[rec[k]] = w_cur, c
                mses.append(float(r @ r) / N)
    return {"widths": widths, "train_mse": mses, "A": A, "b": bvec, "coefs": coefs, "intercepts": icpt}
