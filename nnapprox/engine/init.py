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

from nnapprox.base.options import Choice, Float, Option
from nnapprox.engine.activations import get_activation
from nnapprox.engine.params import param_count, unpack
from nnapprox.engine.passes import affine

__all__ = [
    "Init",
    "recipe_of",
    "INIT_SCHEMES",
    "WEIGHT_SCHEMES",
    "BIAS_SCHEMES",
    "INIT_OPTIONS",
    "draw",
    "draw_uniform_biases",
    "default_init",
    "default_bias_init",
    "init_params",
    "draw_rai",
    "RAI_SIGMA",
    "place_kinks_at_data",
    "draw_normal_biases",
]

INIT_SCHEMES = ("xavier", "glorot", "he", "normal", "uniform")

#: Weight schemes: :data:`INIT_SCHEMES` and ``rai`` (randomized asymmetric).
WEIGHT_SCHEMES = INIT_SCHEMES + ("rai",)
#: Hidden-bias schemes (``None`` with ``rai``, which draws the biases itself).
BIAS_SCHEMES = ("zero", "normal", "data", "uniform")

#: The initialisation options, declared once: ``MLP(...)``, the config's ``model.*`` keys, ``--list`` and the
#: job all resolve them here (``None``: the activation family's default, :func:`default_init` and
#: :func:`default_bias_init`).
INIT_OPTIONS = (
    Option(
        "init",
        None,
        Choice(WEIGHT_SCHEMES, "schemes"),
        "weight initialisation (none: He for the ReLU family, Xavier otherwise; uniform: U(±1/sqrt(fan_in)), "
        "PyTorch's default; rai: randomized asymmetric, "
        "Lu et al. 2020, weights and biases)",
    ),
    Option("init_std", 1.0, Float(gt=0), "standard deviation of init=normal"),
    Option(
        "bias_init",
        None,
        Choice(BIAS_SCHEMES, "bias initialisations"),
        "hidden biases: zero, data (each unit's kink at a random training point), normal, or uniform "
        "(U(±1/sqrt(fan_in)), PyTorch's default) (none: normal for the ReLU family, zero otherwise)",
    ),
    Option("bias_std", 0.5, Float(gt=0), "standard deviation of bias_init=normal"),
)
_DEFAULT = {o.name: o.default for o in INIT_OPTIONS}


