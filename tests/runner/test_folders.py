"""Sweep folders have one owner at a time, and every option and output path is checked before the first job
(issue 24; each test replays one of the repro scripts in ``../shared/repros/NN.sh`` in this process)."""

import fcntl
import json
import logging
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from nnapprox.base.io import WriteError
from nnapprox.runner.folders import LOCK_FILE, check_n_jobs, hold, release

SMALL = ["target=sin", "data.N=100", "data.N_test=100", "trainer.max_steps=3"]


def _main(monkeypatch, capsys, *argv) -> tuple[int, str]:
    """``nnapprox-run`` in this process: its exit status and its stderr (Hydra's logging set-up undone)."""
    import nnapprox.cli.compose as compose
    import nnapprox.cli.run

    monkeypatch.setattr(compose, "_MEMO", {})
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    monkeypatch.setattr(sys, "argv", ["nnapprox-run", *argv])
    capsys.readouterr()
    try:
        nnapprox.cli.run.main()
        rc = 0
    except SystemExit as e:
        rc = int(e.code or 0)
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)
    return rc, capsys.readouterr().err


def _errors(err: str) -> list[str]:
    return [ln for ln in err.splitlines() if ln.startswith(("Error", "Invalid config"))]


def _jobs(folder: Path) -> list[Path]:
    return sorted(p.parent for p in folder.rglob("record.json"))


# --- 15: one job per config hash -------------------------------------------------------------------------------


def test_the_same_config_in_two_grids_runs_once_and_is_counted_once(tmp_path, monkeypatch, capsys):
    conf = tmp_path / "cfg" / "experiment"
    conf.mkdir(parents=True)
    (conf / "mg.yaml").write_text("""# @package _global_
defaults:
  - override /target: sin
study: mg
data: {N: 100, N_test: 100}
trainer: {max_steps: 3}
hydra:
  sweeper:
    grids:
      - {model.width: "2,4"}
      - {activation: tanh, model.width: 4}
""")
    rc, err = _main(
        monkeypatch,
        capsys,
        "-m",
        "--config-dir",
        str(tmp_path / "cfg"),
        "experiment=mg",
        f"out_root={tmp_path / 'runs'}",
    )
    assert rc == 0, err
    df = pd.read_csv(tmp_path / "runs" / "mg" / "runs.csv")
    assert len(_jobs(tmp_path / "runs" / "mg")) == 2
    assert len(df) == df["config_hash"].nunique() == 2
    manifest = json.loads((tmp_path / "runs" / "mg" / "sweep.json").read_text())["jobs"]
    assert len({j["config_hash"] for j in manifest}) == len(manifest) == 2


def test_the_api_sweep_runs_a_config_of_two_grids_once(tmp_path):
    from nnapprox import sweep

    grid = [
        {"target": "sin", "data.N": 100, "data.N_test": 100, "trainer.max_steps": 3, "model.width": [2, 4]},
        {
            "target": "sin",
            "data.N": 100,
            "data.N_test": 100,
            "trainer.max_steps": 3,
            "model.width": 4,
            "activation.name": "tanh",
        },
    ]
    frame = sweep(grid, tmp_path / "s")
    assert len(frame) == frame["config_hash"].nunique() == 2


# --- 18: one owner at a time -----------------------------------------------------------------------------------


def _held_elsewhere(folder: Path):
    """The lock of ``folder`` taken through another open file (as another process would hold it)."""
    folder.mkdir(parents=True, exist_ok=True)
    fh = open(folder / LOCK_FILE, "a+")
    fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    fh.write("4242\n")
    fh.flush()
    return fh


def test_a_second_sweep_into_a_folder_in_use_is_refused_before_any_job(tmp_path, monkeypatch, capsys):
    fh = _held_elsewhere(tmp_path / "runs" / "same")
    try:
        rc, err = _main(
            monkeypatch, capsys, "-m", *SMALL, "model.width=2,4", f"out_root={tmp_path / 'runs'}", "study=same"
        )
    finally:
        fh.close()
    assert rc == 1
    assert not _jobs(tmp_path / "runs") and not (tmp_path / "runs" / "same" / "sweep.json").exists()
    (line,) = [ln for ln in _errors(err) if "in use" in ln]
    assert "pid 4242" in line and "out_root" in line


