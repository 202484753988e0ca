"""The blocked, threaded loss and gradient: the one place for CPU speed tricks.

:meth:`MLP.flat_loss_and_grad` (every trainer's hot path) and :meth:`MLP.forward`
send NumPy arrays here; the reference :func:`~nnapprox.engine.network.forward` and
:func:`~nnapprox.engine.network.backward` compute the same numbers in the lecture's
whole-batch form and serve as the specification (``tests/engine/test_fastpath.py``).

Why
---
Shallow nets spend their time in elementwise work (tanh, derivatives, bias adds)
over ``N × width`` arrays, which NumPy runs on one core, out of cache. Here:

* **Sample blocks.** Rows are processed in blocks of ``block`` rows (about
  :data:`BLOCK_BYTES` per ``block × width`` buffer), so every intermediate
  ``z``, ``a`` and ``dz`` lives in a preallocated, cache-sized buffer and the
  memory of a step is bounded by the block size, not by ``N × width``.
* **Threads.** Blocks are shared by a small pool (:func:`get_threads`, 2 by
  default); NumPy's ufuncs and BLAS release the GIL, and BLAS is held at one
  thread inside the pool so the threads don't oversubscribe the cores.
* **In-place kernels.** Activations and their derivatives write into the buffers
  (``out=``); derivatives come from the cached activations; rank-1 products
  (one input unit, one output unit) run by broadcasting, not matmul.

Determinism
-----------
The rows are cut into ``chunks`` (up to :data:`LANES` contiguous row ranges) and
each chunk into blocks; both cuts depend only on ``N``, the layer sizes, the
activation and the dtype, never on the thread count or timing. Each chunk sums its
blocks, in order, into its own accumulator (whichever thread happens to compute
it); the chunk sums are added in chunk order at the end. Any thread count
therefore gives bit-identical results, run after run, and the reordering against
the reference is only floating-point reassociation of the sums over samples.

Steps estimated below :data:`PARALLEL_SECONDS` of work (small nets, mini-batches)
run in the calling thread as one chunk (handing work to a thread and back costs
~50 µs, and on a loaded machine much more); a step of one block skips the
accumulators too, so that tiny nets, where the per-call overhead of NumPy is all
there is, pay for as few calls as possible.

Threads: ``NNAPPROX_THREADS`` (environment) or :func:`set_threads`; by default
``min(2, cores)``, and 1 inside a process whose launcher limited its threads
(joblib/loky workers set ``OMP_NUM_THREADS`` etc.).
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import os
import weakref
from collections import OrderedDict
from concurrent.futures import wait
from dataclasses import dataclass

import numpy as np

from nnapprox.engine.losses import LOSSES
from nnapprox.engine.threads import (
    default_threads,
    get_pool,
    get_threads,
    run_in_background,
    run_tasks,
    serial_blas,
    set_threads,
    step_lock,
)

__all__ = [
    "set_threads",
    "get_threads",
    "default_threads",
    "Plan",
    "make_plan",
    "applies",
    "loss_and_grad",
    "forward",
    "BLOCK_BYTES",
    "LANES",
    "PARALLEL_SECONDS",
    "clear_workspaces",
    "estimate_seconds",
    "run_tasks",
    "run_in_background",
]

#: Target size of one ``block × width`` buffer (bytes): a few such buffers per layer
#: stay in the per-core L2 / shared L3 cache.
BLOCK_BYTES = 1024 * 1024
#: Bounds on the rows of a block.
MIN_ROWS, MAX_ROWS = 64, 2048
#: Number of chunks (one gradient accumulator each) when a step runs on threads;
#: threads take chunks as they come free, and more threads than this are not used.
LANES = 8
#: Estimated single-thread step time (seconds) above which threads are used.
PARALLEL_SECONDS = 2e-3
#: ... and above which BLAS is held at one thread even without our threads
#: (BLAS's own threads on small products cost more than they give, badly so on a
#: loaded machine).
BLAS_SERIAL_SECONDS = 3e-4
#: Rough single-core cost of one hidden unit of one sample, forward and backward
#: (seconds), by activation; and the single-core matmul rate (flop/s). Used only to
#: decide between the serial and the threaded plan.
_UNIT_SECONDS = {"tanh": 16e-9, "sigmoid": 16e-9, "relu": 4e-9, "leaky_relu": 5e-9, "identity": 3e-9}
_MATMUL_FLOPS = 2.0e10
_MSE = LOSSES["mse"]  # computed in fewer calls by _mse_value_grad
#: False when ``NNAPPROX_FASTPATH=0`` was in the environment at import: every call
#: then takes the reference path (debugging, before/after timings).
ENABLED = os.environ.get("NNAPPROX_FASTPATH", "1").strip() != "0"


# ---------------------------------------------------------------------------
# ---------------------------------------------------------------------------
# the partition of the samples
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Plan:
    """How the ``N`` sample rows are cut: ``chunks`` (row ranges, one accumulator
    each) of blocks of at most ``block`` rows; ``parallel`` says whether the chunks
    may run on threads."""

    N: int
    block: int
    chunks: tuple
    parallel: bool
    seconds: float = 0.0  # the estimated single-thread time
    aug: bool = False  # the input block gets a column of ones (see _augment_first)

    def blocks(self, g: int):
        """Row ranges ``(start, stop)`` of chunk ``g``'s blocks, in order."""
        return self._blocks[g]

    @functools.cached_property
    def _blocks(self):
        out = []
        for start, stop in self.chunks:  # equal blocks of at most `block` rows
            k = -(-(stop - start) // self.block)
            step = -(-(stop - start) // k) if k else 1
            out.append(tuple((s, min(s + step, stop)) for s in range(start, stop, step)))
        return tuple(out)


def _block_rows(sizes, itemsize: int) -> int:
    """Rows of a block: about BLOCK_BYTES per buffer of the widest layer, a power of 2."""
    widest = max(sizes[1:])
    rows = max(1, BLOCK_BYTES // (widest * itemsize))
    rows = 1 << (rows.bit_length() - 1)  # round down to a power of two
    return int(min(MAX_ROWS, max(MIN_ROWS, rows)))


def estimate_seconds(N: int, sizes, activation: str, replicas: int = 1) -> float:
    """Rough single-core time of one forward+backward step (for the thread decision)."""
    units = sum(sizes[1:-1]) + sizes[-1]
    weights = sum(sizes[l] * sizes[l - 1] for l in range(1, len(sizes)))
    per_sample = units * _UNIT_SECONDS.get(activation, 16e-9) + 6.0 * weights / _MATMUL_FLOPS
    return N * replicas * per_sample


def make_plan(
    N: int,
    sizes,
    activation: str,
    itemsize: int = 8,
    replicas: int = 1,
    block: int | None = None,
    forward_only: bool = False,
) -> Plan:
    """The partition of ``N`` rows for this architecture (independent of the thread count).

    ``block`` overrides the block rows (tests use it to force many blocks);
    ``forward_only`` counts a forward pass as a third of a step.
    """
    return _make_plan(
        int(N),
        tuple(int(s) for s in sizes),
        str(activation),
        int(itemsize),
        int(replicas),
        None if block is None else int(block),
        bool(forward_only),
    )


@functools.lru_cache(maxsize=256)
def _make_plan(N, sizes, activation, itemsize, replicas, block, forward_only) -> Plan:
    if block is None:
        block = _block_rows(sizes, itemsize)
    block = int(block)
    if block < 1:
        raise ValueError(f"block={block} must be >= 1")
    seconds = estimate_seconds(N, sizes, activation, replicas) / (3.0 if forward_only else 1.0)
    parallel = seconds > PARALLEL_SECONDS
    n_chunks = 1
    if parallel:
        n_blocks = -(-N // block)
        if n_blocks < 2 and N >= 2 * MIN_ROWS:  # one block's worth of rows: halve it for 2 threads
            block, n_blocks = -(-N // 2), 2
        n_chunks = min(LANES, n_blocks)
        parallel = n_chunks > 1
    bounds = [(g * N) // n_chunks for g in range(n_chunks + 1)]
    chunks = tuple((bounds[g], bounds[g + 1]) for g in range(n_chunks))
    aug = _augment_first(sizes, min(block, -(-N // n_chunks)))
    return Plan(N, block, chunks, parallel, seconds, aug)


# ---------------------------------------------------------------------------
# thread pool and BLAS limit (created lazily, again after a fork)
# ---------------------------------------------------------------------------


def _run(plan: Plan, work) -> None:
    """Call ``work(ws_index, next_chunk)`` on one or more threads.

    Each caller pulls chunk indices from ``next_chunk`` until it is exhausted; the
    threads take chunks as they come free (a thread slowed down by other processes
    takes fewer), which changes who computes a chunk but never what it computes.
    """
    n_chunks = len(plan.chunks)
    T = min(get_threads(), n_chunks) if plan.parallel else 1
    counter = iter(range(n_chunks))  # next() on a range iterator is atomic under the GIL
    if T <= 1:
        with serial_blas() if plan.seconds > BLAS_SERIAL_SECONDS else contextlib.nullcontext():
            work(0, counter)
        return
    pool = get_pool(T - 1)
    with serial_blas():
        # each worker runs in a copy of the caller's context: NumPy's errstate goes along
        futures = [pool.submit(contextvars.copy_context().run, work, t, counter) for t in range(1, T)]
        try:
            work(0, counter)
        finally:
            wait(futures)
        for f in futures:
            f.result()  # re-raise a worker's exception


def _views(flat, sizes):
    """Weight and bias views ``(..., n_l, n_{l-1})``, ``(..., n_l)`` into a flat array."""
    batch = flat.shape[:-1]
    Ws, bs, off = [], [], 0
    for l in range(1, len(sizes)):
        n, m = sizes[l], sizes[l - 1]
        Ws.append(flat[..., off : off + n * m].reshape(batch + (n, m)))
        off += n * m
        bs.append(flat[..., off : off + n])
        off += n
    return Ws, bs


#: Smallest first-layer block (rows × n_1) for which the input gets a column of ones.
AUG_MIN_ELEMENTS = 4096


def _augment_first(sizes, rows) -> bool:
    """Append a column of ones to the input block, so that the first layer's bias rides
    in its matrix product (forward) and db comes out of dW's product (backward)?
    Worth it while copying the d inputs costs less than a pass over the n_1 units,
    and the block is large enough for a saved pass to outweigh two extra calls."""
    return sizes[0] < sizes[1] and rows * sizes[1] >= AUG_MIN_ELEMENTS


class _Workspace:
    """One thread's buffers for one architecture and block size.

    ``Z[l]``, ``A[l]``: z and a of layer l+1 (``wbatch + (block, n)``); ``da[l]``:
    (W^{l+2})^T dz^{l+2}, shaped like ``Z[l]``; ``Xa``: the input block with a column
    of ones (``xbatch + (block, d+1)``), ``Xs`` its row-scaled copy and ``G1`` the first
    layer's ``[dW | db]``; ``g``: one block's flat gradient with views ``gW``, ``gb``.
    :meth:`rows` gives the views of the first ``rows`` rows, cached.
    """

    def __init__(self, sizes, wbatch, xbatch, block, dtype, with_grad, aug):
        L = len(sizes) - 1
        self.Z = [np.empty(wbatch + (block, sizes[l]), dtype) for l in range(1, L + 1)]
        self.A = [np.empty(wbatch + (block, sizes[l]), dtype) for l in range(1, L + 1)]
        self.Xa = np.ones(xbatch + (block, sizes[0] + 1), dtype) if aug else None
        self.da = self.Xs = self.G1 = None
        self._rows = {}
        if not with_grad:
            return
        self.da = [np.empty(wbatch + (block, sizes[l]), dtype) if sizes[l + 1] > 1 else None for l in range(1, L)]
        if aug:
            self.Xs = np.empty(wbatch + (block, sizes[0] + 1), dtype)
            self.G1 = np.empty(wbatch + (sizes[1], sizes[0] + 1), dtype)
        P = sum(sizes[l] * sizes[l - 1] + sizes[l] for l in range(1, L + 1))
        self.g = np.empty(wbatch + (P,), dtype)
        self.gW, self.gb = _views(self.g, sizes)

    def rows(self, rows: int):
        """``(Z, A, da, Xa, Xs)``: the buffers' views of the first ``rows`` rows."""
        v = self._rows.get(rows)
        if v is None:

            def cut(a):
                return None if a is None else a[..., :rows, :]

            v = (
                [cut(a) for a in self.Z],
                [cut(a) for a in self.A],
                None if self.da is None else [cut(a) for a in self.da],
                cut(self.Xa),
                cut(self.Xs),
            )
            self._rows[rows] = v
        return v


_workspaces: OrderedDict = OrderedDict()
_MAX_WORKSPACES = 16


def _workspace(t, sizes, wbatch, xbatch, block, dtype, with_grad, aug) -> _Workspace:
    key = (t, tuple(sizes), wbatch, xbatch, block, dtype, with_grad, aug)
    ws = _workspaces.get(key)
    if ws is None:
        ws = _Workspace(sizes, wbatch, xbatch, block, dtype, with_grad, aug)
        _workspaces[key] = ws
        while len(_workspaces) > _MAX_WORKSPACES:
            _workspaces.popitem(last=False)
    else:
        _workspaces.move_to_end(key)
    return ws


def clear_workspaces() -> None:
    """Free the cached block buffers and parameter views (rebuilt on the next call)."""
    with step_lock():
        _workspaces.clear()
        _nets.clear()
        _small_lanes.clear()


# ---------------------------------------------------------------------------
# one block: forward and backward on preallocated buffers
# ---------------------------------------------------------------------------


class _Net:
    """What the block functions need of a network: weight views ``W``, their
    transposes ``Wt``, the biases as rows ``b`` (``(..., 1, n)``) and, with an
    augmented input, ``W1at`` = [W^1 | b^1]^T (a copy, refreshed every call).

    Built once per parameter array and cached while that array lives (optimizers
    update it in place, so the views stay valid); :func:`_bind` refreshes the copy
    and sets the activations of the calling network.
    """

    __slots__ = (
        "theta_ref",
        "sizes",
        "W",
        "Wt",
        "bias",
        "b",
        "W1a",
        "W1at",
        "aug",
        "act",
        "out_act",
        "out_identity",
        "mm",
    )

    def __init__(self, theta, sizes):
        # one network: np.dot (2-D, C-contiguous outputs) has less call overhead than matmul
        self.mm = np.dot if theta.ndim == 1 else np.matmul
        self.theta_ref = weakref.ref(theta)
        self.sizes = list(sizes)
        self.W, self.bias = _views(theta, sizes)
        self.Wt = [W.swapaxes(-1, -2) for W in self.W]
        self.b = [b[..., None, :] for b in self.bias]
        self.W1a = np.empty(theta.shape[:-1] + (sizes[1], sizes[0] + 1), theta.dtype)
        self.W1at = self.W1a.swapaxes(-1, -2)

    def configure(self, net, aug: bool) -> None:
        """Take ``net``'s activations and the input-block layout, and refresh."""
        self.aug = aug
        self.act, self.out_act = net.act, net.out_act
        self.out_identity = net.output_activation_name == "identity"
        self.refresh()

    def refresh(self) -> None:
        """Copy the current W^1, b^1 into [W^1 | b^1] (with an augmented input only)."""
        if self.aug:
            self.W1a[..., :-1] = self.W[0]
            self.W1a[..., -1] = self.bias[0]


_nets: OrderedDict = OrderedDict()


def _bind(net, theta, aug: bool) -> _Net:
    """The cached :class:`_Net` of ``theta``, refreshed, with ``net``'s activations (under _lock)."""
    key = (id(theta), tuple(net.sizes))
    p = _nets.get(key)
    if p is None or p.theta_ref() is not theta:
        p = _Net(theta, net.sizes)
        _nets[key] = p
        while len(_nets) > _MAX_WORKSPACES:
            _nets.popitem(last=False)
    else:
        _nets.move_to_end(key)
    p.configure(net, aug)
    return p


def _block_forward(ws, p: _Net, X, rows, out=None):
    """Fill ws.Z, ws.A (first ``rows`` rows) for the input block ``X``; return a^L.

    The last layer's a goes to ``out`` if given; with an identity output it is z itself.
    """
    Zs, As, _, Xa, _ = ws.rows(rows)
    mm = p.mm
    L = len(p.W)
    if p.aug:
        Xa[..., :-1] = X  # the last column stays 1
        mm(Xa, p.W1at, Zs[0])  # z = [x 1] [W b]^T
    A = X
    for l in range(L):
        Z = Zs[l]
        if l > 0 or not p.aug:
            if p.sizes[l] == 1:
                np.multiply(A, p.Wt[l], Z)  # rank-1: (rows, 1) x (1, n) by broadcasting
            else:
                mm(A, p.Wt[l], Z)  # Z = A W^T, samples in rows
            Z += p.b[l]
        if l == L - 1:
            if out is None and p.out_identity:
                return Z  # a = z: no copy
            A = As[l] if out is None else out
            p.out_act.value(Z, out=A)
        else:
            A = As[l]
            p.act.value(Z, out=A)
    return A


def _block_backward(ws, p: _Net, X, rows, dz):
    """One block's gradient into ws.g, from ``dz`` = ∂L/∂z^L (``(..., rows, n_L)``).

    A layer with a single unit (the output of a regression net) makes
    (W^l)^T dz^l an outer product ``dz ⊗ w``. With large blocks (``p.aug``) it is
    not formed: the next layer's dz^{l-1} = σ'(z^{l-1}) * col * row is kept as σ'
    with a pending column factor ``col`` = dz^l (one per sample) and row factor
    ``row`` = w. The column factor is applied to the d+1 input columns when the next
    layer is the first one (else to σ' in one pass); the row factor scales that
    layer's small dW, db and W instead of a (rows × n) array. The numbers are those
    of the lecture's formulas, up to the order of floating-point multiplications.
    """
    Zs, As, das, Xa, Xs = ws.rows(rows)
    mm = p.mm
    col = row = None
    for l in range(len(p.W) - 1, -1, -1):
        first = l == 0
        A_prev = X if first else As[l - 1]
        # --- dW^l = Σ_i dz_i a_i^T and db^l = Σ_i dz_i -----------------------------
        if first and p.aug:
            if col is not None:
                Xa = np.multiply(Xa, col, Xs)
                col = None
            G = ws.G1
            mm(dz.swapaxes(-1, -2), Xa, G)  # [dW | db] in one product
            if row is not None:
                G *= row.swapaxes(-1, -2)
            ws.gW[0][...] = G[..., :-1]
            ws.gb[0][...] = G[..., -1]
            break
        if col is not None:
            dz *= col
            col = None
        mm(dz.swapaxes(-1, -2), A_prev, ws.gW[l])  # (a matrix-vector product if n_{l-1} = 1)
        np.add.reduce(dz, axis=-2, out=ws.gb[l])
        if row is not None:
            ws.gW[l] *= row.swapaxes(-1, -2)
            ws.gb[l] *= row[..., 0, :]
        if first:
            break
        # --- dz^{l-1} = (W^l)^T dz^l * σ'(z^{l-1}); σ' is written over z^{l-1} ------
        W = p.W[l] if row is None else p.W[l] * row.swapaxes(-1, -2)
        Z = Zs[l - 1]
        p.act.deriv(Z, A_prev, out=Z)
        if p.sizes[l + 1] == 1 and p.aug:  # one unit: (W^l)^T dz^l = dz ⊗ w, kept as factors
            col, row = dz, W
        elif p.sizes[l + 1] == 1:  # small blocks: two broadcast passes cost fewer calls
            Z *= dz
            Z *= W
            row = None
        else:
            mm(dz, W, das[l - 1])
            Z *= das[l - 1]
            row = None
        dz = Z


# ---------------------------------------------------------------------------
# entry points
# ---------------------------------------------------------------------------


def _canonical(net, X, y=None):
    """Flatten replica axes to one: ``(theta2, X, y, batch)`` or None if shapes don't fit.

    theta2 has shape ``(P,)`` or ``(R, P)``; X ``(N, d)`` (shared) or ``(R, N, d)``.
    """
    theta = net.theta
    batch = theta.shape[:-1]
    if len(batch) > 1:
        R = int(np.prod(batch))
        theta = theta.reshape(R, theta.shape[-1])
        if X.ndim == len(batch) + 2 and X.shape[:-2] == batch:
            X = X.reshape((R,) + X.shape[-2:])
        elif X.ndim != 2:
            return None
        if y is not None:
            if y.ndim == len(batch) + 2 and y.shape[:-2] == batch:
                y = y.reshape((R,) + y.shape[-2:])
            elif y.ndim != 2:
                return None
    elif X.ndim > 2 + len(batch) or (y is not None and y.ndim > 2 + len(batch)):
        return None
    if y is not None and (y.ndim < 2 or y.shape[-2] != X.shape[-2]):
        return None
    return theta, X, y, batch


def applies(net, X) -> bool:
    """True for NumPy float arrays (CuPy and others take the portable reference path).

    ``NNAPPROX_FASTPATH=0`` in the environment when nnapprox is imported (or
    ``fastpath.ENABLED = False``) sends everything to the reference path (the
    lecture's whole-batch formulas), for debugging and before/after timings.
    """
    return ENABLED and type(X) is np.ndarray and type(net.theta) is np.ndarray


def loss_and_grad(net, X, y, loss, block: int | None = None):
    """Loss (shape ``batch``) and flat gradient (``theta.shape``), blocked and threaded.

    The same numbers as :func:`~nnapprox.engine.network.forward` + ``backward`` up to
    floating-point reassociation. Returns None for shapes the fast path does not
    take (several replica axes with partly broadcast data): the caller then uses
    the reference. ``loss`` is a :class:`~nnapprox.engine.losses.Loss` whose value is a
    mean over samples (both built-in losses are).
    """
    theta = net.theta
    if block is None and theta.ndim == 1:
        lane = _small_lanes.get((id(theta), X.shape, y.shape, loss))
        if lane is not None and lane.valid(net, theta):
            return lane.step(X, y.astype(theta.dtype, copy=False))
    canon = _canonical(net, X, y)
    if canon is None:
        return None
    theta, X, y, batch = canon
    dtype = theta.dtype
    y = y.astype(dtype, copy=False)
    wbatch = theta.shape[:-1]
    N = X.shape[-2]
    plan = _make_plan(
        N, tuple(net.sizes), net.activation_name, dtype.itemsize, theta.shape[0] if wbatch else 1, block, False
    )
    n_chunks = len(plan.chunks)
    key = (net.sizes, wbatch, X.shape[:-2], plan.block, dtype, True, plan.aug)
    if n_chunks == 1 and len(plan.blocks(0)) == 1:  # one block: no accumulators, no threads
        if not batch and block is None and plan.seconds <= BLAS_SERIAL_SECONDS:
            lane = _SmallLane(net, theta, plan, loss)
            _small_lanes[(id(theta), X.shape, y.shape, loss)] = lane
            while len(_small_lanes) > _MAX_WORKSPACES:
                _small_lanes.pop(next(iter(_small_lanes)))
            return lane.step(X, y)
        with step_lock(), serial_blas() if plan.seconds > BLAS_SERIAL_SECONDS else contextlib.nullcontext():
            p = _bind(net, theta, plan.aug)
            ws = _workspace(0, *key)
            value = _block_step(ws, p, X, y, loss, N, N)
            flat = ws.g.copy()
        if batch:
            return value.reshape(batch), flat.reshape(net.theta.shape)
        return value, flat

    acc = np.zeros((n_chunks,) + theta.shape, dtype)
    values = np.zeros((n_chunks,) + wbatch, dtype)

    def work(t, next_chunk):
        ws = _workspace(t, *key)
        for g in next_chunk:
            for s, e in plan.blocks(g):
                values[g] += _block_step(ws, p, X[..., s:e, :], y[..., s:e, :], loss, e - s, N)
                acc[g] += ws.g

    with step_lock():
        p = _bind(net, theta, plan.aug)
        _run(plan, work)
    value, flat = values[0], acc[0]
    for g in range(1, n_chunks):  # fixed order: bit-identical for any thread count
        value = value + values[g]
        flat = flat + acc[g]
    return value.reshape(batch) if batch else value, flat.reshape(net.theta.shape)


class _SmallLane:
    """A small step's setup, kept: one network (no replica axes), one block, no
    threads, no BLAS limit. For nets of a few units the setup (plan, views,
    buffers, locks) costs as much as the arithmetic; here it is done once per
    (parameter array, data shape, loss) and :meth:`step` runs only the block.
    Its own workspace (not shared with other calls) makes the lock unnecessary.
    """

    __slots__ = ("p", "ws", "loss", "N", "r", "mse")

    def __init__(self, net, theta, plan, loss):
        # its own views (not the cache of _bind, which another network may rebind)
        self.p = p = _Net(theta, net.sizes)
        p.configure(net, plan.aug)
        self.ws = _Workspace(net.sizes, (), (), plan.block, theta.dtype, True, plan.aug)
        self.loss, self.N = loss, plan.N
        # ½·MSE with an identity output: dz = r / N; the 1/N is applied to the gradient instead
        self.mse = loss.value is _MSE.value and loss.grad is _MSE.grad and not loss.on_logits and p.out_identity
        self.r = np.empty((plan.N, net.sizes[-1]), theta.dtype)

    def valid(self, net, theta) -> bool:
        """Still the same parameter array and activations?"""
        p = self.p
        return p.theta_ref() is theta and p.act is net.act and p.out_act is net.out_act

    def step(self, X, y):
        p = self.p
        p.refresh()
        if not self.mse:
            value = _block_step(self.ws, p, X, y, self.loss, self.N, self.N)
            return value, self.ws.g.copy()
        r = np.subtract(_block_forward(self.ws, p, X, self.N), y, out=self.r)
        value = np.vdot(r, r) * (0.5 / self.N)
        _block_backward(self.ws, p, X, self.N, r)
        return value, np.multiply(self.ws.g, 1.0 / self.N)


_small_lanes: dict = {}


def _mse_value_grad(out, y, N: int):
    """:mod:`nnapprox.engine.losses`' mse over a block in three calls: ½ Σ_i ‖r_i‖² / N and
    r / N, with r = out − y and N the number of samples of the whole batch."""
    r = np.subtract(out, y)
    if r.ndim == 2:
        value = np.vdot(r, r) * 0.5 / N
    else:
        value = np.einsum("...ij,...ij->...", r, r) * 0.5 / N
    np.divide(r, N, out=r)
    return value, r


def _block_step(ws, p: _Net, Xb, yb, loss, rows: int, N: int):
    """Forward and backward of one block: returns its share of the loss, gradient in ws.g."""
    out = _block_forward(ws, p, Xb, rows)  # a^L
    if loss.on_logits:
        out = ws.Z[-1][..., :rows, :]
    if loss.value is _MSE.value and loss.grad is _MSE.grad:  # losses.mse (also when unpickled)
        value, dz = _mse_value_grad(out, yb, N)
    else:  # the loss is a mean over the block: reweight it to a mean over N
        value = loss.value(out, yb)
        dz = loss.grad(out, yb)
        if rows != N:
            value = value * (rows / N)
            dz *= rows / N
    if not (loss.on_logits or p.out_identity):
        dz *= p.out_act.deriv(ws.Z[-1][..., :rows, :], out)
    _block_backward(ws, p, Xb, rows, dz)
    return value


def forward(net, X, block: int | None = None):
    """Network output ``batch + (N, out)``, blocked and threaded (None: use the reference,
    as for :func:`loss_and_grad`)."""
    canon = _canonical(net, X)
    if canon is None:
        return None
    theta, X, _, batch = canon
    dtype = theta.dtype
    wbatch = theta.shape[:-1]
    N = X.shape[-2]
    plan = _make_plan(
        N, tuple(net.sizes), net.activation_name, dtype.itemsize, theta.shape[0] if wbatch else 1, block, True
    )
    out = np.empty(wbatch + (N, net.sizes[-1]), dtype)

    def work(t, next_chunk):
        ws = _workspace(t, net.sizes, wbatch, X.shape[:-2], plan.block, dtype, False, plan.aug)
        for g in next_chunk:
            for s, e in plan.blocks(g):
                _block_forward(ws, p, X[..., s:e, :], e - s, out=out[..., s:e, :])

    with step_lock():
        p = _bind(net, theta, plan.aug)
        _run(plan, work)
    return out.reshape(batch + out.shape[-2:])
