"""Hydra callback: when a sweep ends, aggregate its records into ``runs.csv`` and report.

Registered in ``conf/config.yaml`` under ``hydra.callbacks``. Hydra calls
``on_multirun_end`` only when no job raised; nnapprox jobs record their failures
instead of raising, and ``nnapprox-report DIR`` does the same aggregation by hand
for sweeps run elsewhere (SLURM) or interrupted.
"""
import logging
from pathlib import Path

from hydra.experimental.callback import Callback
from omegaconf import DictConfig

log = logging.getLogger("nnapprox.sweep")


class AggregateCallback(Callback):
    """Write ``<sweep dir>/runs.csv`` and the report (into ``report_dir`` if set)."""

    def on_multirun_end(self, config: DictConfig, **kwargs) -> None:
        from .report import make_report

        sweep_dir = Path(config.hydra.sweep.dir)
        out_dir = Path(config.report_dir) if config.get("report_dir") else sweep_dir
        try:
            path = make_report(sweep_dir, out_dir=out_dir, title=str(config.get("study", "")) or None)
            log.info("sweep done: runs.csv in %s, report %s", sweep_dir, path)
        except Exception as e:  # the records are safe on disk; the report can be rerun by hand
            log.error("report for %s failed: %s (rerun: nnapprox-report %s)", sweep_dir, e, sweep_dir)
