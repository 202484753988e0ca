"""The one-call sweep (``nnapprox.sweep``): a grid and a folder in, the tidy records frame out, through the CLI's job
and record code."""

import json

import pytest
from helpers import nnrun

from nnapprox import sweep
from nnapprox.experiment.errors import ConfigError
from nnapprox.runner.sweep import expand, job_config

GRID = {"target": "sin", "model.width": [2, 3], "data.N": 100, "data.N_test": 128, "trainer.max_steps": 5}


def test_the_sweep_and_nnapprox_run_write_the_same_jobs(tmp_path):
    cli = [
        "-m",
        f"out_root={tmp_path / 'cli'}",
        "study=same",
        "target=sin",
        "model.width=2,3",
        "data.N=100",
        "data.N_test=128",
        "trainer.max_steps=5",
    ]
    proc = nnrun(*cli, cwd=tmp_path, timeout=300)
    assert proc.returncode == 0, proc.stderr
    runs = sweep(GRID, tmp_path / "api" / "same")
    assert len(runs) == 2 and set(runs["status"]) == {"ok"}
    by_dir = {}
    for side in ("cli", "api"):
        for p in sorted((tmp_path / side / "same").glob("*/record.json")):
            by_dir.setdefault(p.parent.name, {})[side] = json.loads(p.read_text())[0]
    assert len(by_dir) == 2 and all(len(v) == 2 for v in by_dir.values()), sorted(by_dir)  # same folder names
    for recs in by_dir.values():
        for key in ("config_hash", "test_mse", "train_mse", "steps", "model.width", "trainer.max_steps"):
            assert recs["cli"][key] == recs["api"][key], key
    assert sorted(runs["run_dir"]) == sorted(by_dir)


def test_a_refused_job_stops_the_sweep_before_any_job_runs(tmp_path):
    with pytest.raises(ConfigError, match=r"model.width=-3 must be an integer >= 1.*job: "):
        sweep({**GRID, "model.width": [2, -3]}, tmp_path / "bad")
    assert not list(tmp_path.rglob("record.json"))
    with pytest.raises(ConfigError, match="trainer.lr=0.1 is not an option of trainer 'oga'"):
        sweep({"target": "sin", "trainer": "oga", "trainer.lr": 0.1}, tmp_path / "bad")


def test_grids_presets_and_literal_lists():
    assert len(expand([{"a": [1, 2], "b": 3}, {"a": 1, "b": 3}, {"a": 5}])) == 3
    assert expand({"trainer.record_widths": (2, 4)}) == [{"trainer.record_widths": [2, 4]}]
    cfg = job_config({"trainer": "lbfgs_path", "trainer.max_steps": 7, "target": "sin"})
    assert cfg["trainer"] == {"name": "lbfgs", "max_steps": 7, "ftol": 0.0, "record_widths": [2, 4, 8, 16, 32, 64]}
    assert cfg["target"] == {"name": "sin", "freq": 3.0}  # the preset conf/target/sin.yaml, as target=sin
    assert job_config({"trainer": {"name": "oga", "max_scale": 4.0}})["trainer"] == {"name": "oga", "max_scale": 4.0}


def test_the_sweep_writes_the_report_when_asked(tmp_path):
    runs = sweep(
        {
            "target": "sin",
            "data.N": 100,
            "data.N_test": 128,
            "trainer": "oga",
            "activation": "sigmoid",
            "model.width": 4,
        },
        tmp_path / "rep",
        report=True,
        n_boot=200,
    )
    assert (tmp_path / "rep" / "REPORT.md").exists() and runs.attrs["report"].endswith("REPORT.md")
    assert (tmp_path / "rep" / "runs.csv").exists()
