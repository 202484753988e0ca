"""One call from a grid to the tidy records frame, without Hydra: for notebooks (and the tests' small studies).

    >>> from nnapprox import sweep
    >>> runs = sweep({"target": "sin", "trainer": "oga", "model.width": [8, 16], "seed": [0, 1]},
    ...              "results/runs/mine", report=True)                                  # doctest: +SKIP

Every job goes through the code of ``nnapprox-run``: its config starts from the CLI's defaults
(:func:`nnapprox.experiment.presets.default_config`), a group given by name takes that preset
(``trainer="lbfgs_path"``, ``target="sin"``: the files in ``conf/``), it is validated once
(:func:`nnapprox.experiment.validation.canonical`; every job before the first one runs), and the
validated run goes to :func:`nnapprox.experiment.job.run_job`, which writes the same record files
into the same job folders (readable overrides plus the config hash). The frame is
:func:`nnapprox.report.collect.collect_records` of the sweep folder; the report, if asked, is
:func:`nnapprox.runner.report.run_report`'s, as at the end of a CLI sweep.
"""

from __future__ import annotations

import copy
import itertools
import logging
from pathlib import Path

from nnapprox.experiment.errors import ConfigError
from nnapprox.experiment.presets import default_config, preset
from nnapprox.experiment.schema import GROUPS

__all__ = ["sweep", "expand", "job_config"]

log = logging.getLogger("nnapprox.sweep")


