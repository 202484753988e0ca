"""``nnapprox-report``: every option checked in one line, a job's report never replaces its sweep's, and the
plug-in chosen by the records (issue 24, repro scripts 17, 28 and 39 replayed in this process)."""

import math

import pandas as pd
import pytest
from helpers import small_sin_cfg
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nnapprox.cli.report import main as report_main
from nnapprox.experiment.job import run_job

GRID = {"target": "sin", "data.N": 100, "data.N_test": 100, "trainer.max_steps": 3, "model.width": [2, 4, 8]}


@pytest.fixture(scope="module")
def swept(tmp_path_factory):
    """A three-job sweep folder of study ``s`` with its report."""
    from nnapprox import sweep

    folder = tmp_path_factory.mktemp("rep") / "s"
    sweep(GRID, folder, report=True, n_boot=200)
    return folder


def _report(capsys, *argv) -> tuple[int, str]:
    capsys.readouterr()
    try:
        rc = report_main([str(a) for a in argv])
    except SystemExit as e:  # argparse refuses an option
        rc = int(e.code or 0)
    return rc, capsys.readouterr().err


def _snapshot(folder):
    return {p.name: p.read_bytes() for p in folder.iterdir() if p.is_file()}


# --- 17 -----------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("which", ["record.json", "job folder"])
def test_reporting_one_job_leaves_the_sweeps_report_alone(swept, capsys, which):
    before = _snapshot(swept)
    job = next(p.parent for p in swept.rglob("record.json") if "model.width=2," in p.parent.name)
    rc, err = _report(capsys, job / "record.json" if which == "record.json" else job, "--n-boot", 200)
    assert rc == 0, err
    assert _snapshot(swept) == before  # runs.csv, REPORT.md, verdicts.json of the sweep unchanged
    assert len(pd.read_csv(swept / "runs.csv")) == 3
    assert len(pd.read_csv(job / "runs.csv")) == 1 and (job / "REPORT.md").exists()


def test_out_into_another_sweeps_folder_is_refused(swept, tmp_path, capsys):
    from nnapprox import sweep

    other = tmp_path / "other"
    sweep({**GRID, "model.width": 3}, other)
    before = _snapshot(other)
    rc, err = _report(capsys, swept, "--out", other, "--n-boot", 200)
    assert rc == 2 and len(err.strip().splitlines()) == 1
    assert "another sweep" in err and str(other) in err
    assert _snapshot(other) == before


# --- 28: every option -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "argv, key",
    [
        (["--n-boot", "5"], "--n-boot"),
        (["--n-boot", "nan"], "--n-boot"),
        (["--seed", "-1"], "--seed"),
        (["--fit-range", "n=nan:8"], "--fit-range"),
        (["--fit-range", "n=1:inf"], "--fit-range"),
        (["--fit-range", "n=8:2"], "--fit-range"),
        (["--judge", "n_min=nan"], "--judge"),
        (["--judge", "n_min=inf"], "--judge"),
        (["--tol", "nan"], "--tol"),
    ],
)
def test_a_bad_report_option_is_one_line_and_writes_nothing(swept, capsys, argv, key):
    before = _snapshot(swept)
    rc, err = _report(capsys, swept, *argv)
    assert rc == 2
    (line,) = err.strip().splitlines()
    assert line.startswith("nnapprox-report: error:") and key in line, err
    assert _snapshot(swept) == before


def test_a_missing_folder_is_one_line(tmp_path, capsys):
    rc, err = _report(capsys, tmp_path / "nope")
    assert rc == 2 and len(err.strip().splitlines()) == 1 and "does not exist" in err


# --- 39: plug-ins chosen by the records ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def named_like_depth(tmp_path_factory):
    """A sweep of study ``depth`` (a built-in study's name) whose records are not the depth study's."""
    from nnapprox import sweep

    folder = tmp_path_factory.mktemp("dep") / "depth"
    frame = sweep(GRID, folder, study="depth", report=True, n_boot=200)
    return folder, frame


def test_a_study_named_like_a_builtin_gets_the_generic_analysis_with_a_warning(named_like_depth, capsys):
    folder, frame = named_like_depth
    assert "report" in frame.attrs
    text = (folder / "REPORT.md").read_text()
    assert "**Warning:**" in text and "nnapprox.studies.depth" in text and "generic analysis" in text
    rc, err = _report(capsys, folder, "--n-boot", 200)
    assert rc == 0, err
    assert "Traceback" not in err