def test_the_lock_is_released_when_the_sweep_and_its_report_end(tmp_path, monkeypatch, capsys):
    rc, err = _main(monkeypatch, capsys, "-m", *SMALL, "model.width=2", f"out_root={tmp_path}", "study=s")
    assert rc == 0, err
    _held_elsewhere(tmp_path / "s").close()  # free again: another process could take it now


def test_hold_refuses_a_folder_another_owner_holds_and_release_frees_it(tmp_path):
    fh = _held_elsewhere(tmp_path)
    with pytest.raises(ValueError, match="in use by another sweep") as e:
        hold(tmp_path)
    assert "\n" not in str(e.value)
    fh.close()
    hold(tmp_path)
    hold(tmp_path)  # this process again: no-op
    with pytest.raises(BlockingIOError):
        _held_elsewhere(tmp_path)
    release(tmp_path)
    _held_elsewhere(tmp_path).close()


def test_the_api_sweep_is_refused_in_a_folder_in_use(tmp_path):
    from nnapprox import sweep
    from nnapprox.experiment.errors import ConfigError

    fh = _held_elsewhere(tmp_path / "s")
    try:
        with pytest.raises(ConfigError, match="in use by another sweep"):
            sweep({"target": "sin", "data.N": 100, "trainer.max_steps": 3}, tmp_path / "s")
    finally:
        fh.close()
    assert not _jobs(tmp_path)


# --- 20, 23: every output path and launcher option checked first -------------------------------------------------


def test_an_unwritable_report_dir_is_refused_before_any_job(tmp_path, monkeypatch, capsys):
    (tmp_path / "afile").write_text("x")
    rc, err = _main(
        monkeypatch,
        capsys,
        "-m",
        *SMALL,
        "model.width=2,4",
        f"out_root={tmp_path / 'runs'}",
        f"report_dir={tmp_path / 'afile' / 'rep'}",
    )
    assert rc == 1 and not _jobs(tmp_path)
    (line,) = _errors(err)
    assert "report_dir=" in line and "afile" in line


@pytest.mark.parametrize("n_jobs", ["0", "-2", "1.5", "abc"])
def test_a_bad_launcher_n_jobs_is_refused_before_any_job(tmp_path, monkeypatch, capsys, n_jobs):
    rc, err = _main(
        monkeypatch,
        capsys,
        "-m",
        *SMALL,
        "model.width=2,4",
        f"out_root={tmp_path}",
        "hydra/launcher=joblib",
        f"hydra.launcher.n_jobs={n_jobs}",
    )
    assert rc == 1 and not _jobs(tmp_path)
    assert any("n_jobs" in ln for ln in err.splitlines()), err


def test_n_jobs_is_capped_at_the_number_of_jobs():
    assert check_n_jobs(8, 3) == 3 and check_n_jobs(2, 3) == 2 and 1 <= check_n_jobs(-1, 2) <= 2
    for bad in (0, -2, 1.5, True, "2", float("nan")):
        with pytest.raises(ValueError, match="n_jobs"):
            check_n_jobs(bad, 3)


