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

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from nnapprox.engine import fastpath
from nnapprox.engine.activations import DEFAULT_LEAKY_SLOPE, get_activation
from nnapprox.engine.init import Init, draw, recipe_of
from nnapprox.engine.inputs import cast, check_inputs, check_param_bytes, check_sizes
from nnapprox.engine.losses import Loss, get_loss
from nnapprox.engine.params import ParamViews, check_mask, pack, param_count, unpack, write_params
from nnapprox.engine.passes import affine, backward, forward

__all__ = ["MLP", "Grads", "build", "fresh"]


# ---------------------------------------------------------------------------
# flat parameter vector
# ---------------------------------------------------------------------------


# ---------------------------------------------------------------------------
# initialisation
# ---------------------------------------------------------------------------


# ---------------------------------------------------------------------------
# the reference forward and backward passes
# ---------------------------------------------------------------------------


# ---------------------------------------------------------------------------
# input checks
# ---------------------------------------------------------------------------


# ---------------------------------------------------------------------------
# the MLP object
# ---------------------------------------------------------------------------


def fixed_message(name: str) -> str:
    return (
        f"net.{name} is fixed when the network is built (the parameters' layout depends on it); build a new "
        f"network: MLP(...) or MLP.from_params(...)"
    )


def fixed(name: str, doc: str) -> property:
    """A read-only attribute of the architecture (stored as ``_<name>``); setting it raises AttributeError."""

    def get(self):
        return getattr(self, "_" + name)

    def refuse(self, value):
        raise AttributeError(fixed_message(name))

    return property(get, refuse, doc=doc)


