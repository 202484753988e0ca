"""The typed schema of a run, generated from the declarations (no Hydra here: plain dataclasses).

:data:`Config` nests one dataclass per group; :mod:`nnapprox.cli` stores it in Hydra's
ConfigStore as ``base_config`` and merges it again over every composed config, so types are
checked by OmegaConf; :func:`check_closed` refuses keys the schema does not know (Hydra's
``+key=value`` would add them), with a hint.
"""
from __future__ import annotations

import difflib
from dataclasses import dataclass, field, make_dataclass
from typing import Any, Dict, List, Optional

from nnapprox.base.options import Option
from nnapprox.experiment.errors import ConfigError
from nnapprox.experiment.groups import ACTIVATION_OPTIONS, DATA_OPTIONS, MODEL_OPTIONS, RUN_OPTIONS

__all__ = ["Config", "TargetConfig", "GROUPS", "check_closed", "structured_schema", "schema_type"]

#: The config groups (a group set to null is refused: it would leave the run without one).
GROUPS = ("target", "model", "activation", "data", "trainer")


def schema_type(o: Option):
    t = o.constraint.schema_type
    if t == list[int]:
        t = List[int]
    return Optional[t] if o.default is None else t


def _dataclass(name: str, options, extra=()):
    fields = list(extra) + [(o.name, schema_type(o), field(default=o.default)) for o in options if o.config]
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
            if prev is not None and schema_type(prev) != schema_type(o):
                raise TypeError(f"trainer option {o.name!r} has two schema types: {schema_type(prev)} and "
                                f"{schema_type(o)}")
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
] + [(o.name, schema_type(o), field(default=o.default)) for o in RUN_OPTIONS]
  + [("judge", Optional[Dict[str, Any]], field(default=None))])
Config.__doc__ = "One run (a job of a sweep): what to learn, with what, how, and bookkeeping."
Config.__module__ = __name__


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
            raise ConfigError(f"Invalid config: {key}={value!r} is not a key of the config"
                       + (f"; did you mean {hint[0]}?" if hint else f"; keys: {', '.join(_KEYS)}"))
        sub = _KEYS[key]
        if sub is None:
            continue
        if value is None:
            raise ConfigError(f"Invalid config: {key}=null: the group {key!r} needs a value (e.g. {key}=<option> on the command line)")
        if not isinstance(value, dict) and not hasattr(value, "items"):
            raise ConfigError(f"Invalid config: {key}={value!r} must be a group of keys ({', '.join(sub)})")
        for k, v in value.items():
            if k not in sub:
                hint = difflib.get_close_matches(k, sub, n=1)
                raise ConfigError(f"Invalid config: {key}.{k}={v!r} is not a key of {key}"
                           + (f"; did you mean {key}.{hint[0]}?" if hint else f"; its keys: {', '.join(sub)}"))




def structured_schema(plain: dict | None = None):
    """The schema to merge over a composed config (``plain``: the config as composed)."""
    return Config
