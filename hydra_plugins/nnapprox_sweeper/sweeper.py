"""A basic sweeper that validates the ranges of every job's config before any job runs.

Hydra's BasicSweeper already composes each job's config before launching a batch
(which catches wrong types, unknown keys and unknown group options). This sweeper
also runs :func:`nnapprox.config.validate` on each composed config, so an
out-of-range value anywhere in the grid (``model.width=8,-3``) stops the sweep with
one line naming the key before the first job starts. It also logs how many jobs
are already done (resume).
"""

import logging
from dataclasses import dataclass
from typing import Dict, Optional, Sequence

from hydra._internal.core_plugins.basic_sweeper import BasicSweeper
from hydra.core.config_store import ConfigStore
from omegaconf import OmegaConf

log = logging.getLogger("nnapprox.sweep")


@dataclass
class ValidatingSweeperConf:
    _target_: str = "hydra_plugins.nnapprox_sweeper.sweeper.ValidatingSweeper"
    max_batch_size: Optional[int] = None
    params: Optional[Dict[str, str]] = None


ConfigStore.instance().store(group="hydra/sweeper", name="nnapprox", node=ValidatingSweeperConf,
                             provider="nnapprox")


class ValidatingSweeper(BasicSweeper):
    """BasicSweeper + nnapprox's range checks on every job config of a batch."""

    def validate_batch_is_legal(self, batch: Sequence[Sequence[str]]) -> None:
        from nnapprox.config import Config, validate

        loader = self.hydra_context.config_loader
        for overrides in batch:
            cfg = loader.load_sweep_config(master_config=self.config, sweep_overrides=list(overrides))
            task = OmegaConf.merge(OmegaConf.structured(Config),
                                   {k: v for k, v in cfg.items() if k != "hydra"})
            plain = OmegaConf.to_container(task, resolve=True)
            validate(plain)
        log.info("sweep: %d jobs validated", len(batch))