@dataclass
class Grads:
    """Gradients in lecture shapes (views into the flat vector ``flat``)."""

    dW: list
    db: list
    flat: np.ndarray


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
    init : str or Init, optional
        ``xavier`` (``glorot``), ``he``, ``normal`` (with ``init_std``), ``uniform`` (PyTorch's default) or
        ``rai``; default He for the ReLU family and Xavier otherwise. An :class:`~nnapprox.engine.init.Init`
        gives the whole recipe.
    init_std : float, optional
        Standard deviation of the ``normal`` scheme (default 1).
    bias_init : str, optional
        Hidden biases: ``zero``, ``normal``, ``data`` (needs ``X``) or ``uniform``; default ``normal`` for the
        ReLU family (N(0, 0.5²): the kinks spread over the data) and ``zero`` otherwise. These defaults
        are the declarations :data:`nnapprox.engine.init.INIT_OPTIONS`, which the CLI's ``model.*`` keys share.
    bias_std : float, optional
        Standard deviation of ``bias_init="normal"`` (default 0.5).
    X : array, shape ``(N, d)``, optional
        Training inputs, for ``bias_init="data"``.
    slope : float
        Negative slope of ``leaky_relu``.
    dtype : numpy dtype
        ``float64`` (default) or ``float32``.

    Attributes
    ----------
    theta : array, shape ``batch + (P,)``
        All parameters, flat. ``weights`` and ``biases`` are views into it. ``net.theta = v`` copies ``v`` in
        (its size checked); ``net.weights[l] = W`` and ``net.biases[l] = b`` copy into the layer (shape checked).
    weights, biases : lists in lecture shapes ``(n_l, n_{l-1})`` and ``(n_l,)`` (plus batch axes).
    sizes, activation_name, output_activation_name, slope : the architecture, fixed when the network is
        built (setting them raises AttributeError).
    mask : array ``(P,)`` or None
        Connections a structure (e.g. a tree) leaves out: 0 in ``theta``, always.

    A network pickles (and deep-copies) as its architecture, ``theta``, mask and recipe.
    """

    def __init__(
        self,
        sizes,
        activation="tanh",
        output_activation="identity",
        *,
        rng=None,
        init=None,
        init_std=None,
        bias_init=None,
        bias_std=None,
        X=None,
        slope=DEFAULT_LEAKY_SLOPE,
        dtype=np.float64,
        mask=None,
        _theta=None,
    ):
        self._sizes = tuple(check_sizes(sizes))
        self._activation_name = str(activation)
        self._output_activation_name = str(output_activation)
        self._slope = float(slope)
        self._act = get_activation(activation, slope=slope)
        self._out_act = get_activation(output_activation, slope=slope)
        dtype = np.dtype(dtype if _theta is None else _theta.dtype)
        if dtype not in (np.dtype(np.float64), np.dtype(np.float32)):
            raise ValueError(f"dtype={dtype} is not supported; use float64 or float32")
        P = param_count(self._sizes)
        self._mask = None
        #: How the parameters were drawn (an :class:`nnapprox.engine.init.Init`, or None for
        #: parameters given as numbers): restarts and boosting stages draw theirs the same way.
        self.init_spec = None
        if _theta is not None:
            if getattr(_theta, "ndim", 0) < 1 or _theta.shape[-1] != P:
                raise ValueError(
                    f"theta has shape {getattr(_theta, 'shape', None)}; sizes={self.sizes} need batch + ({P},)"
                )
            self._theta = _theta  # no copy: with_theta and replica share memory
        else:
            recipe = (
                init
                if isinstance(init, Init)
                else Init.resolve(self._activation_name, init, init_std, bias_init, bias_std)
            )
            if rng is None:
                rng = np.random.default_rng(0)
            rngs = (
                [rng] if isinstance(rng, np.random.Generator) else list(rng) if isinstance(rng, (list, tuple)) else None
            )
            if not rngs or not all(isinstance(r, np.random.Generator) for r in rngs):
                raise ValueError(
                    f"rng={rng!r} must be a np.random.Generator (np.random.default_rng(seed)) "
                    f"or a non-empty list of them (one per replica)"
                )
            check_param_bytes(self._sizes, P, dtype, len(rngs))
            masked = None if mask is None else check_mask(mask, P)
            thetas = []
            for r in rngs:  # replica r is drawn exactly as the network built alone from rng[r]
                single = MLP(
                    self._sizes,
                    activation,
                    output_activation,
                    slope=slope,
                    mask=masked,
                    _theta=np.zeros(P, dtype=dtype),
                )
                thetas.append(draw(single, r, X, recipe).theta)
            self._theta = thetas[0] if isinstance(rng, np.random.Generator) else np.stack(thetas)
            self.init_spec = recipe
        weights, biases = unpack(self._theta, self._sizes)
        self._weights = ParamViews("weights", weights)
        self._biases = ParamViews("biases", biases)
        if mask is not None:
            self.mask = mask

    # -- the parameters: one buffer, views into it ---------------------------
    @property
    def theta(self):
        """All parameters, flat (``batch + (P,)``); :attr:`weights` and :attr:`biases` are views into it.

        ``net.theta = v`` copies ``v`` into this buffer (the views see it): ``v`` must have ``theta``'s shape
        (or be flat with its size), be finite and keep masked connections at zero; otherwise ValueError.
        In-place writes (``net.theta[...] = v``, an optimizer's step) are not checked.
        """
        return self._theta

    @theta.setter
    def theta(self, value):
        if value is self._theta:  # an in-place operator (net.theta *= s) has already written the buffer
            if self._mask is not None and np.any(self._theta[..., self._mask == 0] != 0):
                self._theta[...] *= self._mask
                raise ValueError(
                    "theta: the operation set connections the network's mask leaves out "
                    "(model.structure); they were reset to 0"
                )
            return
        value = np.asarray(value)
        shape = self._theta.shape
        if value.shape != shape and not (value.ndim == 1 and value.size == self._theta.size):
            raise ValueError(
                f"theta must have shape {shape} ({self.n_params} parameters"
                f"{' per replica' if self.batch_shape else ''}); got shape {value.shape}"
            )
        write_params(self._theta, value.reshape(shape), "theta", self._mask)

    @property
    def weights(self):
        """``weights[l]``: views ``batch + (n_l, n_{l-1})`` into :attr:`theta`; ``net.weights[l] = W`` copies
        ``W`` in (same shape, finite, masked connections zero; otherwise ValueError)."""
        return self._weights

    @weights.setter
    def weights(self, values):
        self._weights.assign_all(values)

    @property
    def biases(self):
        """``biases[l]``: views ``batch + (n_l,)`` into :attr:`theta`; ``net.biases[l] = b`` copies ``b`` in."""
        return self._biases

    @biases.setter
    def biases(self, values):
        self._biases.assign_all(values)

    @property
    def mask(self):
        """0/1 per parameter (``(P,)``, in ``theta``'s layout) or None: connections left out (e.g. a tree) are 0 in
        ``theta`` and get no gradient. Setting it checks that those entries of ``theta`` are 0."""
        return self._mask

    @mask.setter
    def mask(self, mask):
        if mask is None:
            self._mask = None
            self._weights.masks = self._biases.masks = None
            return
        mask = check_mask(mask, self.n_params).astype(self._theta.dtype)
        if np.any(self._theta[..., mask == 0] != 0):
            raise ValueError("mask leaves out connections whose parameters are not 0; a masked network keeps them at 0")
        self._mask = mask
        self._weights.masks, self._biases.masks = unpack(mask, self._sizes)

    @property
    def sizes(self) -> list:
        """Layer sizes ``[d, n1, ..., out]`` (a copy: the architecture is fixed when the network is built)."""
        return list(self._sizes)

    @sizes.setter
    def sizes(self, value):
        raise AttributeError(fixed_message("sizes"))

    activation_name = fixed("activation_name", "The hidden activation's name.")
    output_activation_name = fixed("output_activation_name", "The output activation's name.")
    slope = fixed("slope", "Negative slope of leaky_relu.")
    act = fixed("act", "The hidden :class:`~nnapprox.engine.activations.Activation`.")
    out_act = fixed("out_act", "The output :class:`~nnapprox.engine.activations.Activation`.")

    def __getstate__(self):
        """Pickles as its architecture, ``theta``, mask and recipe (the views are rebuilt on loading)."""
        return {
            "sizes": list(self._sizes),
            "activation": self._activation_name,
            "output_activation": self._output_activation_name,
            "slope": self._slope,
            "theta": self._theta,
            "mask": self._mask,
            "init_spec": self.init_spec,
        }

    def __setstate__(self, state):
        MLP.__init__(
            self,
            state["sizes"],
            state["activation"],
            state["output_activation"],
            slope=state["slope"],
            mask=state["mask"],
            _theta=state["theta"],
        )
        self.init_spec = state["init_spec"]

    # -- construction ------------------------------------------------------
    @classmethod
    def from_params(
        cls, weights, biases, activation="tanh", output_activation="identity", *, slope=DEFAULT_LEAKY_SLOPE, dtype=None
    ):
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
        for l, (W, b) in enumerate(zip(weights, biases, strict=True)):
            if W.ndim < 2 or W.shape[-1] != sizes[-1] or W.shape[:-2] != batch:
                raise ValueError(f"weights[{l}] has shape {W.shape}; expected batch {batch} + (n_{l + 1}, {sizes[-1]})")
            if b.shape != batch + (W.shape[-2],):
                raise ValueError(f"biases[{l}] has shape {b.shape}; expected {batch + (W.shape[-2],)}")
            sizes.append(W.shape[-2])
        for l, (W, b) in enumerate(zip(weights, biases, strict=True)):
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
    def stack(cls, nets: Sequence[MLP]) -> MLP:
        """Stack single networks of one architecture into a replica batch."""
        nets = list(nets)
        if not nets:
            raise ValueError("nets must be a non-empty sequence of MLPs of one architecture")
        first = nets[0]
        for k, net in enumerate(nets):
            if net.sizes != first.sizes or net.batch_shape != ():
                raise ValueError(f"nets[{k}] has sizes {net.sizes}; all must be single nets of sizes {first.sizes}")
        return first.with_theta(np.stack([n.theta for n in nets]))

    def copy(self) -> MLP:
        """A deep copy."""
        return self.with_theta(self.theta.copy())

    def with_theta(self, theta) -> MLP:
        """A network of the same architecture (mask and initialisation recipe too) on the given flat
        parameters (no copy)."""
        out = MLP(
            self.sizes,
            self.activation_name,
            self.output_activation_name,
            slope=self.slope,
            dtype=theta.dtype,
            mask=self.mask,
            _theta=theta,
        )
        out.init_spec = self.init_spec
        return out

    def replica(self, r: int) -> MLP:
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
        return (
            f"MLP(sizes={self.sizes}, activation={self.activation_name!r}, "
            f"output_activation={self.output_activation_name!r}{rep})"
        )

    # -- computation -------------------------------------------------------
    def check_data(self, X, y=None):
        """``(X, y)`` checked against this network (:func:`nnapprox.engine.inputs.check_inputs`): ValueError naming
        the argument."""
        return check_inputs(X, y, d=self.sizes[0], n_out=self.sizes[-1], batch=self.batch_shape)

    def cast(self, A, name: str = "X"):
        """``A`` in the network's dtype; ValueError if a value does not fit (overflows to inf)."""
        return cast(A, self.dtype, name)

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
            X, _ = self.check_data(X)
            X = self.cast(X)
        X = X.astype(self.dtype, copy=False)
        if fastpath.applies(self, X):  # NumPy: blocked and threaded (nnapprox.engine.fastpath)
            out = fastpath.forward(self, X)
            if out is not None:
                return out
        A = X
        L = len(self.weights)
        for l in range(L):
            Z = affine(A, self.weights[l], self.biases[l])
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
        loss : ``"mse"`` or ``"logistic"`` (see :mod:`nnapprox.engine.losses` for the conventions)

        Returns
        -------
        loss : float or array of shape ``batch``
        grads : Grads
            ``grads.dW[l]`` and ``grads.db[l]`` in the shapes of ``weights[l]`` and
            ``biases[l]``; ``grads.flat`` the same numbers in ``theta``'s layout.
        """
        if check:
            X, y = self.check_data(X, y)
            X, y = self.cast(X, "X"), self.cast(y, "y")
        value, flat = self.flat_loss_and_grad(X, y, get_loss(loss))
        dW, db = unpack(flat, self.sizes)
        return value, Grads(dW, db, flat)

    def flat_loss_and_grad(self, X, y, loss: Loss):
        """Unchecked loss (shape ``batch``) and flat gradient (shape ``theta.shape``).

        The hot path of every trainer. NumPy arrays go to the blocked, threaded
        :func:`nnapprox.engine.fastpath.loss_and_grad`; other array types (and replica
        layouts it does not take) to :meth:`reference_flat_loss_and_grad`, the
        lecture's whole-batch :func:`forward` and :func:`backward`. Both give the same
        numbers up to floating-point reassociation.
        """
        self.check_loss(loss)
        X = X.astype(self.dtype, copy=False)
        if fastpath.applies(self, X):
            res = fastpath.loss_and_grad(self, X, y, loss)
            if res is not None:
                if self.mask is not None:
                    res[1][...] *= self.mask  # no gradient for a connection the structure leaves out
                return res
        return self.reference_flat_loss_and_grad(X, y, loss)

    def check_loss(self, loss: Loss):
        """ValueError if ``loss`` cannot be computed from this network's output activation."""
        if loss.on_logits and self.output_activation_name not in ("sigmoid", "identity"):
            raise ValueError(
                f"loss={loss.name!r} needs output_activation 'sigmoid' or 'identity' (logits); "
                f"got {self.output_activation_name!r}"
            )

    def reference_flat_loss_and_grad(self, X, y, loss: Loss):
        """:meth:`flat_loss_and_grad` by the reference :func:`forward` and :func:`backward`."""
        self.check_loss(loss)
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
        value, flat = self.flat_loss_and_grad(X, y, get_loss(loss))
        return float(np.sum(value)), flat.reshape(theta.shape)


def build(
    sizes,
    activation="tanh",
    output_activation="identity",
    *,
    init: Init | None = None,
    rng: np.random.Generator | None = None,
    X=None,
    mask=None,
    slope: float = 0.01,
    dtype=np.float64,
) -> MLP:
    """A new single network drawn by ``init`` (default: the activation's) from ``rng``.

    The job builds every run's first network here; :func:`fresh` draws its restarts and stages.
    """
    net = MLP(
        sizes,
        activation,
        output_activation,
        slope=slope,
        dtype=dtype,
        mask=mask,
        _theta=np.zeros(param_count(sizes), dtype=np.dtype(dtype)),
    )
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
        init = Init(
            weights=weights,
            std=init.std,
            biases=None if weights == "rai" else (init.biases or "zero"),
            bias_std=init.bias_std,
        )
    if sizes is not None and list(sizes) != net.sizes:
        if net.mask is not None:
            raise ValueError(
                f"sizes={list(sizes)} differ from the masked network's sizes {net.sizes}: its mask "
                "(e.g. a tree) does not carry over to other sizes"
            )
        out = MLP(
            sizes,
            net.activation_name,
            net.output_activation_name,
            slope=net.slope,
            dtype=net.dtype,
            _theta=np.zeros(param_count(sizes), dtype=net.dtype),
        )
    else:
        out = net.with_theta(np.zeros_like(net.theta))
    return draw(out, rng, X, init)
