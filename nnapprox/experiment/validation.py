"""The typed configuration of one run: schema from the declarations, validation, canonical form.

The schema (:class:`Config`, registered with Hydra's ConfigStore as ``base_config``) is built
from the option declarations: :data:`MODEL_OPTIONS`, :data:`ACTIVATION_OPTIONS`,
:data:`DATA_OPTIONS`, :data:`RUN_OPTIONS` and every trainer's options
(:data:`nnapprox.trainers.TRAINERS`); the target's fields are the parameters of the target
factories. :func:`canonical` turns a composed config into the run it describes:

* the schema is closed: a key it does not know (``+model.widht=64``) is refused;
* every value is checked against its declaration, and a trainer's options against that
  trainer's declaration (``trainer=oga trainer.lr=0.1`` is refused: oga has no step size);
* a value the run would not use is refused when it was set (``model.init_std`` without
  ``model.init=normal``, ``model.depth=3`` for a greedy path) and recorded as ``null`` when it
  was left at its default: a record states only what the run used;
* defaults are resolved (the target's parameters, the trainer's options), so the canonical
  config and its hash say exactly what was computed.

Every refusal is one line (:class:`ConfigError`) naming the key, the value and what is allowed.
The sweeper runs :func:`canonical` on every job of a grid before the first job starts; the app
and the job run it again. Nothing here imports Hydra except :func:`register_configs` (and the
exception base class).
"""
from __future__ import annotations

import difflib
import inspect
import math
from dataclasses import dataclass, field, make_dataclass
from typing import Any, Dict, List, Optional

from nnapprox.engine.init import BIAS_SCHEMES, WEIGHT_SCHEMES
from nnapprox.base.options import Bool, Choice, Float, Int, IntList, Option, Text, resolve
from nnapprox.experiment.records import NOT_SWEPT, config_hash, flatten

__all__ = [
    "Config", "TargetConfig", "ConfigError", "Canonical", "canonical", "validate", "flatten", "config_hash",
    "register_configs", "NOT_SWEPT", "MODEL_OPTIONS", "ACTIVATION_OPTIONS", "DATA_OPTIONS", "RUN_OPTIONS",
    "HIDDEN_ACTIVATIONS", "BIAS_INITS", "estimate_bytes",
]


class ConfigError(ValueError):
    """A configuration value refused, in one line naming the key, the value and what is allowed.

    The command line shows only this line (:mod:`nnapprox.cli` raises it as Hydra's compact error)."""


def _err(text: str) -> ConfigError:
    return ConfigError(f"Invalid config: {text}")


# ---------------------------------------------------------------------------
# declarations of the non-trainer groups
# ---------------------------------------------------------------------------

#: Hidden-layer activations a config may choose (``identity`` would make a linear network:
#: use ``model.depth=0`` for a linear model).
HIDDEN_ACTIVATIONS = ("sigmoid", "tanh", "relu", "leaky_relu", "heaviside", "relu2", "relu3")
BIAS_INITS = BIAS_SCHEMES

MODEL_OPTIONS = (
    Option("width", 32, Int(1), "units per hidden layer (for a path: its largest width)"),
    Option("depth", 1, Int(0), "hidden layers (0: no hidden layer, a generalised linear model)"),
    Option("init", None, Choice(WEIGHT_SCHEMES, "schemes"),
           "weight initialisation (none: He for the ReLU family, Xavier otherwise; uniform: U(±1/sqrt(fan_in)), "
           "PyTorch's default; rai: randomized asymmetric, "
           "Lu et al. 2020, weights and biases)"),
    Option("init_std", 1.0, Float(gt=0), "standard deviation of init=normal"),
    Option("bias_init", None, Choice(BIAS_INITS, "bias initialisations"),
           "hidden biases: zero, data (each unit's kink at a random training point), normal, or uniform "
           "(U(±1/sqrt(fan_in)), PyTorch's default) (none: normal for the ReLU family, zero otherwise)"),
    Option("bias_std", 0.5, Float(gt=0), "standard deviation of bias_init=normal"),
    Option("structure", "dense", Choice(("dense", "tree"), "structures"),
           "dense: every layer fully connected; tree: a binary-tree network on d = 2^L inputs (model.width units "
           "per node, model.depth = L)"),
    Option("output_activation", "identity", Choice(("identity", "sigmoid"), "output activations"),
           "identity (regression) or sigmoid (classification)"),
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
    Option("labels", "value", Choice(("value", "bernoulli"), "label kinds"),
           "value: y = f(x) (+ noise); bernoulli: y ~ Bernoulli(f(x)) for a target with values in [0, 1]"),
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
    Option("replica_mode", "auto", Choice(("auto", "loop"), "modes"),
           "auto: gd/momentum/adam replicas in one vectorized pass; loop: one after the other"),
    Option("plugin", None, Text(), "study plug-in of the report (none: nnapprox.studies.<study>, else generic)"),
    Option("save_data", False, Bool(), "also save each replica's training data (data.npz)"),
)


