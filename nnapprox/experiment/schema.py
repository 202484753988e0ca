"""The typed schemas of a run, generated from the declarations (no Hydra here: plain dataclasses).

Hydra's structured-config pattern, one dataclass per group option:

* :data:`TRAINER_SCHEMAS`: one dataclass per trainer (``Trainer_gd``, ...), its fields the trainer's
  config-settable :class:`~nnapprox.base.options.Option` declarations with their declared defaults, a
  subclass of :class:`TrainerBase`;
* :data:`TARGET_SCHEMAS`: one dataclass per target (``Target_gaussian``, ...), its fields the target
  factory's annotated signature with its defaults, a subclass of :class:`TargetBase`;
* :data:`RunSchema`: the run with ``target: TargetBase`` and ``trainer: TrainerBase``, the model,
  activation and data groups, and the run's own keys.

:mod:`nnapprox.cli.store` registers ``RunSchema`` as ``base_config`` and every option's schema as
``<group>/schema_<name>``; the YAML presets in ``conf/trainer`` and ``conf/target`` extend them
(``defaults: [schema_gd]``) and hold only what differs from the declaration. Composing
``trainer=oga`` therefore gives a node that OmegaConf closes on OGA's own options.

:data:`Config` is the *generic* plain config of the Python side (tests, hand-made configs): its
``target`` and ``trainer`` groups carry every parameter of every target and every option of every
trainer, all ``None`` (= the declared default); :func:`check_closed` refuses a set value the chosen
trainer or target does not take.
"""

from __future__ import annotations

import difflib
import inspect
import types
import typing
from dataclasses import dataclass, field, fields, make_dataclass
from typing import Any, Dict, List, Optional

from nnapprox.base.options import Option
from nnapprox.experiment.errors import ConfigError
from nnapprox.experiment.groups import ACTIVATION_OPTIONS, DATA_OPTIONS, MODEL_OPTIONS, RUN_OPTIONS
from nnapprox.experiment.presets import default_config

__all__ = [
    "Config",
    "RunSchema",
    "TargetBase",
    "TrainerBase",
    "TRAINER_SCHEMAS",
    "TARGET_SCHEMAS",
    "GROUPS",
    "check_closed",
    "schema_type",
    "annotation_type",
    "trainer_keys",
    "target_keys",
    "DEFAULT_TARGET",
    "DEFAULT_TRAINER",
]

#: The config groups (a group set to null is refused: it would leave the run without one).
GROUPS = ("target", "model", "activation", "data", "trainer")

#: The target and trainer of the generic :data:`Config`: the CLI's default choices (``conf/config.yaml``:
#: ``target: gaussian``, whose preset sets ``d: 2``, and ``trainer: lbfgs``), read from the presets.
DEFAULT_TARGET = default_config()["target"]
DEFAULT_TRAINER = default_config()["trainer"]

_MISSING = "???"  # OmegaConf reads this default as "must be set"; no import of OmegaConf here


def schema_type(o: Option):
    """The field type of a declared option (``Optional`` when its default is None)."""
    t = o.constraint.schema_type
    if t == list[int]:
        t = List[int]
    return Optional[t] if o.default is None else t


def annotation_type(annotation):
    """The field type OmegaConf can check for a factory parameter's annotation (``Any`` where it has none)."""
    if annotation in (int, float, str, bool):
        return annotation
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if origin in (typing.Union, types.UnionType):
        rest = [a for a in args if a is not type(None)]
        if len(rest) == 1 and len(rest) < len(args):
            inner = annotation_type(rest[0])
            return Any if inner is Any else Optional[inner]
        return Any
    if origin is list and len(args) == 1 and args[0] in (int, float, str):
        return List[args[0]]
    return Any


def _default(value):
    if isinstance(value, (list, tuple, dict)):
        return field(default_factory=lambda v=value: type(v)(v) if not isinstance(v, tuple) else list(v))
    return field(default=value)


