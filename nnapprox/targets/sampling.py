"""Sampling measures, noise and train/test sets.

The measure μ of Barron's theorem is uniform on a ball ``B_r = {|x| <= r}`` (the
default) or on a cube ``[low, high]^d``. Ball sampling is exact: a direction
``Z/|Z|`` with ``Z ~ N(0, I_d)`` is uniform on the sphere, and a radius
``r U^{1/d}`` with ``U ~ U(0, 1)`` has the law of ``|x|`` for x uniform on the
ball, because ``P(|x| <= t) = (t/r)^d``.

All randomness flows through explicit ``np.random.Generator`` objects; train and
test sets come from two independent streams spawned from one seed, so a larger
training set never changes the test set.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass

import numpy as np

__all__ = ["Domain", "Dataset", "sample_domain", "add_noise", "make_dataset", "DOMAIN_KINDS"]

DOMAIN_KINDS = ("ball", "cube")


def _check_int(name, value, minimum):
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < minimum:
        raise ValueError(f"{name}={value!r} is invalid: {name} must be an integer >= {minimum}")
    return int(value)


@dataclass(frozen=True)
class Domain:
    """Support of the sampling measure.

    Parameters
    ----------
    kind : {"ball", "cube"}
        ``ball``: the centred ball of radius ``radius``; ``cube``: ``[low, high]^d``.
    radius : float
        Ball radius r > 0 (ignored for a cube).
    low, high : float
        Cube bounds, ``low < high`` (ignored for a ball).
    """

    kind: str = "ball"
    radius: float = 1.0
    low: float = 0.0
    high: float = 1.0

    def __post_init__(self):
        if self.kind not in DOMAIN_KINDS:
            raise ValueError(f"kind={self.kind!r} is not a domain kind; valid kinds: {', '.join(DOMAIN_KINDS)}")
        if not (math.isfinite(self.radius) and self.radius > 0):
            raise ValueError(f"radius={self.radius!r} is invalid: radius must be a finite float > 0")
        if not (math.isfinite(self.low) and math.isfinite(self.high) and self.low < self.high):
            raise ValueError(f"low={self.low!r}, high={self.high!r} are invalid: need finite low < high")
        object.__setattr__(self, "radius", float(self.radius))
        object.__setattr__(self, "low", float(self.low))
        object.__setattr__(self, "high", float(self.high))

    def bounding_radius(self, d: int) -> float:
        """Radius of the smallest centred ball containing the domain in ``R^d``.

        This is the r of the bound ``(2 r C_f)^2 / n``: ``radius`` for a ball and
        ``sqrt(d) * max(|low|, |high|)`` for a cube.
        """
        d = _check_int("d", d, 1)
        if self.kind == "ball":
            return self.radius
        return math.sqrt(d) * max(abs(self.low), abs(self.high))

    def contains(self, X, tol: float = 1e-12):
        """Boolean mask ``(N,)``: which rows of ``X`` (shape ``(N, d)``) lie in the domain."""
        X = np.asarray(X, dtype=np.float64)
        if self.kind == "ball":
            return np.linalg.norm(X, axis=1) <= self.radius * (1 + tol)
        return np.all((X >= self.low - tol) & (X <= self.high + tol), axis=1)


def sample_domain(domain: Domain, N: int, d: int, rng: np.random.Generator) -> np.ndarray:
    """Draw N points uniformly from ``domain`` in ``R^d``.

    Parameters
    ----------
    domain : Domain
    N : int, >= 1
    d : int, >= 1
    rng : np.random.Generator

    Returns
    -------
    X : array, shape ``(N, d)``, float64
        Ball: ``X = r U^{1/d} Z/|Z|`` with ``Z ~ N(0, I_d)`` and ``U ~ U(0, 1)``
        (exact). Cube: independent ``U(low, high)`` coordinates.
    """
    if not isinstance(domain, Domain):
        raise ValueError(f"domain={domain!r} is invalid: pass a Domain(kind='ball'|'cube', ...)")
    N = _check_int("N", N, 1)
    d = _check_int("d", d, 1)
    if not isinstance(rng, np.random.Generator):
        raise ValueError(f"rng={rng!r} is invalid: pass a np.random.Generator")
    if domain.kind == "cube":
        return rng.uniform(domain.low, domain.high, size=(N, d))
    Z = rng.standard_normal((N, d))
    norms = np.linalg.norm(Z, axis=1, keepdims=True)
    # |Z| = 0 has probability zero; guard anyway so no NaN can appear.
    norms[norms == 0.0] = 1.0
    radii = domain.radius * rng.random((N, 1)) ** (1.0 / d)
    return Z / norms * radii


def add_noise(y, noise: float, rng: np.random.Generator) -> np.ndarray:
    """Return ``y + noise * ε`` with ``ε ~ N(0, 1)`` i.i.d. (a copy; ``noise = 0`` adds nothing).

    Parameters
    ----------
    y : array, shape ``(N,)``
    noise : float, >= 0
        Standard deviation of the additive Gaussian noise.
    rng : np.random.Generator
    """
    noise = float(noise)
    if not (math.isfinite(noise) and noise >= 0):
        raise ValueError(f"noise={noise!r} is invalid: noise must be a finite float >= 0")
    y = np.array(y, dtype=np.float64)
    if noise > 0:
        y += noise * rng.standard_normal(y.shape)
    return y


@dataclass
class Dataset:
    """A training set and a large clean test set.

    Attributes
    ----------
    X : array, shape ``(N, d)``
    y : array, shape ``(N,)``
        Training labels ``f(X) + noise * ε``.
    X_test : array, shape ``(N_test, d)``
    y_test : array, shape ``(N_test,)``
        Clean values ``f(X_test)``.
    noise : float
        Noise standard deviation.
    var_f : float
        Variance of ``y_test`` (estimate of ``Var_μ f``), the scale of ``rel_mse``.
    y_clean : array, shape ``(N,)``
        Clean training values ``f(X)``.
    """

    X: np.ndarray
    y: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    noise: float
    var_f: float
    y_clean: np.ndarray | None = None

    @property
    def N(self) -> int:
        return self.X.shape[0]

    @property
    def d(self) -> int:
        return self.X.shape[1]


def make_dataset(target, N: int, N_test: int = 2**14, noise: float = 0.0, seed=0) -> Dataset:
    """Sample a training and a test set for ``target`` on ``target.domain``.

    Parameters
    ----------
    target : Target
        Anything with ``dim``, ``domain`` (a :class:`Domain`) and ``__call__(X) -> (N,)``.
    N : int, >= 1
        Training set size.
    N_test : int, >= 1
        Test set size (default ``2**14``; the test MSE's Monte-Carlo standard error
        scales as ``N_test^{-1/2}``).
    noise : float, >= 0
        Standard deviation of Gaussian noise added to the training labels only.
    seed : int or np.random.SeedSequence
        Root of the two independent streams ``SeedSequence(seed).spawn(2)``:
        the first draws the training inputs and noise, the second the test inputs.

    Returns
    -------
    Dataset
    """
    N = _check_int("N", N, 1)
    N_test = _check_int("N_test", N_test, 1)
    noise = float(noise)
    if not (math.isfinite(noise) and noise >= 0):
        raise ValueError(f"noise={noise!r} is invalid: noise must be a finite float >= 0")
    ss = seed if isinstance(seed, np.random.SeedSequence) else np.random.SeedSequence(seed)
    ss_train, ss_test = ss.spawn(2)
    rng_train = np.random.default_rng(ss_train)
    rng_test = np.random.default_rng(ss_test)
    d = target.dim
    X = sample_domain(target.domain, N, d, rng_train)
    y_clean = np.asarray(target(X), dtype=np.float64)
    y = add_noise(y_clean, noise, rng_train)
    X_test = sample_domain(target.domain, N_test, d, rng_test)
    y_test = np.asarray(target(X_test), dtype=np.float64)
    return Dataset(X=X, y=y, X_test=X_test, y_test=y_test, noise=noise, var_f=float(np.var(y_test)), y_clean=y_clean)
