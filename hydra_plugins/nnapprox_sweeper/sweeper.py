"""A sweeper that validates every job of a sweep before any job runs, and takes several grids.

Hydra's BasicSweeper sweeps one Cartesian grid (``hydra.sweeper.params``). A study often needs
several (a trained sweep beside the hand-built networks, a cap sweep beside the paths), so this
sweeper also takes ``hydra.sweeper.grids``: a list of grids, each a mapping like ``params``. The
jobs are the union of the grids, each grid combined with ``params`` (shared keys) and the
command line's overrides (which win); a job listed twice runs once.

Before the first job starts, every job's config is composed and checked with
:func:`nnapprox.experiment.validation.canonical` (types, ranges, options the trainer takes, memory), so an
out-of-range value anywhere in the sweep stops it with one line naming the key. It also logs how
many jobs are already done (resume), and while the jobs run, ``k/K jobs done, elapsed, ETA`` each
time one finishes (:class:`nnapprox.experiment.progress.SweepProgress`).
"""

import logging
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence

from hydra._internal.core_plugins.basic_sweeper import BasicSweeper
from hydra.core.config_store import ConfigStore
from hydra.core.override_parser.overrides_parser import OverridesParser
from omegaconf import OmegaConf

log = logging.getLogger("nnapprox.sweep")


@dataclass
class ValidatingSweeperConf:
    _target_: str = "hydra_plugins.nnapprox_sweeper.sweeper.ValidatingSweeper"
    max_batch_size: Optional[int] = None
    params: Optional[Dict[str, Any]] = None
    grids: Optional[List[Dict[str, Any]]] = None


ConfigStore.instance().store(group="hydra/sweeper", name="nnapprox", node=ValidatingSweeperConf, provider="nnapprox")


def as_overrides(mapping) -> List[str]:
    """A ``{key: value or list}`` mapping as Hydra override strings (a list becomes a sweep ``a,b``)."""
    out = []
    for k, v in (mapping or {}).items():
        if isinstance(v, (list, tuple)):
            v = ",".join(str(x) for x in v)
        elif isinstance(v, bool):
            v = str(v).lower()
        elif v is None:
            v = "null"
        out.append(f"{k}={v}")
    return out


