"""The YAML presets (``conf/``), read without Hydra: the data package ``nnapprox.conf``, in a checkout and in the wheel.

Hydra composes them for ``nnapprox-run``; :func:`preset` and :func:`default_config` read the same
files for the one-call sweep (:func:`nnapprox.runner.sweep.sweep`), so ``trainer="lbfgs_path"`` or
``target="sin"`` mean there what they mean on the command line. A trainer's or target's preset names
its schema (``defaults: [schema_<name>]``) and holds only what differs from the declaration.
"""

from __future__ import annotations

import copy
from functools import cache
from importlib.resources import files
from pathlib import Path

import yaml

__all__ = ["CONF_DIR", "choices", "preset", "default_config", "SCHEMA_PREFIX"]

#: The config folder as an absolute path: the top-level ``conf/`` of a checkout (mapped onto the
#: package ``nnapprox.conf`` by ``pyproject.toml``) or ``site-packages/nnapprox/conf`` of an installed wheel.
CONF_DIR = str(Path(str(files("nnapprox.conf"))).resolve())

#: Name prefix of a trainer's or target's bare schema in its group (``trainer=schema_gd``: the declaration alone).
SCHEMA_PREFIX = "schema_"

_OWN_SCHEMA = ("trainer", "target")  # groups whose options each have their own schema


def choices(group: str) -> list[str]:
    """The preset names of a config group (``conf/<group>/*.yaml``), sorted."""
    return sorted(p.stem for p in (Path(CONF_DIR) / group).glob("*.yaml"))


@cache
def _load(group: str, name: str) -> dict:
    path = Path(CONF_DIR) / group / f"{name}.yaml"
    if group in _OWN_SCHEMA and name.startswith(SCHEMA_PREFIX) and not path.exists():
        return {"name": name[len(SCHEMA_PREFIX) :]}
    if not path.exists():
        raise ValueError(f"{group}={name!r} is not known; valid: {', '.join(choices(group))}")
    data = yaml.safe_load(path.read_text()) or {}
    values = {k: v for k, v in data.items() if k != "defaults"}
    for entry in data.get("defaults") or []:
        if isinstance(entry, str) and entry.startswith(SCHEMA_PREFIX):
            values = {"name": entry[len(SCHEMA_PREFIX) :], **values}
    return values


def preset(group: str, name: str) -> dict:
    """The values a group option sets, as ``group=name`` on the command line sets them (its schema's name
    included; the rest of the group keeps the declared defaults).

    Raises
    ------
    ValueError
        ``"trainer='foo' is not known; valid: ..."``.
    """
    return copy.deepcopy(_load(group, name))


def default_config() -> dict:
    """The config ``nnapprox-run`` starts from without overrides: ``conf/config.yaml``'s group choices
    (their presets) and its top-level keys (the hydra node left out); keys it does not set take the
    declared defaults when validated."""
    data = yaml.safe_load((Path(CONF_DIR) / "config.yaml").read_text())
    cfg = {}
    for entry in data.get("defaults") or []:
        if isinstance(entry, dict):
            ((group, name),) = entry.items()
            if "/" not in group and not group.startswith("override") and name is not None and group != "experiment":
                cfg[group] = preset(group, name)
    cfg.update({k: v for k, v in data.items() if k not in ("defaults", "hydra")})
    return cfg
