"""Hydra's ConfigStore: the schema generated from the declarations, registered once."""
from __future__ import annotations

from hydra.core.config_store import ConfigStore

from nnapprox.experiment.schema import Config

__all__ = ["register_configs"]


def register_configs() -> None:
    """Register the schema as ``base_config`` (idempotent)."""
    ConfigStore.instance().store(name="base_config", node=Config)
