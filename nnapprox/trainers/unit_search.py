"""The unit search of the constructive paths: screen many candidate units, rescore the best, refine one.

Used by relaxed greedy and OGA (:mod:`nnapprox.trainers.greedy`); the method is described there.
What this module adds is the cost model of a step at large N, where the screening dominates:

* the random directions go in chunks of :func:`screen_chunk` directions, each chunk one matrix
  product ``U_chunk Xᵀ`` (``(chunk, M)``) into a preallocated per-lane buffer, its bin indices
  converted in place, its binned residuals by one ``np.bincount``;
* the chunks run on :func:`nnapprox.engine.fastpath.run_tasks` (2 threads by default, 1 in joblib
  workers); ``np.bincount`` and the product release the GIL. Each chunk writes its own rows of the
  binned residuals and sums its bins in point order, so the thread count changes nothing;
* the bins do not depend on the residual: :meth:`UnitSearch.prefetch` draws the next screening's
  random numbers as soon as the step's unit is known and bins them (as ``uint16``) on the second
  thread while the step ends; :meth:`UnitSearch.screen` bins whatever chunks are left and only
  sums the residual into the bins. The draws are those the screening would make itself, in the
  same order (a draw that has to be repeated, OGA's retry of a unit inside the span, puts the
  generator back first), so the prefetch changes no number either.

Numbers: per direction and point the screening costs a 2d-flop projection, one conversion and
one scattered add (about 2.5 ns on one core of the development machine); a step at N = 50 000
with 256 directions bins 12.8 million points.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy.optimize import minimize

from nnapprox.engine import fastpath
from nnapprox.engine.activations import RELU_POWER, boundary_offsets, get_activation

__all__ = ["UnitSearch", "N_SCALES", "N_OFFSETS", "N_BINS", "PREFETCH_BYTES", "screen_chunk", "screen_bytes"]

#: Slopes s, offsets t and bins of the screening grid.
N_SCALES, N_OFFSETS, N_BINS = 10, 64, 128
#: The next screening's bins are prefetched when they take at most this many bytes (D · M · 8).
PREFETCH_BYTES = 256 * 2**20


def screen_chunk(M: int, D: int) -> int:
    """Directions per chunk of the screening for ``M`` binned points and ``D`` directions.

    About 2**17 projections per chunk (a 1 MB buffer, as before issue 21), but up to 16
    directions while a buffer stays under 8 MB: with fewer rows the product re-packs ``X`` for
    every couple of directions, which cost 60% of the screening at N = 50 000 (two directions per
    chunk). The projections of a direction do not depend on the chunk size (checked bit for bit
    at the sizes of the tests and the bench), so neither do the bins.
    """
    M = max(int(M), 1)
    chunk = max(1, 2**17 // M)
    if chunk < 8:
        chunk = max(chunk, min(16, 2**20 // M))
    return int(min(D, chunk))


def prefetch_dtype(chunk: int):
    """The bin indices of a prefetched screening: ``uint16`` while a chunk's ``chunk · N_BINS``
    indices fit (a quarter of the memory traffic of ``intp``, which the basis passes share)."""
    return np.uint16 if chunk * N_BINS <= np.iinfo(np.uint16).max + 1 else np.intp


def screen_bytes(M: int, directions: int, threads: int = 2) -> int:
    """Bytes of the screening's buffers: per thread the projections and bin indices of a chunk,
    the shared weights, and (when prefetching, 2 threads) the bins of every direction and one
    more chunk of projections (about 64 MB at M = 50 000, 256 directions)."""
    chunk = screen_chunk(M, directions)
    lanes = max(1, min(threads, -(-directions // chunk)))
    out = (2 * lanes + 1) * chunk * M * 8
    if threads > 1 and directions * M * 8 <= PREFETCH_BYTES:
        out += directions * M * np.dtype(prefetch_dtype(chunk)).itemsize + chunk * M * 8
    return int(out)


class UnitSearch:
    """Screen many candidate units against a residual and return the best few.

    Parameters
    ----------
    X : array, shape ``(N, d)``
        Training inputs.
    activation : str
        The unit σ.
    min_scale, max_scale : float
        Range of ``|a| R`` (R = max_i |x_i|): the unit's slope along its direction.
    directions : int
        Random directions screened per call.
    screen_samples : int or None
        Size of the random subsample the screening bins (None: all N points; the rescoring
        always uses all N points).
    top : int
        Candidates (distinct directions) rescored exactly.
    """

    def __init__(self, X, activation, *, min_scale=0.5, max_scale=16.0, directions=256, screen_samples=None, top=8):
        self.X = X
        self.N, self.d = X.shape
        self.activation = activation
        self.act = get_activation(activation)
        self.power = RELU_POWER.get(activation)  # k of a ReLU^k unit (exact offsets), else None
        self.R = float(max(np.sqrt(np.max(np.einsum("ij,ij->i", X, X))), 1e-300))
        self.cap = max_scale / self.R
        self.directions = directions
        self.M = self.N if screen_samples is None else min(screen_samples, self.N)
        self.top = top
        self.scales = np.geomspace(min_scale, max_scale, N_SCALES)
        self.offsets = np.linspace(-1.0, 1.0, N_OFFSETS + 2)[1:-1]
        centres = -1.0 + (np.arange(N_BINS) + 0.5) * (2.0 / N_BINS)
        K = self.scales[:, None, None] * (centres[None, None, :] - self.offsets[None, :, None])
        self.kernel = self.act.value(K).reshape(-1, N_BINS)  # (S*T, B)
        self.chosen = []  # directions picked so far
        self.chunk = screen_chunk(self.M, directions)
        self._ws = None  # screening buffers, made on the first call
        self._pre: dict[str, Any] | None = None  # prefetch buffers: bins (D, M), projections of a chunk
        self._next: dict[str, Any] | None = None  # the prefetched draws of the next screening

    # -- the random draws of a screening, in the order of before issue 21 -------------------

    def _subsample(self, rng):
        """The points binned by the screening (None: all of them)."""
        return rng.choice(self.N, self.M, replace=False) if self.M < self.N else None

    def _draw(self, rng, n_chosen):
        """``(U, ids, tau)``: unit directions ``(D, d)`` before the near ones are formed, the
        chosen directions they perturb and by how much."""
        D = self.directions
        n_near = D // 4 if n_chosen else 0
        U = rng.standard_normal((D, self.d))
        U /= np.linalg.norm(U, axis=1, keepdims=True)
        ids = tau = None
        if n_near:
            ids = rng.integers(0, n_chosen, n_near)
            tau = rng.uniform(0.05, 0.5, (n_near, 1))
        return U, ids, tau

    def _near(self, U, ids, tau, rows):
        """Form the near directions ``rows`` (indices < len(ids)) in place: a chosen direction plus
        ``tau`` times a random one, normalised (row by row, so any subset gives the same rows)."""
        if len(rows):
            V = np.asarray(self.chosen)[ids[rows]] + tau[rows] * U[rows]
            U[rows] = V / np.linalg.norm(V, axis=1, keepdims=True)

    def _directions(self, rng):
        U, ids, tau = self._draw(rng, len(self.chosen))
        if ids is not None:
            self._near(U, ids, tau, np.arange(len(ids)))
        return U

    def _workspace(self):
        """Per-lane buffers: projections ``(chunk, M)`` and bin indices ``(chunk, M)``; the
        weights (the residual repeated per direction of a chunk) are shared. About
        ``(2 lanes + 1) · chunk · M · 8`` bytes (15 MB at M = 50 000)."""
        if self._ws is None:
            lanes = max(1, min(fastpath.get_threads(), -(-self.directions // self.chunk)))
            shape = (self.chunk, self.M)
            self._ws = {
                "P": [np.empty(shape) for _ in range(lanes)],
                "I": [np.empty(shape, dtype=np.intp) for _ in range(lanes)],
                "W": np.empty(shape),
                "shift": (N_BINS / 2 + N_BINS * np.arange(self.chunk))[:, None],
            }
        return self._ws

    def _bin_chunk(self, Us, XsT, j, P, I):
        """Bin indices of chunk ``j`` of the directions (rows ``j·chunk ...``) into ``I``."""
        j0 = j * self.chunk
        m = min(len(Us), j0 + self.chunk) - j0
        P, I = P[:m], I[:m]
        np.matmul(Us[j0 : j0 + m], XsT, out=P)
        P += self._workspace()["shift"][:m]
        np.copyto(I, P, casting="unsafe")  # truncation = floor: every value is >= 0
        return I

    def _scaled(self, U):
        # bin index of p = u·x / R in [-1, 1]: floor((p + 1) B / 2), offset by B per direction;
        # |u·x| <= R, and the factor (1 - 1e-12) keeps p = 1 inside the last bin.
        return U * (N_BINS / 2 * (1 - 1e-12) / self.R)

    # -- prefetch: the next screening's draws and bins while the step finishes ----------------

    def prefetch(self, rng, a=None, pending=False):
        """Draw the next screening's random numbers now and bin its directions in the background.

        The bins do not depend on the residual, so they can be computed while the current step
        ends (OGA's Gram–Schmidt, relaxed greedy's Levenberg–Marquardt step). The next
        :meth:`screen` uses them; the numbers are those it would have drawn and computed itself.

        Parameters
        ----------
        rng : np.random.Generator
            Must not be used again before the next :meth:`screen` or :meth:`cancel_prefetch`.
        a : array, optional
            The direction that will be remembered before the next screening (OGA: the new unit).
        pending : bool
            A direction not known yet will be remembered (relaxed greedy, before its refinement):
            near directions built on it are formed, and their chunks binned, by :meth:`screen`.
        """
        self.cancel_prefetch(None)
        D, M = self.directions, self.M
        if fastpath.get_threads() <= 1 or D * M * 8 > PREFETCH_BYTES:
            return
        known = list(self.chosen)
        if a is not None and np.linalg.norm(a) > 0:
            known.append(a / np.linalg.norm(a))
        n_chosen = len(known) + (1 if pending else 0)
        state = rng.bit_generator.state
        idx = self._subsample(rng)
        U, ids, tau = self._draw(rng, n_chosen)
        deferred = np.zeros(0, dtype=np.intp)
        if ids is not None:
            deferred = np.flatnonzero(ids >= len(known))
            ready = np.flatnonzero(ids < len(known))
            saved, self.chosen = self.chosen, known
            try:
                self._near(U, ids, tau, ready)
            finally:
                self.chosen = saved
        if self._pre is None:
            self._pre = {"I": np.empty((D, M), dtype=prefetch_dtype(self.chunk)), "P": np.empty((self.chunk, M))}
        Xs = self.X if idx is None else self.X[idx]
        Us = self._scaled(U)
        I_all, P = self._pre["I"], self._pre["P"]

        tasks = iter(range(-(-D // self.chunk)))  # shared with screen(), which takes what is left

        def work():
            XsT = Xs.T
            for j in tasks:
                j0 = j * self.chunk
                self._bin_chunk(Us, XsT, j, P, I_all[j0 : j0 + self.chunk])

        self._next = {
            "state": state,
            "after": rng.bit_generator.state,
            "idx": idx,
            "U": U,
            "ids": ids,
            "tau": tau,
            "deferred": deferred,
            "n_chosen": n_chosen,
            "Xs": Xs,
            "Us": Us,
            "tasks": tasks,
            "future": fastpath.run_in_background(work),
        }
        if self._next["future"] is None:  # pragma: no cover - threads checked above
            work()

    def cancel_prefetch(self, rng):
        """Drop a prefetched screening; with ``rng``, put back the random numbers it drew."""
        nx, self._next = self._next, None
        if nx is None:
            return
        if nx["future"] is not None:
            nx["future"].result()
        if rng is not None:
            rng.bit_generator.state = nx["state"]

    def _take_prefetch(self, rng):
        """The prefetched ``(idx, U, Xs, bins)`` for this screening, or None (then nothing was drawn)."""
        nx, pre = self._next, self._pre
        if nx is None:
            return None
        assert pre is not None, "prefetch() made its buffers"
        if len(self.chosen) != nx["n_chosen"]:  # the pending direction was not remembered (|a| = 0)
            self.cancel_prefetch(rng)
            return None
        self._next = None
        if nx["future"] is not None:
            # chunks the background thread has not started yet are binned here (the same numbers)
            P0, I_all, XsT = self._workspace()["P"][0], pre["I"], nx["Xs"].T
            for j in nx["tasks"]:
                j0 = j * self.chunk
                self._bin_chunk(nx["Us"], XsT, j, P0, I_all[j0 : j0 + self.chunk])
            nx["future"].result()
        if rng.bit_generator.state != nx["after"]:
            raise RuntimeError("the random generator was used between prefetch() and screen()")
        U, I_all = nx["U"], pre["I"]
        if len(nx["deferred"]):
            self._near(U, nx["ids"], nx["tau"], nx["deferred"])
            Us, XsT = self._scaled(U), nx["Xs"].T
            for j in np.unique(nx["deferred"] // self.chunk):
                j0 = j * self.chunk
                self._bin_chunk(Us, XsT, j, pre["P"], I_all[j0 : j0 + self.chunk])
        return nx["idx"], U, I_all

    def screen(self, r, rng):
        """Top candidates ``(a, b)`` by the binned screening score, shapes ``(top, d)`` and ``(top,)``."""
        pre = self._take_prefetch(rng)
        if pre is None:
            idx = self._subsample(rng)
            U = self._directions(rng)
        else:
            idx, U, I_all = pre
        Xs, rs = (self.X, r) if idx is None else (self.X[idx], r[idx])
        rs = rs - rs.mean()
        D, M, chunk = U.shape[0], Xs.shape[0], self.chunk
        ws = self._workspace()
        Us, XsT, W = self._scaled(U), Xs.T, ws["W"]
        W[:] = rs  # the weights of a chunk: rs once per direction
        Wf = W.reshape(-1)
        Rb = np.empty((D, N_BINS))

        def work(lane, j):
            j0 = j * chunk
            m = min(D, j0 + chunk) - j0
            if pre is None:
                I = self._bin_chunk(Us, XsT, j, ws["P"][lane], ws["I"][lane])
            elif I_all.dtype == np.intp:
                I = I_all[j0 : j0 + m]
            else:  # compact prefetched bins: widened in a per-thread buffer (bincount takes intp)
                I = ws["I"][lane][:m]
                np.copyto(I, I_all[j0 : j0 + m])
            Rb[j0 : j0 + m] = np.bincount(I.reshape(-1), weights=Wf[: m * M], minlength=m * N_BINS).reshape(m, N_BINS)

        fastpath.run_tasks(work, -(-D // chunk))
        S = np.abs(Rb @ self.kernel.T)  # (D, S*T): |score| of every (direction, scale, offset)
        best = np.argmax(S, axis=1)
        val = S[np.arange(D), best]
        order = np.argsort(-val)[: self.top]
        if not np.isfinite(val[order[0]]):
            raise FloatingPointError("non-finite screening scores (residual not finite)")
        k = best[order]
        s = self.scales[k // N_OFFSETS]
        t = self.offsets[k % N_OFFSETS]
        A = (s / self.R)[:, None] * U[order]
        return A, -s * t

    def units(self, A, b):
        """``σ(X Aᵀ + b)``, shape ``(N, m)``."""
        Z = self.X @ A.T
        Z += b
        return self.act.value(Z, out=Z)

    def best(self, r, rng):
        """Screen, rescore exactly on the full data; return ``(a, b, g, score)`` of the best candidate.

        For the ReLU^k family (Heaviside, relu, relu2, relu3) the offset of each screened direction
        is then chosen exactly (:meth:`exact_offsets`), over every hyperplane through a data point.
        """
        A, b = self.screen(r, rng)
        if self.power is not None:
            A, b = self.exact_offsets(r, A)
        G = self.units(A, b)
        sc = r @ G
        j = int(np.argmax(np.abs(sc)))
        return A[j].copy(), float(b[j]), G[:, j].copy(), float(sc[j])

    def exact_offsets(self, r, A):
        """The best offset of each direction for a ReLU^k unit, over all hyperplanes through a data point.

        Along a direction u (projections p_i = u·x_i / R, sorted), the unit (s (p − t))_+^k with
        t = p_(j) has correlation s^k Σ_{i≥j} r_i (p_i − t)^k = s^k Σ_m C(k, m) (−t)^(k−m) T_m(j), with
        the suffix sums T_m(j) = Σ_{i≥j} r_i p_i^m; the reversed unit (s (t − p))_+^k uses prefix sums.
        Both orientations and all N offsets cost one sort and k + 1 cumulative sums per direction.
        Where the unit's value jumps (Heaviside) the boundary is then moved off the data
        (:func:`nnapprox.engine.activations.boundary_offsets`): the unit takes the same values on the
        training set, and no training point lies where rounding decides its value.
        """
        from math import comb

        k: int = self.power  # type: ignore[assignment]  # not None: called for ReLU^k units only
        norms = np.linalg.norm(A, axis=1)
        U = A / np.where(norms > 0, norms, 1.0)[:, None]
        A_out, b_out = np.empty_like(A), np.empty(len(A))
        s = self.cap * self.R  # |a| R at the cap (homogeneous units: the scale only rescales the score)
        for i, u in enumerate(U):
            p = self.X @ u / self.R
            order = np.argsort(p)
            ps, rs = p[order], r[order]
            pw = np.vstack([rs * ps**m for m in range(k + 1)])  # (k + 1, N)
            suffix = np.cumsum(pw[:, ::-1], axis=1)[:, ::-1]  # Σ_{i≥j}
            prefix = np.cumsum(pw, axis=1)  # Σ_{i≤j}
            up: Any = sum(comb(k, m) * (-ps) ** (k - m) * suffix[m] for m in range(k + 1))
            down: Any = sum(comb(k, m) * ps ** (k - m) * (-1.0) ** m * prefix[m] for m in range(k + 1))
            t_up, t_down, ok_up, ok_down = boundary_offsets(self.activation, ps)
            up, down = np.where(ok_up, up, 0.0), np.where(ok_down, down, 0.0)
            j_up, j_down = int(np.argmax(np.abs(up))), int(np.argmax(np.abs(down)))
            if abs(up[j_up]) >= abs(down[j_down]):
                A_out[i], b_out[i] = (s / self.R) * u, -s * t_up[j_up]
            else:
                A_out[i], b_out[i] = -(s / self.R) * u, s * t_down[j_down]
        return A_out, b_out

    def cap_unit(self, a, b):
        """Rescale ``(a, b)`` so that ``|a| <= max_scale / R`` (the hyperplane a·x + b = 0 is kept)."""
        na = float(np.linalg.norm(a))
        if na > self.cap:
            f = self.cap / na
            return a * f, b * f
        return a, b

    def remember(self, a):
        na = np.linalg.norm(a)
        if na > 0:
            self.chosen.append(a / na)

    def refine_correlation(self, r, a, b, score, steps):
        """Increase ``|<r, σ(X a + b)>|`` by at most ``steps`` L-BFGS iterations; return ``(a, b, g, score)``.

        The unit values of the last points the optimizer evaluated are kept, so the refined
        unit is not evaluated again over all N points (the same numbers: the same product).
        """
        sign = 1.0 if score >= 0 else -1.0
        X, act, d = self.X, self.act, self.d
        scale = 1.0 / self.N
        seen = []  # (point, unit values) of the last evaluations

        def fun(p):
            z = X @ p[:d] + p[d]
            g = act.value(z)
            w = r * act.deriv(z, g)
            val = -sign * scale * float(r @ g)
            grad = np.empty(d + 1)
            grad[:d] = -sign * scale * (w @ X)
            grad[d] = -sign * scale * w.sum()
            seen.append((p.copy(), g))
            del seen[:-2]
            return val, grad

        p0 = np.r_[a, b]
        if steps > 0:
            res = minimize(fun, p0, jac=True, method="L-BFGS-B", options={"maxiter": steps})
            capped = float(np.linalg.norm(res.x[:d])) > self.cap
            a1, b1 = self.cap_unit(res.x[:d], res.x[d])
            g1 = None if capped else next((g for p, g in reversed(seen) if np.array_equal(p, res.x)), None)
            if g1 is None:
                g1 = act.value(X @ a1 + b1)
            s1 = float(r @ g1)
            if np.isfinite(s1) and abs(s1) > abs(score):
                return a1, b1, g1, s1
        return a, b, act.value(X @ a + b), score
