"""Activation functions and their derivatives, in a name-keyed registry.

Each entry holds two functions:

``value(z, out=None)``
    a = σ(z), elementwise; ``out`` may be ``z`` itself (in place).
``deriv(z, a, out=None)``
    σ'(z), computed from whichever of the pre-activation ``z`` or the cached
    activation ``a`` is cheaper (σ' = a(1 − a) for the sigmoid, 1 − a² for tanh),
    so the backward pass never re-evaluates an exponential.

Conventions
-----------
* ReLU and leaky ReLU are not differentiable at 0; like the lecture we take the
  right derivative there: relu'(0) = 1, leaky_relu'(0) = 1.
* ``heaviside``, ``relu2``, ``relu3`` (relu(z)^k, k = 0, 2, 3) are the dictionaries of the greedy
  algorithms' sharp-rate study; Heaviside has zero derivative almost everywhere, so gradient
  training cannot move its units.
* **The boundary z = 0 of a ReLU^k unit.** H(0) = 1 (``z >= 0``); relu^k(0) = 0 for k >= 1. A unit
  placed by the greedy paths from the data (:func:`boundary_offsets`) never has its Heaviside
  boundary through a training point: z of a point on the boundary is a rounding error whose sign
  depends on how ``a·x + b`` was summed (the training's product, the path's prediction and the
  network's blocked forward pass sum it differently), and the unit's value there would jump
  between 0 and 1. ReLU^k units (k >= 1) are continuous at the boundary, so there rounding moves
  the value by at most |z|^k and their boundaries stay on the data points.
* The sigmoid is evaluated as 1/(1 + exp(−z)); for z < −709 the exponential
  overflows to inf (silently) and the result is exactly 0, so every finite z
  (|z| = 1e4 included) gives a finite value in [0, 1].
* tanh of large arrays is evaluated as 1 − 2/(exp(2z) + 1): about 40% faster than
  ``np.tanh`` in float64 (which is not SIMD-vectorised for float64 on AVX2) and
  accurate to 4e-16 absolute; small arrays (fewer calls) use ``np.tanh``.
* Every kernel works in place in ``out`` (a buffer of z's shape, possibly ``z``
  itself) without temporaries of z's size, so the blocked engine
  (:mod:`nnapprox.engine.fastpath`) can run it on preallocated buffers.

All functions take their array module from the array they are given
(:func:`array_module`), so CuPy arrays work unchanged.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

__all__ = [
    "FAMILIES",
    "Activation",
    "sigmoid",
    "ACTIVATIONS",
    "get_activation",
    "array_module",
    "DEFAULT_LEAKY_SLOPE",
    "RELU_POWER",
    "boundary_offsets",
    "BOUNDARY_GAP",
]

DEFAULT_LEAKY_SLOPE = 0.01


def array_module(a):
    """Return the array namespace of ``a`` (NumPy, or CuPy for CuPy arrays)."""
    if type(a) is np.ndarray:  # the common case, first: this runs on every activation call
        return np
    mod = type(a).__module__.split(".")[0]
    if mod == "cupy":  # pragma: no cover - no GPU in CI
        import cupy  # type: ignore[import-not-found]

        return cupy
    return np


#: Families of hidden activations: ``sigmoidal`` (bounded, saturating: sigmoid, tanh), ``relu`` (piecewise
#: linear with one kink: relu, leaky_relu), ``relu_power`` (the greedy dictionaries relu^k, k = 0, 2, 3) and
#: ``linear`` (identity).
FAMILIES = ("sigmoidal", "relu", "relu_power", "linear")


@dataclass(frozen=True)
class Activation:
    """An activation: its name, value ``σ(z)``, derivative ``σ'(z)`` (from z or a) and its facts.

    Attributes
    ----------
    family : str
        One of :data:`FAMILIES`. Initialisation defaults follow it (He weights and N(0, 0.5²)
        hidden biases for the ``relu`` family, Xavier and zero biases otherwise).
    kink : bool
        Piecewise linear with a kink at z = 0 (a network of such units is piecewise linear:
        its pieces can be counted, its units can be dead).
    peak_deriv : float or None
        max σ' of a saturating unit (a unit is saturated where σ' < 1% of it); None if it does not saturate.
    trainable : bool
        False when σ' = 0 almost everywhere (Heaviside): gradients cannot move the unit.
    """

    name: str
    value: Callable
    deriv: Callable
    family: str = "linear"
    kink: bool = False
    peak_deriv: float | None = None
    trainable: bool = True


# --- sigmoid ---------------------------------------------------------------


def _quiet_overflow(xp):
    """NumPy's errstate silencing overflow (exp(−z) = inf is wanted there); no-op elsewhere."""
    return np.errstate(over="ignore") if xp is np else contextlib.nullcontext()