def _register(cls, name):
    cls.__module__ = __name__  # pickling (joblib, SLURM workers) finds the class by its name here
    cls.__qualname__ = name
    globals()[name] = cls
    return cls


def _dataclass(name: str, fields_, bases=()):
    return _register(make_dataclass(name, fields_, bases=bases), name)


def _option_fields(options):
    return [(o.name, schema_type(o), _default(o.default)) for o in options if o.config]


@dataclass
class TrainerBase:
    """What every trainer's schema has: its name and the loss it fits."""

    name: str = _MISSING
    loss: str = "mse"


@dataclass
class TargetBase:
    """What every target's schema has: its name."""

    name: str = _MISSING


def _trainer_schemas() -> dict:
    from nnapprox.trainers import TRAINERS

    return {
        name: _dataclass(
            f"Trainer_{name}", [("name", str, field(default=name))] + _option_fields(spec.options), bases=(TrainerBase,)
        )
        for name, spec in TRAINERS.items()
    }


def _factory_fields(fn) -> list:
    hints = typing.get_type_hints(fn)
    out = []
    for p in inspect.signature(fn).parameters.values():
        t = annotation_type(hints.get(p.name, Any))
        if p.default is None and t is not Any and typing.get_origin(t) is not typing.Union:
            t = Optional[t]
        out.append((p.name, t, _default(p.default)))
    return out


def _target_schemas() -> dict:
    from nnapprox.targets.builtin import TARGETS

    return {
        name: _dataclass(
            f"Target_{name}", [("name", str, field(default=name))] + _factory_fields(fn), bases=(TargetBase,)
        )
        for name, fn in TARGETS.items()
    }


#: Trainer name -> its schema (one dataclass per trainer, from its declaration).
TRAINER_SCHEMAS: dict = _trainer_schemas()

#: Target name -> its schema (one dataclass per target, from its factory's annotated signature).
TARGET_SCHEMAS: dict = _target_schemas()


def trainer_keys(name: str) -> list[str]:
    """The keys of trainer ``name``'s group (``name``, ``loss`` and its config-settable options)."""
    return [f.name for f in fields(TRAINER_SCHEMAS[name])]


def target_keys(name: str) -> list[str]:
    """The keys of target ``name``'s group (``name`` and its factory's parameters)."""
    return [f.name for f in fields(TARGET_SCHEMAS[name])]


ModelConfig = _dataclass("ModelConfig", _option_fields(MODEL_OPTIONS))
ActivationConfig = _dataclass("ActivationConfig", _option_fields(ACTIVATION_OPTIONS))
DataConfig = _dataclass("DataConfig", _option_fields(DATA_OPTIONS))

_RUN_FIELDS = [(o.name, schema_type(o), field(default=o.default)) for o in RUN_OPTIONS] + [
    ("judge", Optional[Dict[str, Any]], field(default=None))
]


def _run(name: str, target_type, target_default, trainer_type, trainer_default, doc: str):
    cls = _dataclass(
        name,
        [
            ("target", target_type, field(default_factory=target_default)),
            ("model", ModelConfig, field(default_factory=ModelConfig)),
            ("activation", ActivationConfig, field(default_factory=ActivationConfig)),
            ("data", DataConfig, field(default_factory=DataConfig)),
            ("trainer", trainer_type, field(default_factory=trainer_default)),
        ]
        + _RUN_FIELDS,
    )
    cls.__doc__ = doc
    return cls


#: Hydra's ``base_config``: the group options (``conf/<group>/*.yaml`` and their schemas) fill in
#: ``target`` and ``trainer`` with their own dataclasses.
RunSchema = _run(
    "RunSchema",
    TargetBase,
    TargetBase,
    TrainerBase,
    TrainerBase,
    "One run, as Hydra composes it: each group option brings its own schema.",
)


