"""nnapprox.cli.callbacks: a single run is checked before its folder exists; a sweep is reported when it ends."""

import logging

import pytest
from helpers import plain_config
from hydra import compose, initialize_config_dir
from omegaconf import OmegaConf

from nnapprox.cli.callbacks import AggregateCallback
from nnapprox.cli.compose import CliConfigError
from nnapprox.cli.run import CONF_DIR
from nnapprox.experiment.job import run_job


def _composed(*overrides):
    with initialize_config_dir(config_dir=CONF_DIR, version_base="1.3"):
        return compose(config_name="config", overrides=list(overrides), return_hydra_config=True)


def test_a_valid_run_starts_and_a_bad_one_is_refused_in_one_line():
    cb = AggregateCallback()
    cb.on_run_start(_composed("target=sin", "model.width=3"))
    with pytest.raises(CliConfigError, match="model.width=-3") as err:
        cb.on_run_start(_composed("target=sin", "model.width=-3"))
    assert "\n" not in str(err.value)


def test_an_unknown_judgement_window_is_refused_before_the_run():
    with pytest.raises(CliConfigError, match=r"^Invalid config: .*no_such_window") as err:
        AggregateCallback().on_run_start(_composed("experiment=width_scaling", "+judge={no_such_window: 1}"))
    assert "\n" not in str(err.value)


def _sweep_end(sweep, report_dir=None, study="cb"):
    return OmegaConf.create(
        {
            "hydra": {"sweep": {"dir": str(sweep)}},
            "report_dir": report_dir and str(report_dir),
            "study": study,
            "plugin": None,
        }
    )


def test_a_sweep_end_writes_its_report_where_report_dir_says(tmp_path):
    sweep = tmp_path / "sweep"
    for w in (2, 3):
        run_job(
            plain_config(
                target={"name": "sin", "d": 1},
                trainer={"name": "lbfgs", "max_steps": 5},
                **{"data.N": 100, "data.N_test": 128, "model.width": w, "study": "cb"},
            ),
            sweep / f"w{w}",
        )
    AggregateCallback().on_multirun_end(_sweep_end(sweep, tmp_path / "report"))
    assert (tmp_path / "report" / "REPORT.md").exists() and (tmp_path / "report" / "runs.csv").exists()
    assert not (sweep / "REPORT.md").exists()
    AggregateCallback().on_multirun_end(_sweep_end(sweep))  # no report_dir: beside the runs
    assert (sweep / "REPORT.md").exists()


def test_a_failed_report_is_logged_with_the_command_to_rerun_it_and_does_not_raise(tmp_path, caplog):
    (tmp_path / "empty").mkdir()
    with caplog.at_level(logging.ERROR, logger="nnapprox.sweep"):
        AggregateCallback().on_multirun_end(_sweep_end(tmp_path / "empty"))
    assert f"rerun: nnapprox-report {tmp_path / 'empty'}" in caplog.text
