"""The target object and the parameter checks every target factory shares (built-in and the user's own)."""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from nnapprox.targets.sampling import Domain

__all__ = [
    "KINDS",
    "Target",
    "rebuild_target",
    "int_at_least",
    "finite",
    "fixed_dim",
    "symmetric_domain",
    "vector",
    "jsonable",
    "make_target",
]


KINDS = ("barron", "non_barron", "depth", "user", "table")


@dataclass(frozen=True, eq=False)
class Target:
    """A target function f on a domain, with its Barron constant.

    Attributes
    ----------
    name : str
        Registry name.
    dim : int
        Input dimension d.
    domain : Domain
        Support of the sampling measure μ.
    c_f : float or None
        Barron constant ``∫ |ω| |f̃(ω)| dω``; ``math.inf`` outside the class,
        ``None`` where no closed form is known.
    kind : {"barron", "non_barron", "depth", "user", "table"}
    params : dict
        The factory's keyword arguments (JSON-friendly): ``get_target(name, **params)``
        rebuilds the target.
    fn : callable
        ``(N, d) -> (N,)`` implementation (validated input).
    info : dict
        Derived quantities (e.g. the frequency vectors actually used).

    A target pickles (and deep-copies) as its factory call ``get_target(name, **params)``: ``fn`` is a
    closure of the factory. Rebuilding a user target reads its file again and checks its recorded hash.
    """

    name: str
    dim: int
    domain: Domain
    c_f: float | None
    kind: str
    params: dict
    fn: Callable = field(repr=False)
    info: dict = field(default_factory=dict, repr=False)

    @property
    def radius(self) -> float:
        """r of the bound: radius of the smallest centred ball containing the domain."""
        return self.domain.bounding_radius(self.dim)

    def __call__(self, X) -> np.ndarray:
        """Evaluate f.

        Parameters
        ----------
        X : array, shape ``(N, d)`` (or ``(N,)`` when d = 1)

        Returns
        -------
        array, shape ``(N,)``, float64
        """
        X = np.asarray(X, dtype=np.float64)
        if X.ndim == 1 and self.dim == 1:
            X = X[:, None]
        if X.ndim != 2 or X.shape[1] != self.dim:
            raise ValueError(f"X has shape {X.shape}; target {self.name!r} expects (N, {self.dim})")
        return np.asarray(self.fn(X), dtype=np.float64).reshape(X.shape[0])

    def __reduce__(self):
        from nnapprox.targets.builtin import TARGETS

        if TARGETS.get(self.name) is None:
            import pickle

            raise pickle.PicklingError(
                f"target {self.name!r} is not a registered factory's: only targets of "
                f"get_target(name, ...) pickle (they are rebuilt from their parameters)"
            )
        return rebuild_target, (self.name, dict(self.params))


def rebuild_target(name: str, params: dict) -> Target:
    """``get_target(name, **params)``: how a pickled :class:`Target` is loaded."""
    from nnapprox.targets.builtin import get_target

    return get_target(name, **params)


def int_at_least(name, value, minimum):
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < minimum:
        raise ValueError(f"{name}={value!r} is invalid: {name} must be an integer >= {minimum}")
    return int(value)


def finite(name, value, *, positive=False, nonnegative=False):
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name}={value!r} is invalid: {name} must be a real number") from None
    if not math.isfinite(v):
        raise ValueError(f"{name}={value!r} is invalid: {name} must be finite")
    if positive and v <= 0:
        raise ValueError(f"{name}={value!r} is invalid: {name} must be > 0")
    if nonnegative and v < 0:
        raise ValueError(f"{name}={value!r} is invalid: {name} must be >= 0")
    return v


def fixed_dim(name, d, allowed):
    d = int_at_least("d", d, 1)
    if d != allowed:
        raise ValueError(f"d={d!r} is invalid for target {name!r}: it is defined for d = {allowed} only")
    return d


def symmetric_domain(domain, radius):
    """Ball of radius r, or the cube [-r, r]^d."""
    r = finite("radius", radius, positive=True)
    if domain == "ball":
        return Domain("ball", radius=r)
    if domain == "cube":
        return Domain("cube", low=-r, high=r)
    raise ValueError(f"domain={domain!r} is invalid: valid domains are 'ball' (radius r) and 'cube' ([-r, r]^d)")


def vector(name, value, d, seed):
    """A vector in R^d: given explicitly (length d), or a float.

    A float is the vector itself when d = 1, and for d > 1 its value times a unit
    vector drawn uniformly from ``seed`` (so its absolute value is the norm).
    """
    try:
        arr = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"{name}={value!r} is invalid: {name} must be a float or a vector of length d={d}") from None
    if arr.ndim == 0:
        scale = finite(name, value)
        seed = int_at_least("seed", seed, 0)
        if d == 1:
            return np.array([scale])
        z = np.random.default_rng(seed).standard_normal(d)
        return scale * z / np.linalg.norm(z)
    if arr.shape != (d,) or not np.all(np.isfinite(arr)):
        raise ValueError(
            f"{name}={value!r} is invalid: {name} must be a float (its norm) or a finite vector of length d={d}"
        )
    return arr.copy()


def jsonable(value):
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    return value


def make_target(name, d, domain, c_f, kind, params, fn, info=None):
    params = {k: jsonable(v) for k, v in params.items()}
    return Target(
        name=name,
        dim=d,
        domain=domain,
        c_f=None if c_f is None else float(c_f),
        kind=kind,
        params=params,
        fn=fn,
        info=info or {},
    )
