"""How a network's parameters are drawn, once: the first network of a run, its restarts and its boosting stages.

An :class:`Init` is the recipe (weight scheme, its standard deviation, the hidden biases); a
network carries the recipe it was drawn with (``net.init_spec``) together with its connection
mask (``net.mask``, e.g. a binary tree). :func:`fresh` makes "a fresh network like this one":
same sizes, activation, mask and recipe, new numbers. The job's first network
(:func:`build`) and every restart and boosting stage of a trainer go through the same
:func:`draw`, so a restart can never be drawn differently from the network it replaces.

Random streams
--------------
The weights come from the Generator passed in; the biases of ``normal``, ``uniform`` and
``data`` and the randomized asymmetric hidden layers (``rai``) from its first spawned child
(``rng.spawn(1)[0]``, which leaves ``rng``'s own stream untouched). A run's first network is
drawn from ``default_rng(ss_init)``, so its child is ``default_rng(ss_init.spawn(1)[0])``.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .network import (INIT_SCHEMES, MLP, default_bias_init, default_init, draw_normal_biases, draw_rai,
                      init_params, param_count, place_kinks_at_data)

__all__ = ["Init", "WEIGHT_SCHEMES", "BIAS_SCHEMES", "draw", "fresh", "build", "draw_uniform_biases",
           "recipe_of"]

#: Weight schemes: :data:`nnapprox.network.INIT_SCHEMES` and ``rai`` (randomized asymmetric).
WEIGHT_SCHEMES = INIT_SCHEMES + ("rai",)
#: Hidden-bias schemes (``None`` with ``rai``, which draws the biases itself).
BIAS_SCHEMES = ("zero", "normal", "data", "uniform")


@dataclass(frozen=True)
class Init:
    """A recipe for a network's initial parameters.

    Attributes
    ----------
    weights : str
        One of :data:`WEIGHT_SCHEMES` (``rai``: He weights, then the hidden layers' weights
        and biases by :func:`nnapprox.network.draw_rai`).
    std : float
        Standard deviation of ``weights="normal"``.
    biases : str or None
        Hidden biases: ``zero``, ``normal`` (N(0, bias_std²)), ``data`` (each unit's kink at a
        random training point) or ``uniform`` (U(±1/sqrt(fan_in)), PyTorch's default); None
        with ``rai``. The output bias starts at zero.
    bias_std : float
        Standard deviation of ``biases="normal"``.
    """

    weights: str = "xavier"
    std: float = 1.0
    biases: str | None = "zero"
    bias_std: float = 0.5

    def __post_init__(self):
        if self.weights not in WEIGHT_SCHEMES:
            raise ValueError(f"init={self.weights!r} is not known; valid schemes: {', '.join(WEIGHT_SCHEMES)}")
        if self.weights == "rai":
            if self.biases not in (None, "zero"):
                raise ValueError(f"bias_init={self.biases!r} cannot be combined with init='rai' (it draws the biases)")
        elif self.biases not in BIAS_SCHEMES:
            raise ValueError(f"bias_init={self.biases!r} is not known; valid: {', '.join(BIAS_SCHEMES)}")
        for key, v in (("init_std", self.std), ("bias_std", self.bias_std)):
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not (np.isfinite(v) and v > 0):
                raise ValueError(f"{key}={v!r} must be > 0 and finite")

    @classmethod
    def default(cls, activation: str) -> "Init":
        """He for the ReLU family and N(0, 0.5²) hidden biases there; Xavier and zero biases otherwise."""
        return cls(weights=default_init(activation), biases=default_bias_init(activation))


def recipe_of(net) -> Init:
    """The recipe ``net`` was drawn with (the activation's default when it was given as numbers)."""
    return net.init_spec if net.init_spec is not None else Init.default(net.activation_name)


def draw_uniform_biases(net, rng: np.random.Generator):
    """Hidden biases U(±1/sqrt(fan_in)) (PyTorch's ``nn.Linear`` default; in place; the output bias stays 0)."""
    for W, b in zip(net.weights[:-1], net.biases[:-1]):
        a = 1.0 / np.sqrt(W.shape[-1])
        b[...] = rng.uniform(-a, a, size=b.shape)
    return net


def draw(net, rng: np.random.Generator, X=None, init: Init | None = None):
    """Redraw every parameter of ``net`` (a single network) in place by its recipe and mask.

    Parameters
    ----------
    net : MLP
        No replica axes. Its mask (if any) zeroes the connections it leaves out.
    rng : np.random.Generator
        The weights' stream; biases and ``rai`` layers use ``rng.spawn(1)[0]``.
    X : array, shape ``(N, d)``, optional
        Training inputs; needed by ``biases="data"``.
    init : Init, optional
        The recipe (default: ``recipe_of(net)``); stored in ``net.init_spec``.

    Returns
    -------
    MLP
        ``net``.
    """
    if net.batch_shape != ():
        raise ValueError(f"draw takes a single network (no replica axes); net has replica axes {net.batch_shape}")
    init = recipe_of(net) if init is None else init
    scheme = "he" if init.weights == "rai" else init.weights  # rai: the output layer keeps He weights
    net.theta[...] = init_params(net.sizes, rng, scheme, init.std, net.dtype)
    if net.mask is not None:
        net.theta *= net.mask  # masked connections start (and stay) at zero
    if init.weights == "rai":
        draw_rai(net, rng.spawn(1)[0])
    elif init.biases == "data":
        if X is None:
            raise ValueError("bias_init='data' places the kinks at training points: pass X")
        place_kinks_at_data(net, X, rng.spawn(1)[0])
    elif init.biases == "normal":
        draw_normal_biases(net, rng.spawn(1)[0], init.bias_std)
    elif init.biases == "uniform":
        draw_uniform_biases(net, rng.spawn(1)[0])
    net.init_spec = init
    return net


def build(sizes, activation="tanh", output_activation="identity", *, init: Init | None = None,
          rng: np.random.Generator | None = None, X=None, mask=None, slope: float = 0.01,
          dtype=np.float64) -> MLP:
    """A new single network drawn by ``init`` (default: the activation's) from ``rng``.

    The job builds every run's first network here; :func:`fresh` draws its restarts and stages.
    """
    net = MLP(sizes, activation, output_activation, slope=slope, dtype=dtype, mask=mask,
              _theta=np.zeros(param_count(sizes), dtype=np.dtype(dtype)))
    init = Init.default(net.activation_name) if init is None else init
    return draw(net, np.random.default_rng(0) if rng is None else rng, X, init)


def fresh(net, rng: np.random.Generator, X=None, *, weights: str | None = None, sizes=None) -> MLP:
    """A fresh network like ``net``: same sizes, activation, mask and recipe, new parameters from ``rng``.

    Parameters
    ----------
    net : MLP
        A single network (its ``init_spec`` and ``mask`` are kept).
    rng : np.random.Generator
    X : array, shape ``(N, d)``, optional
        Training inputs (``biases="data"``).
    weights : str, optional
        Another weight scheme (an explicit ``trainer.init``); the rest of the recipe is kept.
    sizes : list of int, optional
        Other layer sizes (width continuation); refused for a masked network, whose mask
        belongs to its own sizes.
    """
    if net.batch_shape != ():
        raise ValueError(f"fresh takes a single network (no replica axes); net has replica axes {net.batch_shape}")
    init = recipe_of(net)
    if weights is not None and weights != init.weights:
        init = Init(weights=weights, std=init.std, biases=None if weights == "rai" else (init.biases or "zero"),
                    bias_std=init.bias_std)
    if sizes is not None and list(sizes) != net.sizes:
        if net.mask is not None:
            raise ValueError(f"sizes={list(sizes)} differ from the masked network's sizes {net.sizes}: its mask "
                             "(e.g. a tree) does not carry over to other sizes")
        out = MLP(sizes, net.activation_name, net.output_activation_name, slope=net.slope, dtype=net.dtype,
                  _theta=np.zeros(param_count(sizes), dtype=net.dtype))
    else:
        out = net.with_theta(np.zeros_like(net.theta))
    return draw(out, rng, X, init)