def _schema_type(o: Option):
    t = o.constraint.schema_type
    if t == list[int]:
        t = List[int]
    return Optional[t] if o.default is None else t


def _dataclass(name: str, options, extra=()):
    fields = list(extra) + [(o.name, _schema_type(o), field(default=o.default)) for o in options if o.config]
    cls = make_dataclass(name, fields)
    cls.__module__ = __name__  # so that pickling (joblib, SLURM workers) finds the class by its name here
    return cls


@dataclass
class TargetConfig:
    """The target function; unset (None) parameters take the target factory's defaults."""

    name: str = "gaussian"
    d: Optional[int] = 2
    s: Optional[float] = None
    omega: Any = None
    phase: Optional[float] = None
    m: Optional[int] = None
    scale: Optional[float] = None
    k: Any = None
    a: Any = None
    b: Optional[float] = None
    freq: Optional[float] = None
    rho: Optional[float] = None
    eps: Optional[float] = None
    seed: Optional[int] = None
    widths: Any = None
    radius: Optional[float] = None
    domain: Optional[str] = None
    # target=python: the function, its Barron constant if known, the source hash a run recorded
    fn: Optional[str] = None
    c_f: Optional[float] = None
    fn_sha256: Optional[str] = None
    # target=table: the CSV file, its label and feature columns, the file hash a run recorded
    path: Optional[str] = None
    label: Optional[str] = None
    columns: Any = None
    sha256: Optional[str] = None


def _trainer_options():
    """Every config-settable trainer option, once (equal names must share their schema type)."""
    from nnapprox.trainers import TRAINERS

    seen = {}
    for spec in TRAINERS.values():
        for o in spec.options:
            if not o.config:
                continue
            prev = seen.get(o.name)
            if prev is not None and _schema_type(prev) != _schema_type(o):
                raise TypeError(f"trainer option {o.name!r} has two schema types: {_schema_type(prev)} and "
                                f"{_schema_type(o)}")
            seen.setdefault(o.name, o)
    return [Option(o.name, None, o.constraint, o.doc) for o in seen.values()]


ModelConfig = _dataclass("ModelConfig", MODEL_OPTIONS)
ActivationConfig = _dataclass("ActivationConfig", ACTIVATION_OPTIONS)
DataConfig = _dataclass("DataConfig", DATA_OPTIONS)
TrainerConfig = _dataclass("TrainerConfig", _trainer_options(),
                           extra=[("name", str, field(default="lbfgs")), ("loss", str, field(default="mse"))])
Config = make_dataclass("Config", [
    ("target", TargetConfig, field(default_factory=TargetConfig)),
    ("model", ModelConfig, field(default_factory=ModelConfig)),
    ("activation", ActivationConfig, field(default_factory=ActivationConfig)),
    ("data", DataConfig, field(default_factory=DataConfig)),
    ("trainer", TrainerConfig, field(default_factory=TrainerConfig)),
] + [(o.name, _schema_type(o), field(default=o.default)) for o in RUN_OPTIONS]
  + [("judge", Optional[Dict[str, Any]], field(default=None))])
Config.__doc__ = "One run (a job of a sweep): what to learn, with what, how, and bookkeeping."
Config.__module__ = __name__

