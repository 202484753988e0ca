"""Input checks shared by the engine and the trainers: layer sizes, data arrays, dtype casts.

Every refusal is a ValueError naming the argument, its value or shape and what is allowed;
nothing is coerced silently (2.7 is not a width, NaN is not a sample).
"""

from __future__ import annotations

import numpy as np

__all__ = ["check_inputs", "check_sizes", "check_param_bytes", "cast"]


def check_inputs(X, y=None, *, d: int, n_out: int, batch: tuple = ()):
    """Validate and normalise ``X`` and ``y``.

    Returns ``X`` as a float array of shape ``(N, d)`` or ``batch + (N, d)`` and ``y``
    (if given) of shape ``X.shape[:-1] + (n_out,)`` (or broadcastable to it).
    Raises ValueError naming the argument for wrong shapes and NaN/inf values.
    """
    X = np.asarray(X)
    if X.dtype.kind not in "fiub":
        raise ValueError(f"X must be a numeric array; got dtype {X.dtype}")
    if X.ndim < 2 or X.shape[-1] != d:
        raise ValueError(
            f"X must have shape (N, {d}) (samples in rows, d={d} input features) "
            f"or batch + (N, {d}); got shape {X.shape}"
        )
    if X.ndim > 2 and X.shape[:-2] != batch[-(X.ndim - 2) :]:
        raise ValueError(f"X has batch axes {X.shape[:-2]}; the network's replica axes are {batch}")
    if X.shape[-2] < 1:
        raise ValueError("X must contain at least one sample (N >= 1)")
    if not np.all(np.isfinite(X)):
        raise ValueError("X contains NaN or inf; all inputs must be finite")
    if y is None:
        return X, None
    y = np.asarray(y)
    if y.dtype.kind not in "fiub":
        raise ValueError(f"y must be a numeric array; got dtype {y.dtype}")
    if y.shape == X.shape[:-1] and n_out == 1:
        y = y[..., None]
    if (
        y.shape[-1:] != (n_out,)
        or y.shape[-2:-1] != X.shape[-2:-1]
        or (X.ndim > 2 and y.ndim > 2 and y.shape[:-2] != X.shape[:-2])
    ):
        lead = X.shape[:-1]
        raise ValueError(
            f"y must have shape {lead} or {lead + (n_out,)} to match X of shape {X.shape}"
            + (" (per-replica X needs per-replica y)" if X.ndim > 2 else "")
            + f"; got shape {y.shape}"
        )
    if not np.all(np.isfinite(y)):
        raise ValueError("y contains NaN or inf; all targets must be finite")
    return X, y


def check_sizes(sizes) -> list[int]:
    """Layer sizes as Python ints; refuses anything that is not an integer (no rounding of 2.7, True, '8')."""
    import numbers

    try:
        sizes = list(sizes)
    except TypeError:
        raise ValueError(f"sizes must be a list of integers [d, n1, ..., out]; got {sizes!r}") from None
    for i, s in enumerate(sizes):
        if isinstance(s, bool) or not isinstance(s, numbers.Integral):
            raise ValueError(f"sizes[{i}]={s!r} must be an integer; sizes must be a list of integers [d, n1, ..., out]")
    sizes = [int(s) for s in sizes]
    if len(sizes) < 2:
        raise ValueError(f"sizes must list at least input and output sizes [d, ..., out]; got {sizes}")
    if sizes[0] < 1:
        raise ValueError(f"input dimension sizes[0]={sizes[0]} must be >= 1")
    for i, s in enumerate(sizes[1:-1], start=1):
        if s < 1:
            raise ValueError(f"width sizes[{i}]={s} must be >= 1")
    if sizes[-1] < 1:
        raise ValueError(f"output size sizes[-1]={sizes[-1]} must be >= 1")
    return sizes


def physical_memory() -> int | None:
    """Bytes of physical memory of this machine (None where the OS does not say)."""
    import os

    try:
        return int(os.sysconf("SC_PAGE_SIZE")) * int(os.sysconf("SC_PHYS_PAGES"))
    except (AttributeError, ValueError, OSError):
        return None


def check_param_bytes(sizes, n_params: int, dtype, replicas: int = 1) -> None:
    """ValueError naming ``sizes`` when the parameters alone cannot fit in this machine's memory
    (rather than numpy's MemoryError, or its "maximum allowed dimension exceeded", mid-construction)."""
    need = int(n_params) * int(replicas) * np.dtype(dtype).itemsize
    have = physical_memory()
    if int(n_params) > np.iinfo(np.intp).max or (have is not None and need > have):
        raise ValueError(
            f"sizes={list(sizes)} need {n_params} parameters per network ({need / 2**30:.3g} GiB in "
            f"{np.dtype(dtype)}{f' for {replicas} replicas' if replicas > 1 else ''}); this machine "
            f"has {'?' if have is None else f'{have / 2**30:.3g}'} GiB: choose smaller sizes"
        )


def cast(A, dtype, name: str = "X"):
    """``A`` in ``dtype``; ValueError if a value does not fit (it would overflow to inf).

    Parameters
    ----------
    A : array, any shape
    dtype : numpy dtype
    name : str
        The argument's name, for the message.
    """
    with np.errstate(over="ignore"):
        out = A.astype(dtype, copy=False)
    if out.dtype != A.dtype and not np.all(np.isfinite(out)):
        raise ValueError(f"{name} has values beyond the range of {np.dtype(dtype)} (they overflow to inf)")
    return out
