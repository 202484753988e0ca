"""The typed configuration of one run: dataclass schema, range checks, flattening, hashing.

The schema is registered with Hydra's ConfigStore as ``base_config`` (see
:func:`register_configs`); ``conf/config.yaml`` extends it, so a wrong type or a
misspelt key fails when Hydra composes the config. Ranges (width ≥ 1, N ≥ 1, a
target's own parameter rules, ...) are checked by :func:`validate`, which raises a
one-line :class:`ConfigError` naming the key, the value and what is allowed. The
sweeper (:mod:`nnapprox.sweeper`) runs it on every job of a multirun before any
job starts, and the app runs it again at the start of each job (also when a saved
``.hydra/config.yaml`` is rerun).

Nothing here imports Hydra except :func:`register_configs`.
"""
from __future__ import annotations

import hashlib
import inspect
import json
import math
from dataclasses import dataclass, field
from typing import Any, Optional

from hydra.errors import CompactHydraException

__all__ = [
    "Config", "TargetConfig", "ModelConfig", "ActivationConfig", "DataConfig", "TrainerConfig",
    "ConfigError", "validate", "flatten", "config_hash", "target_params", "trainer_options",
    "register_configs", "NOT_SWEPT",
]


class ConfigError(CompactHydraException, ValueError):
    """A configuration value out of range; Hydra prints only this one-line message."""


@dataclass
class TargetConfig:
    """The target function; unset (None) parameters take the target's defaults."""

    name: str = "gaussian"
    d: int = 2
    s: Optional[float] = None
    omega: Optional[float] = None
    phase: Optional[float] = None
    m: Optional[int] = None
    k: Optional[float] = None
    a: Optional[float] = None
    b: Optional[float] = None
    freq: Optional[float] = None
    rho: Optional[float] = None
    seed: Optional[int] = None
    radius: Optional[float] = None
    domain: Optional[str] = None


@dataclass
class ModelConfig:
    """Architecture: ``depth`` hidden layers of ``width`` units each."""

    width: int = 32
    depth: int = 1
    init: Optional[str] = None
    init_std: float = 1.0
    bias_init: str = "zero"
    output_activation: str = "identity"
    dtype: str = "float64"


@dataclass
class ActivationConfig:
    name: str = "tanh"
    slope: float = 0.01


@dataclass
class DataConfig:
    """Training set of N samples (noisy labels), clean test set of N_test samples."""

    N: int = 10000
    N_test: int = 16384
    noise: float = 0.0


@dataclass
class TrainerConfig:
    """Trainer name and options; unset (None) options take the trainer's defaults."""

    name: str = "lbfgs"
    loss: str = "mse"
    max_steps: Optional[int] = None
    tol: Optional[float] = None
    time_budget: Optional[float] = None
    lr: Optional[float] = None
    batch_size: Optional[int] = None
    momentum: Optional[float] = None
    beta1: Optional[float] = None
    beta2: Optional[float] = None
    ftol: Optional[float] = None
    restarts: Optional[int] = None
    boost: Optional[int] = None
    n_max: Optional[int] = None
    directions: Optional[int] = None
    max_scale: Optional[float] = None
    scale: Optional[float] = None
    ridge: Optional[float] = None
    dist: Optional[str] = None
    bias: Optional[str] = None
    record_widths: Optional[list[int]] = None


@dataclass
class Config:
    """One run (a job of a sweep): what to learn, with what, how, and bookkeeping."""

    target: TargetConfig = field(default_factory=TargetConfig)
    model: ModelConfig = field(default_factory=ModelConfig)
    activation: ActivationConfig = field(default_factory=ActivationConfig)
    data: DataConfig = field(default_factory=DataConfig)
    trainer: TrainerConfig = field(default_factory=TrainerConfig)
    seed: int = 0
    replicas: int = 1
    study: str = "default"
    tag: str = ""
    resume: bool = True
    out_root: str = "results/runs"
    report_dir: Optional[str] = None
    progress_every: float = 30.0
    #: ``auto``: replicas of gd/momentum/adam jobs (without time_budget) train in one
    #: vectorized pass (same numbers as the loop up to floating-point reassociation,
    #: faster for small nets); ``loop``: one replica after the other.
    replica_mode: str = "auto"


#: Keys that never define a run's identity (kept out of the config hash): how a run
#: is executed or reported, not what it computes.
NOT_SWEPT = ("resume", "out_root", "report_dir", "progress_every", "tag", "replica_mode")


REPLICA_MODES = ("auto", "loop")


def _err(key: str, value: Any, allowed: str) -> ConfigError:
    return ConfigError(f"Invalid config: {key}={value!r} is out of range; allowed: {allowed}")


def target_params(cfg_target: dict) -> dict:
    """The target factory's keyword arguments: every set (non-None) field except ``name``."""
    params = {k: v for k, v in cfg_target.items() if k != "name" and v is not None}
    if isinstance(params.get("k"), float) and float(params["k"]).is_integer():
        params["k"] = int(params["k"])
    return params


def trainer_options(cfg_trainer: dict) -> dict:
    """The trainer's options: every set field except ``name`` and ``loss``."""
    opts = {k: v for k, v in cfg_trainer.items() if k not in ("name", "loss") and v is not None}
    if "record_widths" in opts:
        opts["record_widths"] = [int(n) for n in opts["record_widths"]]
    return opts


