"""Hydra callbacks: validate a single run before its folder exists; report a sweep when it ends.

Registered in ``conf/config.yaml`` under ``hydra.callbacks``. Hydra calls ``on_multirun_end``
only when no job raised; nnapprox jobs record their failures instead of raising, and
``nnapprox-report DIR`` runs the same report runner by hand for sweeps run elsewhere (SLURM)
or interrupted.
"""

import logging
from pathlib import Path

from hydra.experimental.callback import Callback
from omegaconf import DictConfig

log = logging.getLogger("nnapprox.sweep")

#: The failed reports of this process's sweeps (one line each): ``nnapprox-run`` then exits 1.
REPORT_FAILURES: list = []


class AggregateCallback(Callback):
    """Check a single run's config first; write the sweep's report (into ``report_dir`` if set)."""

    def on_run_start(self, config: DictConfig, **kwargs) -> None:
        from nnapprox.cli.compose import CliConfigError, to_plain, validated

        plain = to_plain(config)
        validated(plain, check_memory=True)  # one line, no folder made (validated once in this process)
        if plain.get("judge"):
            from nnapprox.runner.report import check_judge

            try:
                check_judge(str(plain.get("study", "")), plain.get("plugin"), plain["judge"])
            except ValueError as e:
                raise CliConfigError(f"Invalid config: {e}") from None

    def on_multirun_end(self, config: DictConfig, **kwargs) -> None:
        from nnapprox.runner.folders import release
        from nnapprox.runner.report import run_report

        sweep_dir = Path(config.hydra.sweep.dir)
        out_dir = Path(config.report_dir) if config.get("report_dir") else sweep_dir
        try:
            path = run_report(
                sweep_dir, out_dir=out_dir, study=str(config.get("study", "")) or None, plugin=config.get("plugin")
            )
            log.info("sweep done: report %s", path)
        except Exception as e:  # the records are safe on disk; the report can be rerun by hand
            first = str(e).splitlines()[0] if str(e) else type(e).__name__
            log.error("report for %s failed: %s (rerun: nnapprox-report %s)", sweep_dir, first, sweep_dir)
            REPORT_FAILURES.append(f"the report of {sweep_dir} failed: {first} (rerun: nnapprox-report {sweep_dir})")
        finally:  # the sweep (and its report) ends here: the folders are free for the next one
            release(sweep_dir)
            release(out_dir)
