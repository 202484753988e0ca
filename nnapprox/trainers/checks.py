"""What a trainer accepts of a model, checked once for both entry points: the config and :func:`fit`.

A model is described by :class:`ModelFacts` (layer sizes, activations, dtype, structure), built from a
config's ``model`` and ``activation`` groups (:mod:`nnapprox.experiment.rules`) or from an
:class:`~nnapprox.engine.network.MLP` (:meth:`ModelFacts.of`). Each check reads the trainer's declared
facts (:class:`~nnapprox.trainers.common.Trainer`), never its name, and raises one ValueError line naming
the ``model.*`` / ``activation.*`` / ``trainer.*`` key, its value and what is allowed. The config's rules
call each check at its place in :data:`nnapprox.experiment.rules.RULES` (and prefix "Invalid config: ");
:func:`fit` runs :data:`MODEL_CHECKS` in the same order through :func:`check_model`, so whatever a config
refuses about a model for a trainer, ``fit`` refuses with the same line.
"""

from __future__ import annotations

from dataclasses import dataclass

from nnapprox.engine.activations import get_activation

__all__ = [
    "ModelFacts",
    "MODEL_CHECKS",
    "check_model",
    "check_loss",
    "check_data_size",
    "float64_only",
    "trains_structure",
    "moves_units",
    "built_depth",
    "own_units",
    "recorded_widths",
    "one_network",
    "declared",
]


@dataclass(frozen=True)
class ModelFacts:
    """What the checks read of a model.

    Attributes
    ----------
    sizes : tuple of int
        ``(d, n1, ..., out)``.
    activation, output_activation : str
    dtype : str
        ``float64`` or ``float32``.
    structure : str
        ``dense``, or ``tree`` for a masked network (connections left out).
    batch_shape : tuple of int
        The replica axes of a network (``()`` for one network; a config's replicas are separate runs).
    """

    sizes: tuple
    activation: str
    output_activation: str = "identity"
    dtype: str = "float64"
    structure: str = "dense"
    batch_shape: tuple = ()

    @property
    def depth(self) -> int:
        return len(self.sizes) - 2

    @classmethod
    def of(cls, net) -> ModelFacts:
        """The facts of an MLP (a masked network counts as ``structure='tree'``, the one masked structure)."""
        return cls(
            tuple(net.sizes),
            net.activation_name,
            net.output_activation_name,
            str(net.dtype),
            "dense" if net.mask is None else "tree",
            tuple(net.batch_shape),
        )


def float64_only(spec, m: ModelFacts, loss, options, target) -> None:
    """A trainer that computes in float64 takes only ``model.dtype=float64``."""
    if not spec.float32 and m.dtype != "float64":
        raise ValueError(
            f"model.dtype={m.dtype!r} is not supported by trainer {spec.name!r} (it computes in "
            f"float64); allowed: float64"
        )


def trains_structure(spec, m: ModelFacts, loss, options, target) -> None:
    """A masked (tree) network needs a trainer that trains the network it is given, mask included."""
    if m.structure != "tree" or spec.trees:
        return
    from nnapprox.trainers import TRAINERS

    def takes(t):  # trains the given masked network, and its declaration accepts these sizes
        if not t.trees:
            return False
        try:
            if t.check_model is not None:
                t.check_model(
                    list(m.sizes), "tanh", m.output_activation, "mse", {o.name: o.default for o in t.options}, target
                )
        except ValueError:
            return False
        return True

    allowed = [n for n, t in TRAINERS.items() if takes(t)]
    raise ValueError(
        f"model.structure='tree' is not supported by trainer {spec.name!r} (it builds its own "
        f"network); allowed: {', '.join(allowed)}"
    )


def moves_units(spec, m: ModelFacts, loss, options, target) -> None:
    """A unit with zero derivative (Heaviside) can only be placed by a trainer that builds its own units."""
    if m.depth >= 1 and not get_activation(m.activation).trainable and not spec.builds_own:
        from nnapprox.trainers import TRAINERS

        own = [n for n, t in TRAINERS.items() if t.builds_own]
        raise ValueError(
            f"activation.name={m.activation!r} has zero derivative: trainer {spec.name!r} cannot "
            f"move its units; allowed: the dictionary of {', '.join(own[:-1])} or {own[-1]}"
        )


