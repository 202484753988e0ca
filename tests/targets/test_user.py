"""Issue 15: the user's own function and data, sweep progress, portable results."""

import csv
import json
import math
import re

import numpy as np
import pytest
from helpers import ROOT, nnrun, plain_config
from helpers import records_under as records

from nnapprox.experiment.validation import ConfigError, canonical
from nnapprox.targets.builtin import get_target

MODULE = '''
import numpy as np

def bump(X):
    """exp(-|x|^2 / 2): the built-in gaussian (s = 1)."""
    return np.exp(-np.sum(X * X, axis=1) / 2)

def narrow(X):
    """exp(-|x|^2 / (2 s^2)) with s = 0.5."""
    return np.exp(-np.sum(X * X, axis=1) / 0.5)

def wave(X):
    return np.sin(3 * X[:, 0])

def columns(X):
    return X

def nan(X):
    return np.full(len(X), np.nan)

def boom(X):
    raise RuntimeError("no")
'''


@pytest.fixture
def workdir(tmp_path, monkeypatch):
    (tmp_path / "usermod.py").write_text(MODULE)
    rng = np.random.default_rng(0)
    X = rng.uniform(-1, 1, size=(240, 2))
    rows = np.c_[X, np.sin(2 * X[:, 0]) * X[:, 1]]
    with open(tmp_path / "table.csv", "w") as fh:
        fh.write("a,b,y\n")
        for r in rows:
            fh.write(",".join(f"{v:.10g}" for v in r) + "\n")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def py_cfg(**target):
    return plain_config(
        target={"name": "python", "d": 1, **target}, **{"data.N": 100, "data.N_test": 64, "model.width": 4}
    )


# --- the numerical C_f of the user-target path -------------------------------------------


@pytest.mark.parametrize("fn,d,s", [("bump", 1, 1.0), ("bump", 2, 1.0), ("narrow", 1, 0.5), ("narrow", 2, 0.5)])
def test_the_numerical_c_f_of_a_user_function_matches_the_closed_form(workdir, fn, d, s):
    t = canonical(py_cfg(fn=f"usermod:{fn}", d=d)).target
    closed = get_target("gaussian", d=d, s=s).c_f
    assert t.c_f == pytest.approx(closed, rel=1e-3)
    assert t.info["c_f_method"].startswith("estimated: FFT") and t.info["c_f_error"] < 1e-3


def test_a_given_c_f_wins_and_a_non_decaying_function_has_none(workdir):
    t = canonical(py_cfg(fn="usermod:wave", c_f=3.0)).target
    assert t.c_f == 3.0 and t.info["c_f_method"] == "given"
    t = canonical(py_cfg(fn="usermod:wave")).target
    assert t.c_f is None and t.info["c_f_method"].startswith("unknown: f does not decay")
    t = canonical(py_cfg(fn="usermod:bump", d=4)).target
    assert t.c_f is None and "d <= 3" in t.info["c_f_method"]
    t = canonical(py_cfg(fn="usermod.py:bump")).target  # a file path works too
    assert t.c_f == pytest.approx(math.sqrt(2 / math.pi), rel=1e-3)


@pytest.mark.parametrize(
    "target,needle",
    [
        ({"fn": "usermod:columns", "d": 2}, "returned shape (64, 2)"),
        ({"fn": "usermod:nan"}, "non-finite"),
        ({"fn": "usermod:boom"}, "raised RuntimeError on a probe batch"),
        ({"fn": "usermod:missing"}, "has no attribute 'missing'"),
        ({"fn": "nosuchmodule:f"}, "cannot import module 'nosuchmodule'"),
        ({"fn": "usermod"}, "give 'module:function'"),
        ({"fn": None}, "target=python needs target.fn"),
        ({"fn": "usermod:bump", "c_f": -1.0}, "target.c_f=-1.0 is invalid"),
    ],
)
def test_a_bad_user_function_is_refused_in_one_line(workdir, target, needle):
    with pytest.raises(ConfigError, match=None) as e:
        canonical(py_cfg(**target))
    assert needle in str(e.value) and "\n" not in str(e.value)


def test_a_changed_function_is_not_confused_with_the_recorded_one(workdir):
    params = canonical(py_cfg(fn="usermod:bump")).target.params
    assert len(params["fn_sha256"]) == 64
    (workdir / "other.py").write_text(MODULE.replace("/ 2)", "/ 3)"))
    t2 = canonical(py_cfg(fn="other:bump")).target
    assert t2.params["fn_sha256"] != params["fn_sha256"]
    with pytest.raises(ValueError, match="has changed since the run"):
        get_target("python", **{**t2.params, "fn_sha256": params["fn_sha256"]})


# --- tables -----------------------------------------------------------------------------------


def tab_cfg(**over):
    target = over.pop("target", {"name": "table", "d": None, "path": "table.csv"})
    return plain_config(target=target, **{"data.N": 150, "data.N_test": 90, "model.width": 4, **over})