def _text(value) -> str:
    """A value as a command-line override writes it (the job folder's readable part)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, (list, tuple)):
        return "[" + ",".join(_text(v) for v in value) + "]"
    return str(value)


def expand(grid) -> list[dict]:
    """The jobs of a grid: the Cartesian product of its list values (a list of grids: their union).

    A ``list`` value is swept; a ``tuple`` is one value (a list, e.g. ``"trainer.record_widths": (8, 32)``),
    and so is a dict (a group's keys, ``"trainer": {"name": "oga", "record_widths": [8, 32]}``). A job
    listed twice runs once.
    """
    grids = grid if isinstance(grid, (list, tuple)) else [grid]
    jobs, seen = [], set()
    for g in grids:
        if not isinstance(g, dict):
            raise ValueError(f"grid={g!r} must be a dict of keys and values (or a list of them)")
        keys = list(g)
        axes = [g[k] if isinstance(g[k], list) else [g[k]] for k in keys]
        if any(len(a) == 0 for a in axes):
            raise ValueError(f"grid: {[k for k, a in zip(keys, axes, strict=True) if not a]} sweep over no value")
        for values in itertools.product(*axes):
            job = {k: list(v) if isinstance(v, tuple) else v for k, v in zip(keys, values, strict=True)}
            key = repr(
                sorted((k, _text(v) if not isinstance(v, dict) else repr(sorted(v.items()))) for k, v in job.items())
            )
            if key not in seen:
                seen.add(key)
                jobs.append(job)
    return jobs


def job_config(job: dict, base: dict | None = None) -> dict:
    """The plain config of one job: ``base`` (default: the CLI's defaults), then the job's keys.

    Group choices come first (``"trainer": "oga"``: its preset), then group dicts (a dict naming
    another trainer or target replaces the group: that declaration plus the given keys; otherwise it
    updates the group), then dotted keys (``"model.width": 8``) and the run's own keys.
    """
    cfg = copy.deepcopy(default_config() if base is None else base)
    order = sorted(job.items(), key=lambda kv: (kv[0] not in GROUPS or not isinstance(kv[1], str), kv[0] not in GROUPS))
    for key, value in order:
        group, _, sub = key.rpartition(".")
        if key in GROUPS and isinstance(value, str):
            try:
                cfg[key] = preset(key, value)
            except ValueError as e:
                raise ConfigError(f"Invalid config: {e}") from None
        elif key in GROUPS and isinstance(value, dict):
            same = "name" not in value or value["name"] == (cfg.get(key) or {}).get("name")
            cfg[key] = {**(cfg.get(key) or {}), **value} if same else dict(value)
        elif group in GROUPS:
            cfg.setdefault(group, {})[sub] = value
        elif group:
            raise ConfigError(
                f"Invalid config: {key}={value!r} is not a key of the config; groups: {', '.join(GROUPS)}"
            )
        else:
            cfg[key] = value
    return cfg


def _readable(job: dict) -> str:
    """Hydra's ``override_dirname`` of the job: ``key=value`` sorted, joined by commas, bookkeeping keys left out."""
    from nnapprox.experiment.records import OVERRIDE_EXCLUDE

    items = []
    for key, value in job.items():
        if key in OVERRIDE_EXCLUDE:
            continue
        if isinstance(value, dict):
            items += [f"{key}.{k}={_text(v)}" for k, v in value.items()]
        else:
            items.append(f"{key}={_text(value)}")
    return ",".join(sorted(items))


def sweep(
    grid,
    out_dir,
    *,
    study: str | None = None,
    base: dict | None = None,
    report: bool = False,
    report_dir=None,
    plugin: str | None = None,
    judge: dict | None = None,
    resume: bool = True,
    n_boot: int = 2000,
):
    """Run a grid of jobs with the CLI's job and record code, without Hydra; return the tidy records frame.

    Parameters
    ----------
    grid : dict or list of dict
        Keys as on the command line (``"target"``, ``"trainer"``: a preset by name; ``"model.width"``,
        ``"trainer.lr"``, ``"seed"``: values), each a value or a ``list`` of values to sweep; a list of
        grids sweeps their union (like ``hydra.sweeper.grids``). See :func:`expand`.
    out_dir : path
        The sweep folder: one job folder per job below it (the same names as ``nnapprox-run -m``),
        the manifest ``sweep.json`` and, if asked, the report.
    study : str, optional
        The study (``study=`` of the records; it chooses the report's plug-in). Default: the name of
        ``out_dir``.
    base : dict, optional
        The plain config the jobs start from (default: ``nnapprox-run``'s defaults).
    report : bool
        Also write the report (REPORT.md, CSV, figures, verdicts.json) into ``report_dir`` (default
        ``out_dir``); its path is in ``frame.attrs["report"]``.
    plugin, judge : optional
        The study plug-in and its judgement windows, as the config keys ``plugin`` and ``judge``.
    resume : bool
        Skip a job whose folder holds finished records with the same config hash.
    n_boot : int
        Bootstrap resamples of the report.

    Returns
    -------
    pandas.DataFrame
        One row per record (:func:`nnapprox.report.collect.collect_records`).

    Raises
    ------
    ConfigError
        Before any job runs, for the first job whose config is refused (the one-line message of the
        CLI, and the job's keys).
    """
    from nnapprox.experiment.job import run_job
    from nnapprox.experiment.records import job_dirname, write_manifest
    from nnapprox.experiment.validation import canonical
    from nnapprox.report.collect import collect_records
    from nnapprox.runner.folders import check_writable, hold, release
    from nnapprox.runner.report import check_judge, run_report

    out_dir = Path(out_dir)
    study = study or out_dir.name
    runs = []
    for job in expand(grid):  # every job validated (once) before the first one runs
        cfg = job_config(job, base)
        cfg.update(study=study, resume=resume, **({"plugin": plugin} if plugin else {}))
        try:
            canon = canonical(cfg, check_memory=True)
        except ConfigError as e:
            raise ConfigError(f"{e} (job: {_readable(job) or 'defaults'})") from None
        if all(c.hash != canon.hash for _, _, c in runs):  # the same config twice (two grids): runs once
            runs.append((job_dirname(_readable(job), canon.hash), job, canon))
    try:
        windows = check_judge(study, plugin, judge)
    except ValueError as e:
        raise ConfigError(f"Invalid config: {e}") from None
    outputs = [("out_dir", out_dir)] + ([("report_dir", Path(report_dir))] if report and report_dir else [])
    for key, folder in outputs:  # every folder it writes, before the first job
        problem = check_writable(folder, key)
        if problem:
            raise ConfigError(f"Invalid config: {problem}")
    try:
        for _, folder in outputs:
            hold(folder)
    except ValueError as e:
        raise ConfigError(f"Invalid config: {e}") from None
    try:
        write_manifest(
            out_dir,
            [{"dir": d, "config_hash": c.hash, "overrides": _readable(j).split(",")} for d, j, c in runs],
            windows,
        )
        for i, (folder, _job, canon) in enumerate(runs, 1):
            log.info("job %d/%d: %s", i, len(runs), folder)
            try:
                run_job(canon, out_dir / folder, resume=resume)
            except OSError as e:  # (WriteError too) this job failed; the sweep goes on
                log.error("job %s failed: its files could not be written: %s", folder, e)
        frame = collect_records(out_dir, only=[folder for folder, _, _ in runs])
        if report:
            frame.attrs["report"] = str(
                run_report(
                    out_dir,
                    out_dir=Path(report_dir) if report_dir else out_dir,
                    study=study,
                    plugin=plugin,
                    judge=judge,
                    n_boot=n_boot,
                )
            )
    finally:
        for _, folder in outputs:
            release(folder)
    return frame
