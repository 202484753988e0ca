"""The Hydra app: composing every experiment, sweeps, bad overrides, resume, divergence, records."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from helpers import ROOT, SMALL, nnrun, records_under, refused, run_cli, small_sin_cfg
from hydra import compose, initialize_config_dir
from omegaconf import OmegaConf

from nnapprox.cli.compose import to_plain
from nnapprox.cli.report import main as report_main
from nnapprox.cli.run import CONF_DIR
from nnapprox.experiment.job import run_job
from nnapprox.experiment.records import load_records
from nnapprox.experiment.schema import Config
from nnapprox.experiment.validation import ConfigError, canonical

EXPERIMENTS = sorted(p.stem for p in (ROOT / "conf" / "experiment").glob("*.yaml"))


def _compose(overrides):
    with initialize_config_dir(config_dir=CONF_DIR, version_base="1.3"):
        return compose(config_name="config", overrides=overrides, return_hydra_config=True)


def experiment_jobs(experiment):
    """Every job's overrides of an experiment, expanded as the sweeper expands them (grids x params)."""
    from hydra._internal.core_plugins.basic_sweeper import BasicSweeper
    from hydra.core.override_parser.overrides_parser import OverridesParser

    from hydra_plugins.nnapprox_sweeper.sweeper import as_overrides

    cfg = _compose([f"experiment={experiment}"])
    sw = cfg.hydra.sweeper
    grids = OmegaConf.to_container(sw.grids) if sw.get("grids") else [{}]
    params = OmegaConf.to_container(sw.params) if sw.get("params") else {}
    parser = OverridesParser.create()
    jobs = []
    for g in grids:
        jobs += BasicSweeper.split_arguments(parser.parse_overrides(as_overrides(params) + as_overrides(g)), None)[0]
    return cfg, jobs


@pytest.mark.parametrize("experiment", EXPERIMENTS)
def test_every_experiment_composes_with_the_schema_and_its_first_job_validates(experiment):
    cfg, jobs = experiment_jobs(experiment)
    plain = to_plain(cfg)
    assert plain["study"] == experiment or experiment == "smoke" and plain["study"] == "smoke"
    assert len(jobs) > 1, f"experiment {experiment} defines no sweep grid"
    canonical(to_plain(_compose([f"experiment={experiment}", *jobs[0]])))


@pytest.mark.slow
@pytest.mark.parametrize("experiment", EXPERIMENTS)
def test_every_job_of_every_experiment_validates_and_no_two_are_the_same_run(experiment):
    _, jobs = experiment_jobs(experiment)
    hashes = [canonical(to_plain(_compose([f"experiment={experiment}", *job]))).hash for job in jobs]
    assert len(set(hashes)) == len(hashes)


def test_schema_rejects_bad_types_and_keys_at_compose_time():
    from hydra.errors import ConfigCompositionException

    with pytest.raises(ConfigCompositionException, match="model.width"):
        _compose(["model.width=abc"])
    with pytest.raises(ConfigCompositionException, match="widht"):
        _compose(["model.widht=3"])


@pytest.mark.parametrize(
    "key,value,needle",
    [
        ("model.width", -3, "model.width=-3"),
        ("data.N", 0, "data.N=0"),
        ("model.depth", -1, "model.depth=-1"),
        ("activation.name", "swish", "activation.name='swish'"),
        ("data.noise", -1.0, "data.noise=-1.0"),
        ("trainer.lr", -0.1, "trainer.lr=-0.1 must be > 0"),
        ("replicas", 0, "replicas=0"),
    ],
)
def test_validate_names_the_key(key, value, needle):
    cfg = OmegaConf.to_container(OmegaConf.structured(Config))
    cfg["trainer"]["name"] = "gd"
    group, _, field = key.rpartition(".")
    (cfg[group] if group else cfg)[field] = value
    with pytest.raises(ConfigError, match=needle.replace(".", r"\.").replace("(", r"\(")):
        canonical(cfg)


def test_validate_rejects_parameters_the_target_does_not_take():
    cfg = OmegaConf.to_container(OmegaConf.structured(Config))
    cfg["target"]["k"] = 3.0  # gaussian has no k
    with pytest.raises(ConfigError, match="target.k=3.0 is not a parameter of target 'gaussian'"):
        canonical(cfg)
    cfg["target"].update(name="gaussian", k=None, s=-1.0)
    with pytest.raises(ConfigError, match="s=-1"):
        canonical(cfg)


def test_a_bad_override_exits_1_in_one_line_before_any_job_runs(tmp_path):
    """A real start (the in-process matrix is tests/cli/test_refusals.py): a sweep and a single run."""
    assert refused(
        nnrun("-m", f"out_root={tmp_path}", "study=bad", "data.N_test=256,512", "model.width=-3", cwd=tmp_path),
        "model.width=-3",
    )
    assert refused(nnrun(f"out_root={tmp_path / 'out'}", "model.width=-3", cwd=tmp_path), "model.width=-3")
    assert not list(tmp_path.rglob("record.json")) and not (tmp_path / "out").exists()


