"""The blocked, threaded loss and gradient: the one place for CPU speed tricks.

:meth:`MLP._loss_and_flat_grad` (every trainer's hot path) and :meth:`MLP.forward`
send NumPy arrays here; the reference :func:`~nnapprox.network.forward` and
:func:`~nnapprox.network.backward` compute the same numbers in the lecture's
whole-batch form and serve as the specification (``tests/test_fastpath.py``).

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
The rows are cut into ``chunks`` (1, 2 or :data:`LANES` contiguous row ranges) and
each chunk into blocks; both cuts depend only on ``N``, the layer sizes, the
activation and the dtype, never on the thread count or timing. Each chunk sums its
blocks, in order, into its own accumulator; the chunk sums are added in chunk
order at the end. Any thread count therefore gives bit-identical results, run
after run, and the reordering against the reference is only floating-point
reassociation of the sums over samples.

Steps estimated below :data:`PARALLEL_SECONDS` of work (tiny nets, mini-batches)
run in the calling thread as one chunk: dispatching work to a thread costs about
as much as 50 µs of computing.

Threads: ``NNAPPROX_THREADS`` (environment) or :func:`set_threads`; by default
``min(2, cores)``, and 1 inside a process whose launcher limited its threads
(joblib/loky workers set ``OMP_NUM_THREADS`` etc.).
"""
from __future__ import annotations

import contextlib
import os
import threading
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import dataclass

import numpy as np

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
]

#: Target size of one ``block × width`` buffer (bytes): a few such buffers per layer
#: stay in the per-core L2 / shared L3 cache.
BLOCK_BYTES = 256 * 1024
#: Bounds on the rows of a block.
MIN_ROWS, MAX_ROWS = 32, 2048
#: Number of chunks (one gradient accumulator each) when a step runs on threads;
#: more threads than this are not used.
LANES = 4
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


# ---------------------------------------------------------------------------
# thread count
# ---------------------------------------------------------------------------

_LIMIT_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")
_threads_set: int | None = None


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def _positive_int(value, name: str) -> int:
    try:
        n = int(value)
    except (TypeError, ValueError):
        n = 0
    if n < 1 or (isinstance(value, float) and value != n):
        raise ValueError(f"{name}={value!r} must be an integer >= 1")
    return n


def default_threads() -> int:
    """Threads used when :func:`set_threads` was not called.

    ``NNAPPROX_THREADS`` if set; otherwise 1 when the process was started with
    ``OMP_NUM_THREADS``, ``OPENBLAS_NUM_THREADS`` or ``MKL_NUM_THREADS`` = 1 (what
    joblib's loky workers and most cluster launchers set); otherwise ``min(2, cores)``.
    """
    env = os.environ.get("NNAPPROX_THREADS", "").strip()
    if env:
        return _positive_int(env, "NNAPPROX_THREADS")
    if any(os.environ.get(v, "").strip() == "1" for v in _LIMIT_VARS):
        return 1
    return max(1, min(2, _cores()))


def set_threads(n: int | None) -> None:
    """Use ``n`` threads for large steps (``None``: back to :func:`default_threads`).

    Results do not depend on the thread count (see the module notes).
    """
    global _threads_set
    _threads_set = None if n is None else _positive_int(n, "threads")


def get_threads() -> int:
    """Threads the next large step will use (at most :data:`LANES` are busy)."""
    return _threads_set if _threads_set is not None else default_threads()


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

    def blocks(self, g: int):
        """Row ranges ``(start, stop)`` of chunk ``g``'s blocks, in order."""
        start, stop = self.chunks[g]
        return [(s, min(s + self.block, stop)) for s in range(start, stop, self.block)]


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


def make_plan(N: int, sizes, activation: str, itemsize: int = 8, replicas: int = 1,
              block: int | None = None, forward_only: bool = False) -> Plan:
    """The partition of ``N`` rows for this architecture (independent of the thread count).

    ``block`` overrides the block rows (tests use it to force many blocks);
    ``forward_only`` counts a forward pass as a third of a step.
    """
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
        n_chunks = LANES if n_blocks >= LANES else (2 if n_blocks >= 2 else 1)
        parallel = n_chunks > 1
    bounds = [(g * N) // n_chunks for g in range(n_chunks + 1)]
    chunks = tuple((bounds[g], bounds[g + 1]) for g in range(n_chunks))
    return Plan(N, block, chunks, parallel, seconds)


# ---------------------------------------------------------------------------
# thread pool and BLAS limit (created lazily, again after a fork)
# ---------------------------------------------------------------------------

_lock = threading.RLock()  # one fast-path call at a time: the workspaces are shared
_pool: ThreadPoolExecutor | None = None
_pool_key = None
_blas = None


def _get_pool(workers: int) -> ThreadPoolExecutor:
    global _pool, _pool_key
    key = (os.getpid(), workers)
    if _pool is None or _pool_key != key:
        if _pool is not None and _pool_key[0] == os.getpid():
            _pool.shutdown(wait=True)
        _pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="nnapprox")
        _pool_key = key
    return _pool


