"""Validate once per process (issue 23): the sweeper, the job-folder resolver, the callbacks, the app and the job
share one validation of each job."""

import sys
from collections import Counter

import pytest

SMALL = ["target=sin", "data.N=100", "data.N_test=128", "trainer.max_steps=3"]


@pytest.fixture
def count(monkeypatch):
    """Counts every validation (``canonical``) by config hash, wherever it is called from."""
    import nnapprox.cli.compose as compose
    import nnapprox.experiment.job as job
    import nnapprox.experiment.validation as validation

    seen = Counter()
    real = validation.canonical

    def counting(*a, **k):
        canon = real(*a, **k)
        seen[canon.hash] += 1
        return canon

    monkeypatch.setattr(compose, "_MEMO", {})
    for module in (compose, job, validation):
        monkeypatch.setattr(module, "canonical", counting)
    return seen


def _main(monkeypatch, *argv):
    """``nnapprox-run`` in this process; Hydra's logging set-up (handlers on pytest's captured streams) undone."""
    import logging

    import nnapprox.cli.run

    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    monkeypatch.setattr(sys, "argv", ["nnapprox-run", *argv])
    try:
        nnapprox.cli.run.main()
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)


def test_a_single_run_is_validated_once(tmp_path, monkeypatch, count):
    _main(monkeypatch, f"out_root={tmp_path}", "study=once", "model.width=3", *SMALL)
    assert list(tmp_path.rglob("record.json")) and list(count.values()) == [1]


def test_each_job_of_a_sweep_is_validated_once(tmp_path, monkeypatch, count):
    _main(monkeypatch, "-m", f"out_root={tmp_path}", "study=once", "model.width=2,3,4", *SMALL)
    assert len(list(tmp_path.rglob("record.json"))) == 3
    assert len(count) == 3 and set(count.values()) == {1}, count
