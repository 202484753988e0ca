"""Hand-built networks as jobs: the constructions of :mod:`nnapprox.theory.constructions`.

A ``construct`` job builds its network from the target instead of training it, and is then
evaluated like any trained one. The construction fixes the architecture, so the config must
state it (``model.width``, ``model.depth``, ``activation``); a mismatch is refused before any
job runs:

=====================  ===================  =============================================
construction           target               network
=====================  ===================  =============================================
``staircase``          any d = 1 target     sigmoid ``[1, n, 1]``, n = model.width, steepness
                                            κ n / (hi − lo) (``kappa``)
``telgarsky``          ``sawtooth`` (k)     relu, width 2, depth k: Δ^k exactly
``shallow_sawtooth``   ``sawtooth`` (k)     relu ``[1, 2^k, 1]``, one unit per knot: Δ^k exactly
``yarotsky``           ``square``           relu, width 3, depth m = model.depth: sup error 2^(−2m−2)
=====================  ===================  =============================================
"""

from __future__ import annotations

import time

import numpy as np

from nnapprox.base.options import Choice, Float, Option
from nnapprox.theory.constructions import shallow_sawtooth, staircase, telgarsky_sawtooth, yarotsky_square
from nnapprox.trainers.common import History, Trainer

__all__ = ["train_construct", "CONSTRUCT", "CONSTRUCTIONS", "architecture", "build"]

CONSTRUCTIONS = ("staircase", "telgarsky", "shallow_sawtooth", "yarotsky")
_TARGET = {"telgarsky": "sawtooth", "shallow_sawtooth": "sawtooth", "yarotsky": "square"}


def _interval(target):
    dom = target.domain
    return (-dom.radius, dom.radius) if dom.kind == "ball" else (dom.low, dom.high)


def architecture(construction, target, sizes):
    """``(hidden widths, activation)`` the construction builds for this target and template sizes.

    Raises
    ------
    ValueError
        If the construction does not apply to the target.
    """
    need = _TARGET.get(construction)
    if need is not None and target.name != need:
        raise ValueError(
            f"trainer.construction={construction!r} builds a network for target {need!r}; got target {target.name!r}"
        )
    if target.dim != 1:
        raise ValueError(f"trainer.construction={construction!r} needs a target with d = 1; got d = {target.dim}")
    if construction == "staircase":
        return [sizes[1]] if len(sizes) == 3 else None, "sigmoid"
    if construction == "telgarsky":
        return [2] * target.params["k"], "relu"
    if construction == "shallow_sawtooth":
        return [2 ** target.params["k"]], "relu"
    return [3] * max(len(sizes) - 2, 1), "relu"  # yarotsky: depth m = model.depth


def build(construction, target, sizes, kappa):
    """The hand-built network (an MLP)."""
    if construction == "staircase":
        n = sizes[1]
        lo, hi = _interval(target)
        return staircase(lambda x: target(x[:, None]), n, kappa * n / (hi - lo), interval=(lo, hi))
    if construction == "telgarsky":
        return telgarsky_sawtooth(target.params["k"])
    if construction == "shallow_sawtooth":
        return shallow_sawtooth(target.params["k"])
    return yarotsky_square(len(sizes) - 2)


def _check_model(sizes, activation, output_activation, loss, options, target):
    construction = options["construction"]
    if construction is None:
        raise ValueError(f"trainer.construction is not set; allowed: {', '.join(CONSTRUCTIONS)}")
    hidden, act = architecture(construction, target, sizes)
    if hidden is None or sizes[1:-1] != hidden:
        want = "one hidden layer" if hidden is None else f"model.width={hidden[0]}, model.depth={len(hidden)}"
        raise ValueError(
            f"model.width={sizes[1] if len(sizes) > 2 else None}, model.depth={len(sizes) - 2} do not "
            f"match construction {construction!r} for this target; allowed: {want}"
        )
    if activation != act:
        raise ValueError(f"activation.name={activation!r} does not match construction {construction!r}; allowed: {act}")
    if output_activation != "identity" or loss != "mse":
        raise ValueError(
            "trainer 'construct' builds regression networks: model.output_activation must be "
            "identity and trainer.loss mse"
        )


def train_construct(net, X, y, loss, rng, *, target, construction, kappa):
    """Build the network of ``construction`` for ``target`` (no training; ``net`` is the template)."""
    _check_model(
        net.sizes, net.activation_name, net.output_activation_name, loss.name, {"construction": construction}, target
    )
    t0 = time.perf_counter()
    built = build(construction, target, net.sizes, kappa)
    value, _ = built.flat_loss_and_grad(X.astype(built.dtype), y, loss)
    wall = time.perf_counter() - t0
    return History(
        step=np.array([0]),
        elapsed=np.array([wall]),
        loss=np.array([float(value)]),
        status="ok",
        replica_status=["ok"],
        stop_reason="constructed",
        steps=0,
        wall_time=wall,
        message=f"hand-built {construction} network",
        net=built,
        extras={"construction": construction},
    )


CONSTRUCT = Trainer(
    "construct",
    train_construct,
    (
        Option("construction", None, Choice(CONSTRUCTIONS, "constructions"), "which hand-built network"),
        Option("kappa", 10.0, Float(gt=0), "staircase: relative steepness κ = steepness · step width"),
    ),
    "no training: a hand-built network (staircase, Telgarsky, shallow sawtooth, Yarotsky)",
    losses=("mse",),
    needs_target=True,
    check_model=_check_model,
    uses_init=False,
    float32=False,
    trees=False,
)
