"""A multilayer perceptron with forward and backward passes written out by hand.

Notation (the backprop lecture's)
---------------------------------
Layer l = 1..L maps a^{l−1} ∈ R^{n_{l−1}} to a^l ∈ R^{n_l}::

    z^l = W^l a^{l−1} + b^l,      a^l = σ(z^l)           (forward)
    dz^l = da^l * σ'(z^l)                                  (backward)
    dW^l = dz^l (a^{l−1})^T,  db^l = dz^l,  da^{l−1} = (W^l)^T dz^l

with ``W[l]`` of shape ``(n_l, n_{l-1})`` and ``b[l]`` of shape ``(n_l,)``.
Public arrays put samples in rows, like NumPy and scikit-learn: ``X`` is ``(N, d)``.
The code therefore computes all N columns of the lecture at once as
``Z = A @ W.T + b`` (rows of ``Z`` are the z's of the samples), and in the backward
pass ``dW = dZ.T @ A_prev`` (the sum over samples of the outer products),
``db = dZ.sum(axis=0)`` and ``dA_prev = dZ @ W``. Loops run over layers only.

Replicas
--------
Every array may carry leading batch axes: ``W[l]`` of shape ``(R, n_l, n_{l-1})``
holds R independent networks, and ``np.matmul`` broadcasting runs them in one pass.
``X`` may be shared, ``(N, d)``, or per replica, ``(R, N, d)``. The loss then has
shape ``(R,)`` and each replica's gradient is that of its own loss. R = 1 (no
batch axis) is the plain case and takes the same code path.

Parameters live in one flat buffer ``theta`` (shape ``batch + (P,)``, order
W1, b1, W2, b2, ..., each weight matrix row-major); ``weights`` and ``biases`` are
views into it, so optimizers update ``theta`` in place and L-BFGS and the
gradient check work on the same vector.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np

from . import fastpath
from .activations import DEFAULT_LEAKY_SLOPE, Activation, array_module, get_activation
from .losses import Loss, get_loss

__all__ = ["default_bias_init", "tree_sizes", "tree_mask", "draw_rai", "RAI_SIGMA", 
    "MLP",
    "Grads",
    "forward",
    "backward",
    "pack",
    "unpack",
    "param_count",
    "init_params",
    "INIT_SCHEMES",
    "check_inputs",
]

INIT_SCHEMES = ("xavier", "glorot", "he", "normal", "uniform")


# ---------------------------------------------------------------------------
# flat parameter vector
# ---------------------------------------------------------------------------

def param_count(sizes: Sequence[int]) -> int:
    """Number of parameters of an MLP with layer sizes ``[d, n1, ..., out]``."""
    return int(sum(sizes[l] * sizes[l - 1] + sizes[l] for l in range(1, len(sizes))))


def unpack(theta, sizes: Sequence[int]):
    """Views ``(weights, biases)`` into a flat parameter array.

    Parameters
    ----------
    theta : array, shape ``batch + (P,)``
    sizes : sequence of int, ``[d, n1, ..., out]``

    Returns
    -------
    weights : list of arrays, ``weights[l]`` of shape ``batch + (n_l, n_{l-1})``
    biases : list of arrays, ``biases[l]`` of shape ``batch + (n_l,)``
        Views: writing to them writes to ``theta``.
    """
    batch = theta.shape[:-1]
    if theta.shape[-1] != param_count(sizes):
        raise ValueError(
            f"theta has {theta.shape[-1]} parameters in its last axis; sizes={list(sizes)} need {param_count(sizes)}"
        )
    weights, biases, off = [], [], 0
    for l in range(1, len(sizes)):
        n, m = sizes[l], sizes[l - 1]
        weights.append(theta[..., off:off + n * m].reshape(batch + (n, m)))
        off += n * m
        biases.append(theta[..., off:off + n])
        off += n
    return weights, biases


def pack(weights, biases, out=None):
    """Concatenate weights and biases into one flat array of shape ``batch + (P,)``."""
    xp = array_module(weights[0])
    batch = weights[0].shape[:-2]
    parts = []
    for W, b in zip(weights, biases):
        parts.append(W.reshape(batch + (-1,)))
        parts.append(b.reshape(batch + (-1,)))
    flat = xp.concatenate(parts, axis=-1)
    if out is not None:
        out[...] = flat
        return out
    return flat


# ---------------------------------------------------------------------------
# initialisation
# ---------------------------------------------------------------------------

def default_init(activation: str) -> str:
    """He for the ReLU family, Xavier (Glorot) otherwise."""
    return "he" if activation in ("relu", "leaky_relu") else "xavier"


def default_bias_init(activation: str) -> str:
    """``normal`` for the ReLU family, ``zero`` otherwise.

    With zero biases every ReLU kink passes through the origin: on data centred there the units
    start as a fan of half-planes through one point, and L-BFGS on the activations study's grid
    ended up to 1.8x worse than scikit-learn's MLPRegressor (whose biases start uniform like its
    weights). Biases N(0, 0.5²) spread the kinks over the data (``results/bench/sklearn_reference.md``).
    Smooth units need no offset to be generic: their biases start at zero.
    """
    return "normal" if activation in ("relu", "leaky_relu") else "zero"


def init_params(sizes, rng: np.random.Generator, scheme: str = "xavier", std: float = 1.0,
                dtype=np.float64):
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


# ---------------------------------------------------------------------------
# the reference forward and backward passes
# ---------------------------------------------------------------------------

def _affine(A, W, b):
    """Z = A @ W.T + b for every sample row of A (broadcasting over batch axes).

    With a single input unit (n_{l-1} = 1) the product is an outer product, which
    runs faster by broadcasting than through matmul.
    """
    xp = array_module(W)
    Wt = xp.swapaxes(W, -1, -2)
    if W.shape[-1] == 1:
        Z = A * Wt
    else:
        Z = A @ Wt
    Z += b[..., None, :]
    return Z


def forward(weights, biases, X, act: Activation, out_act: Activation):
    """Forward pass keeping every layer's z and a for the backward pass.

    Parameters
    ----------
    weights, biases : lists of arrays, shapes ``batch + (n_l, n_{l-1})`` and ``batch + (n_l,)``
    X : array, shape ``(N, d)`` or ``batch + (N, d)``
    act, out_act : Activation
        Hidden and output activations.

    Returns
    -------
    zs, as_ : lists of length L+1
        ``as_[0] = X``; ``zs[l]``, ``as_[l]`` of shape ``batch + (N, n_l)``
        (``zs[0]`` is None).
    """
    L = len(weights)
    zs, as_ = [None], [X]
    for l in range(L):
        Z = _affine(as_[-1], weights[l], biases[l])
        sigma = out_act if l == L - 1 else act
        zs.append(Z)
        as_.append(sigma.value(Z))
    return zs, as_


def backward(weights, zs, as_, dout, act: Activation, out_act: Activation,
             dout_is_dz: bool = False):
    """Backward pass: gradients of the loss w.r.t. every W and b.

    Parameters
    ----------
    weights : list of arrays, ``batch + (n_l, n_{l-1})``
    zs, as_ : the caches returned by :func:`forward`
    dout : array, ``batch + (N, n_L)``
        ∂L/∂a^L (or ∂L/∂z^L when ``dout_is_dz``, as for the logistic loss on logits).
    act, out_act : Activation

    Returns
    -------
    dWs, dbs : lists shaped like the weights and biases (summed over samples,
        one gradient per replica).
    """
    xp = array_module(dout)
    L = len(weights)
    dWs, dbs = [None] * L, [None] * L
    dz = dout if dout_is_dz else dout * out_act.deriv(zs[L], as_[L])
    for l in range(L, 0, -1):
        A_prev = as_[l - 1]
        dz_t = xp.swapaxes(dz, -1, -2)  # batch + (n_l, N)
        if A_prev.shape[-1] == 1:
            dWs[l - 1] = (dz * A_prev).sum(axis=-2)[..., None]  # rank-1: broadcast, not matmul
        else:
            dWs[l - 1] = dz_t @ A_prev  # Σ_i dz_i a_i^T
        dbs[l - 1] = dz.sum(axis=-2)
        if l > 1:
            da = dz @ weights[l - 1]  # (W^l)^T dz^l for every sample row
            dz = da * act.deriv(zs[l - 1], as_[l - 1])
    return dWs, dbs


# ---------------------------------------------------------------------------
# input checks
# ---------------------------------------------------------------------------

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
    if X.ndim > 2 and X.shape[:-2] != batch[-(X.ndim - 2):]:
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
    if y.shape[-1:] != (n_out,) or y.shape[-2:-1] != X.shape[-2:-1] or (
            X.ndim > 2 and y.ndim > 2 and y.shape[:-2] != X.shape[:-2]):
        lead = X.shape[:-1]
        raise ValueError(
            f"y must have shape {lead} or {lead + (n_out,)} to match X of shape {X.shape}"
            + (" (per-replica X needs per-replica y)" if X.ndim > 2 else "") + f"; got shape {y.shape}"
        )
    if not np.all(np.isfinite(y)):
        raise ValueError("y contains NaN or inf; all targets must be finite")
    return X, y


# ---------------------------------------------------------------------------
# the MLP object
# ---------------------------------------------------------------------------

@dataclass
class Grads:
    """Gradients in lecture shapes (views into the flat vector ``flat``)."""

    dW: list
    db: list
    flat: np.ndarray


def _check_sizes(sizes) -> list[int]:
    """Layer sizes as Python ints; refuses anything that is not an integer (no rounding of 2.7, True, '8')."""
    import numbers

    try:
        sizes = list(sizes)
    except TypeError:
        raise ValueError(f"sizes must be a list of integers [d, n1, ..., out]; got {sizes!r}") from None
    for i, s in enumerate(sizes):
        if isinstance(s, bool) or not isinstance(s, numbers.Integral):
            raise ValueError(f"sizes[{i}]={s!r} must be an integer; sizes must be a list of integers "
                             f"[d, n1, ..., out]")
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


class MLP:
    """A fully connected network ``[d, n1, ..., nL, out]`` with hand-written backprop.

    Parameters
    ----------
    sizes : sequence of int
        Layer sizes, input first and output last, e.g. ``[d, 32, 32, 1]``.
    activation : str
        Hidden activation: ``sigmoid``, ``tanh``, ``relu``, ``leaky_relu``, ``identity``.
    output_activation : str
        ``identity`` (regression, default) or ``sigmoid`` (classification) or any other.
    rng : np.random.Generator or sequence of Generators, optional
        Source of the initial weights. A sequence of R generators builds R replicas
        (leading batch axis of size R); replica r equals the network built alone
        from ``rng[r]``. Default: ``np.random.default_rng(0)``.
    init : str, optional
        ``xavier`` (``glorot``), ``he``, ``normal`` (with ``init_std``) or ``uniform`` (PyTorch's default); default
        He for the ReLU family and Xavier otherwise.
    init_std : float
        Standard deviation of the ``normal`` scheme.
    slope : float
        Negative slope of ``leaky_relu``.
    dtype : numpy dtype
        ``float64`` (default) or ``float32``.

    Attributes
    ----------
    theta : array, shape ``batch + (P,)``
        All parameters, flat. ``weights`` and ``biases`` are views into it.
    weights, biases : lists in lecture shapes ``(n_l, n_{l-1})`` and ``(n_l,)`` (plus batch axes).
    """

    def __init__(self, sizes, activation="tanh", output_activation="identity", *, rng=None,
                 init=None, init_std=1.0, slope=DEFAULT_LEAKY_SLOPE, dtype=np.float64, mask=None, _theta=None):
        self.sizes = _check_sizes(sizes)
        self.activation_name = str(activation)
        self.output_activation_name = str(output_activation)
        self.slope = float(slope)
        self.act = get_activation(activation, slope=slope)
        self.out_act = get_activation(output_activation, slope=slope)
        dtype = np.dtype(dtype)
        if dtype not in (np.dtype(np.float64), np.dtype(np.float32)):
            raise ValueError(f"dtype={dtype} is not supported; use float64 or float32")
        #: How the parameters were drawn (an :class:`nnapprox.initialization.Init`, or None for
        #: parameters given as numbers): restarts and boosting stages draw theirs the same way.
        self.init_spec = None
        if _theta is not None:
            self.theta = _theta
        else:
            if init is None:
                init = default_init(self.activation_name)
            if isinstance(init_std, bool) or not isinstance(init_std, (int, float, np.floating, np.integer)) \
                    or not (np.isfinite(init_std) and init_std > 0):
                raise ValueError(f"init_std={init_std!r} must be > 0 and finite")
            if rng is None:
                rng = np.random.default_rng(0)
            if isinstance(rng, np.random.Generator):
                self.theta = init_params(self.sizes, rng, init, init_std, dtype)
            else:
                rngs = list(rng) if isinstance(rng, (list, tuple)) else None
                if not rngs or not all(isinstance(r, np.random.Generator) for r in rngs):
                    raise ValueError(f"rng={rng!r} must be a np.random.Generator (np.random.default_rng(seed)) "
                                     f"or a non-empty list of them (one per replica)")
                self.theta = np.stack([init_params(self.sizes, r, init, init_std, dtype) for r in rngs])
            from .initialization import Init

            self.init_spec = Init(weights=init, std=float(init_std), biases="zero")
        self.mask = None
        if mask is not None:
            mask = np.asarray(mask)
            if mask.shape != (self.theta.shape[-1],) or not np.isin(mask, (0, 1)).all():
                raise ValueError(f"mask must be 0/1 of shape ({self.theta.shape[-1]},) (one entry per parameter); "
                                 f"got shape {mask.shape}")
            self.mask = mask.astype(self.theta.dtype)
            if _theta is None:
                self.theta *= self.mask  # masked connections start (and stay) at zero
        self.weights, self.biases = unpack(self.theta, self.sizes)

    # -- construction ------------------------------------------------------
    @classmethod
    def from_params(cls, weights, biases, activation="tanh", output_activation="identity", *,
                    slope=DEFAULT_LEAKY_SLOPE, dtype=None):
        """Build an MLP from given weights and biases (copied) in lecture shapes.

        Parameters
        ----------
        weights : list of arrays, ``weights[l]`` of shape ``batch + (n_l, n_{l-1})``
        biases : list of arrays, ``biases[l]`` of shape ``batch + (n_l,)``
        """
        if len(weights) == 0 or len(weights) != len(biases):
            raise ValueError(
                f"weights and biases must be non-empty lists of equal length; got {len(weights)} and {len(biases)}"
            )
        weights = [np.asarray(W) for W in weights]
        biases = [np.asarray(b) for b in biases]
        batch = weights[0].shape[:-2]
        sizes = [weights[0].shape[-1]]
        for l, (W, b) in enumerate(zip(weights, biases)):
            if W.ndim < 2 or W.shape[-1] != sizes[-1] or W.shape[:-2] != batch:
                raise ValueError(
                    f"weights[{l}] has shape {W.shape}; expected batch {batch} + (n_{l + 1}, {sizes[-1]})"
                )
            if b.shape != batch + (W.shape[-2],):
                raise ValueError(f"biases[{l}] has shape {b.shape}; expected {batch + (W.shape[-2],)}")
            sizes.append(W.shape[-2])
        for l, (W, b) in enumerate(zip(weights, biases)):
            if W.dtype.kind not in "fiu" or b.dtype.kind not in "fiu":
                raise ValueError(f"weights[{l}] and biases[{l}] must be numeric arrays; got {W.dtype} and {b.dtype}")
            if not (np.all(np.isfinite(W)) and np.all(np.isfinite(b))):
                raise ValueError(f"weights[{l}] or biases[{l}] contain NaN or inf; parameters must be finite")
        if dtype is None:
            dtype = np.result_type(*weights, *biases, np.float32)
        theta = pack([W.astype(dtype) for W in weights], [b.astype(dtype) for b in biases])
        if not np.all(np.isfinite(theta)):
            raise ValueError(f"the parameters do not fit in {np.dtype(dtype)}: they overflow to inf")
        return cls(sizes, activation, output_activation, slope=slope, dtype=dtype, _theta=theta)

    @classmethod
    def stack(cls, nets: Sequence["MLP"]) -> "MLP":
        """Stack single networks of one architecture into a replica batch."""
        nets = list(nets)
        if not nets:
            raise ValueError("nets must be a non-empty sequence of MLPs of one architecture")
        first = nets[0]
        for k, net in enumerate(nets):
            if net.sizes != first.sizes or net.batch_shape != ():
                raise ValueError(f"nets[{k}] has sizes {net.sizes}; all must be single nets of sizes {first.sizes}")
        theta = np.stack([n.theta for n in nets])
        out = cls(first.sizes, first.activation_name, first.output_activation_name, slope=first.slope,
                  dtype=theta.dtype, mask=first.mask, _theta=theta)
        out.init_spec = first.init_spec
        return out

    def copy(self) -> "MLP":
        """A deep copy."""
        return self.with_theta(self.theta.copy())

    def with_theta(self, theta) -> "MLP":
        """A network of the same architecture (mask and initialisation recipe too) on the given flat
        parameters (no copy)."""
        out = MLP(self.sizes, self.activation_name, self.output_activation_name, slope=self.slope,
                  dtype=theta.dtype, mask=self.mask, _theta=theta)
        out.init_spec = self.init_spec
        return out

    def replica(self, r: int) -> "MLP":
        """Replica ``r`` as a single network sharing memory with this one."""
        if self.batch_shape == ():
            raise ValueError("this network has no replica axis")
        return self.with_theta(self.theta[r])

    # -- properties --------------------------------------------------------
    @property
    def batch_shape(self) -> tuple:
        """Leading replica axes of the parameters (``()`` for a single network)."""
        return self.theta.shape[:-1]

    @property
    def n_replicas(self) -> int:
        return int(np.prod(self.batch_shape)) if self.batch_shape else 1

    @property
    def n_params(self) -> int:
        """Parameters of one replica (the length of ``theta``'s last axis, masked ones included)."""
        return self.theta.shape[-1]

    @property
    def n_trainable(self) -> int:
        """Trainable parameters of one replica: those the mask keeps (all without a mask)."""
        return self.n_params if self.mask is None else int(self.mask.sum())

    @property
    def depth(self) -> int:
        """Number of hidden layers."""
        return len(self.sizes) - 2

    @property
    def dtype(self):
        return self.theta.dtype

    def __repr__(self) -> str:
        rep = f", replicas={self.batch_shape}" if self.batch_shape else ""
        return (f"MLP(sizes={self.sizes}, activation={self.activation_name!r}, "
                f"output_activation={self.output_activation_name!r}{rep})")

    # -- computation -------------------------------------------------------
    def _check(self, X, y=None):
        return check_inputs(X, y, d=self.sizes[0], n_out=self.sizes[-1], batch=self.batch_shape)

    def _cast(self, A, name: str = "X"):
        """``A`` in the network's dtype; ValueError if a value does not fit (overflows to inf)."""
        with np.errstate(over="ignore"):
            out = A.astype(self.dtype, copy=False)
        if out.dtype != A.dtype and not np.all(np.isfinite(out)):
            raise ValueError(f"{name} has values beyond the range of {self.dtype} (they overflow to inf)")
        return out

    def forward(self, X, check: bool = True):
        """Network output ``a^L``.

        Parameters
        ----------
        X : array, shape ``(N, d)`` or ``batch + (N, d)``

        Returns
        -------
        array, shape ``batch + (N, out)``
        """
        if check:
            X, _ = self._check(X)
            X = self._cast(X)
        X = X.astype(self.dtype, copy=False)
        if fastpath.applies(self, X):  # NumPy: blocked and threaded (nnapprox.fastpath)
            out = fastpath.forward(self, X)
            if out is not None:
                return out
        A = X
        L = len(self.weights)
        for l in range(L):
            Z = _affine(A, self.weights[l], self.biases[l])
            A = (self.out_act if l == L - 1 else self.act).value(Z, out=Z)
        return A

    __call__ = forward

    def predict(self, X):
        """Like :meth:`forward`, with the output axis dropped when ``out = 1``: ``batch + (N,)``."""
        out = self.forward(X)
        return out[..., 0] if self.sizes[-1] == 1 else out

    def loss_and_grad(self, X, y, loss="mse", check: bool = True):
        """Loss and its gradient with respect to every parameter.

        Parameters
        ----------
        X : array, ``(N, d)`` or ``batch + (N, d)``
        y : array, ``(N,)``, ``(N, out)`` or with batch axes
        loss : ``"mse"`` or ``"logistic"`` (see :mod:`nnapprox.losses` for the conventions)

        Returns
        -------
        loss : float or array of shape ``batch``
        grads : Grads
            ``grads.dW[l]`` and ``grads.db[l]`` in the shapes of ``weights[l]`` and
            ``biases[l]``; ``grads.flat`` the same numbers in ``theta``'s layout.
        """
        if check:
            X, y = self._check(X, y)
            X, y = self._cast(X, "X"), self._cast(y, "y")
        value, flat = self._loss_and_flat_grad(X, y, get_loss(loss))
        dW, db = unpack(flat, self.sizes)
        return value, Grads(dW, db, flat)

    def _loss_and_flat_grad(self, X, y, loss: Loss):
        """Unchecked loss (shape ``batch``) and flat gradient (shape ``theta.shape``).

        The hot path of every trainer. NumPy arrays go to the blocked, threaded
        :func:`nnapprox.fastpath.loss_and_grad`; other array types (and replica
        layouts it does not take) to :meth:`_reference_loss_and_flat_grad`, the
        lecture's whole-batch :func:`forward` and :func:`backward`. Both give the same
        numbers up to floating-point reassociation.
        """
        self._check_loss(loss)
        X = X.astype(self.dtype, copy=False)
        if fastpath.applies(self, X):
            res = fastpath.loss_and_grad(self, X, y, loss)
            if res is not None:
                if self.mask is not None:
                    res[1][...] *= self.mask  # no gradient for a connection the structure leaves out
                return res
        return self._reference_loss_and_flat_grad(X, y, loss)

    def _check_loss(self, loss: Loss):
        if loss.on_logits and self.output_activation_name not in ("sigmoid", "identity"):
            raise ValueError(
                f"loss={loss.name!r} needs output_activation 'sigmoid' or 'identity' (logits); "
                f"got {self.output_activation_name!r}"
            )

    def _reference_loss_and_flat_grad(self, X, y, loss: Loss):
        """:meth:`_loss_and_flat_grad` by the reference :func:`forward` and :func:`backward`."""
        self._check_loss(loss)
        X = X.astype(self.dtype, copy=False)
        zs, as_ = forward(self.weights, self.biases, X, self.act, self.out_act)
        L = len(self.weights)
        out = zs[L] if loss.on_logits else as_[L]
        value = loss.value(out, y)
        dout = loss.grad(out, y)
        dWs, dbs = backward(self.weights, zs, as_, dout, self.act, self.out_act, dout_is_dz=loss.on_logits)
        flat = np.empty_like(self.theta)
        gW, gb = unpack(flat, self.sizes)
        for l in range(L):
            gW[l][...] = dWs[l]
            gb[l][...] = dbs[l]
        if self.mask is not None:
            flat *= self.mask
        return value, flat

    def loss_and_grad_flat(self, theta, X, y, loss="mse"):
        """``(loss, grad)`` as a function of a flat parameter vector (for L-BFGS and gradcheck).

        Sets this network's parameters to ``theta`` (any shape holding ``theta.size``
        numbers) and returns the total loss (a float, summed over replicas) and the
        gradient in ``theta``'s shape.
        """
        theta = np.asarray(theta)
        self.theta[...] = theta.reshape(self.theta.shape)
        value, flat = self._loss_and_flat_grad(X, y, get_loss(loss))
        return float(np.sum(value)), flat.reshape(theta.shape)


def tree_sizes(d: int, width: int) -> list[int]:
    """Layer sizes of a binary-tree network on d = 2^L inputs with ``width`` units per node.

    Level l (1..L) has d / 2^l nodes; its hidden layer holds ``width`` units per node:
    ``[d, (d/2) w, (d/4) w, ..., w, 1]``.
    """
    if isinstance(d, bool) or int(d) != d or d < 2 or (int(d) & (int(d) - 1)):
        raise ValueError(f"d={d!r} is invalid for a tree network: d must be a power of 2 >= 2")
    if isinstance(width, bool) or int(width) != width or width < 1:
        raise ValueError(f"width={width!r} is invalid: an integer >= 1 (units per node)")
    d, w = int(d), int(width)
    sizes, nodes = [d], d
    while nodes > 1:
        nodes //= 2
        sizes.append(nodes * w)
    return sizes + [1]


def tree_mask(d: int, width: int) -> np.ndarray:
    """0/1 mask (flat, in ``theta``'s layout) of the binary-tree network of :func:`tree_sizes`.

    A node's units see only its two children: at level 1 two input coordinates, above it the
    units of the two child nodes. Biases and the output layer are unmasked. The network
    mirrors a binary-tree compositional function f = h(h(h(x1, x2), h(x3, x4)), ...)
    (Poggio, Mhaskar, Rosasco, Miranda & Liao 2017): each node computes a function of two
    numbers, the children's outputs being linear combinations of their units.
    """
    sizes = tree_sizes(d, width)
    theta = np.zeros(param_count(sizes))
    weights, biases = unpack(theta, sizes)
    w = int(width)
    for l in range(len(sizes) - 2):
        child = 1 if l == 0 else w  # inputs per child: one coordinate, or a child node's units
        for node in range(sizes[l + 1] // w):
            weights[l][node * w:(node + 1) * w, 2 * node * child:(2 * node + 2) * child] = 1.0
        biases[l][...] = 1.0
    weights[-1][...] = 1.0
    biases[-1][...] = 1.0
    return theta


#: Standard deviation (times fan_in^(-1/2)) of the randomized asymmetric initialization.
RAI_SIGMA = 0.6007


def draw_rai(net: MLP, rng: np.random.Generator) -> MLP:
    """Randomized asymmetric initialization of the hidden layers (Lu, Shin, Su & Karniadakis 2020).

    For every hidden unit, its weights and bias (fan_in + 1 numbers) are drawn
    N(0, σ² / fan_in) with σ = 0.6007, and one of them, chosen uniformly, is replaced by a draw
    from Beta(2, 1) (positive): each unit starts with a positive push along one input (or its
    bias), which keeps a narrow deep ReLU network from starting dead. The output layer keeps
    its initial weights and a zero bias. In place; a single network.
    """
    if net.batch_shape != ():
        raise ValueError("draw_rai takes a single network (no replica axes)")
    for W, b in zip(net.weights[:-1], net.biases[:-1]):
        n_out, fan_in = W.shape
        V = rng.normal(0.0, RAI_SIGMA / np.sqrt(fan_in), size=(n_out, fan_in + 1))
        k = rng.integers(0, fan_in + 1, size=n_out)
        V[np.arange(n_out), k] = rng.beta(2.0, 1.0, size=n_out)
        W[...] = V[:, :fan_in]
        b[...] = V[:, fan_in]
    if net.mask is not None:
        net.theta *= net.mask
    return net


def place_kinks_at_data(net: MLP, X, rng: np.random.Generator) -> MLP:
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
    X, _ = net._check(X)
    A = X.astype(net.dtype, copy=False)
    for l in range(len(net.weights) - 1):
        pts = A[rng.integers(0, A.shape[0], size=net.sizes[l + 1])]  # (n_l, n_{l-1})
        net.biases[l][...] = -np.einsum("ij,ij->i", net.weights[l], pts)
        A = net.act.value(_affine(A, net.weights[l], net.biases[l]))
    return net


def draw_normal_biases(net: MLP, rng: np.random.Generator, std: float) -> MLP:
    """Hidden biases drawn i.i.d. N(0, std²) (in place; the output bias stays 0).

    Keeps every hidden pre-activation off the ReLU kink z = 0 with probability one (with zero
    biases a unit whose inputs are all zero sits exactly on it), as the gradient check needs.
    """
    for b in net.biases[:-1]:
        b[...] = rng.normal(0.0, std, size=b.shape)
    return net
