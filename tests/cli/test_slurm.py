"""The cluster path, run for real: a private single-node SLURM cluster (scripts/slurm-local.sh)
runs the smoke study through Hydra's submitit launcher.

Needs root and either slurm-wlm + munge or apt-get to install them. Without those the module
skips with the reason, except under CI (CI=true), where it must run and fails instead.
Run it with `make test-slurm` (pytest -m slurm); one pass takes 1-2 minutes on 2 cores.
"""

from __future__ import annotations

import csv
import json
import math
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import pytest
from helpers import ROOT

pytestmark = pytest.mark.slurm

SCRIPT = ROOT / "scripts" / "slurm-local.sh"
STUDY = [sys.executable, "-m", "nnapprox.cli.run", "-m", "experiment=smoke"]
N_JOBS = 4  # conf/experiment/smoke.yaml: model.width=2,4 x activation=tanh,relu
SWEEP_TIMEOUT = 240  # seconds; a sweep of the smoke study takes ~10 s on the local cluster
# Same thread count for every launcher (joblib workers get 1): the number of BLAS threads changes
# the order of floating-point sums, which after 50 L-BFGS steps showed up at 1e-7 in test_mse.
ONE_THREAD = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "NNAPPROX_THREADS": "1"}
# Record keys that may differ between launchers: timings and paths.
VOLATILE = {"run_dir", "wall_time", "train_time"}


def _volatile(key: str) -> bool:
    return key in VOLATILE or key.endswith(("_time", "_dir", "_path"))


# ---------------------------------------------------------------- environment checks


def _missing_requirement() -> str | None:
    if not hasattr(os, "geteuid") or os.geteuid() != 0:
        return "needs root (private munge/slurm daemons, munge key ownership, apt-get)"
    path = os.environ.get("PATH", "") + os.pathsep + "/usr/sbin:/sbin"
    installed = all(shutil.which(p, path=path) for p in ("slurmctld", "slurmd", "sbatch", "munged"))
    if not installed and not shutil.which("apt-get"):
        return "slurm-wlm/munge are not installed and there is no apt-get to install them"
    if not shutil.which("setpriv"):
        return "needs setpriv (util-linux) to run munged as user munge"
    return None


def _skip_or_fail(reason: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"CI=true, so the SLURM test must run, but: {reason}", pytrace=False)
    pytest.skip(reason)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# ---------------------------------------------------------------- process helpers