@dataclass(frozen=True)
class Init:
    """A recipe for a network's initial parameters.

    Attributes
    ----------
    weights : str
        One of :data:`WEIGHT_SCHEMES` (``rai``: He weights, then the hidden layers' weights
        and biases by :func:`nnapprox.engine.network.draw_rai`).
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
    std: float = _DEFAULT["init_std"]
    biases: str | None = "zero"
    bias_std: float = _DEFAULT["bias_std"]

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
    def default(cls, activation: str) -> Init:
        """He for the ReLU family and N(0, 0.5²) hidden biases there; Xavier and zero biases otherwise."""
        return cls.resolve(activation)

    @classmethod
    def resolve(
        cls,
        activation: str,
        init: str | None = None,
        init_std: float | None = None,
        bias_init: str | None = None,
        bias_std: float | None = None,
    ) -> Init:
        """The recipe of the :data:`INIT_OPTIONS` values given (``None``: declared default or the activation's).

        Parameters
        ----------
        activation : str
            The hidden activation; its family chooses the defaults of ``init`` and ``bias_init``.
        init, init_std, bias_init, bias_std : optional
            As the ``model.*`` keys of the same names; ``bias_init`` is not used with ``init="rai"``.
        """
        weights = default_init(activation) if init is None else init
        if weights == "rai":
            biases = None
        else:
            biases = default_bias_init(activation) if bias_init is None else bias_init
        return cls(
            weights=weights,
            std=_DEFAULT["init_std"] if init_std is None else init_std,
            biases=biases,
            bias_std=_DEFAULT["bias_std"] if bias_std is None else bias_std,
        )


def recipe_of(net) -> Init:
    """The recipe ``net`` was drawn with (the activation's default when it was given as numbers)."""
    return net.init_spec if net.init_spec is not None else Init.default(net.activation_name)


def draw_uniform_biases(net, rng: np.random.Generator):
    """Hidden biases U(±1/sqrt(fan_in)) (PyTorch's ``nn.Linear`` default; in place; the output bias stays 0)."""
    for W, b in zip(net.weights[:-1], net.biases[:-1], strict=True):
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


def default_init(activation: str) -> str:
    """He for the ReLU family, Xavier (Glorot) otherwise (the activation's declared ``family``)."""
    return "he" if get_activation(activation).family == "relu" else "xavier"


def default_bias_init(activation: str) -> str:
    """``normal`` for the ReLU family, ``zero`` otherwise.

    With zero biases every ReLU kink passes through the origin: on data centred there the units
    start as a fan of half-planes through one point, and L-BFGS on the activations study's grid
    ended up to 1.8x worse than scikit-learn's MLPRegressor (whose biases start uniform like its
    weights). Biases N(0, 0.5²) spread the kinks over the data (``results/bench/sklearn_reference.md``).
    Smooth units need no offset to be generic: their biases start at zero.
    """
    return "normal" if get_activation(activation).family == "relu" else "zero"


def init_params(sizes, rng: np.random.Generator, scheme: str = "xavier", std: float = 1.0, dtype=np.float64):
    """Draw one network's parameters as a flat vector of shape ``(P,)``.

    Schemes (biases start at zero):

    * ``xavier`` / ``glorot``: W ~ U(−a, a), a = sqrt(6 / (n_{l−1} + n_l)).
    * ``he``: W ~ N(0, 2 / n_{l−1}).
    * ``normal``: W ~ N(0, std²).
    * ``uniform``: W ~ U(−a, a), a = 1 / sqrt(n_{l−1}) (PyTorch's ``nn.Linear`` default).
    """
    if scheme not in INIT_SCHEMES:
        raise ValueError(f"init={scheme!r} is not known; valid schemes: {', '.join(INIT_SCHEMES)}")
    theta = np.zeros(param_count(sizes), dtype=dtype)
    weights, _ = unpack(theta, sizes)
    for l, W in enumerate(weights, start=1):
        fan_in, fan_out = sizes[l - 1], sizes[l]
        if scheme in ("xavier", "glorot"):
            a = np.sqrt(6.0 / (fan_in + fan_out))
            W[...] = rng.uniform(-a, a, size=W.shape)
        elif scheme == "he":
            W[...] = rng.normal(0.0, np.sqrt(2.0 / fan_in), size=W.shape)
        elif scheme == "uniform":
            a = 1.0 / np.sqrt(fan_in)
            W[...] = rng.uniform(-a, a, size=W.shape)
        else:
            W[...] = rng.normal(0.0, std, size=W.shape)
    return theta


#: Standard deviation (times fan_in^(-1/2)) of the randomized asymmetric initialization.
RAI_SIGMA = 0.6007


def draw_rai(net, rng: np.random.Generator):
    """Randomized asymmetric initialization of the hidden layers (Lu, Shin, Su & Karniadakis 2020).

    For every hidden unit, its weights and bias (fan_in + 1 numbers) are drawn
    N(0, σ² / fan_in) with σ = 0.6007, and one of them, chosen uniformly, is replaced by a draw
    from Beta(2, 1) (positive): each unit starts with a positive push along one input (or its
    bias), which keeps a narrow deep ReLU network from starting dead. The output layer keeps
    its initial weights and a zero bias. In place; a single network.
    """
    if net.batch_shape != ():
        raise ValueError("draw_rai takes a single network (no replica axes)")
    for W, b in zip(net.weights[:-1], net.biases[:-1], strict=True):
        n_out, fan_in = W.shape
        V = rng.normal(0.0, RAI_SIGMA / np.sqrt(fan_in), size=(n_out, fan_in + 1))
        k = rng.integers(0, fan_in + 1, size=n_out)
        V[np.arange(n_out), k] = rng.beta(2.0, 1.0, size=n_out)
        W[...] = V[:, :fan_in]
        b[...] = V[:, fan_in]
    if net.mask is not None:
        net.theta *= net.mask
    return net


def place_kinks_at_data(net, X, rng: np.random.Generator):
    """Data-dependent biases: put each hidden unit's kink (z = 0) at a random training point.

    Layer by layer, unit j of layer l gets ``b_j = −W_j · a^{l−1}(x_r)`` for a random sample
    ``x_r``, so every unit is active on part of the data. With zero biases and inputs in
    [0, 1]^d, a ReLU unit whose weights are all negative starts (and stays) dead; this
    initialisation avoids that. Weights are left unchanged; the network is modified in place.

    Parameters
    ----------
    net : MLP (no replica axes)
    X : array, shape ``(N, d)``
    rng : np.random.Generator
    """
    if net.batch_shape != ():
        raise ValueError("place_kinks_at_data takes a single network (no replica axes)")
    X, _ = net.check_data(X)
    A = X.astype(net.dtype, copy=False)
    for l in range(len(net.weights) - 1):
        pts = A[rng.integers(0, A.shape[0], size=net.sizes[l + 1])]  # (n_l, n_{l-1})
        net.biases[l][...] = -np.einsum("ij,ij->i", net.weights[l], pts)
        A = net.act.value(affine(A, net.weights[l], net.biases[l]))
    return net


def draw_normal_biases(net, rng: np.random.Generator, std: float):
    """Hidden biases drawn i.i.d. N(0, std²) (in place; the output bias stays 0).

    Keeps every hidden pre-activation off the ReLU kink z = 0 with probability one (with zero
    biases a unit whose inputs are all zero sits exactly on it), as the gradient check needs.
    """
    for b in net.biases[:-1]:
        b[...] = rng.normal(0.0, std, size=b.shape)
    return net