def _blas_one_thread():
    """Context holding BLAS at one thread (threadpoolctl); a no-op if unavailable."""
    global _blas
    if _blas is None or _blas[0] != os.getpid():
        try:
            from threadpoolctl import ThreadpoolController

            _blas = (os.getpid(), ThreadpoolController())
        except Exception:  # pragma: no cover - threadpoolctl is a dependency
            _blas = (os.getpid(), None)
    controller = _blas[1]
    if controller is None:  # pragma: no cover
        return contextlib.nullcontext()
    return controller.limit(limits=1, user_api="blas")


def _run(plan: Plan, work) -> None:
    """Call ``work(t, chunk_ids)`` for every chunk, on threads if the plan allows."""
    n_chunks = len(plan.chunks)
    T = min(get_threads(), n_chunks) if plan.parallel else 1
    if T <= 1:
        with _blas_one_thread() if plan.seconds > BLAS_SERIAL_SECONDS else contextlib.nullcontext():
            work(0, range(n_chunks))
        return
    pool = _get_pool(T - 1)
    with _blas_one_thread():
        futures = [pool.submit(work, t, range(t, n_chunks, T)) for t in range(1, T)]
        try:
            work(0, range(0, n_chunks, T))
        finally:
            wait(futures)
        for f in futures:
            f.result()  # re-raise a worker's exception


# ---------------------------------------------------------------------------
# parameter views and preallocated buffers
# ---------------------------------------------------------------------------

def _views(flat, sizes):
    """Weight and bias views ``(..., n_l, n_{l-1})``, ``(..., n_l)`` into a flat array."""
    batch = flat.shape[:-1]
    Ws, bs, off = [], [], 0
    for l in range(1, len(sizes)):
        n, m = sizes[l], sizes[l - 1]
        Ws.append(flat[..., off:off + n * m].reshape(batch + (n, m)))
        off += n * m
        bs.append(flat[..., off:off + n])
        off += n
    return Ws, bs


class _Workspace:
    """One thread's buffers for one architecture: z, a per layer, da, and a block gradient."""

    def __init__(self, sizes, batch, block, dtype, with_grad=True):
        L = len(sizes) - 1
        self.Z = [np.empty(batch + (block, sizes[l]), dtype) for l in range(1, L + 1)]
        self.A = [np.empty(batch + (block, sizes[l]), dtype) for l in range(1, L + 1)]
        hidden = [sizes[l] for l in range(1, L) if sizes[l + 1] > 1]
        self.da = np.empty(batch + (block, max(hidden)), dtype) if hidden else None
        if with_grad:
            P = sum(sizes[l] * sizes[l - 1] + sizes[l] for l in range(1, L + 1))
            self.g = np.empty(batch + (P,), dtype)
            self.gW, self.gb = _views(self.g, sizes)


_workspaces: OrderedDict = OrderedDict()
_MAX_WORKSPACES = 16


def _workspace(t, sizes, batch, block, dtype, with_grad) -> _Workspace:
    key = (t, tuple(sizes), batch, block, np.dtype(dtype).str, with_grad)
    ws = _workspaces.get(key)
    if ws is None:
        ws = _Workspace(sizes, batch, block, dtype, with_grad)
        _workspaces[key] = ws
        while len(_workspaces) > _MAX_WORKSPACES:
            _workspaces.popitem(last=False)
    else:
        _workspaces.move_to_end(key)
    return ws


def clear_workspaces() -> None:
    """Free the cached block buffers (they are rebuilt on the next call)."""
    with _lock:
        _workspaces.clear()


# ---------------------------------------------------------------------------
# one block: forward and backward on preallocated buffers
# ---------------------------------------------------------------------------

def _block_forward(ws, Ws, bs, X, rows, act, out_act, out=None):
    """Fill ws.Z, ws.A (first ``rows`` rows) for the block ``X``; the last a may go to ``out``."""
    A = X
    L = len(Ws)
    for l in range(L):
        W = Ws[l]
        Z = ws.Z[l][..., :rows, :]
        Wt = np.swapaxes(W, -1, -2)
        if W.shape[-1] == 1:
            np.multiply(A, Wt, out=Z)  # rank-1: (rows, 1) x (1, n) by broadcasting
        else:
            np.matmul(A, Wt, out=Z)  # Z = A W^T (+ b below), samples in rows
        Z += bs[l][..., None, :]
        if l == L - 1 and out is not None:
            A = out
        else:
            A = ws.A[l][..., :rows, :]
        (out_act if l == L - 1 else act).value(Z, out=A)
    return A


