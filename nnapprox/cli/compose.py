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
import re
from collections.abc import Callable, Sequence

from hydra.errors import CompactHydraException
from omegaconf import DictConfig, OmegaConf
from omegaconf.errors import OmegaConfBaseException

from nnapprox.experiment.schema import GROUPS, TARGET_SCHEMAS, TRAINER_SCHEMAS, RunSchema, check_closed
from nnapprox.experiment.validation import Canonical, ConfigError, canonical

__all__ = [
    "CliConfigError",
    "to_plain",
    "validated",
    "validated_hash",
    "compact",
    "schema_of",
    "explain",
    "validations",
]

log = logging.getLogger("nnapprox.cli")


class CliConfigError(ConfigError, CompactHydraException):
    """A refused configuration; Hydra prints only this one-line message."""


def compact(e: ConfigError) -> CliConfigError:
    """The same one-line error, as Hydra's compact exception."""
    return e if isinstance(e, CliConfigError) else CliConfigError(str(e))


def schema_of(raw: dict) -> DictConfig:
    """The schema of a composed config: :data:`RunSchema` with the chosen trainer's and target's own schemas.

    Raises
    ------
    CliConfigError
        For a trainer or target name that has no declaration.
    """
    parts = {}
    for group, schemas in (("trainer", TRAINER_SCHEMAS), ("target", TARGET_SCHEMAS)):
        name = (raw.get(group) or {}).get("name")
        if name not in schemas:
            raise CliConfigError(
                f"Invalid config: {group}.name={name!r} is not known; valid: {', '.join(sorted(schemas))}"
            )
        parts[group] = OmegaConf.structured(schemas[name])
    return OmegaConf.merge(OmegaConf.structured(RunSchema), parts)


def _same_option(cfg, raw: dict) -> None:
    """``trainer.name=gd`` on the ``lbfgs`` preset would carry L-BFGS's options: choose the group option instead."""
    for group, schemas in (("trainer", TRAINER_SCHEMAS), ("target", TARGET_SCHEMAS)):
        node = cfg.get(group) if isinstance(cfg, DictConfig) else None
        typ = OmegaConf.get_type(node) if isinstance(node, DictConfig) else None
        name = raw[group].get("name")
        if typ in schemas.values() and typ is not schemas.get(name, typ):
            chosen = next(n for n, c in schemas.items() if c is typ)
            raise CliConfigError(
                f"Invalid config: {group}.name={name!r} does not change the {group} of the preset "
                f"({group} {chosen!r}); choose it with {group}={name}"
            )


def to_plain(cfg: DictConfig) -> dict:
    """The task part of a composed config as a plain dict, the schema merged again and interpolations resolved.

    The schema is :func:`schema_of` the config (the chosen trainer's and target's own), so a config saved in a
    run folder (``.hydra/config.yaml``, composed without it) is checked as on the command line.

    Raises
    ------
    CliConfigError
        For a value the schema refuses (an unknown key, a wrong type, ``trainer=null``), in one line.
    """
    try:
        task = {k: v for k, v in cfg.items() if k != "hydra"}  # resolves top-level values: inside the try
        for group in GROUPS:
            if group in task and task[group] is None:
                raise CliConfigError(
                    f"Invalid config: {group}=null: the group {group!r} needs an option (e.g. {group}=<name>)"
                )
        raw = OmegaConf.to_container(OmegaConf.create(task), resolve=False)
        check_closed({k: v for k, v in raw.items() if k not in ("trainer", "target")})
        _same_option(cfg, raw)
        check_closed(raw)
        merged = OmegaConf.merge(schema_of(raw), task)
        return OmegaConf.to_container(merged, resolve=True)
    except ConfigError as e:
        raise compact(e) from None
    except OmegaConfBaseException as e:
        msg = str(e).splitlines()[0]
        key = getattr(e, "full_key", None)
        raise CliConfigError(f"Invalid config: {key + ': ' if key else ''}{msg}") from None


_NOT_IN_SCHEMA = re.compile(r"Could not override '([^']+)'")


def explain(error: Exception, overrides: Sequence[str], compose: Callable) -> CliConfigError | None:
    """Hydra's refusal of an override the chosen option's schema lacks, as the one line the validation gives.

    Composing ``trainer=oga trainer.lr=0.1`` fails inside Hydra ("Could not override 'trainer.lr'"): OGA's
    schema has no ``lr``. This composes the same overrides again with ``+trainer.lr=0.1`` (which Hydra
    accepts) and returns the error :func:`to_plain` then raises ("trainer.lr=0.1 is not an option of
    trainer 'oga'; its options: ..."), or None when ``error`` is of another kind.
    """
    m = _NOT_IN_SCHEMA.search(str(error))
    if not m:
        return None
    key = m.group(1)
    retry = [f"+{o}" if o.partition("=")[0] == key else o for o in overrides]
    try:
        to_plain(compose(retry))
    except CliConfigError as e:
        return e
    except Exception:  # noqa: BLE001 - the original error stands
        return None
    return None


_MEMO: dict = {}  # the plain config (as JSON) -> [its validated run, whether its memory was checked]


def validated(plain: dict, *, check_memory: bool = False) -> Canonical:
    """The validated run of a plain config, validated at most once in this process.

    Parameters
    ----------
    plain : dict
        From :func:`to_plain`.
    check_memory : bool
        Also refuse a job that would not fit in this machine's memory (checked once too, on the run
        already validated).
    """
    key = json.dumps(plain, sort_keys=True, default=str)
    hit = _MEMO.get(key)
    try:
        if hit is None:
            canon = canonical(plain, check_memory=check_memory)
            log.debug("validated config %s", canon.hash)
            hit = _MEMO[key] = [canon, check_memory]
        elif check_memory and not hit[1]:
            from nnapprox.experiment.memory import check_memory as check

            check(hit[0])
            hit[1] = True
    except ConfigError as e:
        raise compact(e) from None
    return hit[0]


def validations() -> int:
    """How many configs this process has validated (each once: :func:`validated` keeps them)."""
    return len(_MEMO)


def validated_hash(cfg: DictConfig) -> str:
    """The config hash of a composed config (validated once per process)."""
    return validated(to_plain(cfg)).hash