def _alive(pid: int) -> bool:
    """True while PID runs; a zombie (exited, not yet reaped by init) counts as gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] not in ("Z", "X")


def _cluster_processes(state: Path) -> list[int]:
    """Live processes of the cluster in STATE: our daemons and their forks (marker variable),
    slurmstepd and job processes (SLURM_CONF of this cluster)."""
    mark = f"NNAPPROX_SLURM_CLUSTER={state}".encode()
    conf = f"SLURM_CONF={state / 'slurm.conf'}".encode()
    found = []
    for d in Path("/proc").iterdir():
        if not d.name.isdigit() or int(d.name) == os.getpid():
            continue
        try:
            env = (d / "environ").read_bytes().split(b"\0")
            comm = (d / "comm").read_text().strip()
        except OSError:
            continue
        ours = mark in env or (
            conf in env and (comm == "slurmstepd" or any(v.startswith(b"SLURM_JOB_ID=") for v in env))
        )
        if ours and _alive(int(d.name)):
            found.append(int(d.name))
    return found


def _log_tails(state: Path, n: int = 15) -> str:
    out = []
    for p in [state / "log/slurmctld.log", state / "log/slurmd.log", state / "munge/munged.log"]:
        try:
            lines = p.read_text(errors="replace").splitlines()[-n:]
        except OSError:
            continue
        out.append(f"--- {p}\n" + "\n".join(lines))
    return "\n".join(out)


def _run(cmd, env, timeout=SWEEP_TIMEOUT, cwd=ROOT) -> subprocess.CompletedProcess:
    """Run CMD in its own session; on timeout kill the whole group and fail (a hang)."""
    proc = subprocess.Popen(
        [str(c) for c in cmd],
        env=env,
        cwd=cwd,
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        out, _ = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, _ = proc.communicate()
        pytest.fail(f"hung: {' '.join(map(str, cmd))} still running after {timeout}s\n{out[-4000:]}")
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, None)


# ---------------------------------------------------------------- the cluster


class Cluster:
    def __init__(self, state: Path, env: dict[str, str], daemons: dict[str, int]):
        self.state, self.env, self.daemons = state, env, daemons

    def client(self, *args: str, timeout: float = 20) -> str:
        r = subprocess.run(list(args), env=self.env, capture_output=True, text=True, timeout=timeout)
        assert r.returncode == 0, f"{' '.join(args)} failed ({r.returncode}): {r.stderr}"
        return r.stdout

    def array_ids(self) -> set[str]:
        out = self.client("squeue", "--states=all", "-h", "-r", "-o", "%F")
        return {line.strip() for line in out.splitlines() if line.strip()}


@pytest.fixture(scope="module")
def cluster():
    reason = _missing_requirement()
    if reason:
        _skip_or_fail(reason)
    # A private folder readable by munge (pytest's own tmp folders are root-only).
    state = Path(tempfile.mkdtemp(prefix="nnapprox-slurm-", dir="/tmp"))
    state.chmod(0o755)
    ports = [_free_port(), _free_port()]
    while ports[1] == ports[0]:
        ports[1] = _free_port()
    script_env = dict(
        os.environ,
        NNAPPROX_SLURM_DIR=str(state),
        NNAPPROX_SLURMCTLD_PORT=str(ports[0]),
        NNAPPROX_SLURMD_PORT=str(ports[1]),
    )
    t0 = time.monotonic()
    try:
        r = subprocess.run(
            [str(SCRIPT), "start"], env=script_env, capture_output=True, text=True, timeout=600
        )  # the first start on a fresh machine installs slurm-wlm
    except subprocess.TimeoutExpired:
        subprocess.run([str(SCRIPT), "stop"], env=script_env, timeout=120)
        pytest.fail(f"slurm-local.sh start hung\n{_log_tails(state)}")
    if r.returncode != 0:
        pytest.fail(f"slurm-local.sh start failed ({r.returncode}):\n{r.stderr}\n{_log_tails(state)}")
    print(f"local SLURM cluster up in {time.monotonic() - t0:.1f}s ({state})")

    client = dict(line.split("=", 1) for line in (state / "client.env").read_text().splitlines() if "=" in line)
    env = dict(
        os.environ,
        **ONE_THREAD,
        SLURM_CONF=client["SLURM_CONF"],
        PATH=client["NNAPPROX_SLURM_BIN"] + os.pathsep + os.environ.get("PATH", ""),
    )
    daemons = {
        name: int(pid)
        for name, pid in (line.split() for line in (state / "pids").read_text().splitlines() if line.strip())
    }
    assert set(daemons) == {"munged", "slurmctld", "slurmd"}, daemons
    try:
        yield Cluster(state, env, daemons)
    finally:
        seen = set(daemons.values()) | set(_cluster_processes(state))
        r = subprocess.run([str(SCRIPT), "stop"], env=script_env, capture_output=True, text=True, timeout=120)
        left = sorted(pid for pid in seen | set(_cluster_processes(state)) if _alive(pid))
        for pid in left:  # never leave our daemons behind, even if the assertion below fails
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        assert r.returncode == 0, f"slurm-local.sh stop failed: {r.stderr}"
        assert not left, f"processes of the local cluster still alive after stop: {left}"
        assert not (state / "pids").exists()
        print(f"cluster stopped; none of its processes is left: {sorted(seen)}")
        shutil.rmtree(state, ignore_errors=True)


# ---------------------------------------------------------------- records


def _records(sweep: Path) -> dict[str, list[dict]]:
    """{job subdir: records} for every job of the sweep."""
    found = {}
    for f in sorted(sweep.glob("*/record.json")):
        if not f.parent.name.startswith("."):
            found[f.parent.name] = json.loads(f.read_text())
    return found


def _check_sweep(sweep: Path) -> dict[str, list[dict]]:
    recs = _records(sweep)
    assert len(recs) == N_JOBS, f"expected {N_JOBS} job records in {sweep}, found {sorted(recs)}"
    flat = [r for job in recs.values() for r in job]
    for job, rs in recs.items():
        assert isinstance(rs, list) and rs, f"{job}/record.json is not a non-empty list"
        for r in rs:
            assert r.get("status") == "ok", f"{job}: status {r.get('status')!r}: {r.get('error')}"
    runs = sweep / "runs.csv"
    assert runs.is_file(), f"the sweep callback wrote no {runs}"
    with runs.open(newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == len(flat), f"runs.csv has {len(rows)} rows for {len(flat)} records"
    assert all(row.get("status") == "ok" for row in rows)
    if rows and "config_hash" in rows[0]:
        assert Counter(r["config_hash"] for r in rows) == Counter(r["config_hash"] for r in flat)
    if rows and "test_mse" in rows[0]:
        csv_mse = sorted(float(row["test_mse"]) for row in rows)
        rec_mse = sorted(float(r["test_mse"]) for r in flat)
        assert all(math.isclose(a, b, rel_tol=1e-12) for a, b in zip(csv_mse, rec_mse, strict=True)), (
            f"runs.csv test_mse {csv_mse} != records {rec_mse}"
        )
    return recs


def _same(a, b) -> bool:
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    return a == b


def _assert_same_records(got: dict, want: dict, label: str) -> None:
    assert sorted(got) == sorted(want), f"{label}: other jobs than the reference sweep"
    for job in want:
        assert len(got[job]) == len(want[job]), f"{label}: {job}: record count differs"
        for g, w in zip(got[job], want[job], strict=True):
            keys = {k for k in set(g) | set(w) if not _volatile(k)}
            diff = {k: (g.get(k), w.get(k)) for k in sorted(keys) if not _same(g.get(k), w.get(k))}
            assert not diff, f"{label}: {job}: records differ from the slurm_local sweep: {diff}"


# ---------------------------------------------------------------- tests


def test_sacct_standin_reports_a_cancelled_job(cluster):
    """Without slurmdbd the real sacct fails; the stand-in on PATH answers from squeue."""
    assert Path(shutil.which("sacct", path=cluster.env["PATH"])).parent == cluster.state / "bin"
    jid = cluster.client("sbatch", "--parsable", "-o", "/dev/null", "--wrap", "sleep 300").strip()
    jid = jid.split(";")[0]
    deadline = time.monotonic() + 30
    state = ""
    while state != "RUNNING" and time.monotonic() < deadline:
        out = cluster.client("sacct", "-o", "JobID,State,NodeList", "--parsable2", "-j", jid)
        lines = out.splitlines()
        assert lines[0] == "JobID|State|NodeList"
        state = lines[1].split("|")[1] if len(lines) > 1 else ""
        time.sleep(0.3)
    assert state == "RUNNING", f"job {jid} never ran (state {state!r})"
    cluster.client("scancel", jid)
    while state != "CANCELLED" and time.monotonic() < deadline:
        time.sleep(0.3)
        out = cluster.client("sacct", "-o", "JobID,State,NodeList", "--parsable2", "-j", jid)
        state = out.splitlines()[1].split("|")[1]
    assert state == "CANCELLED"


@pytest.fixture(scope="module")
def slurm_sweep(cluster, tmp_path_factory):
    """The smoke study through hydra/launcher=slurm_local: one job array on the local cluster."""
    sweep = tmp_path_factory.mktemp("sweep") / "slurm_local"
    t0 = time.monotonic()
    r = _run(STUDY + ["hydra/launcher=slurm_local", f"hydra.sweep.dir={sweep}"], cluster.env)
    assert r.returncode == 0, f"the slurm sweep failed ({r.returncode}):\n{r.stdout[-6000:]}"
    print(f"slurm_local sweep: {time.monotonic() - t0:.1f}s")
    return sweep


def test_study_runs_as_a_slurm_job_array(slurm_sweep):
    recs = _check_sweep(slurm_sweep)
    # submitit logs: <sweep>/.submitit/<array id>_<index>/..._log.{out,err}, one folder per job
    logs = [d for d in (slurm_sweep / ".submitit").iterdir() if d.is_dir() and "_" in d.name]
    assert len(logs) == N_JOBS, f"expected {N_JOBS} submitit log folders, found {logs}"
    for d in logs:
        assert list(d.glob("*_log.out")), f"no job log in {d}"
    assert len(recs) == N_JOBS


@pytest.mark.parametrize("launcher", ["basic", "joblib"])
def test_every_launcher_gives_the_same_records(cluster, slurm_sweep, launcher, tmp_path):
    """The same study command under the basic and joblib launchers: records equal to the
    submitit_slurm sweep's, except timings and paths."""
    sweep = tmp_path / "sweep"
    r = _run(STUDY + [f"hydra/launcher={launcher}", f"hydra.sweep.dir={sweep}"], cluster.env)
    assert r.returncode == 0, f"{launcher} sweep failed ({r.returncode}):\n{r.stdout[-6000:]}"
    _assert_same_records(_check_sweep(sweep), _records(slurm_sweep), launcher)


