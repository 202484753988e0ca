"""The refusal matrix, in this process: every bad command line is refused by ``nnapprox-run``'s own ``main`` with
exit status 1, a one-line message naming the key, the value and what is allowed, no traceback, and no record
(a refused single run leaves no folder at all). A few subprocess starts per mechanism stay in
tests/cli/test_run.py (single run, sweep, unwritable folder, SIGTERM, joblib)."""

from __future__ import annotations

import pytest
from helpers import SMALL, refused, run_cli

#: (overrides, what the message names), each refused as a single run and as a sweep.
BOTH = [
    # unknown keys, with or without +
    (["+model.widht=64"], "model.widht=64 is not a key of model; did you mean model.width"),
    (["+data.NN=5"], "data.NN=5 is not a key of data"),
    (["+activation.slop=0.1"], "activation.slop=0.1 is not a key"),
    (["+foo=1"], "foo=1 is not a key of the config"),
    (["model.widht=3"], "model.widht"),
    # bad values and groups
    (["model.width=abc"], "model.width"),
    (["activation=foo"], "activation/foo"),
    (["model.width=-3"], "model.width=-3"),
    (["data.N=0"], "data.N=0"),
]
#: Refused in a sweep (checked before the first job; the single run of the first value is checked the same way).
SWEEP = [
    (["trainer=oga", "trainer.lr=0.1"], "trainer.lr=0.1 is not an option of trainer 'oga'"),
    (["trainer.tol=inf"], "trainer.tol=inf must be >= 0 and finite"),
    (["trainer.ftol=inf"], "trainer.ftol=inf must be >= 0 and finite"),
    (["trainer=random_features", "trainer.ridge=inf"], "trainer.ridge=inf must be >= 0 and finite"),
    (["trainer=lbfgs_path", "trainer.record_widths=[]"], "trainer.record_widths=[] must be a non-empty list"),
    (["model.init=normal", "model.init_std=inf"], "model.init_std=inf must be > 0 and finite"),
    (["model.init_std=0.5"], "model.init_std=0.5 is not used by this run"),
]


def _no_record(folder):
    return not list(folder.rglob("record.json"))


@pytest.mark.parametrize("overrides,needle", BOTH, ids=[o[0] for o, _ in BOTH])
def test_a_bad_single_run_is_refused_in_one_line_and_leaves_nothing(tmp_path, monkeypatch, capsys, overrides, needle):
    out = tmp_path / "out"
    assert refused(run_cli(monkeypatch, capsys, f"out_root={out}", *SMALL, *overrides), needle)
    assert not out.exists()


@pytest.mark.parametrize("overrides,needle", BOTH + SWEEP, ids=[" ".join(o) for o, _ in BOTH + SWEEP])
def test_a_bad_sweep_is_refused_in_one_line_before_any_job(tmp_path, monkeypatch, capsys, overrides, needle):
    assert refused(
        run_cli(monkeypatch, capsys, "-m", f"out_root={tmp_path}", *SMALL, "model.width=2,3", *overrides), needle
    )
    assert _no_record(tmp_path)


def test_a_bad_value_late_in_a_grid_stops_the_sweep_before_the_first_job(tmp_path, monkeypatch, capsys):
    assert refused(
        run_cli(
            monkeypatch,
            capsys,
            "-m",
            f"out_root={tmp_path}",
            "study=grid",
            "model.width=4,8,-3",
            "data.N=100",
            "trainer.max_steps=5",
        ),
        "model.width=-3",
    )
    assert _no_record(tmp_path)


@pytest.mark.parametrize("group", ["trainer", "target", "model"])
def test_a_null_group_is_one_line(tmp_path, monkeypatch, capsys, group):
    assert refused(run_cli(monkeypatch, capsys, f"out_root={tmp_path}", f"{group}=null"), f"{group}=null")
    assert refused(run_cli(monkeypatch, capsys, "-m", f"out_root={tmp_path}", f"{group}=null", "seed=0,1"), "null")
    assert _no_record(tmp_path)


def test_a_job_that_cannot_fit_in_memory_is_refused(tmp_path, monkeypatch, capsys):
    assert refused(run_cli(monkeypatch, capsys, f"out_root={tmp_path}", "model.width=1000000000"), "GiB are available")
    assert _no_record(tmp_path)


def test_an_unwritable_output_folder_is_one_line(tmp_path, monkeypatch, capsys):
    blocker = tmp_path / "a_file"
    blocker.write_text("not a folder")
    assert refused(run_cli(monkeypatch, capsys, f"out_root={blocker / 'out'}", *SMALL), str(blocker))
    assert refused(
        run_cli(monkeypatch, capsys, "-m", f"out_root={blocker / 'out'}", *SMALL, "model.width=2,3"), str(blocker)
    )
