"""Issue 24: the user's function is called only through the guard (nnapprox.targets.guard).

Each test replays one of the issue's repro scripts in process (numbers in the test names):
01 module state in the identity, 04/35 X modified in place, 05 complex values, 07 a module that
exits at import, 12 a function edited during a sweep, 29 ``target.c_f=0``, 32 a non-deterministic
function, 38 the C_f grid logged, counted in the memory estimate, and computed once.
"""

import logging
import math
import os

import numpy as np
import pytest
from helpers import plain_config

from nnapprox.experiment.job import run_job
from nnapprox.experiment.memory import estimate_bytes
from nnapprox.experiment.validation import ConfigError, canonical
from nnapprox.targets import user
from nnapprox.targets.guard import UserCodeError, load_user_function
from nnapprox.targets.user import InputChanged, check_unchanged

GAUSS = "import numpy as np\nSCALE = {scale}\n\ndef f(X):\n    return SCALE * np.exp(-np.sum(X * X, axis=1) / 2)\n"


@pytest.fixture
def workdir(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    return tmp_path


def cfg(fn, d=1, **target):
    return plain_config(
        target={"name": "python", "d": d, "fn": fn, **target},
        **{"data.N": 40, "data.N_test": 32, "model.width": 3, "trainer.max_steps": 3},
    )


def refused(config) -> str:
    with pytest.raises(ConfigError) as e:
        canonical(config)
    msg = str(e.value)
    assert "\n" not in msg and "Traceback" not in msg
    return msg


def write(path, text):
    path.write_text(text)
    return path


# --- 01: the identity is the module file, not only the function's source -------------------------


@pytest.mark.parametrize("spec", ["dep01:f", "dep01.py:f"])
def test_01_a_changed_module_constant_changes_the_identity_and_the_values(workdir, spec):
    write(workdir / "dep01.py", GAUSS.format(scale=1.0))
    a = canonical(cfg(spec, c_f=1.0))
    write(workdir / "dep01.py", GAUSS.format(scale=5.0))  # the function's own source is unchanged
    b = canonical(cfg(spec, c_f=1.0))
    assert a.target.params["fn_sha256"] != b.target.params["fn_sha256"] and a.hash != b.hash
    X = np.zeros((1, 1))
    assert a.target(X)[0] == pytest.approx(1.0) and b.target(X)[0] == pytest.approx(5.0)  # the new file is imported
    with pytest.raises(ValueError, match="has changed since the run"):  # rebuilding the old identity is refused
        user.python_target(**a.target.params)


# --- 04 / 35: X is a read-only copy -----------------------------------------------------------------


@pytest.mark.parametrize("body", ["X *= 2.0", "X[:] = 0.0", "X[0, 0] = 1.0", "np.multiply(X, 2, out=X)"])
def test_04_35_a_function_that_modifies_X_is_refused_in_one_line(workdir, body):
    write(
        workdir / "mut.py",
        f"import numpy as np\ndef f(X):\n    v = np.exp(-np.sum(X**2, axis=1))\n    {body}\n    return v\n",
    )
    msg = refused(cfg("mut:f", c_f=1.0))
    assert "target.fn='mut:f'" in msg and str(workdir / "mut.py") in msg and "must not modify X" in msg
    assert "mut.py:4" in msg  # the user's line


def test_04_the_callers_array_is_never_changed_nor_shared(workdir):
    write(
        workdir / "keep.py", "import numpy as np\ndef f(X):\n    global SEEN\n    SEEN = X\n    return X[:, 0] * 1.0\n"
    )
    uf = load_user_function("keep:f")
    X = np.arange(6.0).reshape(3, 2)
    out = uf(X)
    import keep  # the module the guard imported

    assert keep.SEEN is not X and not keep.SEEN.flags.writeable and np.array_equal(out, X[:, 0])
    assert X.flags.writeable and np.array_equal(X, np.arange(6.0).reshape(3, 2))
    out[0] = 99.0  # the values are a new array
    assert X[0, 0] == 0.0


# --- 05 and the other returns a target cannot be ---------------------------------------------------


@pytest.mark.parametrize(
    "ret,needle",
    [
        ("np.exp(1j * 3 * X[:, 0])", "returned complex values"),
        ("np.full(len(X), np.inf)", "returned non-finite values"),
        ("np.full(len(X), np.nan)", "returned non-finite values"),
        ("np.array(['a'] * len(X))", "returned values of dtype"),
        ("None", "returned shape ()"),
        ("X", "returned shape (64, 2)"),
        ("X[:-1, 0]", "returned shape (63,)"),
    ],
)
def test_05_non_real_or_non_finite_output_is_refused_in_one_line(workdir, ret, needle):
    write(workdir / "bad05.py", f"import numpy as np\ndef f(X):\n    return {ret}\n")
    msg = refused(cfg("bad05:f", d=2, c_f=1.0))
    assert needle in msg and "target.fn='bad05:f'" in msg


def test_05_integer_and_boolean_values_are_real_numbers(workdir):
    write(workdir / "ints.py", "import numpy as np\ndef f(X):\n    return (X[:, 0] > 0).astype(int)\n")
    t = canonical(cfg("ints:f", c_f=math.inf)).target
    assert t(np.array([[0.5], [-0.5]])).tolist() == [1.0, 0.0]


# --- 07: whatever the user's code raises, SystemExit included, is one line ---------------------------


@pytest.mark.parametrize(
    "top,kind",
    [
        ("import argparse\nargparse.ArgumentParser().parse_args(['--nope'])", "SystemExit(2)"),
        ("import sys\nsys.exit(0)", "SystemExit(0)"),
        ("raise SystemExit('bye')", "SystemExit('bye')"),
        ("raise KeyboardInterrupt", None),
        ("import nosuchpackage_xyz", "ModuleNotFoundError"),
        ("1 / 0", "ZeroDivisionError"),
        ("def broken(:", "SyntaxError"),
    ],
)
def test_07_a_module_that_exits_or_fails_at_import_is_one_line(workdir, top, kind):
    write(workdir / "script07.py", f"import numpy as np\ndef f(X):\n    return X[:, 0]\n{top}\n")
    if kind is None:  # the user pressing Ctrl-C is not the module's failure: it goes on as an interrupt
        with pytest.raises(KeyboardInterrupt):
            canonical(cfg("script07.py:f", c_f=1.0))
        return
    for spec in ("script07.py:f", "script07:f"):
        msg = refused(cfg(spec, c_f=1.0))
        assert f"target.fn={spec!r}" in msg and str(workdir / "script07.py") in msg and kind in msg, msg


def test_07_a_function_that_exits_when_called_is_one_line(workdir):
    write(workdir / "exits.py", "import sys\ndef f(X):\n    sys.exit(3)\n")
    msg = refused(cfg("exits:f", c_f=1.0))
    assert "raised SystemExit(3) on a probe batch" in msg and "exits.py:3" in msg


def test_07_what_the_module_prints_at_import_is_replayed_when_it_imports(workdir, capsys):
    write(
        workdir / "chatty.py", "import numpy as np\nprint('hello from chatty')\ndef f(X):\n    return X[:, 0] * 0 + 1\n"
    )
    load_user_function("chatty:f")
    assert "hello from chatty" in capsys.readouterr().out


# --- 32: deterministic and row-wise ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "body,needle",
    [
        ("np.exp(-np.sum(X**2, axis=1)) + 0.1 * np.random.rand(len(X))", "is not deterministic"),
        ("X[:, 0] + next(COUNTER)", "is not deterministic"),
        ("X[:, 0] - X[:, 0].mean()", "different value in a smaller batch"),
    ],
)
def test_32_a_function_of_anything_but_its_row_is_refused(workdir, body, needle):
    write(
        workdir / "rnd.py",
        f"import itertools\nimport numpy as np\nCOUNTER = itertools.count()\ndef f(X):\n    return {body}\n",
    )
    msg = refused(cfg("rnd:f", c_f=1.0))
    assert needle in msg and "target.fn='rnd:f'" in msg


