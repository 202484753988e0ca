"""From a composed Hydra config to the validated run, once per process.

:func:`to_plain` turns a composed config into the plain dict the experiment layer takes (the
schema merged again, so a rerun from a saved ``.hydra/config.yaml`` is checked as before);
:func:`validated` validates it with :func:`nnapprox.experiment.validation.canonical` and keeps the
result for the rest of the process, so the sweeper, the job-folder resolver, the callbacks, the
app and the job share one validation of each job (a joblib or SLURM worker is another process and
validates its own job once). Every refusal is :class:`CliConfigError`: one line, no traceback.
"""
from __future__ import annotations

import json
import logging

from hydra.errors import CompactHydraException
from omegaconf import DictConfig, OmegaConf
from omegaconf.errors import OmegaConfBaseException

from nnapprox.experiment.schema import GROUPS, check_closed, structured_schema
from nnapprox.experiment.validation import Canonical, ConfigError, canonical
__all__ = ["CliConfigError", "to_plain", "validated", "validated_hash", "compact"]

log = logging.getLogger("nnapprox.cli")


class CliConfigError(ConfigError, CompactHydraException):
    """A refused configuration; Hydra prints only this one-line message."""


def compact(e: ConfigError) -> CliConfigError:
    """The same one-line error, as Hydra's compact exception."""
    return e if isinstance(e, CliConfigError) else CliConfigError(str(e))


def to_plain(cfg: DictConfig) -> dict:
    """The task part of a composed config as a plain dict, the schema merged again and interpolations resolved.

    Raises
    ------
    CliConfigError
        For a value the schema refuses (an unknown key, a wrong type, ``trainer=null``), in one line.
    """
    try:
        task = {k: v for k, v in cfg.items() if k != "hydra"}  # resolves top-level values: inside the try
        for group in GROUPS:
            if group in task and task[group] is None:
                raise CliConfigError(f"Invalid config: {group}=null: the group {group!r} needs an option "
                                     f"(e.g. {group}=<name>)")
        raw = OmegaConf.to_container(OmegaConf.create(task), resolve=False)
        check_closed(raw)
        merged = OmegaConf.merge(OmegaConf.structured(structured_schema(raw)), task)
        return OmegaConf.to_container(merged, resolve=True)
    except ConfigError as e:
        raise compact(e) from None
    except OmegaConfBaseException as e:
        msg = str(e).splitlines()[0]
        key = getattr(e, "full_key", None)
        raise CliConfigError(f"Invalid config: {key + ': ' if key else ''}{msg}") from None


_MEMO: dict = {}


def validated(plain: dict, *, check_memory: bool = False) -> Canonical:
    """The validated run of a plain config, validated at most once in this process.

    Parameters
    ----------
    plain : dict
        From :func:`to_plain`.
    check_memory : bool
        Also refuse a job that would not fit in this machine's memory (checked once too).
    """
    key = json.dumps(plain, sort_keys=True, default=str)
    hit = _MEMO.get(key)
    if hit is None or (check_memory and not hit[1]):
        try:
            canon = canonical(plain, check_memory=check_memory)
        except ConfigError as e:
            raise compact(e) from None
        log.debug("validated config %s", canon.hash)
        hit = _MEMO[key] = (canon, check_memory or (hit is not None and hit[1]))
    return hit[0]


def validated_hash(cfg: DictConfig) -> str:
    """The config hash of a composed config (validated once per process)."""
    return validated(to_plain(cfg)).hash