_GROUPS = {"model": MODEL_OPTIONS, "activation": ACTIVATION_OPTIONS, "data": DATA_OPTIONS}


def _schema_keys() -> dict:
    """Group -> its field names (``None`` for top-level keys)."""
    from dataclasses import fields

    out = {}
    for f in fields(Config):
        if f.name in ("target", "model", "activation", "data", "trainer"):
            out[f.name] = [g.name for g in fields(f.type if isinstance(f.type, type) else eval(f.type))]
        else:
            out[f.name] = None
    return out


_KEYS = None


def check_closed(cfg: dict) -> None:
    """Refuse keys the schema does not know (Hydra's ``+key=value`` adds them even to a structured config)."""
    global _KEYS
    if _KEYS is None:
        _KEYS = _schema_keys()
    for key, value in cfg.items():
        if key not in _KEYS:
            hint = difflib.get_close_matches(key, list(_KEYS), n=1)
            raise _err(f"{key}={value!r} is not a key of the config"
                       + (f"; did you mean {hint[0]}?" if hint else f"; keys: {', '.join(_KEYS)}"))
        sub = _KEYS[key]
        if sub is None:
            continue
        if value is None:
            raise _err(f"{key}=null: the group {key!r} needs a value (e.g. {key}=<option> on the command line)")
        if not isinstance(value, dict) and not hasattr(value, "items"):
            raise _err(f"{key}={value!r} must be a group of keys ({', '.join(sub)})")
        for k, v in value.items():
            if k not in sub:
                hint = difflib.get_close_matches(k, sub, n=1)
                raise _err(f"{key}.{k}={v!r} is not a key of {key}"
                           + (f"; did you mean {key}.{hint[0]}?" if hint else f"; its keys: {', '.join(sub)}"))


# ---------------------------------------------------------------------------
# the canonical config
# ---------------------------------------------------------------------------

@dataclass
class Canonical:
    """A validated run.

    Attributes
    ----------
    config : dict
        Nested like the schema, holding exactly what the run uses: the target's parameters and
        the trainer's options resolved, unused keys ``None``. Records are ``flatten(config)``.
    hash : str
        :func:`nnapprox.experiment.records.config_hash` of ``config``.
    target : Target
        The built target.
    trainer : Trainer
        The trainer's declaration.
    options : dict
        The trainer's resolved options (identity options and the rest, e.g. ``progress_every``).
    """

    config: dict
    hash: str
    target: Any
    trainer: Any
    options: dict

    @property
    def sizes(self) -> list:
        return model_sizes(self.config["model"], self.target.dim)


def model_sizes(model: dict, d: int) -> list:
    """Layer sizes of a (resolved) model group on d inputs: dense ``[d, w, ..., w, 1]`` or a binary tree."""
    if model.get("structure") == "tree":
        from nnapprox.engine.structure import tree_sizes
        return tree_sizes(d, model["width"])
    return [d] + [model["width"]] * model["depth"] + [1]


def _check_group(group: str | None, values: dict, declared) -> dict:
    out = {}
    for o in declared:
        v = values.get(o.name, o.default)
        try:
            out[o.name] = o.check(v, f"{group}.{o.name}" if group else o.name) if v is not None else None
        except ValueError as e:
            raise _err(str(e)) from None
    return out


def _unused(group: dict, key: str, default, why: str, prefix: str) -> None:
    """Null an unused key left at its default; refuse it if it was set."""
    if group[key] is not None and group[key] != default:
        raise _err(f"{prefix}.{key}={group[key]!r} is not used by this run ({why}); leave it unset")
    group[key] = None


