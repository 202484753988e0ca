"""Issue 14: every defect found by trying to break the app, one regression test each (numbered as there)."""
import json
import os
import signal
import stat
import subprocess
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pytest

from conftest import plain_config
from nnapprox import MLP, fit
from nnapprox.experiment.validation import ConfigError, canonical
from nnapprox.base.io import remove_stale_temps, write_text_atomic
from nnapprox.experiment.job import run_job
from nnapprox.experiment.records import finished, job_dirname, load_records
from nnapprox.cli.report import main as report_main

SMALL = ["data.N=100", "data.N_test=128", "target=sin"]


def nnrun(*args, cwd, timeout=300):
    env = dict(os.environ, HYDRA_FULL_ERROR="0", MPLBACKEND="Agg")
    return subprocess.run([sys.executable, "-m", "nnapprox.cli.run", *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=timeout)


def records_under(d: Path):
    return [r for p in sorted(d.rglob("record.json")) for r in json.loads(p.read_text())]


def refused(proc, needle):
    """Refused with a one-line message naming ``needle``, non-zero exit, no traceback."""
    assert proc.returncode != 0, proc.stdout + proc.stderr
    assert needle in proc.stderr, proc.stderr
    assert "Traceback" not in proc.stderr
    return True


def sin_cfg(**over):
    return plain_config(target={"name": "sin", "d": 1, "freq": 3.0}, **{"data.N": 200, "data.N_test": 256,
                        "model.width": 6, **over})


# 1. constructive trainers: depth and dtype they cannot honour are refused; their unused init keys are null
def test_01_constructive_trainers_refuse_depth_and_dtype():
    oga = {"name": "oga"}
    with pytest.raises(ConfigError, match="model.depth=3 is not supported by trainer 'oga'"):
        canonical(sin_cfg(trainer=oga, **{"model.depth": 3}))
    with pytest.raises(ConfigError, match="model.dtype='float32' is not supported"):
        canonical(sin_cfg(trainer=oga, **{"model.dtype": "float32"}))
    with pytest.raises(ConfigError, match="model.init='he' is not used by this run"):
        canonical(sin_cfg(trainer=oga, **{"model.init": "he"}))
    c = canonical(sin_cfg(trainer=oga, **{"activation.name": "sigmoid"}))
    assert c.config["model"]["init"] is None and c.config["model"]["bias_init"] is None


# 2. +key adds a key even to a structured config: the closed schema refuses it
@pytest.mark.parametrize("override,needle", [("+model.widht=64", "model.widht=64 is not a key of model; did you "
                                                                  "mean model.width"),
                                             ("+data.NN=5", "data.NN=5 is not a key of data"),
                                             ("+activation.slop=0.1", "activation.slop=0.1 is not a key"),
                                             ("+foo=1", "foo=1 is not a key of the config")])
def test_02_unknown_keys_are_refused_with_or_without_plus(tmp_path, override, needle):
    assert refused(nnrun(f"out_root={tmp_path}", override, *SMALL, cwd=tmp_path), needle)
    assert refused(nnrun("-m", f"out_root={tmp_path}", override, "model.width=2,3", *SMALL, cwd=tmp_path), needle)
    assert not list(tmp_path.rglob("record.json"))


# 3. a job's identity includes its config hash: different configs never share a folder; tag is identity
def test_03_different_configs_never_share_a_folder(tmp_path):
    conf = tmp_path / "conf" / "experiment"
    conf.mkdir(parents=True)
    for name, steps in (("a", 5), ("b", 9)):
        (conf / f"{name}.yaml").write_text(f"# @package _global_\nstudy: same\ntrainer:\n  max_steps: {steps}\n")
    for name in ("a", "b"):
        proc = nnrun("-m", "--config-dir", str(tmp_path / "conf"), f"experiment={name}", f"out_root={tmp_path}",
                     *SMALL, "model.width=2,3", cwd=tmp_path)
        assert proc.returncode == 0, proc.stderr
    recs = records_under(tmp_path / "same")
    assert len(recs) == 4 and sorted(r["trainer.max_steps"] for r in recs) == [5, 5, 9, 9]
    assert len({r["run_dir"] for r in recs}) == 4
    nnrun("-m", f"out_root={tmp_path}", "study=tags", "tag=first,second", *SMALL, cwd=tmp_path)
    tags = sorted(r["tag"] for r in records_under(tmp_path / "tags"))
    assert tags == ["first", "second"]
    assert canonical(sin_cfg(tag="x")).hash != canonical(sin_cfg(tag="y")).hash


# 4. a run that blows up but stays finite is diverged, never ok
def test_04_a_finite_blow_up_is_diverged(tmp_path):
    recs = run_job(sin_cfg(trainer={"name": "adam", "lr": 1e6, "max_steps": 100}, replicas=2), tmp_path)
    assert {r["status"] for r in recs} == {"diverged"}
    assert all("rose from" in r["error"] or "Var(y)" in r["error"] for r in recs)
    ok = run_job(sin_cfg(trainer={"name": "adam", "lr": 0.01, "max_steps": 100}), tmp_path / "ok")
    assert ok[0]["status"] == "ok"


# 5. tol is honoured with mini-batches (full training loss at the end of each epoch)
def test_05_tol_with_mini_batches():
    rng = np.random.default_rng(0)
    X = rng.uniform(-1, 1, (64, 1))
    h = fit(MLP([1, 4, 1], rng=rng), X, np.sin(3 * X[:, 0]), trainer="gd", batch_size=8, tol=10.0, max_steps=500)
    assert h.stop_reason == "tol" and h.steps == 64 // 8  # the first epoch's end


# 6. sizes are integers or a clear error
@pytest.mark.parametrize("bad", [2.7, np.float64(3.9), True, "8"])
def test_06_sizes_must_be_integers(bad):
    with pytest.raises(ValueError, match=r"sizes\[1\]=.* must be an integer"):
        MLP([1, bad, 1])
    assert MLP([1, np.int64(3), 1]).sizes == [1, 3, 1]


# 7. a continuation path ends at model.width; widths beyond it are refused
def test_07_lbfgs_paths_end_at_model_width(tmp_path):
    path = {"name": "lbfgs", "record_widths": [2, 4, 8], "max_steps": 20}
    with pytest.raises(ConfigError, match=r"trainer.record_widths=\[2, 4, 8\] exceeds model.width=4"):
        canonical(sin_cfg(trainer=path, **{"model.width": 4}))
    recs = run_job(sin_cfg(trainer=path, **{"model.width": 8}), tmp_path)
    assert [r["n"] for r in recs] == [2, 4, 8] and {r["model.width"] for r in recs} == {8}


# 8. files honour the umask
def test_08_files_honour_the_umask(tmp_path):
    old = os.umask(0o022)
    try:
        run_job(sin_cfg(trainer={"name": "lbfgs", "max_steps": 5}), tmp_path)
        write_text_atomic(tmp_path / "x.md", "x")
    finally:
        os.umask(old)
    for name in ("record.json", "history.csv", "params.npz", "x.md"):
        assert stat.S_IMODE((tmp_path / name).stat().st_mode) == 0o644, name


# 9. any malformed record means "recompute, with a warning"
@pytest.mark.parametrize("content", ["[null]", "[1, 2]", "{not json", "[]", '{"a": 1}'])
def test_09_a_malformed_record_is_recomputed_with_a_warning(tmp_path, content):
    (tmp_path / "record.json").write_text(content)
    with pytest.warns(UserWarning, match="recomputed"):
        assert load_records(tmp_path) is None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        recs = run_job(sin_cfg(trainer={"name": "lbfgs", "max_steps": 5}), tmp_path)
    assert recs[0]["status"] == "ok" and load_records(tmp_path)[0]["status"] == "ok"


# 10. temp files of other live writers are never removed; a dead writer's are
def test_10_only_dead_writers_temp_files_are_removed(tmp_path):
    from nnapprox.base.io import _HOST

    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    try:
        live = tmp_path / f".record.json.{_HOST}.{sleeper.pid}.abc123.tmp"
        gone = tmp_path / f".record.json.{_HOST}.{dead.pid}.def456.tmp"
        other = tmp_path / f".record.json.otherhost.{dead.pid}.ghi789.tmp"
        for p in (live, gone, other):
            p.write_text("partial")
        assert remove_stale_temps(tmp_path) == 1
        assert live.exists() and other.exists() and not gone.exists()
    finally:
        sleeper.kill()


# 11. an unwritable output folder is one line naming the path (before any job), for runs and reports
def test_11_an_unwritable_output_folder_is_one_line(tmp_path):
    blocker = tmp_path / "a_file"
    blocker.write_text("not a folder")
    assert refused(nnrun(f"out_root={blocker / 'out'}", *SMALL, cwd=tmp_path), str(blocker))
    assert refused(nnrun("-m", f"out_root={blocker / 'out'}", *SMALL, "model.width=2,3", cwd=tmp_path), str(blocker))
    run_job(sin_cfg(trainer={"name": "lbfgs", "max_steps": 5}), tmp_path / "sweep" / "job")
    assert report_main([str(tmp_path / "sweep"), "--out", str(blocker / "rep")]) == 2


# 12. long override lists: a readable prefix and the hash
def test_12_long_override_lists_fit_in_a_folder_name(tmp_path):
    name = job_dirname(",".join(f"target.key{i}=a_long_value_{i}" for i in range(40)), "0123456789abcdef")
    assert len(name.encode()) < 200 and name.endswith("__0123456789") and name.startswith("target.key0=")
    assert job_dirname("target.path=data/x.csv", "0" * 16).startswith("target.path=data%2Fx.csv")
    args = [f"trainer.{k}={v}" for k, v in (("ftol", 0.0), ("gtol", 1e-12), ("maxcor", 7), ("restarts", 1),
                                            ("max_steps", 5), ("tol", 0.0), ("boost", 0))]
    proc = nnrun("-m", f"out_root={tmp_path}", "study=long", *SMALL, "model.width=2", "model.depth=1",
                 "activation.slope=0.01", "data.noise=0.0", "seed=0", "replicas=1", *args, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert len(records_under(tmp_path / "long")) == 1


# 13. a group set to null is one line
@pytest.mark.parametrize("group", ["trainer", "target", "model"])
def test_13_a_null_group_is_one_line(tmp_path, group):
    assert refused(nnrun(f"out_root={tmp_path}", f"{group}=null", cwd=tmp_path), f"{group}=null")
    assert refused(nnrun("-m", f"out_root={tmp_path}", f"{group}=null", "seed=0,1", cwd=tmp_path), "null")


# 14. API errors that help
def test_14_api_errors_name_the_argument():
    X = np.zeros((4, 1))
    with pytest.raises(ValueError, match="rng=0 must be a np.random.Generator"):
        MLP([1, 4, 1], rng=0)
    with pytest.raises(ValueError, match="net='net' must be an nnapprox MLP"):
        fit("net", X, X[:, 0])
    with pytest.raises(ValueError, match="nets must be a non-empty sequence"):
        MLP.stack([])
    h = fit(MLP([1, 2, 1]), X, X[:, 0], trainer="gd", max_steps=None)  # None: the declared default
    assert h.steps == 2000  # the declared default (gd, momentum, adam, lbfgs: 2000, as the CLI always ran)


# 15. options that would fail inside a job are refused before it, and a failed job makes the exit non-zero
@pytest.mark.parametrize("overrides,needle", [
    (["trainer=oga", "trainer.lr=0.1"], "trainer.lr=0.1 is not an option of trainer 'oga'"),
    (["trainer.tol=inf"], "trainer.tol=inf must be >= 0 and finite"),
    (["trainer.ftol=inf"], "trainer.ftol=inf must be >= 0 and finite"),
    (["trainer=random_features", "trainer.ridge=inf"], "trainer.ridge=inf must be >= 0 and finite"),
    (["trainer=lbfgs_path", "trainer.record_widths=[]"], "trainer.record_widths=[] must be a non-empty list"),
    (["model.init=normal", "model.init_std=inf"], "model.init_std=inf must be > 0 and finite"),
    (["model.init_std=0.5"], "model.init_std=0.5 is not used by this run"),
])
def test_15_options_are_checked_before_the_first_job(tmp_path, overrides, needle):
    assert refused(nnrun("-m", f"out_root={tmp_path}", *SMALL, "model.width=2,3", *overrides, cwd=tmp_path), needle)
    assert not list(tmp_path.rglob("record.json"))


def test_15_a_sweep_with_a_failed_job_exits_non_zero(tmp_path, monkeypatch, capsys):
    import nnapprox.experiment.job
    import nnapprox.cli.run

    def boom(*a, **k):
        raise RuntimeError("simulated crash")

    monkeypatch.setattr(nnapprox.experiment.job, "train", boom)
    monkeypatch.setattr(sys, "argv", ["nnapprox-run", "-m", f"out_root={tmp_path}", "study=fails", *SMALL,
                                      "trainer.max_steps=3", "model.width=2,3"])
    with pytest.raises(SystemExit) as exit_:
        nnapprox.cli.run.main()
    assert exit_.value.code == 1 and "2 job(s) failed" in capsys.readouterr().err
    recs = records_under(tmp_path / "fails")
    assert len(recs) == 2 and {r["status"] for r in recs} == {"failed"}
    assert all("simulated crash" in r["error"] for r in recs)


def test_15_options_that_depend_on_the_data_are_checked_too():
    rf = {"name": "random_features", "val_fraction": 0.01}
    with pytest.raises(ConfigError, match="trainer.val_fraction=0.01 leaves 0 validation and 50 fitting points"):
        canonical(sin_cfg(trainer=rf, **{"data.N": 50, "activation.name": "sigmoid"}))


# 16. sizes far beyond memory are refused before any job
def test_16_a_job_that_cannot_fit_in_memory_is_refused(tmp_path):
    assert refused(nnrun(f"out_root={tmp_path}", "model.width=1000000000", cwd=tmp_path), "GiB are available")


# 17. shared y with per-replica X says what it needs
def test_17_per_replica_x_needs_per_replica_y():
    net = MLP([1, 3, 1], rng=[np.random.default_rng(s) for s in range(2)])
    with pytest.raises(ValueError, match=r"y must have shape \(2, 64\).*per-replica X needs per-replica y.*\(64,\)"):
        net.loss_and_grad(np.zeros((2, 64, 1)), np.zeros(64))


# 18. nnapprox-report: a record.json path, unknown fit axes, failed runs' messages, missing jobs, empty folders
def test_18_report_rough_edges(tmp_path, capsys):
    sweep = tmp_path / "sweep"
    for w in (2, 3, 4):
        run_job(sin_cfg(trainer={"name": "lbfgs", "max_steps": 5}, **{"model.width": w}), sweep / f"w{w}")
    assert report_main([str(sweep / "w2" / "record.json"), "--out", str(tmp_path / "one")]) == 0
    assert report_main([str(sweep), "--fit-range", "foo=1:2", "--out", str(tmp_path / "x")]) == 2
    assert "fit_range axis 'foo'" in capsys.readouterr().err
    failed = tmp_path / "failed"
    run_job(sin_cfg(trainer={"name": "adam", "lr": 1e8, "max_steps": 50}), failed / "a")
    (failed / "killed" / ".hydra").mkdir(parents=True)
    assert report_main([str(failed), "--out", str(tmp_path / "f")]) == 0
    text = (tmp_path / "f" / "REPORT.md").read_text()
    assert "## Failed and missing jobs" in text and "**diverged**" in text and "`killed`" in text
    (tmp_path / "empty").mkdir()
    assert report_main([str(tmp_path / "empty")]) == 2 and "no records" in capsys.readouterr().err


# 19. a refused single run leaves no folder behind
def test_19_a_refused_single_run_leaves_nothing(tmp_path):
    assert refused(nnrun(f"out_root={tmp_path / 'out'}", "model.width=-3", cwd=tmp_path), "model.width=-3")
    assert not (tmp_path / "out").exists()


# 20. joblib's workers end with a killed sweep
def _children(pid):
    out = []
    for stat_file in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat_file.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            out.append(int(stat_file.parent.name))
    return out


def _alive(pid):
    try:
        os.kill(pid, 0)
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, ProcessLookupError):
        return False


@pytest.mark.skipif(not Path("/proc").exists(), reason="needs /proc")
def test_20_joblib_workers_end_when_the_sweep_is_killed(tmp_path):
    args = ["-m", "hydra/launcher=joblib", "hydra.launcher.n_jobs=2", f"out_root={tmp_path}", "study=kill",
            "target=sin", "data.N=4000", "data.N_test=256", "trainer.max_steps=4000", "model.width=30,31,32,33"]
    proc = subprocess.Popen([sys.executable, "-m", "nnapprox.cli.run", *args], cwd=tmp_path,
                            env=dict(os.environ, MPLBACKEND="Agg"), stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    deadline, workers = time.time() + 120, []
    while time.time() < deadline and not list(tmp_path.rglob(".hydra")):
        time.sleep(0.2)
    time.sleep(1.0)
    workers = [w for w in _children(proc.pid) if _alive(w)]
    assert workers, "no worker processes seen"
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    deadline = time.time() + 20
    while time.time() < deadline and any(_alive(w) for w in workers):
        time.sleep(0.5)
    assert not any(_alive(w) for w in workers), "workers outlived the sweep"


# 21. NaN/inf parameters and non-finite casts are refused; linear hidden units are outside Barron's hypotheses
def test_21_non_finite_parameters_and_casts_are_refused():
    with pytest.raises(ValueError, match="init_std=nan must be > 0 and finite"):
        MLP([1, 3, 1], init="normal", init_std=float("nan"))
    W = [np.array([[np.nan]]), np.array([[1.0]])]
    with pytest.raises(ValueError, match="NaN or inf"):
        MLP.from_params(W, [np.zeros(1), np.zeros(1)])
    with pytest.raises(ValueError, match="beyond the range of float32"):
        MLP([1, 3, 1], dtype=np.float32).forward(np.full((2, 1), 1e300))
    with pytest.raises(ValueError, match=r"y must lie in \[0, 1\] for loss='logistic'"):
        fit(MLP([1, 3, 1], output_activation="sigmoid"), np.zeros((4, 1)), np.array([0, 1, 2, 1.0]),
            loss="logistic")
    with pytest.raises(ConfigError, match="activation.name='identity' is not known"):
        canonical(sin_cfg(**{"activation.name": "identity"}))


# 22. docs/records.md describes the keys records have
def test_22_the_record_docs_list_only_real_keys(tmp_path):
    text = (Path(__file__).resolve().parent.parent / "docs" / "records.md").read_text()
    assert "`experiment`" not in text
    recs = run_job(sin_cfg(trainer={"name": "lbfgs", "max_steps": 5}), tmp_path)
    for key in ("config_hash", "params_key", "run_dir", "c_f_infinite", "stop_reason", "grid_mse"):
        assert key in recs[0] and f"`{key}`" in text, key
    assert finished(tmp_path, recs[0]["config_hash"])


def test_the_bias_initialisation_default_is_resolved_per_activation_and_recorded(tmp_path):
    """none -> normal (std 0.5) for the ReLU family, zero for smooth units and for depth 0; the record
    states what was used, and the ReLU network really starts with spread kinks."""
    def model(**over):
        return canonical(sin_cfg(**over)).config["model"]

    for act in ("relu", "leaky_relu"):
        m = model(**{"activation.name": act})
        assert (m["init"], m["bias_init"], m["bias_std"]) == ("he", "normal", 0.5)
    for act in ("tanh", "sigmoid"):
        m = model(**{"activation.name": act})
        assert (m["init"], m["bias_init"], m["bias_std"]) == ("xavier", "zero", None)
    glm = plain_config(target={"name": "sin", "d": 1, "freq": 3.0}, **{"model.depth": 0, "data.N": 50})
    assert canonical(glm).config["model"]["bias_init"] == "zero"
    assert model(**{"activation.name": "relu", "model.bias_init": "zero"})["bias_init"] == "zero"
    with pytest.raises(ConfigError, match="model.bias_std=0.3 is not used"):
        canonical(sin_cfg(**{"activation.name": "tanh", "model.bias_std": 0.3}))
    from nnapprox.experiment.training import setup
    net = setup(canonical(sin_cfg(**{"activation.name": "relu", "model.width": 200})), 0).net
    b = net.biases[0]
    assert np.all(b != 0) and 0.4 < float(np.std(b)) < 0.6  # N(0, 0.5²): kinks off the origin
    assert np.all(setup(canonical(sin_cfg(**{"model.width": 200})), 0).net.biases[0] == 0)  # tanh: zero