def test_cancelled_job_fails_the_sweep_promptly(cluster, tmp_path):
    """scancel one job of a running sweep: the multirun must exit non-zero, naming the state,
    instead of waiting forever for a result the job never wrote. This sweep uses the
    real-cluster preset (conf/hydra/launcher/slurm.yaml) pointed at the local cluster."""
    before = cluster.array_ids()
    sweep = tmp_path / "cancelled"
    cmd = STUDY + [
        "hydra/launcher=slurm",
        "hydra.launcher.partition=debug",
        "hydra.launcher.mem_gb=1",
        "hydra.launcher.cpus_per_task=1",
        f"hydra.sweep.dir={sweep}",
        # runs in the batch script before the job: keeps every job RUNNING a while
        'hydra.launcher.setup=["sleep 300"]',
    ]
    proc = subprocess.Popen(
        cmd,
        env=cluster.env,
        cwd=ROOT,
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    array = None
    try:
        deadline = time.monotonic() + 90
        while array is None and time.monotonic() < deadline and proc.poll() is None:
            out = cluster.client("squeue", "-h", "-r", "-t", "RUNNING", "-o", "%i %F")
            for line in out.splitlines():
                jid, arr = line.split()
                if jid == f"{arr}_0" and arr not in before:
                    array = arr
            time.sleep(0.3)
        assert array is not None, "job 0 of the sweep never started"
        cluster.client("scancel", f"{array}_0")
        t0 = time.monotonic()
        try:
            out, _ = proc.communicate(timeout=120)
        except subprocess.TimeoutExpired:
            pytest.fail("the sweep still waits 120 s after its job was cancelled (hang)")
        elapsed = time.monotonic() - t0
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate()
        if array is not None:
            cluster.client("scancel", array)  # the other jobs of the array
    print(f"cancelled job surfaced after {elapsed:.1f}s, exit code {proc.returncode}")
    assert proc.returncode != 0, f"the sweep exited 0 although a job was cancelled:\n{out[-3000:]}"
    assert "CANCELLED" in out and "has not produced any output" in out, out[-3000:]
    assert elapsed < 90