def _target(t: dict):
    from nnapprox.targets.builtin import TARGETS, get_target

    name = t.get("name")
    if name not in TARGETS:
        raise _err(f"target.name={name!r} is not known; valid: {', '.join(sorted(TARGETS))}")
    params = {k: v for k, v in t.items() if k != "name" and v is not None}
    accepted = inspect.signature(TARGETS[name]).parameters
    for key in params:
        if key not in accepted:
            raise _err(f"target.{key}={params[key]!r} is not a parameter of target {name!r}; its parameters: "
                       f"{', '.join(accepted)}")
    if isinstance(params.get("d"), bool) or not isinstance(params.get("d", 1), int) or params.get("d", 1) < 1:
        raise _err(f"target.d={params.get('d')!r} must be an integer >= 1")
    try:
        target = get_target(name, **params)
    except ValueError as e:
        raise _err(f"target {name!r}: {e}") from None
    if "d" in params and target.dim != params["d"]:
        raise _err(f"target.d={params['d']} must be {target.dim} for target {name!r}")
    return target


def canonical(cfg: dict, *, check_memory: bool = False) -> Canonical:
    """Validate a composed config and resolve it into the run it describes.

    Parameters
    ----------
    cfg : dict
        A plain (resolved) config, as from ``OmegaConf.to_container(cfg, resolve=True)``.
    check_memory : bool
        Also refuse a run whose estimated peak memory (:func:`estimate_bytes`) exceeds the
        memory available on this machine.

    Returns
    -------
    Canonical

    Raises
    ------
    ConfigError
        One line naming the first offending key, its value and what is allowed.
    """
    from nnapprox.trainers import TRAINERS

    check_closed(cfg)
    run = _check_group(None, {k: v for k, v in cfg.items() if not isinstance(v, dict)}, RUN_OPTIONS)
    target = _target(cfg["target"])
    model = _check_group("model", cfg["model"], MODEL_OPTIONS)
    act = _check_group("activation", cfg["activation"], ACTIVATION_OPTIONS)
    data = _check_group("data", cfg["data"], DATA_OPTIONS)
    tr = dict(cfg["trainer"])
    name, loss = tr.pop("name", None), tr.pop("loss", "mse")
    if name not in TRAINERS:
        raise _err(f"trainer.name={name!r} is not known; valid: {', '.join(sorted(TRAINERS))}")
    spec = TRAINERS[name]
    if loss not in spec.losses:
        raise _err(f"trainer.loss={loss!r} is not supported by trainer {name!r}; allowed: {', '.join(spec.losses)}")
    given = {k: v for k, v in tr.items() if v is not None}
    own = {o.name for o in spec.options if o.config}
    for k, v in given.items():
        if k not in own:
            raise _err(f"trainer.{k}={v!r} is not an option of trainer {name!r}; its options: "
                       f"{', '.join(sorted(own)) or '(none)'}")
    try:
        options = resolve(spec.options, given, f"trainer {name!r}", prefix="trainer.")
    except ValueError as e:
        raise _err(str(e)) from None
    if "progress_every" in options:
        options["progress_every"] = run["progress_every"]

    # what this run does not use: null when left at the default, refused when set
    defaults = {o.name: o.default for o in MODEL_OPTIONS}
    if act["name"] != "leaky_relu":
        _unused(act, "slope", 0.01, f"activation {act['name']!r} has no slope", "activation")
    if model["depth"] == 0:
        _unused(model, "width", defaults["width"], "model.depth=0 has no hidden layer", "model")
        _unused(act, "name", "tanh", "model.depth=0 has no hidden layer", "activation")
        _unused(act, "slope", 0.01, "model.depth=0 has no hidden layer", "activation")
    if spec.builds_own or spec.needs_target:
        why = f"trainer {name!r} builds its own network"
        for key in ("init", "init_std", "bias_init", "bias_std"):
            _unused(model, key, defaults[key], why, "model")
        if model["dtype"] != "float64":
            raise _err(f"model.dtype={model['dtype']!r} is not supported by trainer {name!r} (it computes in "
                       f"float64); allowed: float64")
    if not (spec.builds_own or spec.needs_target) and model["depth"] >= 1:
        from nnapprox.engine.init import default_bias_init, default_init
        if model["init"] is None:
            model["init"] = default_init(act["name"])  # what the network is initialised with
        if model["init"] == "rai":
            _unused(model, "bias_init", None, "model.init='rai' draws the biases too", "model")
        elif model["bias_init"] is None:
            model["bias_init"] = default_bias_init(act["name"])
    if model["depth"] == 0 and model["bias_init"] is None:
        model["bias_init"] = "zero"  # no hidden layer: only the output bias, which starts at zero
    if model["structure"] == "tree":
        _check_tree(model, target, spec)
    if model.get("init_std") is not None and model.get("init") != "normal":
        _unused(model, "init_std", defaults["init_std"], "model.init is not 'normal'", "model")
    if model.get("bias_std") is not None and model.get("bias_init") != "normal":
        _unused(model, "bias_std", defaults["bias_std"], "model.bias_init is not 'normal'", "model")
    if model["depth"] == 0 and model.get("bias_init") not in (None, "zero"):
        raise _err(f"model.bias_init={model['bias_init']!r} needs hidden layers; model.depth=0 has none")
    if target.kind == "table":
        _check_table(target, data, spec)
    if data["labels"] == "bernoulli":
        _check_probabilities(target)
    if act["name"] == "heaviside" and not spec.builds_own and model["depth"] >= 1:
        raise _err(f"activation.name='heaviside' has zero derivative: trainer {name!r} cannot move its units; "
                   f"allowed: the dictionary of oga, greedy or random_features")
    if spec.name == "random_features" or spec.name in ("oga", "greedy"):
        if model["depth"] != 1:
            raise _err(f"model.depth={model['depth']} is not supported by trainer {name!r} (it builds one hidden "
                       f"layer); allowed: 1")
    width = model["width"]
    sizes = model_sizes(model, target.dim)
    if options.get("record_widths") is not None:
        if model["structure"] == "tree":
            raise _err("trainer.record_widths (a width path) is not supported with model.structure='tree'")
        if model["depth"] < 1:
            raise _err("trainer.record_widths needs hidden layers; model.depth=0 has none")
        if max(options["record_widths"]) > width:
            raise _err(f"trainer.record_widths={options['record_widths']} exceeds model.width={width}: a path "
                       f"records widths up to its own width")
    if spec.check_model is not None:
        try:
            spec.check_model(sizes, act["name"], model["output_activation"], loss, options, target)
        except ValueError as e:
            raise _err(str(e)) from None

    if spec.check_data is not None:
        try:
            spec.check_data(options, data["N"])
        except ValueError as e:
            raise _err(str(e)) from None

    trainer_cfg = {"name": name, "loss": loss,
                   **{k: v for k, v in options.items() if spec.option(k).identity and spec.option(k).config}}
    conf = {"target": {"name": target.name, **target.params}, "model": model, "activation": act, "data": data,
            "trainer": trainer_cfg, **run}
    canon = Canonical(config=conf, hash=config_hash(conf), target=target, trainer=spec, options=options)
    if check_memory:
        _check_memory(canon)
    return canon