def test_a_plugin_chosen_by_the_caller_that_fails_is_one_line_and_exit_2(named_like_depth, capsys):
    folder, _ = named_like_depth
    before = _snapshot(folder)
    rc, err = _report(capsys, folder, "--plugin", "depth", "--n-boot", 200)
    assert rc == 2 and len(err.strip().splitlines()) == 1
    assert "plug-in nnapprox.studies.depth failed" in err and "study 'depth'" in err
    assert _snapshot(folder) == before


# --- the fuzz harness, for nnapprox-report's options -------------------------------------------------------------

_NUMBERS = ["nan", "inf", "-inf", "1e309", "-1", "0", "", "abc", "1", "4", "0.5", "1e3", "2,3"]


@st.composite
def report_options(draw):
    """An option list of nnapprox-report: hostile and plausible values of every option that takes one."""
    out = []
    if draw(st.booleans()):
        out += ["--n-boot", draw(st.sampled_from(_NUMBERS + ["100", "200"]))]
    if draw(st.booleans()):
        out += ["--seed", draw(st.sampled_from(_NUMBERS))]
    for _ in range(draw(st.integers(0, 2))):
        axis = draw(st.sampled_from(["model.width", "n", "", "nope"]))
        lo, hi = draw(st.sampled_from(_NUMBERS)), draw(st.sampled_from(_NUMBERS))
        out += ["--fit-range", f"{axis}={lo}:{hi}"]
    if draw(st.integers(0, 3)) == 0:
        out += ["--judge", f"{draw(st.sampled_from(['n_min', '', 'x']))}={draw(st.sampled_from(_NUMBERS))}"]
    if draw(st.integers(0, 4)) == 0:
        out += [draw(st.sampled_from(["--tol", "--n_boot", "--svg", "--all"])), draw(st.sampled_from(_NUMBERS))]
    return out


_COUNTER = iter(range(10**9))


@settings(
    max_examples=settings.default.max_examples,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(report_options())
def test_fuzz_report_options(swept, tmp_path_factory, capsys, argv):
    """Every option list: a one-line refusal (exit 2) that writes nothing, or a report (exit 0) whose values are
    finite where they came from a float option."""
    out = tmp_path_factory.getbasetemp() / f"fuzz{next(_COUNTER)}"
    before = _snapshot(swept)
    if "--n-boot" not in argv:
        argv = [*argv, "--n-boot", "100"]
    rc, err = _report(capsys, swept, "--out", out, *argv)
    assert _snapshot(swept) == before
    if rc == 0:
        assert (out / "REPORT.md").exists()
        for i, a in enumerate(argv[:-1]):
            if a == "--fit-range":
                bounds = argv[i + 1].partition("=")[2].split(":")
                assert all(b.strip() == "" or math.isfinite(float(b)) for b in bounds), argv
        return
    assert rc == 2, (argv, err)
    (line,) = err.strip().splitlines()
    assert line.startswith("nnapprox-report: error:"), (argv, err)
    assert not (out / "REPORT.md").exists()


# nnapprox-report: a record.json path, unknown fit axes, failed runs' messages, missing jobs, empty folders
def test_report_rough_edges(tmp_path, capsys):
    sweep = tmp_path / "sweep"
    for w in (2, 3, 4):
        run_job(small_sin_cfg(trainer={"name": "lbfgs", "max_steps": 5}, **{"model.width": w}), sweep / f"w{w}")
    assert report_main([str(sweep / "w2" / "record.json"), "--out", str(tmp_path / "one")]) == 0
    assert report_main([str(sweep), "--fit-range", "foo=1:2", "--out", str(tmp_path / "x")]) == 2
    assert "fit_range axis 'foo'" in capsys.readouterr().err
    failed = tmp_path / "failed"
    run_job(small_sin_cfg(trainer={"name": "adam", "lr": 1e8, "max_steps": 50}), failed / "a")
    (failed / "killed" / ".hydra").mkdir(parents=True)
    assert report_main([str(failed), "--out", str(tmp_path / "f")]) == 0
    text = (tmp_path / "f" / "REPORT.md").read_text()
    assert "## Failed and missing jobs" in text and "**diverged**" in text and "`killed`" in text
    (tmp_path / "empty").mkdir()
    assert report_main([str(tmp_path / "empty")]) == 2 and "no records" in capsys.readouterr().err