def test_32_randomness_from_a_seeded_generator_inside_the_function_is_accepted(workdir):
    write(
        workdir / "seeded.py",
        "import numpy as np\ndef f(X):\n    g = np.random.default_rng(0)\n    return X[:, 0] + 0 * g.normal()\n",
    )
    assert canonical(cfg("seeded:f", c_f=1.0)).target.c_f == 1.0


# --- 29: C_f = 0 only for a constant ---------------------------------------------------------------------


def test_29_c_f_zero_is_refused_for_a_non_constant_function(workdir):
    write(
        workdir / "myfun.py",
        "import numpy as np\ndef bump(X):\n    return np.exp(-2.0 * np.sum(X**2, axis=1))\n"
        "def const(X):\n    return np.full(len(X), 3.0)\n",
    )
    msg = refused(cfg("myfun:bump", d=2, c_f=0.0))
    assert "target.c_f=0.0 is invalid" in msg and "only a constant function has C_f = 0" in msg
    assert canonical(cfg("myfun:const", d=2, c_f=0.0)).target.c_f == 0.0


# --- 12: the file is checked again inside each job -------------------------------------------------------


def test_12_a_function_edited_after_validation_fails_its_job_with_one_line(workdir):
    write(workdir / "edit12.py", GAUSS.format(scale=1.0))
    canon = canonical(cfg("edit12:f", c_f=1.0))
    check_unchanged(canon.target)  # nothing changed yet
    write(workdir / "edit12.py", GAUSS.format(scale=2.0))
    with pytest.raises(InputChanged, match="changed since the run was validated"):
        check_unchanged(canon.target)
    recs = run_job(canon, workdir / "job", resume=False)
    assert [r["status"] for r in recs] == ["failed"]
    assert recs[0]["error"].startswith("InputChanged: target.fn='edit12:f'") and "\n" not in recs[0]["error"]
    # a worker that validates the job again gets the new file's hash: refused against the sweep's hash
    recs = run_job(cfg("edit12:f", c_f=1.0), workdir / "job2", resume=False, validated_hash=canon.hash)
    assert recs[0]["status"] == "failed" and "changed since the sweep validated this job" in recs[0]["error"]
    assert recs[0]["config_hash"] != canon.hash  # the record states the version it found, and refused