def validate(cfg: dict) -> dict:
    """Check a config (:func:`canonical`); return ``{"target": Target}`` (kept for old callers)."""
    return {"target": canonical(cfg).target}


def _check_tree(model, target, spec) -> None:
    """A tree network needs d = 2^L inputs, depth L, and a trainer that trains the given network."""
    d = target.dim
    if d < 2 or d & (d - 1):
        raise _err(f"model.structure='tree' needs target.d a power of 2 >= 2; target.d={d}")
    levels = d.bit_length() - 1
    if model["depth"] != levels:
        raise _err(f"model.depth={model['depth']} does not fit model.structure='tree' on d={d} inputs: the binary "
                   f"tree has {levels} levels; set model.depth={levels}")
    if spec.builds_own or spec.needs_target or spec.path:
        from nnapprox.trainers import TRAINERS

        sizes = model_sizes(model, d)

        def takes(t):  # trains the given network, and its declaration accepts these sizes
            if t.builds_own or t.needs_target or t.path:
                return False
            try:
                if t.check_model is not None:
                    t.check_model(sizes, "tanh", model["output_activation"], "mse",
                                  {o.name: o.default for o in t.options}, target)
            except ValueError:
                return False
            return True

        allowed = [n for n, t in TRAINERS.items() if takes(t)]
        raise _err(f"model.structure='tree' is not supported by trainer {spec.name!r} (it builds its own network); "
                   f"allowed: {', '.join(allowed)}")