class ValidatingSweeper(BasicSweeper):
    """Sweeps the union of ``grids`` (or the one grid of ``params``), validating every job first."""

    def __init__(self, max_batch_size: Optional[int], params=None, grids=None) -> None:
        super().__init__(max_batch_size=max_batch_size, params=params)
        self.grids = [dict(g) for g in grids] if grids else None
        self.already_done: set = set()

    def job_overrides(self, arguments: List[str]) -> List[List[str]]:
        """Every job's overrides: the union of the grids (each with ``params`` and ``arguments``)."""
        parser = OverridesParser.create(config_loader=self.hydra_context.config_loader)
        grids = self.grids or [{}]
        jobs, seen = [], set()
        for grid in grids:
            conf = as_overrides(self.params) + as_overrides(grid) + list(arguments)
            for job in self.split_arguments(parser.parse_overrides(conf), None)[0]:
                key = tuple(sorted(job))
                if key not in seen:
                    seen.add(key)
                    jobs.append(job)
        return jobs

    def validate_all(self, jobs: Sequence[Sequence[str]]) -> list:
        """Compose and check every job; log how many are already done; return the sweep's manifest."""
        from hydra.errors import HydraException

        from nnapprox.cli.compose import CliConfigError, explain, to_plain, validated
        from nnapprox.experiment.records import finished

        tic = time.perf_counter()
        loader = self.hydra_context.config_loader

        def compose(overrides):
            return loader.load_sweep_config(master_config=self.config, sweep_overrides=list(overrides))

        done, manifest, hashes, repeats = 0, [], set(), []
        for overrides in jobs:
            try:
                cfg = compose(overrides)
            except HydraException as e:  # an option its trainer or target does not take: the validation's line
                better = explain(e, overrides, compose)
                if better is None:
                    raise
                raise better from None
            except ValueError as e:  # e.g. a group set to null: one line, not a traceback
                raise CliConfigError(f"Invalid config: job {' '.join(overrides)}: {str(e).splitlines()[0]}") from None
            canon = validated(to_plain(cfg), check_memory=True)  # once: the folder resolver and the app reuse it
            subdir = str(OmegaConf.select(cfg, "hydra.sweep.subdir"))
            entry = {"dir": subdir, "config_hash": canon.hash, "overrides": list(overrides)}
            if canon.hash in hashes:  # the same config from another grid or spelling: runs once, counted once
                repeats.append(" ".join(overrides))
                continue
            hashes.add(canon.hash)
            if canon.config["resume"] and finished(
                Path(str(OmegaConf.select(cfg, "hydra.sweep.dir"))) / subdir, canon.hash
            ):
                done += 1
                self.already_done.add(subdir)
            manifest.append(entry)
        log.info(
            "sweep: %d jobs validated in %.1f s; %d already done, %d to run",
            len(manifest),
            time.perf_counter() - tic,
            done,
            len(manifest) - done,
        )
        if repeats:
            log.info(
                "sweep: %d job(s) repeat the config (hash) of an earlier job and are left out: %s",
                len(repeats),
                "; ".join(repeats[:5]) + (" ..." if len(repeats) > 5 else ""),
            )
        return manifest

    def check_outputs(self, sweep_dir: Path, n_jobs: int) -> None:
        """Every folder the sweep writes, and the launcher's options, checked before the first job; then the
        sweep folder (and ``report_dir``) taken for this sweep (:mod:`nnapprox.runner.folders`)."""
        from nnapprox.cli.compose import CliConfigError
        from nnapprox.runner.folders import check_n_jobs, check_writable, hold

        report_dir = self.config.get("report_dir")
        outputs = [("out_root", sweep_dir)] + ([("report_dir", Path(str(report_dir)))] if report_dir else [])
        launcher = OmegaConf.select(self.config, "hydra.launcher")
        if launcher is not None and "n_jobs" in launcher and hasattr(self.launcher, "joblib"):
            try:
                self.launcher.joblib["n_jobs"] = check_n_jobs(launcher.n_jobs, n_jobs)
            except ValueError as e:
                raise CliConfigError(f"Invalid config: {e}") from None
        for key, folder in outputs:
            problem = check_writable(folder, key)
            if problem:
                raise CliConfigError(f"Invalid config: {problem}")
        try:
            for _, folder in outputs:
                hold(folder)
        except ValueError as e:
            raise CliConfigError(f"Invalid config: {e}") from None

    def one_by_one(self, batch, entries, start: int, sweep_dir: Path, error: OSError) -> list:
        """Launch the jobs of a batch that hold no record of their config yet, one at a time; a job whose files
        cannot be written is logged as failed (it holds no record: the exit status and the report count it)."""
        from nnapprox.experiment.records import load_records

        log.error("sweep: a job's files could not be written (%s); the other jobs go on", str(error).splitlines()[0])
        results = []
        for i, (job, entry) in enumerate(zip(batch, entries, strict=True)):
            old = load_records(sweep_dir / entry["dir"])
            if old and all(r.get("config_hash") == entry["config_hash"] for r in old):
                continue
            try:
                results += self.launcher.launch([job], initial_job_idx=start + i)
            except OSError as e:
                log.error("job %s failed: its files could not be written: %s", entry["dir"], str(e).splitlines()[0])
        return results

    def sweep(self, arguments: List[str]) -> Any:
        assert self.config is not None and self.launcher is not None and self.hydra_context is not None
        from nnapprox.cli.compose import CliConfigError
        from nnapprox.cli.run import VALIDATED_KEY
        from nnapprox.experiment.progress import SweepProgress
        from nnapprox.experiment.records import write_manifest
        from nnapprox.runner.report import check_judge

        manifest = self.validate_all(self.job_overrides(arguments))
        jobs = [e["overrides"] for e in manifest]  # one job per config hash
        try:  # the study's judgement windows, fixed before any job runs
            judge = check_judge(
                str(self.config.get("study", "")),
                self.config.get("plugin"),
                OmegaConf.to_container(self.config.judge) if self.config.get("judge") else None,
            )
        except ValueError as e:
            raise CliConfigError(f"Invalid config: {e}") from None
        sweep_dir = Path(self.config.hydra.sweep.dir)
        self.check_outputs(sweep_dir, len(jobs))
        try:
            write_manifest(sweep_dir, manifest, judge)
            OmegaConf.save(self.config, sweep_dir / "multirun.yaml")
        except OSError as e:  # e.g. disk full before the first job
            raise CliConfigError(
                f"out_root: the sweep folder {str(sweep_dir)!r} could not be written: {str(e).splitlines()[0]}"
            ) from None
        size = self.max_batch_size if self.max_batch_size and self.max_batch_size > 0 else max(len(jobs), 1)
        # each job carries the config hash validated here: a worker that validates it again writes into the
        # manifest's folder, and fails there if a user file changed since (nnapprox.cli.run.app)
        jobs = [
            list(job) + [f"++hydra.job.env_set.{VALIDATED_KEY}={entry['config_hash']}"]
            for job, entry in zip(jobs, manifest, strict=True)
        ]
        self.overrides = [jobs[i : i + size] for i in range(0, len(jobs), size)]
        returns, start = [], 0
        # k/K done, elapsed and ETA as jobs finish, whatever the launcher (it watches the job folders)
        with SweepProgress(sweep_dir, [j["dir"] for j in manifest], self.already_done):
            for batch in self.overrides:
                try:
                    results = self.launcher.launch(batch, initial_job_idx=start)
                except OSError as e:  # Hydra's own files of a job (disk full): that job failed, the rest run
                    results = self.one_by_one(batch, manifest[start : start + len(batch)], start, sweep_dir, e)
                for r in results:
                    _ = r.return_value  # re-raises a job's exception (nnapprox jobs record theirs instead)
                start += len(batch)
                returns.append(results)
        self.batch_index = len(self.overrides)
        return returns