def validate(cfg: dict) -> dict:
    """Check every value's range; return the built target as a convenience.

    Parameters
    ----------
    cfg : dict
        A plain (resolved) config, as from ``OmegaConf.to_container(cfg, resolve=True)``.

    Raises
    ------
    ConfigError
        One line naming the first offending key, its value and what is allowed.
    """
    from .activations import ACTIVATIONS
    from .losses import LOSSES
    from .network import INIT_SCHEMES
    from .targets import TARGETS, get_target
    from .trainers import TRAINERS

    t, m, a, dta, tr = cfg["target"], cfg["model"], cfg["activation"], cfg["data"], cfg["trainer"]
    if t["name"] not in TARGETS:
        raise ConfigError(f"Invalid config: target.name={t['name']!r} is not known; valid: {', '.join(sorted(TARGETS))}")
    params = target_params(t)
    accepted = inspect.signature(TARGETS[t["name"]]).parameters
    for key in params:
        if key not in accepted:
            raise ConfigError(
                f"Invalid config: target.{key} is not a parameter of target {t['name']!r}; "
                f"its parameters: {', '.join(accepted)}"
            )
    if t["d"] < 1:
        raise _err("target.d", t["d"], "an integer >= 1")
    try:
        target = get_target(t["name"], **params)
    except ValueError as e:
        raise ConfigError(f"Invalid config: target {t['name']!r}: {e}") from None
    if m["width"] < 1:
        raise _err("model.width", m["width"], "an integer >= 1")
    if m["depth"] < 1:
        raise _err("model.depth", m["depth"], "an integer >= 1 (number of hidden layers)")
    if m["init"] is not None and m["init"] not in INIT_SCHEMES:
        raise _err("model.init", m["init"], f"one of {', '.join(INIT_SCHEMES)} or null")
    if m["bias_init"] not in ("zero", "data"):
        raise _err("model.bias_init", m["bias_init"], "zero or data (kinks at random training points)")
    if not (m["init_std"] > 0):
        raise _err("model.init_std", m["init_std"], "a float > 0")
    if m["output_activation"] not in ACTIVATIONS:
        raise _err("model.output_activation", m["output_activation"], ", ".join(sorted(ACTIVATIONS)))
    if m["dtype"] not in ("float64", "float32"):
        raise _err("model.dtype", m["dtype"], "float64 or float32")
    if a["name"] not in ACTIVATIONS:
        raise _err("activation.name", a["name"], ", ".join(sorted(ACTIVATIONS)))
    if not (0 <= a["slope"] < 1):
        raise _err("activation.slope", a["slope"], "a float in [0, 1)")
    if dta["N"] < 1:
        raise _err("data.N", dta["N"], "an integer >= 1")
    if dta["N_test"] < 2:
        raise _err("data.N_test", dta["N_test"], "an integer >= 2")
    if not (dta["noise"] >= 0 and math.isfinite(dta["noise"])):
        raise _err("data.noise", dta["noise"], "a finite float >= 0")
    if tr["name"] not in TRAINERS:
        raise ConfigError(f"Invalid config: trainer.name={tr['name']!r} is not known; valid: {', '.join(sorted(TRAINERS))}")
    if tr["loss"] not in LOSSES:
        raise _err("trainer.loss", tr["loss"], ", ".join(sorted(LOSSES)))
    for key in ("max_steps", "restarts", "n_max", "directions", "batch_size"):
        if tr.get(key) is not None and tr[key] < 1:
            raise _err(f"trainer.{key}", tr[key], "an integer >= 1 (or null for the default)")
    for key in ("lr", "time_budget", "max_scale", "scale"):
        if tr.get(key) is not None and not (tr[key] > 0 and math.isfinite(tr[key])):
            raise _err(f"trainer.{key}", tr[key], "a finite float > 0 (or null for the default)")
    for key in ("tol", "ridge", "boost", "ftol"):
        if tr.get(key) is not None and not tr[key] >= 0:
            raise _err(f"trainer.{key}", tr[key], "a number >= 0 (or null for the default)")
    for key in ("momentum", "beta1", "beta2"):
        if tr.get(key) is not None and not (0 <= tr[key] < 1):
            raise _err(f"trainer.{key}", tr[key], "a float in [0, 1)")
    if tr.get("record_widths") is not None and any(n < 1 for n in tr["record_widths"]):
        raise _err("trainer.record_widths", tr["record_widths"], "a list of integers >= 1")
    if cfg["seed"] < 0:
        raise _err("seed", cfg["seed"], "an integer >= 0")
    if cfg["replicas"] < 1:
        raise _err("replicas", cfg["replicas"], "an integer >= 1")
    if cfg.get("replica_mode", "auto") not in REPLICA_MODES:
        raise _err("replica_mode", cfg["replica_mode"], " | ".join(REPLICA_MODES))
    if not cfg["study"] or "/" in cfg["study"]:
        raise _err("study", cfg["study"], "a non-empty name without '/'")
    if target.dim != t["d"] and "d" in accepted:
        raise _err("target.d", t["d"], f"{target.dim} for target {t['name']!r}")
    return {"target": target}


def flatten(cfg: dict, prefix: str = "") -> dict:
    """Nested dict -> flat dict with dotted keys; lists become JSON strings."""
    out = {}
    for k, v in cfg.items():
        key = f"{prefix}{k}"
        if isinstance(v, dict):
            out.update(flatten(v, key + "."))
        elif isinstance(v, (list, tuple)):
            out[key] = json.dumps(list(v))
        else:
            out[key] = v
    return out


def config_hash(cfg: dict) -> str:
    """SHA-256 (first 16 hex digits) of the run-defining config values."""
    flat = {k: v for k, v in flatten(cfg).items() if k not in NOT_SWEPT}
    return hashlib.sha256(json.dumps(flat, sort_keys=True, default=str).encode()).hexdigest()[:16]


def register_configs() -> None:
    """Register the schema as ``base_config`` in Hydra's ConfigStore (idempotent)."""
    from hydra.core.config_store import ConfigStore

    ConfigStore.instance().store(name="base_config", node=Config)
