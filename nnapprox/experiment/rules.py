"""The validation rules after the declarations: each a small named function ``rule(draft)``.

:data:`RULES` is the ordered list :func:`nnapprox.experiment.validation.canonical` applies to a
:class:`~nnapprox.experiment.validation.Draft` (the groups already checked against their
declarations). A rule resolves a default that depends on other keys, nulls a key the run does
not use (refusing it when it was set) or refuses a combination, in one line naming the key. Rules
read the trainer's and the activation's declared facts, never their names. New rules (hostile
input) are appended with :func:`add_rule`.

What a trainer accepts of a model is not decided here: those rules call the checks of
:mod:`nnapprox.trainers.checks` (:data:`~nnapprox.trainers.checks.MODEL_CHECKS`, in the same order),
which :func:`nnapprox.trainers.fit` runs too, so the Python API refuses what a config refuses, in the
same line.
"""

from __future__ import annotations

from collections.abc import Callable

from nnapprox.engine.init import default_bias_init, default_init
from nnapprox.experiment.errors import config_error
from nnapprox.experiment.groups import ACTIVATION_OPTIONS, MODEL_OPTIONS
from nnapprox.trainers import checks

__all__ = ["RULES", "add_rule", "unused"]

_MODEL = {o.name: o.default for o in MODEL_OPTIONS}
_ACT = {o.name: o.default for o in ACTIVATION_OPTIONS}


def model_facts(d) -> checks.ModelFacts:
    """The draft's model as the trainers' checks read it (an MLP gives the same facts)."""
    from nnapprox.experiment.validation import model_sizes

    try:
        sizes = d.sizes
    except ValueError:  # a tree on d != 2^L inputs: refused by tree_structure; the dense sizes meanwhile
        sizes = model_sizes({**d.model, "structure": "dense"}, d.target.dim)
    m = d.model
    return checks.ModelFacts(tuple(sizes), d.act["name"], m["output_activation"], m["dtype"], m["structure"])


def model_check(check, d) -> None:
    """Run one of :data:`nnapprox.trainers.checks.MODEL_CHECKS` on the draft; its refusal as a ConfigError."""
    try:
        check(d.spec, model_facts(d), d.loss, d.options, d.target)
    except ValueError as e:
        raise config_error(str(e)) from None


def unused(group: dict, key: str, default, why: str, prefix: str) -> None:
    """Null an unused key left at its default; refuse it if it was set."""
    if group[key] is not None and group[key] != default:
        raise config_error(f"{prefix}.{key}={group[key]!r} is not used by this run ({why}); leave it unset")
    group[key] = None


def slope_only_for_leaky_relu(d) -> None:
    if d.act["name"] != "leaky_relu":
        unused(d.act, "slope", _ACT["slope"], f"activation {d.act['name']!r} has no slope", "activation")


def no_hidden_layer(d) -> None:
    """``model.depth=0``: no width, no hidden activation."""
    if d.model["depth"] == 0:
        why = "model.depth=0 has no hidden layer"
        unused(d.model, "width", _MODEL["width"], why, "model")
        unused(d.act, "name", _ACT["name"], why, "activation")
        unused(d.act, "slope", _ACT["slope"], why, "activation")


def own_network(d) -> None:
    """A trainer that builds its own network uses no initialisation, and computes in float64 unless declared."""
    if not d.spec.uses_init:
        why = f"trainer {d.spec.name!r} builds its own network"
        for key in ("init", "init_std", "bias_init", "bias_std"):
            unused(d.model, key, _MODEL[key], why, "model")
    model_check(checks.float64_only, d)


def initialisation_defaults(d) -> None:
    """Unset ``model.init``/``bias_init``: the activation family's defaults (as ``MLP(...)`` draws them)."""
    m = d.model
    if d.spec.uses_init and m["depth"] >= 1:
        if m["init"] is None:
            m["init"] = default_init(d.act["name"])
        if m["init"] == "rai":
            unused(m, "bias_init", None, "model.init='rai' draws the biases too", "model")
        elif m["bias_init"] is None:
            m["bias_init"] = default_bias_init(d.act["name"])
    if m["depth"] == 0 and m["bias_init"] is None:
        m["bias_init"] = "zero"  # no hidden layer: only the output bias, which starts at zero