def test_chdir_true_runs_every_job_with_a_relative_table(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    X = np.random.default_rng(0).uniform(-1, 1, (300, 2))
    np.savetxt("data.csv", np.c_[X, X[:, 0] * X[:, 1]], delimiter=",", header="x1,x2,y", comments="")
    rc, err = _main(
        monkeypatch,
        capsys,
        "-m",
        "hydra.job.chdir=true",
        "target=table",
        "target.path=data.csv",
        "data.N=200",
        "data.N_test=100",
        "trainer.max_steps=3",
        "model.width=2,4",
        "out_root=runs",
    )
    assert rc == 0, err
    assert len(_jobs(tmp_path / "runs")) == 2
    assert all(
        r["status"] == "ok" for j in _jobs(tmp_path / "runs") for r in json.loads((j / "record.json").read_text())
    )


# --- 21: a write failure is that job's failure -------------------------------------------------------------------


def test_a_write_error_in_one_job_fails_that_job_and_the_sweep_goes_on(tmp_path, monkeypatch, capsys):
    import nnapprox.cli.run as run

    real = run.run_job

    def full_disk(canon, out_dir, **kw):
        if "model.width=2," in str(out_dir):
            raise WriteError(f"cannot write {out_dir}/record.json: No space left on device")
        return real(canon, out_dir, **kw)

    monkeypatch.setattr(run, "run_job", full_disk)
    rc, err = _main(monkeypatch, capsys, "-m", *SMALL, "model.width=2,4,8", f"out_root={tmp_path}", "study=s")
    assert rc == 1
    assert "Traceback" not in err
    assert len(_jobs(tmp_path / "s")) == 2
    report = (tmp_path / "s" / "REPORT.md").read_text()
    assert "hold no record" in report and "model.width=2," in report
    assert any("1 job(s) failed" in ln for ln in _errors(err))


def test_hydras_own_files_failing_for_one_job_fail_only_that_job(tmp_path, monkeypatch, capsys):
    import hydra.core.utils as hcu

    real = hcu._save_config

    def full_disk(cfg, filename, output_dir):
        if "model.width=4," in str(output_dir):
            raise OSError(28, "No space left on device")
        return real(cfg, filename, output_dir)

    monkeypatch.setattr(hcu, "_save_config", full_disk)
    rc, err = _main(monkeypatch, capsys, "-m", *SMALL, "model.width=2,4,8", f"out_root={tmp_path}", "study=s")
    assert rc == 1 and "Traceback" not in err
    assert sorted("model.width=4," in j.name for j in _jobs(tmp_path / "s")) == [False, False]
    assert (tmp_path / "s" / "REPORT.md").exists()


def test_a_failed_report_makes_the_exit_status_1(tmp_path, monkeypatch, capsys):
    import nnapprox.runner.report as report

    def broken(*a, **k):
        raise WriteError("cannot write runs.csv: No space left on device")

    monkeypatch.setattr(report, "run_report", broken)
    rc, err = _main(monkeypatch, capsys, "-m", *SMALL, "model.width=2", f"out_root={tmp_path}", "study=s")
    assert rc == 1
    assert any("report" in ln and "No space left" in ln for ln in _errors(err)), err


# --- 33, 37: the command line itself -----------------------------------------------------------------------------


@pytest.mark.parametrize("multirun", [False, True])
def test_a_key_given_twice_is_refused(tmp_path, monkeypatch, capsys, multirun):
    rc, err = _main(
        monkeypatch,
        capsys,
        *(["-m"] if multirun else []),
        "target=sin",
        "data.N=200",
        "trainer.max_steps=3",
        "model.width=4",
        "data.N=1",
        f"out_root={tmp_path}",
    )
    assert rc == 1 and not any(tmp_path.iterdir())
    (line,) = _errors(err)
    assert "data.N is given twice" in line and "data.N=200" in line and "data.N=1" in line


def test_a_misspelt_key_without_plus_gets_our_line(tmp_path, monkeypatch, capsys):
    rc, err = _main(monkeypatch, capsys, "model.widht=64", f"out_root={tmp_path}")
    assert rc == 1 and not any(tmp_path.iterdir())
    (line,) = _errors(err)
    assert "model.widht" in line and "did you mean model.width" in line and "+model" not in line


def test_the_sweeper_caps_the_joblib_workers_at_the_number_of_jobs(tmp_path):
    import types

    from omegaconf import OmegaConf

    from hydra_plugins.nnapprox_sweeper.sweeper import ValidatingSweeper

    sweeper = ValidatingSweeper.__new__(ValidatingSweeper)  # only what check_outputs reads
    sweeper.config = OmegaConf.create({"report_dir": None, "hydra": {"launcher": {"n_jobs": 8}}})
    sweeper.launcher = types.SimpleNamespace(joblib={"n_jobs": 8})
    try:
        sweeper.check_outputs(tmp_path / "sw", 3)
        assert sweeper.launcher.joblib["n_jobs"] == 3
        with pytest.raises(BlockingIOError):  # and the folder is this sweep's now
            _held_elsewhere(tmp_path / "sw")
    finally:
        release(tmp_path / "sw")