def _union(schemas: dict, keep: dict):
    """One dataclass with every field of every schema, ``None`` unless in ``keep`` (equal names: one type or Any)."""
    seen: dict = {}
    for cls in schemas.values():
        for f in fields(cls):
            if f.name in keep or f.name == "name":
                continue
            t = f.type if typing.get_origin(f.type) is typing.Union or f.type is Any else Optional[f.type]
            seen[f.name] = t if seen.get(f.name, t) == t else Optional[Any]
    return [(k, v, field(default=None)) for k, v in seen.items()]


TargetConfig = _dataclass(
    "TargetConfig",
    [("name", str, field(default=DEFAULT_TARGET["name"]))]
    + [(k, t, field(default=DEFAULT_TARGET.get(k))) for k, t, _ in _union(TARGET_SCHEMAS, {})],
)
TargetConfig.__doc__ = "Any target: every factory's parameters, None = the factory's default (generated)."

TrainerConfig = _dataclass(
    "TrainerConfig",
    [("name", str, field(default=DEFAULT_TRAINER["name"])), ("loss", str, field(default="mse"))]
    + _union(TRAINER_SCHEMAS, {"loss"}),
)
TrainerConfig.__doc__ = "Any trainer: every trainer's options, None = the declared default (generated)."

#: The generic plain config of the Python side: every target parameter and trainer option ``None``.
Config = _run(
    "Config",
    TargetConfig,
    TargetConfig,
    TrainerConfig,
    TrainerConfig,
    "One run (a job of a sweep) as a plain config: what to learn, with what, how, and bookkeeping.",
)


_KEYS = {
    f.name: (
        [g.name for g in fields(f.type)]
        if f.name in ("model", "activation", "data")
        else "option"
        if f.name in ("target", "trainer")
        else None
    )
    for f in fields(RunSchema)
}


def _unknown(key: str, value, known, where: str) -> ConfigError:
    prefix, _, last = key.rpartition(".")
    hint = difflib.get_close_matches(last, known, n=1)
    return ConfigError(
        f"Invalid config: {key}={value!r} is not a key of {where}"
        + (
            f"; did you mean {prefix + '.' if prefix else ''}{hint[0]}?"
            if hint
            else f"; {'its ' if prefix else ''}keys: {', '.join(known)}"
        )
    )


def _check_option(group: str, value: dict) -> None:
    """A target's parameters or a trainer's options: a set value it does not take is refused."""
    name = value.get("name")
    schemas = TRAINER_SCHEMAS if group == "trainer" else TARGET_SCHEMAS
    if name not in schemas:
        return  # the validation names the valid ones
    known = trainer_keys(name) if group == "trainer" else target_keys(name)
    for k, v in value.items():
        if k not in known and v is not None:
            what, where = (
                ("an option", f"trainer {name!r}") if group == "trainer" else ("a parameter", f"target {name!r}")
            )
            raise ConfigError(
                f"Invalid config: {group}.{k}={v!r} is not {what} of {where}; its {what.split()[-1]}s: "
                f"{', '.join(x for x in known if x not in ('name', 'loss')) or '(none)'}"
            )


def check_closed(cfg: dict) -> None:
    """Refuse keys the schema does not know (Hydra's ``+key=value`` adds them even to a structured config).

    The model, activation and data groups and the run's own keys are closed on their declarations;
    the target and trainer groups on the chosen target's parameters and trainer's options (a key
    set to ``None``, "not given", is ignored there: the generic :data:`Config` has them all).
    """
    for key, value in cfg.items():
        if key not in _KEYS:
            raise _unknown(key, value, list(_KEYS), "the config")
        sub = _KEYS[key]
        if sub is None:
            continue
        if value is None:
            raise ConfigError(
                f"Invalid config: {key}=null: the group {key!r} needs a value (e.g. {key}=<option> on the command line)"
            )
        if not hasattr(value, "items"):
            raise ConfigError(f"Invalid config: {key}={value!r} must be a group of keys")
        if sub == "option":
            _check_option(key, value)
            continue
        for k, v in value.items():
            if k not in sub:
                raise _unknown(f"{key}.{k}", v, sub, key)
