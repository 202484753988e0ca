"""Hydra's ConfigStore: the schemas generated from the declarations, registered once.

``base_config`` is :data:`nnapprox.experiment.schema.RunSchema`; every trainer and every target has its
own schema, ``trainer/schema_<name>`` and ``target/schema_<name>``, which the YAML presets in
``conf/trainer`` and ``conf/target`` extend (``defaults: [schema_<name>]``). ``trainer=schema_gd`` also
works on the command line: the declaration itself, without a preset.
"""

from __future__ import annotations

from hydra.core.config_store import ConfigStore

from nnapprox.experiment.presets import SCHEMA_PREFIX
from nnapprox.experiment.schema import TARGET_SCHEMAS, TRAINER_SCHEMAS, RunSchema

__all__ = ["register_configs"]


def register_configs() -> None:
    """Register the run's schema as ``base_config`` and one schema per trainer and target (idempotent)."""
    cs = ConfigStore.instance()
    cs.store(name="base_config", node=RunSchema, provider="nnapprox")
    for group, schemas in (("trainer", TRAINER_SCHEMAS), ("target", TARGET_SCHEMAS)):
        for name, cls in schemas.items():
            cs.store(group=group, name=SCHEMA_PREFIX + name, node=cls, provider="nnapprox")