def test_a_table_is_split_per_replica_and_refuses_what_it_cannot_honour(workdir):
    c = canonical(tab_cfg())
    assert c.target.dim == 2 and c.target.c_f is None and c.config["target"]["columns"] == ["a", "b"]
    from nnapprox.experiment.training import setup

    s0, s1 = setup(c, 0), setup(c, 1)
    assert s0.data.X.shape == (150, 2) and s0.data.X_test.shape == (90, 2)
    assert not np.array_equal(s0.data.X, s1.data.X)  # each replica its own split
    both = np.vstack([s0.data.X, s0.data.X_test])
    assert len(np.unique(both, axis=0)) == 240  # disjoint, every row once
    for over, needle in [
        ({"data.N": 200}, "exceeds the 240 rows"),
        ({"data.noise": 0.1}, "data.noise=0.1"),
        ({"target": {"name": "table", "d": None, "path": "nope.csv"}}, "no such file"),
        (
            {"target": {"name": "table", "d": None, "path": "table.csv", "label": "z"}},
            "target.label='z' is not a column",
        ),
        ({"target": {"name": "table", "d": 3, "path": "table.csv"}}, "2 feature column(s)"),
        ({"trainer": {"name": "construct", "construction": "staircase"}}, "needs a target function"),
    ]:
        with pytest.raises(ConfigError) as e:
            canonical(tab_cfg(**over))
        assert needle in str(e.value), (over, str(e.value))


# --- end to end: a 4-job sweep with each -------------------------------------------------------


def _sweep_checks(proc, folder, study):
    assert proc.returncode == 0, proc.stderr[-2000:]
    log = proc.stdout + proc.stderr
    for k in range(1, 5):
        assert f"sweep progress: {k}/4 jobs done" in log
    assert "ETA" in log
    recs = records(folder / study)
    assert {r["model.width"] for r in recs} == {2, 4, 8, 16} and all(r["status"] == "ok" for r in recs)
    report = (folder / study / "REPORT.md").read_text()
    assert (folder / study / "verdicts.json").exists() and (folder / study / "rates.csv").exists()
    return recs, report


def test_a_sweep_over_width_with_a_user_function(workdir):
    proc = nnrun(
        "-m",
        "target=python",
        "target.fn=usermod:bump",
        "target.d=2",
        "trainer=lbfgs",
        "trainer.max_steps=50",
        "model.width=2,4,8,16",
        "data.N=300",
        "data.N_test=256",
        "study=mine",
        "out_root=runs",
        cwd=workdir,
    )
    recs, report = _sweep_checks(proc, workdir / "runs", "mine")
    assert all(r["c_f"] == pytest.approx(get_target("gaussian", d=2).c_f, rel=1e-3) for r in recs)
    assert all(r["c_f_method"].startswith("estimated: FFT") for r in recs)
    assert "Barron constants not in closed form" in report and "estimated: FFT" in report
    assert all(not str(r["run_dir"]).startswith("/") for r in recs)


def test_a_sweep_over_width_with_a_csv_table(workdir):
    proc = nnrun(
        "-m",
        "target=table",
        "target.path=table.csv",
        "trainer=lbfgs",
        "trainer.max_steps=50",
        "model.width=2,4,8,16",
        "data.N=150",
        "data.N_test=90",
        "replicas=2",
        "study=tab",
        "out_root=runs",
        cwd=workdir,
    )
    recs, report = _sweep_checks(proc, workdir / "runs", "tab")
    assert all(r["c_f"] is None and r["c_f_method"].startswith("unknown: a table") for r in recs)
    verdicts = json.loads((workdir / "runs" / "tab" / "verdicts.json").read_text())["verdicts"]
    assert verdicts == []  # trained networks and an unknown C_f: nothing of Barron's theorem is tested
    assert "a table has no Barron constant" in report  # the design section says where C_f would come from
    rates = list(csv.DictReader(open(workdir / "runs" / "tab" / "rates.csv")))
    assert rates and all(r["slope"] not in ("", "nan") for r in rates)  # rates are still fitted


def test_a_bad_user_function_stops_the_sweep_before_any_job(workdir):
    proc = nnrun(
        "-m",
        "target=python",
        "target.fn=usermod:columns",
        "target.d=2",
        "model.width=2,4",
        "study=bad",
        "out_root=runs",
        cwd=workdir,
    )
    assert proc.returncode != 0 and "returned shape" in proc.stderr and "Traceback" not in proc.stderr
    assert not records(workdir / "runs")


# --- progress: tests/experiment/test_progress.py -----------------------------------------------


# --- portable results, a quiet install -------------------------------------------------------


def test_no_committed_csv_holds_an_absolute_path():
    offenders = []
    for path in sorted((ROOT / "results").rglob("*.csv")):
        if "runs" in path.relative_to(ROOT / "results").parts[:1]:
            continue  # raw runs are not committed
        with open(path, newline="") as fh:
            for row in csv.reader(fh):
                offenders += [(path.name, c) for c in row if c.startswith("/") or c[1:3] in (":\\", ":/")]
    assert not offenders, offenders[:5]


def test_the_license_is_an_spdx_string():
    text = (ROOT / "pyproject.toml").read_text()
    # a TOML table (license = {text = ...}) makes setuptools print a deprecation banner on every install
    assert re.search(r'^license = "MIT"$', text, re.M) and not re.search(r"^license\s*=\s*\{", text, re.M)