def test_12_a_deleted_module_fails_the_job_too(workdir):
    write(workdir / "gone12.py", GAUSS.format(scale=1.0))
    canon = canonical(cfg("gone12.py:f", c_f=1.0))
    (workdir / "gone12.py").unlink()
    with pytest.raises(InputChanged, match="cannot be read any more"):
        check_unchanged(canon.target)


# --- 38: the C_f grid is logged before it is evaluated, counted in the memory estimate, computed once ----


def test_38_the_c_f_grid_is_logged_counted_and_computed_once(workdir, caplog, monkeypatch):
    monkeypatch.setenv(user.CACHE_ENV, str(workdir / "cache"))
    monkeypatch.setattr(user, "_MEMO", {})
    write(
        workdir / "g38.py",
        "import numpy as np\nCALLS = []\ndef f(X):\n    CALLS.append(len(X))\n"
        "    return np.exp(-np.sum(X**2, axis=1) / (2 * 0.15**2))\n",
    )
    with caplog.at_level(logging.INFO, logger="nnapprox"):
        canon = canonical(cfg("g38:f", d=3))
    import g38

    assert canon.target.c_f == pytest.approx(math.sqrt(2) / 0.15 / math.gamma(1.5), rel=2e-3)
    grid_lines = [r.getMessage() for r in caplog.records if "evaluating f on" in r.getMessage()]
    assert grid_lines and all(" MB)" in m for m in grid_lines)
    points = max(int(m.split("evaluating f on ")[1].split(" points")[0].replace(",", "")) for m in grid_lines)
    assert points >= 64**3
    nbytes = canon.target.info["c_f_bytes"]
    assert nbytes >= 8 * points  # at least the grid's values
    assert estimate_bytes(canon) >= nbytes
    calls = len(g38.CALLS)
    canonical(cfg("g38:f", d=3, radius=1.0))  # the same function and domain: not computed again in this process
    assert len(g38.CALLS) == calls + 3  # the probe only (twice and its half)
    monkeypatch.setattr(user, "_MEMO", {})  # another process (a worker) reads the disk cache
    again = canonical(cfg("g38:f", d=3))
    assert len(g38.CALLS) == calls + 6 and again.target.c_f == canon.target.c_f
    assert again.target.info["c_f_bytes"] == nbytes


def test_38_a_large_data_call_is_logged_with_its_size(workdir, caplog):
    write(workdir / "big.py", "def f(X):\n    return X[:, 0] * 1.0\n")
    uf = load_user_function("big:f")
    with caplog.at_level(logging.INFO, logger="nnapprox"):
        uf(np.zeros((2**16, 2)), purpose="the training data")
    assert any("65,536 points (the training data" in r.getMessage() for r in caplog.records)


def test_a_spec_that_is_not_a_function_is_refused(workdir):
    write(workdir / "notfn.py", "VALUE = 3\nclass K:\n    pass\n")
    (workdir / "adir.py").mkdir()
    for spec, needle in [
        ("notfn:VALUE", "is a int, not a function"),
        ("notfn:K", "is a type, not a function"),
        ("notfn:nope", "has no attribute 'nope'"),
        ("missing.py:f", "no such file"),
        ("adir.py:f", "is a directory"),
    ]:
        with pytest.raises(UserCodeError, match=None) as e:
            load_user_function(spec)
        assert needle in str(e.value), (spec, str(e.value))