def built_depth(spec, m: ModelFacts, loss, options, target) -> None:
    """A trainer that builds a fixed number of hidden layers takes only that ``model.depth``."""
    if spec.depth is not None and m.depth != spec.depth:
        raise ValueError(
            f"model.depth={m.depth} is not supported by trainer {spec.name!r} (it builds "
            f"{'one' if spec.depth == 1 else spec.depth} hidden layer{'s' if spec.depth != 1 else ''}); "
            f"allowed: {spec.depth}"
        )


def own_units(spec, m: ModelFacts, loss, options, target) -> None:
    """A trainer that builds its own units fits one output through an identity output unit, with a non-linear unit."""
    if not spec.builds_own:
        return
    if m.sizes[-1] != 1:
        raise ValueError(
            f"trainer {spec.name!r} fits one output; the network has {m.sizes[-1]} outputs "
            f"(sizes {list(m.sizes)}); allowed: 1"
        )
    if m.output_activation != "identity":
        raise ValueError(
            f"model.output_activation={m.output_activation!r} is not supported by trainer "
            f"{spec.name!r} (it builds networks with an identity output); allowed: identity"
        )
    if m.activation == "identity":
        raise ValueError(
            f"activation.name='identity' cannot serve as the unit of trainer {spec.name!r}; "
            f"allowed: a non-linear unit (sigmoid, tanh, relu, ...)"
        )


def recorded_widths(spec, m: ModelFacts, loss, options, target) -> None:
    """A width path records widths up to the network's own, on a dense network with hidden layers."""
    widths = options.get("record_widths")
    if widths is None:
        return
    if m.structure == "tree":
        raise ValueError("trainer.record_widths (a width path) is not supported with model.structure='tree'")
    if m.depth < 1:
        raise ValueError("trainer.record_widths needs hidden layers; model.depth=0 has none")
    width = options.get(spec.width_option) if spec.width_option else None
    width = m.sizes[1] if width is None else width
    if max(widths) > width:
        raise ValueError(
            f"trainer.record_widths={widths} exceeds model.width={width}: a path records widths up to its own width"
        )


def one_network(spec, m: ModelFacts, loss, options, target) -> None:
    """A trainer that builds its own network builds one: a replica batch would come back as a single network."""
    if spec.builds_own and m.batch_shape != ():
        raise ValueError(
            f"a replica batch (replica axes {m.batch_shape}) is not supported by trainer {spec.name!r}: it builds one "
            "new network; fit each replica's network on its own"
        )


def declared(spec, m: ModelFacts, loss, options, target) -> None:
    """The trainer's own declared ``check_model``."""
    if spec.check_model is not None:
        spec.check_model(list(m.sizes), m.activation, m.output_activation, loss, options, target)


#: Every check of a model for a trainer, in the order the config's rules apply them.
MODEL_CHECKS = (
    float64_only,
    trains_structure,
    moves_units,
    built_depth,
    own_units,
    recorded_widths,
    one_network,
    declared,
)


def check_model(spec, model: ModelFacts, loss: str, options: dict, target=None) -> None:
    """Run :data:`MODEL_CHECKS`: ValueError (one line) at the first model the trainer cannot honour."""
    for check in MODEL_CHECKS:
        check(spec, model, loss, options, target)


def check_loss(spec, loss: str) -> None:
    """The loss must be one the trainer fits."""
    if loss not in spec.losses:
        raise ValueError(
            f"trainer.loss={loss!r} is not supported by trainer {spec.name!r}; allowed: {', '.join(spec.losses)}"
        )


def check_data_size(spec, options: dict, N: int) -> None:
    """The trainer's declared ``check_data``: options that N training rows make impossible."""
    if spec.check_data is not None:
        spec.check_data(options, N)