def _check_table(target, data, spec) -> None:
    """A table's labels are the data: no added noise, no Bernoulli draws, no function to evaluate."""
    path, rows = target.params["path"], target.info["rows"]
    if data["noise"]:
        raise _err(f"data.noise={data['noise']!r} is not used with target=table (its labels are the data); allowed: 0")
    if data["labels"] != "value":
        raise _err(f"data.labels={data['labels']!r} is not supported with target=table; allowed: value")
    if data["N"] + data["N_test"] > rows:
        raise _err(f"data.N + data.N_test = {data['N'] + data['N_test']} exceeds the {rows} rows of target.path="
                   f"{path!r}; allowed: at most {rows} (set data.N and data.N_test)")
    if spec.needs_target:
        raise _err(f"trainer {spec.name!r} needs a target function; target=table has values only at its rows")


def _check_probabilities(target) -> None:
    import numpy as np

    from nnapprox.targets.sampling import sample_domain

    probe = target(sample_domain(target.domain, 512, target.dim, np.random.default_rng(0)))
    if np.any(probe < 0) or np.any(probe > 1):
        raise _err(f"data.labels='bernoulli' needs a target with values in [0, 1]; target {target.name!r} takes "
                   f"values in [{probe.min():.3g}, {probe.max():.3g}]")


# ---------------------------------------------------------------------------
# memory
# ---------------------------------------------------------------------------

def estimate_bytes(canon: Canonical) -> int:
    """A rough upper estimate of one job's peak memory (bytes).

    The data (training and test sets) and parameters, plus the larger of what training and
    evaluation hold at once (a path's arrays are freed before the evaluation starts):

    * training: for OGA and relaxed greedy their own arrays
      (:func:`nnapprox.trainers.greedy.path_bytes`: OGA's orthonormal basis ``(n_max + 1) N``
      floats and its ``(n_max + 1)²`` triangle, the screening's buffers and prefetched bins);
      for the other path trainers the ``(n_max + 1) N`` hidden matrix;
    * evaluation: the widest layer over the larger of the training and test sets three times
      (``z``, ``σ(z)`` and ``σ'(z)`` of the saturation statistics; a path's predictions need one).
    """
    c = canon.config
    d, N, Nt = canon.target.dim, c["data"]["N"], c["data"]["N_test"]
    width = max(canon.sizes[1:-1], default=1) if c["model"]["depth"] else 1
    sizes = canon.sizes
    item = 8
    data = (N + Nt) * (d + 2) * item
    params = sum((a + 1) * b for a, b in zip(sizes[:-1], sizes[1:])) * item
    evaluation = 3 * max(N, Nt) * width * item
    training = 0
    if canon.trainer.name in ("oga", "greedy"):
        from nnapprox.trainers.greedy import path_bytes

        o = canon.options
        training = path_bytes(canon.trainer.name, N, d, width, o.get("directions", 256), o.get("screen_samples"))
    elif canon.trainer.path:
        training = (width + 1) * N * item
    return int(data + 4 * params + max(training, evaluation) + 64 * 2 ** 20)


def available_bytes() -> int | None:
    """Memory available to a new process (``MemAvailable`` of /proc/meminfo), or None if unknown."""
    try:
        with open("/proc/meminfo") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        return None
    return None


def _check_memory(canon: Canonical) -> None:
    need, have = estimate_bytes(canon), available_bytes()
    if have is not None and need > have:
        m = canon.config["model"]
        raise _err(f"this job needs about {need / 2**30:.3g} GiB (model.width={m['width']}, "
                   f"data.N={canon.config['data']['N']}, data.N_test={canon.config['data']['N_test']}) but "
                   f"{have / 2**30:.1f} GiB are available; lower the sizes")


def register_configs() -> None:
    """Register the schema as ``base_config`` in Hydra's ConfigStore (idempotent)."""
    from hydra.core.config_store import ConfigStore

    ConfigStore.instance().store(name="base_config", node=Config)