# --- fuzz: a hostile function is one line, or the values of its rows and nothing else ----------------------

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

_SIDE = [
    "pass",
    "X *= 2",
    "X[:] = 0",
    "X.sort(axis=0)",
    "import sys; sys.exit(1)",
    "raise KeyError('k')",
    "np.random.rand()",
    "SEEN.append(1)",
    "X.flags.writeable = True",
    "import os; os.environ.get('HOME')",
]
_RETURN = [
    "np.exp(-np.sum(X**2, axis=1))",
    "X[:, 0] + len(SEEN)",
    "np.sin(X[:, 0]) + 1j",
    "X[:, 0] * np.nan",
    "X",
    "X[:, :1]",
    "list(X[:, 0])",
    "X[:, 0].astype(np.float32)",
    "X[:, 0] > 0",
    "X[:, 0] / 0.0",
    "X[:, 0] - X[:, 0].mean()",
    "np.random.rand(len(X))",
    "str(X)",
    "X[:, 0].tolist()[:-1]",
    "1e308 * X[:, 0] * 10",
]


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(side=st.sampled_from(_SIDE), ret=st.sampled_from(_RETURN), k=st.integers(0, 10**6))
def test_fuzz_a_hostile_function_is_one_line_or_its_rows_values(tmp_path, side, ret, k):
    name = f"fuzz_{k}"
    path = tmp_path / f"{name}.py"
    path.write_text(f"import numpy as np\nSEEN = []\ndef f(X):\n    {side}\n    return {ret}\n")
    X = np.random.default_rng(k).uniform(-1, 1, (16, 2))
    before = X.copy()
    try:
        uf = load_user_function(f"{path}:f")
        v = uf.probe(X)
    except UserCodeError as e:
        msg = str(e)
        assert "\n" not in msg and f"target.fn='{path}:f'" in msg, msg
        return
    assert np.array_equal(X, before)  # the caller's array is untouched
    assert v.shape == (16,) and v.dtype == np.float64 and np.all(np.isfinite(v))
    assert np.array_equal(v, uf(X)) and np.array_equal(v[:5], uf(X[:5]))  # deterministic, row-wise


def test_01_a_module_imported_before_and_edited_since_is_used_as_the_file_now_is(workdir, monkeypatch):
    """A notebook's `import mymod`, the file edited, then a run: the run uses (and hashes) the file as it is now."""
    monkeypatch.syspath_prepend(str(workdir))
    write(workdir / "nb01.py", GAUSS.format(scale=1.0))
    import nb01  # noqa: F401 - imported by the user, not by the guard

    write(workdir / "nb01.py", GAUSS.format(scale=4.0))
    t = canonical(cfg("nb01:f", c_f=1.0)).target
    assert t(np.zeros((1, 1)))[0] == pytest.approx(4.0)
    assert t.params["fn_sha256"] == load_user_function("nb01.py:f").sha256
    assert load_user_function("numpy:sin").file == os.path.abspath(np.__file__)  # installed: used as imported


def test_12_a_worker_given_the_sweeps_hash_fails_in_the_manifests_folder(workdir):
    """The CLI's worker path: a job carrying the hash its sweep validated, the module edited since, fails in the
    folder of that hash with one line, and the run exits non-zero (the sweeper adds the same override per job)."""
    import json
    import subprocess
    import sys

    from nnapprox.cli.run import VALIDATED_KEY

    write(workdir / "w12.py", GAUSS.format(scale=1.0))
    over = [
        "target=python",
        "target.fn=w12:f",
        "target.c_f=1",
        "data.N=40",
        "data.N_test=32",
        "model.width=3",
        "trainer.max_steps=3",
        "out_root=runs",
    ]
    old = canonical(
        plain_config(
            target={"name": "python", "d": 1, "fn": "w12:f", "c_f": 1.0},
            **{"data.N": 40, "data.N_test": 32, "model.width": 3, "trainer.max_steps": 3, "out_root": "runs"},
        )
    ).hash  # the job as the CLI composes it
    write(workdir / "w12.py", GAUSS.format(scale=2.0))
    proc = subprocess.run(
        [sys.executable, "-m", "nnapprox.cli.run", *over, f"++hydra.job.env_set.{VALIDATED_KEY}={old}"],
        cwd=workdir,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode != 0 and "Traceback" not in proc.stderr
    folders = list((workdir / "runs").rglob("record.json"))
    assert len(folders) == 1 and folders[0].parent.name.endswith("__" + old[:10])
    rec = json.loads(folders[0].read_text())[0]
    assert rec["status"] == "failed" and "changed since the sweep validated this job" in rec["error"]