def test_joblib_multirun_writes_one_record_per_job_and_runs_csv(tmp_path):
    proc = nnrun(
        "-m",
        "hydra/launcher=joblib",
        "hydra.launcher.n_jobs=2",
        f"out_root={tmp_path}",
        "study=grid",
        "target=sin",
        "data.N=200",
        "data.N_test=256",
        "trainer.max_steps=30",
        "model.width=2,4,8",
        "activation=tanh,relu",
        cwd=tmp_path,
        check=True,
    )
    sweep = tmp_path / "grid"
    recs = records_under(sweep)
    assert len(recs) == 6 and all(r["status"] == "ok" for r in recs)
    assert sorted((r["model.width"], r["activation.name"]) for r in recs) == sorted(
        (w, a) for w in (2, 4, 8) for a in ("tanh", "relu")
    )
    df = pd.read_csv(sweep / "runs.csv")
    assert len(df) == 6
    assert {"model.width", "activation.name", "test_mse", "rel_mse", "bound", "status"} <= set(df.columns)
    assert sorted(zip(df["model.width"], df["activation.name"], strict=True)) == sorted(
        (w, a) for w in (2, 4, 8) for a in ("tanh", "relu")
    )
    assert (sweep / "REPORT.md").exists()
    assert "job end" in proc.stderr + proc.stdout


