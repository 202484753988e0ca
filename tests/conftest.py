"""Shared test helpers: configs as plain dicts, and small studies run as real jobs."""
from __future__ import annotations

import copy
import os
from pathlib import Path

import pytest
from hypothesis import settings
from omegaconf import OmegaConf

# Hypothesis profiles: `default` keeps `make test` short; the fuzz tests marked slow rerun each property with
# `slow` (HYPOTHESIS_PROFILE=slow runs every property test with it). `default` is derandomized: `make test` draws
# the same examples every time; `slow` draws new ones on each run.
settings.register_profile("default", max_examples=30, deadline=None, derandomize=True)
settings.register_profile("slow", max_examples=400, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))

_SCHEMA = None


def plain_config(**dotted):
    """A schema-default config with dotted overrides: ``plain_config(**{"model.width": 4})``.

    A group given as a dict (``trainer={"name": "oga"}``) updates that group.
    """
    global _SCHEMA
    from nnapprox.experiment.schema import Config
    if _SCHEMA is None:
        _SCHEMA = OmegaConf.to_container(OmegaConf.structured(Config))
    cfg = copy.deepcopy(_SCHEMA)
    for key, value in dotted.items():
        if isinstance(value, dict):
            cfg[key] = {**cfg[key], **value}
            continue
        group, _, field = key.rpartition(".")
        (cfg[group] if group else cfg)[field] = value
    return cfg


def compose(overrides):
    """The config ``nnapprox-run`` composes from ``overrides`` (hydra node included), in-process."""
    from hydra import compose as hydra_compose, initialize_config_dir

    from nnapprox.cli.run import CONF_DIR

    with initialize_config_dir(config_dir=CONF_DIR, version_base="1.3"):
        return hydra_compose(config_name="config", overrides=list(overrides), return_hydra_config=True)


def run_study(root: Path, study: str, jobs):
    """Run each config of ``jobs`` (dicts of dotted overrides) as a job under ``root/<study>/``, through the
    one-call sweep (:func:`nnapprox.sweep`: the CLI's job and record code).

    Returns
    -------
    runs : pandas.DataFrame
        The collected records.
    ctx : StudyContext
    """
    from nnapprox import sweep
    from nnapprox.report.study import StudyContext

    folder = Path(root) / study
    runs = sweep([{k: tuple(v) if isinstance(v, list) else v for k, v in job.items()} for job in jobs], folder,
                 study=study, base=plain_config())
    return runs, StudyContext(name=study, sweep_dir=folder, n_boot=200)


@pytest.fixture
def study_runner(tmp_path):
    """``study_runner(study, jobs)`` -> ``(runs, ctx)`` (see :func:`run_study`)."""
    return lambda study, jobs: run_study(tmp_path, study, jobs)
