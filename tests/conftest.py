"""Shared test helpers: configs as plain dicts, and small studies run as real jobs."""
from __future__ import annotations

import copy
from pathlib import Path

import pytest
from omegaconf import OmegaConf

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


@pytest.fixture(autouse=True, scope="session")
def _c_f_cache(tmp_path_factory):
    """The C_f estimates' disk cache of the tests (and of their subprocesses) in a temporary folder, not ~/.cache."""
    import os

    if "NNAPPROX_CACHE_DIR" not in os.environ:
        os.environ["NNAPPROX_CACHE_DIR"] = str(tmp_path_factory.mktemp("nnapprox-cache"))
    yield


# Hypothesis (the fuzz tests): a modest example count in `make test`; `pytest --hypothesis-profile=slow` runs more.
from hypothesis import settings as _hyp_settings  # noqa: E402

_hyp_settings.register_profile("default", max_examples=50, deadline=None)
_hyp_settings.register_profile("slow", max_examples=1000, deadline=None)
_hyp_settings.load_profile("default")