def test_sigterm_midway_then_rerun_finishes_only_the_missing_jobs(tmp_path):
    args = [
        "-m",
        f"out_root={tmp_path}",
        "study=resume",
        "target=sin",
        "data.N=3000",
        "data.N_test=256",
        "trainer.max_steps=400",
        "model.width=8,9,10,11,12,13",
    ]
    env = dict(os.environ, MPLBACKEND="Agg")
    proc = subprocess.Popen(
        [sys.executable, "-m", "nnapprox.cli.run", *args],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    sweep = tmp_path / "resume"
    deadline = time.time() + 120
    while time.time() < deadline and len(list(sweep.rglob("record.json"))) < 2:
        time.sleep(0.05)
    proc.send_signal(signal.SIGTERM)
    proc.wait(timeout=60)
    done = {p.parent.name: p.stat().st_mtime_ns for p in sweep.rglob("record.json")}
    assert 2 <= len(done) < 6, f"interrupt came too late or too early: {len(done)} jobs done"
    for p in sweep.rglob("record.json"):  # nothing half-written
        assert all(r["status"] == "ok" for r in json.loads(p.read_text()))
    proc = nnrun(*args, cwd=tmp_path, check=True)
    after = {p.parent.name: p.stat().st_mtime_ns for p in sweep.rglob("record.json")}
    assert len(after) == 6
    for name, mtime in done.items():
        assert after[name] == mtime, f"{name} was rerun"
    assert proc.stderr.count("skip ") + proc.stdout.count("skip ") == len(done)
    df = pd.read_csv(sweep / "runs.csv")
    assert len(df) == 6 and df["model.width"].is_unique
    assert not list(sweep.rglob("*.tmp"))


def test_a_diverging_job_leaves_a_diverged_record_and_the_sweep_completes(tmp_path, monkeypatch, capsys):
    proc = run_cli(
        monkeypatch,
        capsys,
        "-m",
        f"out_root={tmp_path}",
        "study=div",
        "target=sin",
        "data.N=200",
        "data.N_test=256",
        "trainer=gd",
        "trainer.max_steps=200",
        "activation=relu",
        "trainer.lr=0.01,1e8",
    )
    assert proc.returncode == 0, proc.stderr
    recs = records_under(tmp_path / "div")
    by_lr = {r["trainer.lr"]: r for r in recs}
    assert by_lr[0.01]["status"] == "ok"
    assert by_lr[1e8]["status"] == "diverged" and "non-finite" in by_lr[1e8]["error"]
    df = pd.read_csv(tmp_path / "div" / "runs.csv")
    assert sorted(df["status"]) == ["diverged", "ok"]


def _plain(**over):
    cfg = OmegaConf.to_container(OmegaConf.structured(Config))
    cfg["target"].update(name="sin", d=1, freq=3.0, s=None)
    cfg["data"].update(N=300, N_test=512)
    cfg["model"]["width"] = 6
    cfg["trainer"]["max_steps"] = 60
    for k, v in over.items():
        group, _, field = k.partition("__")
        if field:
            cfg[group][field] = v
        else:
            cfg[group] = v
    return cfg


def test_same_config_and_seed_give_bit_identical_metrics(tmp_path):
    a = run_job(_plain(replicas=2), tmp_path / "a")
    b = run_job(_plain(replicas=2), tmp_path / "b")
    keys = ["test_mse", "test_mse_se", "rel_mse", "sup_err", "train_mse", "bound_ratio", "steps"]
    assert [[r[k] for k in keys] for r in a] == [[r[k] for k in keys] for r in b]
    assert a[0]["test_mse"] != a[1]["test_mse"]  # replicas differ
    c = run_job(_plain(seed=1), tmp_path / "c")
    assert c[0]["test_mse"] != a[0]["test_mse"]


def test_record_contents_and_resume(tmp_path):
    cfg = _plain(replicas=2)
    recs = run_job(cfg, tmp_path)
    assert [r["replica"] for r in recs] == [0, 1]
    r = recs[0]
    for key in (
        "target.name",
        "model.width",
        "activation.name",
        "data.N",
        "trainer.name",
        "seed",
        "replicas",
        "test_mse",
        "test_mse_se",
        "rel_mse",
        "sup_err",
        "train_mse",
        "bound",
        "bound_ratio",
        "n_params",
        "steps",
        "wall_time",
        "train_time",
        "status",
        "error",
        "versions.numpy",
        "git_commit",
        "config_hash",
        "c_f",
        "var_f",
        "n",
    ):
        assert key in r, key
    assert r["bound"] == pytest.approx((2 * 1.0 * 3.0) ** 2 / 6)
    assert r["rel_mse"] == pytest.approx(r["test_mse"] / r["var_f"])
    assert r["n_params"] == 1 * 6 + 6 + 6 + 1
    assert r["config_hash"] == canonical(cfg).hash
    hist = pd.read_csv(tmp_path / "history.csv")
    assert set(hist["replica"]) == {0, 1} and {"step", "loss", "elapsed"} <= set(hist.columns)
    mtime = (tmp_path / "record.json").stat().st_mtime_ns
    again = run_job(cfg, tmp_path)
    assert again == load_records(tmp_path) and (tmp_path / "record.json").stat().st_mtime_ns == mtime
    run_job(cfg, tmp_path, resume=False)
    assert (tmp_path / "record.json").stat().st_mtime_ns != mtime
    changed = _plain(replicas=2, model__width=7)
    assert run_job(changed, tmp_path)[0]["model.width"] == 7  # different hash: not skipped


def test_a_failing_job_records_failed_instead_of_raising(tmp_path, monkeypatch):
    import nnapprox.experiment.job as job

    def boom(*a, **k):
        raise RuntimeError("simulated crash")

    monkeypatch.setattr(job, "train", boom)
    recs = run_job(_plain(), tmp_path)
    assert recs[0]["status"] == "failed" and "simulated crash" in recs[0]["error"]
    assert load_records(tmp_path)[0]["status"] == "failed"
    monkeypatch.undo()
    assert run_job(_plain(), tmp_path)[0]["status"] == "ok"  # failed records are not skipped by resume


def test_rerun_from_a_saved_config(tmp_path, monkeypatch, capsys):
    assert (
        run_cli(
            monkeypatch,
            capsys,
            f"out_root={tmp_path}",
            "target=sin",
            "data.N=200",
            "data.N_test=256",
            "trainer.max_steps=20",
            "model.width=3",
        ).returncode
        == 0
    )
    (run_dir,) = [p.parent for p in tmp_path.rglob("record.json")]
    first = json.loads((run_dir / "record.json").read_text())[0]
    again = tmp_path / "again"
    proc = run_cli(
        monkeypatch,
        capsys,
        "--config-path",
        str(run_dir / ".hydra"),
        "--config-name",
        "config",
        f"hydra.run.dir={again}",
    )
    assert proc.returncode == 0, proc.stderr
    second = json.loads((again / "record.json").read_text())[0]
    assert second["test_mse"] == first["test_mse"] and second["config_hash"] == first["config_hash"]
    # the schema is merged again: a bad value in a saved config is still rejected
    bad = tmp_path / "bad"
    bad.mkdir()
    text = (run_dir / ".hydra" / "config.yaml").read_text().replace("width: 3", "width: -1")
    (bad / "config.yaml").write_text(text)
    assert refused(
        run_cli(
            monkeypatch, capsys, "--config-path", str(bad), "--config-name", "config", f"hydra.run.dir={tmp_path / 'b'}"
        ),
        "model.width=-1",
    )
    assert not (tmp_path / "b").exists()


@pytest.mark.parametrize(
    "trainer,extra",
    [
        ("adam", {}),
        ("gd", {"batch_size": 64}),  # per-replica mini-batch order
        ("momentum", {"tol": 0.02}),  # replicas stop on their own at tol
        ("gd", {"lr": 60.0}),  # replicas diverge
    ],
)
def test_one_pass_replicas_give_the_loops_records(tmp_path, trainer, extra):
    """replica_mode=auto trains gd/momentum/adam replicas in one vectorized pass; every
    replica must end where its solo run (replica_mode=loop) ends: same steps, stop
    reason, status and metrics up to floating-point reassociation."""
    from nnapprox.experiment.training import one_pass

    trainer_cfg = dict(_plain()["trainer"], name=trainer, max_steps=400, lr=0.05 if trainer != "adam" else 0.01)
    trainer_cfg.update(extra)
    cfgs = {mode: _plain(replicas=3, trainer=dict(trainer_cfg), replica_mode=mode) for mode in ("loop", "auto")}
    assert one_pass(cfgs["auto"]) and not one_pass(cfgs["loop"])
    assert canonical(cfgs["auto"]).hash == canonical(cfgs["loop"]).hash  # how, not what: same identity
    recs = {mode: run_job(cfg, tmp_path / mode) for mode, cfg in cfgs.items()}
    assert [r["replica"] for r in recs["auto"]] == [0, 1, 2]
    for a, b in zip(recs["auto"], recs["loop"], strict=True):
        for key in ("status", "steps", "stop_reason", "n_params"):
            assert a[key] == b[key], key
        assert a["extra.one_pass_replicas"] == 3
        if a["status"] == "ok":
            for key in ("test_mse", "train_mse", "sup_err"):
                assert a[key] == pytest.approx(b[key], rel=1e-8), key
        else:
            assert a["error"] == b["error"] and "non-finite" in a["error"]
    if "tol" in extra:
        assert {r["stop_reason"] for r in recs["auto"]} == {"tol"}
        assert len({r["steps"] for r in recs["auto"]}) > 1  # each replica stopped at its own step
    ha, hb = (pd.read_csv(tmp_path / mode / "history.csv") for mode in ("auto", "loop"))
    assert list(ha.columns) == list(hb.columns)
    for r in range(3):
        sa, sb = ha[ha["replica"] == r], hb[hb["replica"] == r]
        assert list(sa["step"]) == list(sb["step"])
        if recs["loop"][r]["status"] == "ok":  # (a blow-up amplifies reassociation: no tolerance there)
            np.testing.assert_allclose(sa["loss"], sb["loss"], rtol=1e-8)


# an unwritable output folder is one line naming the path (before any job), for real starts (single run and sweep;
# the in-process check is in tests/cli/test_refusals.py) and for reports
def test_an_unwritable_output_folder_is_one_line_in_a_subprocess_and_for_reports(tmp_path):
    blocker = tmp_path / "a_file"
    blocker.write_text("not a folder")
    assert refused(nnrun(f"out_root={blocker / 'out'}", *SMALL, cwd=tmp_path), str(blocker))
    assert refused(nnrun("-m", f"out_root={blocker / 'out'}", *SMALL, "model.width=2,3", cwd=tmp_path), str(blocker))
    run_job(small_sin_cfg(trainer={"name": "lbfgs", "max_steps": 5}), tmp_path / "sweep" / "job")
    assert report_main([str(tmp_path / "sweep"), "--out", str(blocker / "rep")]) == 2


# a failed job makes the exit non-zero
def test_a_sweep_with_a_failed_job_exits_non_zero(tmp_path, monkeypatch, capsys):
    import nnapprox.cli.run
    import nnapprox.experiment.job

    def boom(*a, **k):
        raise RuntimeError("simulated crash")

    monkeypatch.setattr(nnapprox.experiment.job, "train", boom)
    monkeypatch.setattr(
        sys,
        "argv",
        ["nnapprox-run", "-m", f"out_root={tmp_path}", "study=fails", *SMALL, "trainer.max_steps=3", "model.width=2,3"],
    )
    with pytest.raises(SystemExit) as exit_:
        nnapprox.cli.run.main()
    assert exit_.value.code == 1 and "2 job(s) failed" in capsys.readouterr().err
    recs = records_under(tmp_path / "fails")
    assert len(recs) == 2 and {r["status"] for r in recs} == {"failed"}
    assert all("simulated crash" in r["error"] for r in recs)


# joblib's workers end with a killed sweep
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
def test_joblib_workers_end_when_the_sweep_is_killed(tmp_path):
    args = [
        "-m",
        "hydra/launcher=joblib",
        "hydra.launcher.n_jobs=2",
        f"out_root={tmp_path}",
        "study=kill",
        "target=sin",
        "data.N=4000",
        "data.N_test=256",
        "trainer.max_steps=4000",
        "model.width=30,31,32,33",
    ]
    proc = subprocess.Popen(
        [sys.executable, "-m", "nnapprox.cli.run", *args],
        cwd=tmp_path,
        env=dict(os.environ, MPLBACKEND="Agg"),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
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