def sigmoid(z, out=None):
    """σ(z) = 1 / (1 + e^{−z}), in place; e^{−z} = inf for z < −709 gives exactly 0."""
    xp = array_module(z)
    if out is None:
        out = xp.empty_like(z)
    with _quiet_overflow(xp):
        xp.negative(z, out=out)
        xp.exp(out, out=out)
    out += 1.0
    xp.divide(1.0, out, out=out)
    return out


def _sigmoid_deriv(z, a, out=None):
    """σ'(z) = σ(z)(1 − σ(z)) = a (1 − a)."""
    xp = array_module(a)
    if out is None:
        out = xp.empty_like(a)
    xp.subtract(1.0, a, out=out)
    out *= a
    return out


# --- tanh ------------------------------------------------------------------

_SMALL_SIZE = 2048  # below this size a single np.tanh call beats the five-pass formula


def _tanh(z, out=None):
    """tanh(z) = 1 − 2/(e^{2z} + 1), in place (``np.tanh`` for small arrays).

    e^{2z} overflows to inf for z > 354 (silently: the result is then exactly 1.0).
    Both evaluations are accurate to 4e-16 absolute.
    """
    xp = array_module(z)
    if out is None:
        out = xp.empty_like(z)
    if xp is not np or z.size < _SMALL_SIZE:
        return xp.tanh(z, out=out)
    xp.multiply(z, 2.0, out=out)
    with np.errstate(over="ignore"):
        xp.exp(out, out=out)
    out += 1.0
    xp.divide(-2.0, out, out=out)
    out += 1.0
    return out


def _tanh_deriv(z, a, out=None):
    """tanh'(z) = 1 − tanh(z)² = 1 − a²."""
    xp = array_module(a)
    if out is None:
        out = xp.empty_like(a)
    xp.multiply(a, a, out=out)
    xp.subtract(1.0, out, out=out)
    return out


# --- relu / leaky relu -----------------------------------------------------


def _relu(z, out=None):
    xp = array_module(z)
    return xp.maximum(z, 0.0, out=out) if out is not None else xp.maximum(z, 0.0)


def _relu_deriv(z, a, out=None):
    """relu'(z) = 1 for z >= 0 (the lecture's convention at 0), else 0."""
    xp = array_module(z)
    if out is None:
        out = xp.empty_like(z)
    xp.greater_equal(z, 0.0, out=out)  # True/False written as 1.0/0.0
    return out


def _make_leaky(slope: float) -> Activation:
    def value(z, out=None):
        """leaky_relu(z) = max(z, slope·z) (= z for z >= 0, slope·z otherwise; 0 <= slope < 1)."""
        xp = array_module(z)
        if out is None:
            out = xp.empty_like(z)
        if out is z:
            xp.maximum(z, slope * z, out=out)
        else:
            xp.multiply(z, slope, out=out)
            xp.maximum(z, out, out=out)
        return out

    def deriv(z, a, out=None):
        """leaky_relu'(z) = 1 for z >= 0, slope otherwise."""
        xp = array_module(z)
        if out is None:
            out = xp.empty_like(z)
        xp.greater_equal(z, 0.0, out=out)  # 1.0 where z >= 0, else 0.0
        xp.maximum(out, slope, out=out)  # 0.0 -> slope (0 <= slope < 1)
        return out

    return Activation("leaky_relu", value, deriv, family="relu", kink=True)


# --- the greedy dictionaries: Heaviside and ReLU^k ---------------------------


def _heaviside(z, out=None):
    """H(z) = 1 for z >= 0, else 0 (the k = 0 member of the ReLU^k family)."""
    xp = array_module(z)
    if out is None:
        out = xp.empty_like(z)
    xp.greater_equal(z, 0.0, out=out)
    return out


def _zero_deriv(z, a, out=None):
    """H'(z) = 0 almost everywhere: no gradient flows through a Heaviside unit."""
    xp = array_module(z)
    if out is None:
        return xp.zeros_like(z)
    out[...] = 0.0
    return out


def _make_relu_power(k: int) -> Activation:
    def value(z, out=None):
        """relu(z)^k."""
        xp = array_module(z)
        out = xp.maximum(z, 0.0, out=out) if out is not None else xp.maximum(z, 0.0)
        return xp.power(out, k, out=out)

    def deriv(z, a, out=None):
        """k relu(z)^(k−1)."""
        xp = array_module(z)
        out = xp.maximum(z, 0.0, out=out) if out is not None else xp.maximum(z, 0.0)
        if k > 2:
            xp.power(out, k - 1, out=out)
        return xp.multiply(out, float(k), out=out)

    return Activation(f"relu{k}", value, deriv, family="relu_power")


# --- where a data-placed ReLU^k unit puts its boundary -------------------------