def tree_structure(d) -> None:
    """A tree network needs d = 2^L inputs, depth L, and a trainer that trains a masked network as given."""
    if d.model["structure"] != "tree":
        return
    dim, model = d.target.dim, d.model
    if dim < 2 or dim & (dim - 1):
        raise config_error(f"model.structure='tree' needs target.d a power of 2 >= 2; target.d={dim}")
    levels = dim.bit_length() - 1
    if model["depth"] != levels:
        raise config_error(
            f"model.depth={model['depth']} does not fit model.structure='tree' on d={dim} inputs: "
            f"the binary tree has {levels} levels; set model.depth={levels}"
        )
    model_check(checks.trains_structure, d)


def scale_only_for_its_scheme(d) -> None:
    """``init_std`` belongs to ``init=normal``, ``bias_std`` to ``bias_init=normal``; no hidden biases at depth 0."""
    m = d.model
    if m.get("init_std") is not None and m.get("init") != "normal":
        unused(m, "init_std", _MODEL["init_std"], "model.init is not 'normal'", "model")
    if m.get("bias_std") is not None and m.get("bias_init") != "normal":
        unused(m, "bias_std", _MODEL["bias_std"], "model.bias_init is not 'normal'", "model")
    if m["depth"] == 0 and m.get("bias_init") not in (None, "zero"):
        raise config_error(f"model.bias_init={m['bias_init']!r} needs hidden layers; model.depth=0 has none")


def table_target(d) -> None:
    """A table's labels are the data: no added noise, no Bernoulli draws, no function to evaluate."""
    if d.target.kind != "table":
        return
    path, rows, data = d.target.params["path"], d.target.info["rows"], d.data
    if data["noise"]:
        raise config_error(
            f"data.noise={data['noise']!r} is not used with target=table (its labels are the data); allowed: 0"
        )
    if data["labels"] != "value":
        raise config_error(f"data.labels={data['labels']!r} is not supported with target=table; allowed: value")
    if data["N"] + data["N_test"] > rows:
        raise config_error(
            f"data.N + data.N_test = {data['N'] + data['N_test']} exceeds the {rows} rows of "
            f"target.path={path!r}; allowed: at most {rows} (set data.N and data.N_test)"
        )
    if d.spec.needs_target:
        raise config_error(f"trainer {d.spec.name!r} needs a target function; target=table has values only at its rows")


def bernoulli_needs_probabilities(d) -> None:
    if d.data["labels"] != "bernoulli":
        return
    import numpy as np

    from nnapprox.targets.sampling import sample_domain

    t = d.target
    probe = t(sample_domain(t.domain, 512, t.dim, np.random.default_rng(0)))
    if np.any(probe < 0) or np.any(probe > 1):
        raise config_error(
            f"data.labels='bernoulli' needs a target with values in [0, 1]; target {t.name!r} takes "
            f"values in [{probe.min():.3g}, {probe.max():.3g}]"
        )


def untrainable_units(d) -> None:
    """A unit with zero derivative (Heaviside) can only be placed by a trainer that builds its own units."""
    model_check(checks.moves_units, d)


def built_depth(d) -> None:
    """A trainer that builds a fixed number of hidden layers takes only that ``model.depth``."""
    model_check(checks.built_depth, d)


def own_units(d) -> None:
    """A trainer that builds its own units needs an identity output (and a non-linear unit)."""
    model_check(checks.own_units, d)


def recorded_widths(d) -> None:
    """A width path records widths up to the network's own, on a dense network with hidden layers."""
    model_check(checks.recorded_widths, d)


def trainer_checks(d) -> None:
    """The trainer's own declared checks of the model and of the data size."""
    model_check(checks.declared, d)
    try:
        checks.check_data_size(d.spec, d.options, d.data["N"])
    except ValueError as e:
        raise config_error(str(e)) from None


#: The rules, in the order they are applied (the first refusal is the one reported).
RULES: list[Callable] = [
    slope_only_for_leaky_relu,
    no_hidden_layer,
    own_network,
    initialisation_defaults,
    tree_structure,
    scale_only_for_its_scheme,
    table_target,
    bernoulli_needs_probabilities,
    untrainable_units,
    built_depth,
    own_units,
    recorded_widths,
    trainer_checks,
]


def add_rule(rule: Callable, *, before: Callable | None = None) -> Callable:
    """Append ``rule(draft)`` to :data:`RULES` (or insert it before another rule); returns it (a decorator)."""
    if before is None:
        RULES.append(rule)
    else:
        RULES.insert(RULES.index(before), rule)
    return rule