def _block_backward(ws, Ws, X, rows, dz, act):
    """Block gradient into ws.g from the output layer's dz (rows of ∂L/∂z^L)."""
    L = len(Ws)
    for l in range(L - 1, -1, -1):
        A_prev = X if l == 0 else ws.A[l - 1][..., :rows, :]
        gW = ws.gW[l]
        if A_prev.shape[-1] == 1:  # one input unit: dW = Σ_i dz_i a_i, a matrix-vector product
            np.matmul(np.swapaxes(A_prev, -1, -2), dz, out=np.swapaxes(gW, -1, -2))
        else:
            np.matmul(np.swapaxes(dz, -1, -2), A_prev, out=gW)  # Σ_i dz_i a_i^T
        np.sum(dz, axis=-2, out=ws.gb[l])
        if l == 0:
            break
        # dz^{l-1} = (W^l)^T dz^l * σ'(z^{l-1}); σ' is written over z^{l-1}'s buffer
        Z = ws.Z[l - 1][..., :rows, :]
        act.deriv(Z, A_prev, out=Z)
        W = Ws[l]
        if W.shape[-2] == 1:  # one output unit: (W^l)^T dz^l is an outer product
            Z *= dz
            Z *= W
        else:
            da = ws.da[..., :rows, :W.shape[-1]]
            np.matmul(dz, W, out=da)
            Z *= da
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
    """True for NumPy float arrays (CuPy and others take the portable reference path)."""
    return type(X) is np.ndarray and type(net.theta) is np.ndarray


def loss_and_grad(net, X, y, loss, block: int | None = None):
    """Loss (shape ``batch``) and flat gradient (``theta.shape``), blocked and threaded.

    The same numbers as :func:`~nnapprox.network.forward` + ``backward`` up to
    floating-point reassociation. Returns None when the shapes don't fit the fast
    path (several replica axes with partly broadcast data); the caller then uses
    the reference. ``loss`` is a :class:`~nnapprox.losses.Loss` whose value is a
    mean over samples (both built-in losses are).
    """
    canon = _canonical(net, X, y)
    if canon is None:
        return None
    theta, X, y, batch = canon
    sizes = net.sizes
    dtype = theta.dtype
    y = y.astype(dtype, copy=False)
    R = theta.shape[0] if theta.ndim == 2 else 1
    N = X.shape[-2]
    plan = make_plan(N, sizes, net.activation_name, dtype.itemsize, R, block)
    wbatch = theta.shape[:-1]
    Ws, bs = _views(theta, sizes)
    act, out_act, L = net.act, net.out_act, len(Ws)
    skip_out_deriv = loss.on_logits or net.output_activation_name == "identity"
    n_chunks = len(plan.chunks)
    acc = np.zeros((n_chunks,) + theta.shape, dtype)
    values = np.zeros((n_chunks,) + wbatch, dtype)

    def work(t, chunk_ids):
        ws = _workspace(t, sizes, wbatch, plan.block, dtype, True)
        for g in chunk_ids:
            for s, e in plan.blocks(g):
                rows = e - s
                Xb = X[..., s:e, :]
                yb = y[..., s:e, :]
                _block_forward(ws, Ws, bs, Xb, rows, act, out_act)
                out = ws.Z[L - 1][..., :rows, :] if loss.on_logits else ws.A[L - 1][..., :rows, :]
                scale = rows / N  # the loss is a mean over the block: reweight to a mean over N
                values[g] += loss.value(out, yb) * scale
                dz = loss.grad(out, yb)
                dz *= scale
                if not skip_out_deriv:
                    dz *= out_act.deriv(ws.Z[L - 1][..., :rows, :], out)
                _block_backward(ws, Ws, Xb, rows, dz, act)
                acc[g] += ws.g

    with _lock:
        _run(plan, work)
    value, flat = values[0], acc[0]
    for g in range(1, n_chunks):  # fixed order: bit-identical for any thread count
        value = value + values[g]
        flat = flat + acc[g]
    return value.reshape(batch) if batch else value, flat.reshape(net.theta.shape)


def forward(net, X, block: int | None = None):
    """Network output ``batch + (N, out)``, blocked and threaded (None if shapes don't fit)."""
    canon = _canonical(net, X)
    if canon is None:
        return None
    theta, X, _, batch = canon
    sizes = net.sizes
    dtype = theta.dtype
    R = theta.shape[0] if theta.ndim == 2 else 1
    N = X.shape[-2]
    plan = make_plan(N, sizes, net.activation_name, dtype.itemsize, R, block, forward_only=True)
    wbatch = theta.shape[:-1]
    Ws, bs = _views(theta, sizes)
    out = np.empty(wbatch + (N, sizes[-1]), dtype)

    def work(t, chunk_ids):
        ws = _workspace(t, sizes, wbatch, plan.block, dtype, False)
        for g in chunk_ids:
            for s, e in plan.blocks(g):
                _block_forward(ws, Ws, bs, X[..., s:e, :], e - s, net.act, net.out_act,
                               out=out[..., s:e, :])

    with _lock:
        _run(plan, work)
    return out.reshape(batch + out.shape[-2:])