#: Smallest gap between two sorted projections p = u·x / R (p in [−1, 1]) that a Heaviside
#: boundary may split: the midpoint is then at least 5e-11 from both points, so |z| >= 5e-11 s
#: for the unit H(s (p − t)), far above the rounding of z (about 1e-15 s for d <= 64).
BOUNDARY_GAP = 1e-10


def boundary_offsets(name: str, ps):
    """Offsets t along sorted projections ``ps`` for the units a greedy path builds from data.

    For each split index j, the "up" unit ``σ(s (p − t_up[j]))`` is to be nonzero on the points
    ``i >= j`` and the "down" unit ``σ(s (t_down[j] − p))`` on the points ``i <= j``. This is the
    one place that decides where such a unit's boundary lies relative to the training points:

    * ReLU^k with k >= 1 (``relu``, ``relu2``, ``relu3``): ``t = p_j``, through the data point, where
      the unit is continuous (value 0 on both sides).
    * Heaviside: halfway between ``p_(j−1)`` and ``p_j`` (up) or ``p_j`` and ``p_(j+1)`` (down), so
      that H is evaluated at no training point's rounding error; a split between two points
      closer than :data:`BOUNDARY_GAP` is not offered (``ok`` False). At the ends the boundary lies
      one unit beyond the data (every point on the unit's side).

    Parameters
    ----------
    name : str
        ``heaviside``, ``relu``, ``relu2`` or ``relu3``.
    ps : array, shape ``(N,)``
        Sorted projections.

    Returns
    -------
    t_up, t_down : arrays, shape ``(N,)``
    ok_up, ok_down : bool arrays, shape ``(N,)``
        Whether the split j is realised by the unit (always for k >= 1).
    """
    ps = np.asarray(ps, dtype=np.float64)
    if name != "heaviside":
        if name not in ("relu", "relu2", "relu3"):
            raise ValueError(f"name={name!r} is not a ReLU^k unit; valid: heaviside, relu, relu2, relu3")
        ok = np.ones(ps.shape, dtype=bool)
        return ps, ps, ok, ok
    mid = 0.5 * (ps[:-1] + ps[1:])  # between p_j and p_(j+1)
    gap = (ps[1:] - ps[:-1]) > BOUNDARY_GAP
    t_up = np.concatenate([[ps[0] - 1.0], mid])
    t_down = np.concatenate([mid, [ps[-1] + 1.0]])
    ok_up = np.concatenate([[True], gap])
    ok_down = np.concatenate([gap, [True]])
    return t_up, t_down, ok_up, ok_down


# --- identity --------------------------------------------------------------


def _identity(z, out=None):
    if out is None:
        return z.copy()
    if out is not z:
        out[...] = z
    return out


def _identity_deriv(z, a, out=None):
    xp = array_module(z)
    if out is None:
        return xp.ones_like(z)
    out[...] = 1.0
    return out


ACTIVATIONS: dict[str, Activation] = {
    "sigmoid": Activation("sigmoid", sigmoid, _sigmoid_deriv, family="sigmoidal", peak_deriv=0.25),
    "tanh": Activation("tanh", _tanh, _tanh_deriv, family="sigmoidal", peak_deriv=1.0),
    "relu": Activation("relu", _relu, _relu_deriv, family="relu", kink=True),
    "leaky_relu": _make_leaky(DEFAULT_LEAKY_SLOPE),
    "identity": Activation("identity", _identity, _identity_deriv),
    # the ReLU^k dictionaries of the greedy algorithms (Siegel & Xu 2022): k = 0 is Heaviside
    "heaviside": Activation("heaviside", _heaviside, _zero_deriv, family="relu_power", trainable=False),
    "relu2": _make_relu_power(2),
    "relu3": _make_relu_power(3),
}

#: k of the ReLU^k family for each of its members.
RELU_POWER = {"heaviside": 0, "relu": 1, "relu2": 2, "relu3": 3}


def get_activation(name: str | Activation, slope: float | None = None) -> Activation:
    """Look up an activation by name.

    Parameters
    ----------
    name : str or Activation
        One of ``sigmoid, tanh, relu, leaky_relu, identity`` or the greedy
        dictionaries ``heaviside, relu2, relu3`` (an :class:`Activation` is returned unchanged).
    slope : float, optional
        Negative-side slope of ``leaky_relu`` (default 0.01); must be in [0, 1).

    Raises
    ------
    ValueError
        For an unknown name (the message lists the valid ones) or a bad slope.
    """
    if isinstance(name, Activation):
        return name
    if name not in ACTIVATIONS:
        raise ValueError(f"activation={name!r} is not known; valid activations: {', '.join(sorted(ACTIVATIONS))}")
    if name == "leaky_relu" and slope is not None and slope != DEFAULT_LEAKY_SLOPE:
        if not (0.0 <= float(slope) < 1.0):
            raise ValueError(f"slope={slope!r} for leaky_relu must be in [0, 1)")
        return _make_leaky(float(slope))
    return ACTIVATIONS[name]
