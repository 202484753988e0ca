"""The engine's threads: how many, the shared pool, one BLAS thread while they run.

:func:`set_threads` / :func:`get_threads` choose the thread count of large steps
(``NNAPPROX_THREADS``, else 1 in a process started with ``OMP_NUM_THREADS=1``, else
``min(2, cores)``); :func:`run_tasks` and :func:`run_in_background` run work on the shared pool
(the network step in :mod:`nnapprox.engine.fastpath`, the greedy paths' screening);
:func:`serial_blas` holds BLAS at one thread. A forked child starts with a fresh pool and lock.
"""

from __future__ import annotations

import contextlib
import contextvars
import os
import threading
from concurrent.futures import ThreadPoolExecutor, wait

__all__ = [
    "set_threads",
    "get_threads",
    "default_threads",
    "serial_blas",
    "run_tasks",
    "run_in_background",
    "get_pool",
    "step_lock",
]

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


_lock = threading.RLock()  # one fast-path call at a time: the workspaces are shared
_pool: ThreadPoolExecutor | None = None
_pool_key: tuple[int, int] | None = None
_blas = None


def _after_fork_in_child() -> None:
    """A forked child has none of the parent's threads: start afresh (lock, pool, BLAS handle)."""
    global _lock, _pool, _pool_key, _blas
    _lock = threading.RLock()
    _pool = _pool_key = _blas = None


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)


def get_pool(workers: int) -> ThreadPoolExecutor:
    """The shared pool with ``workers`` threads (made anew when the count or the process changes)."""
    global _pool, _pool_key
    key = (os.getpid(), workers)
    if _pool is None or _pool_key != key:
        if _pool is not None and _pool_key is not None and _pool_key[0] == os.getpid():
            _pool.shutdown(wait=True)  # the thread count changed
        _pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="nnapprox")
        _pool_key = key
    return _pool


def serial_blas():
    """Context holding BLAS at one thread (threadpoolctl; a no-op if unavailable).

    ``fit`` holds it for a whole training run, as the jobs do: scipy's optimizers (L-BFGS-B,
    BFGS's line search and updates), least squares and Gram-Schmidt call BLAS on vectors and
    small matrices, and OpenBLAS splits some of those sums by thread, so the bits of a fit
    would otherwise depend on the BLAS thread count.
    """
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


def step_lock() -> threading.RLock:
    """The lock that lets one fast-path step run at a time (its workspaces are shared); new after a fork."""
    return _lock


def run_tasks(work, n_tasks: int, threads: int | None = None) -> None:
    """Call ``work(lane, i)`` for every task ``i < n_tasks`` on up to ``threads`` threads.

    For kernels outside the network step (the greedy paths' screening): the threads take tasks
    as they come free, ``lane`` (``0 <= lane < threads``) names the calling thread so that
    ``work`` can use per-lane buffers, and BLAS is held at one thread meanwhile. Results do not
    depend on the thread count as long as each task writes its own part of the output.

    Parameters
    ----------
    work : callable
        ``work(lane, i)``; its return value is ignored, an exception is re-raised here.
    n_tasks : int
    threads : int, optional
        Default :func:`get_threads`; 1 (or a single task) runs in the calling thread.
    """
    T = min(get_threads() if threads is None else int(threads), int(n_tasks))
    tasks = iter(range(int(n_tasks)))  # next() on a range iterator is atomic under the GIL

    def lane(t):
        for i in tasks:
            work(t, i)

    if T <= 1:
        lane(0)
        return
    pool = get_pool(T - 1)
    with serial_blas():
        futures = [pool.submit(contextvars.copy_context().run, lane, t) for t in range(1, T)]
        try:
            lane(0)
        finally:
            wait(futures)
        for f in futures:
            f.result()


def run_in_background(fn, *args):
    """Start ``fn(*args)`` on a worker thread of the pool and return its future, or None.

    None (nothing started) when only one thread is allowed (:func:`get_threads`), so a caller
    keeps its work in the calling thread. The caller holds BLAS at one thread while the work
    runs (the greedy trainers do, for their whole run).
    """
    if get_threads() <= 1:
        return None
    pool = get_pool(get_threads() - 1)
    return pool.submit(contextvars.copy_context().run, fn, *args)


# ---------------------------------------------------------------------------
# parameter views and preallocated buffers
# ---------------------------------------------------------------------------
