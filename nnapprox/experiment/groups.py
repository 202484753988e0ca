"""The declarations of the non-trainer config groups: model, activation, data and the run's own keys.

One :class:`~nnapprox.base.options.Option` per key gives its default, its constraint and its
doc; the schema (:mod:`nnapprox.experiment.schema`), the validation, ``nnapprox-run --list`` and
the one-call sweep all read them here. The initialisation keys are the engine's own declarations
(:data:`nnapprox.engine.init.INIT_OPTIONS`), so ``MLP(...)`` and a config resolve them alike.
"""

from __future__ import annotations

from nnapprox.base.options import Bool, Choice, Float, Int, Option, Text
from nnapprox.engine.init import BIAS_SCHEMES, INIT_OPTIONS

__all__ = [
    "HIDDEN_ACTIVATIONS",
    "BIAS_INITS",
    "MODEL_OPTIONS",
    "ACTIVATION_OPTIONS",
    "DATA_OPTIONS",
    "RUN_OPTIONS",
    "GROUP_OPTIONS",
]

#: Hidden-layer activations a config may choose (``identity`` would make a linear network:
#: use ``model.depth=0`` for a linear model).
HIDDEN_ACTIVATIONS = ("sigmoid", "tanh", "relu", "leaky_relu", "heaviside", "relu2", "relu3")


BIAS_INITS = BIAS_SCHEMES


MODEL_OPTIONS = (
    Option("width", 32, Int(1), "units per hidden layer (for a path: its largest width)"),
    Option("depth", 1, Int(0), "hidden layers (0: no hidden layer, a generalised linear model)"),
    *INIT_OPTIONS,  # init, init_std, bias_init, bias_std: declared once, with MLP (nnapprox.engine.init)
    Option(
        "structure",
        "dense",
        Choice(("dense", "tree"), "structures"),
        "dense: every layer fully connected; tree: a binary-tree network on d = 2^L inputs (model.width units "
        "per node, model.depth = L)",
    ),
    Option(
        "output_activation",
        "identity",
        Choice(("identity", "sigmoid"), "output activations"),
        "identity (regression) or sigmoid (classification)",
    ),
    Option("dtype", "float64", Choice(("float64", "float32"), "dtypes"), "floating-point type of the network"),
)


ACTIVATION_OPTIONS = (
    Option("name", "tanh", Choice(HIDDEN_ACTIVATIONS, "activations"), "hidden-layer activation σ"),
    Option("slope", 0.01, Float(ge=0, lt=1), "negative slope of leaky_relu"),
)


DATA_OPTIONS = (
    Option("N", 10000, Int(1), "training samples"),
    Option("N_test", 16384, Int(2), "clean test samples (the test MSE's Monte-Carlo error ~ N_test^-1/2)"),
    Option("noise", 0.0, Float(ge=0), "standard deviation of Gaussian label noise (training labels only)"),
    Option(
        "labels",
        "value",
        Choice(("value", "bernoulli"), "label kinds"),
        "value: y = f(x) (+ noise); bernoulli: y ~ Bernoulli(f(x)) for a target with values in [0, 1]",
    ),
)


RUN_OPTIONS = (
    Option("seed", 0, Int(0), "root seed; replica r uses SeedSequence([seed, r])"),
    Option("replicas", 1, Int(1), "independent replicas (data, initialisation, training) in one job"),
    Option("study", "default", Text(forbid="/"), "study name: the sweep folder results/runs/<study>/"),
    Option("tag", "", Text(forbid="/", empty=True), "free label (part of the run's identity)"),
    Option("resume", True, Bool(), "skip a job whose record exists with status ok and the same config hash"),
    Option("out_root", "results/runs", Text(), "root of the run folders"),
    Option("report_dir", None, Text(), "where the sweep's report goes (none: the sweep folder)"),
    Option("progress_every", 30.0, Float(ge=0), "seconds between progress lines of a long job (0: never)"),
    Option(
        "replica_mode",
        "auto",
        Choice(("auto", "loop"), "modes"),
        "auto: gd/momentum/adam replicas in one vectorized pass; loop: one after the other",
    ),
    Option("plugin", None, Text(), "study plug-in of the report (none: nnapprox.studies.<study>, else generic)"),
    Option("save_data", False, Bool(), "also save each replica's training data (data.npz)"),
)

#: The groups with one schema each (trainer and target have one per option: :mod:`nnapprox.experiment.schema`).
GROUP_OPTIONS = {"model": MODEL_OPTIONS, "activation": ACTIVATION_OPTIONS, "data": DATA_OPTIONS}
