"""The one helpers module of the tests: ``from helpers import ...`` (tests/ is on pytest's path).

Configs as plain dicts, small studies run as real jobs, the command line in a subprocess or in this
process, records under a folder, and builders of fabricated records. Never import from a test
module or from conftest.
"""

from __future__ import annotations

import copy
import json
import logging
import math
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd

__all__ = [
    "ROOT",
    "SMALL",
    "plain_config",
    "small_sin_cfg",
    "run_study",
    "nnrun",
    "run_cli",
    "records_under",
    "refused",
    "NS",
    "PATH",
    "scaling_runs",
    "ridge_paths",
]

#: The repository root.
ROOT = Path(__file__).resolve().parent.parent

_SCHEMA = None

#: Command-line overrides of a small, fast sin run (``nnapprox-run *SMALL``).
SMALL = ["data.N=100", "data.N_test=128", "target=sin"]


def plain_config(**dotted):
    """A schema-default config with dotted overrides: ``plain_config(**{"model.width": 4})``.

    A group given as a dict (``trainer={"name": "oga"}``) updates that group.
    """
    global _SCHEMA
    from omegaconf import OmegaConf

    from nnapprox.experiment.schema import Config

    if _SCHEMA is None:
        _SCHEMA = OmegaConf.to_container(OmegaConf.structured(Config))
    cfg = copy.deepcopy(_SCHEMA)
    for key, value in dotted.items():
        if isinstance(value, dict):
            cfg[key] = {**cfg[key], **value}
            continue
        group, _, field = key.rpartition(".")
        (cfg[group] if group else cfg)[field] = value
    return cfg


def small_sin_cfg(**over):
    """A small sin(3x) config (d = 1, N = 200, N_test = 256, width 6) with :func:`plain_config`'s overrides."""
    return plain_config(
        target={"name": "sin", "d": 1, "freq": 3.0}, **{"data.N": 200, "data.N_test": 256, "model.width": 6, **over}
    )


def run_study(root: Path, study: str, jobs):
    """Run each config of ``jobs`` (dicts of dotted overrides) as a job under ``root/<study>/``, through the
    one-call sweep (:func:`nnapprox.sweep`: the CLI's job and record code).

    Returns
    -------
    runs : pandas.DataFrame
        The collected records.
    ctx : StudyContext
    """
    from nnapprox import sweep
    from nnapprox.report.study import StudyContext

    folder = Path(root) / study
    runs = sweep(
        [{k: tuple(v) if isinstance(v, list) else v for k, v in job.items()} for job in jobs],
        folder,
        study=study,
        base=plain_config(),
    )
    return runs, StudyContext(name=study, sweep_dir=folder, n_boot=200)


def nnrun(*args, cwd, timeout=600, check=False) -> subprocess.CompletedProcess:
    """``nnapprox-run *args`` in a subprocess (``python -m nnapprox.cli.run``); the CompletedProcess.

    Keep these for what needs a process of its own (signals, workers, exit codes of a real start);
    a refusal is checked in this process with :func:`run_cli`.
    """
    env = dict(os.environ, HYDRA_FULL_ERROR="0", MPLBACKEND="Agg")
    proc = subprocess.run(
        [sys.executable, "-m", "nnapprox.cli.run", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if check and proc.returncode != 0:
        raise AssertionError(f"nnapprox-run failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
    return proc


def run_cli(monkeypatch, capsys, *argv) -> subprocess.CompletedProcess:
    """``nnapprox-run *argv`` in this process (its ``main``), as a CompletedProcess (returncode, stdout, stderr).

    Hydra's logging set-up (handlers on pytest's captured streams) is undone afterwards.
    """
    import nnapprox.cli.run

    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    monkeypatch.setattr(sys, "argv", ["nnapprox-run", *argv])
    monkeypatch.setenv("HYDRA_FULL_ERROR", "0")
    capsys.readouterr()
    code = 0
    try:
        nnapprox.cli.run.main()
    except SystemExit as e:
        code = e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)
    out, err = capsys.readouterr()
    return subprocess.CompletedProcess(["nnapprox-run", *argv], code, out, err)


def records_under(folder) -> list[dict]:
    """Every record of every ``record.json`` under ``folder`` (sorted by path)."""
    return [r for p in sorted(Path(folder).rglob("record.json")) for r in json.loads(p.read_text())]


def refused(proc, needle) -> bool:
    """Refused with a one-line message naming ``needle`` on stderr: exit status 1, no traceback.

    Sweeps refused by the sweeper also print Hydra's hint on ``HYDRA_FULL_ERROR``; nothing else may be printed.
    """
    assert proc.returncode == 1, (proc.returncode, proc.stdout + proc.stderr)
    assert needle in proc.stderr, proc.stderr
    assert "Traceback" not in proc.stderr, proc.stderr
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip() and "HYDRA_FULL_ERROR=1" not in ln]
    assert len(lines) == 1 and needle in lines[0], proc.stderr  # one line (and Hydra's hint for sweeps)
    return True


# --- fabricated records ------------------------------------------------------------------------

NS = (1000, 2154, 4642, 10000, 21544, 46416, 100000)
PATH = (1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 48, 64, 96, 128, 192, 256)


def scaling_runs(
    approx=lambda n: 0.05 * n**-2.0, est=None, *, sigma=0.1, noisy_reps=8, clean_reps=5, seed=0, jitter=0.03
):
    """Noisy and clean OGA paths: clean = approx(n) and noisy = approx(n) + est(n, N), times replica noise.

    The default estimation term is the least-squares variance σ² (n + 1)/(N − n − 2).
    """
    est = est or (lambda n, N: sigma**2 * (n + 1) / (N - n - 2))
    rng = np.random.default_rng(seed)
    rows = []
    for N in NS:
        for r in range(noisy_reps):
            shift = jitter * rng.normal()
            for n in PATH:
                a = approx(n) * math.exp(shift + 0.01 * rng.normal())
                e = est(n, N) * math.exp(jitter * rng.normal())
                base = {
                    "data.N": N,
                    "n": n,
                    "seed": 0,
                    "replica": r,
                    "status": "ok",
                    "target.d": 2,
                    "c_f": 1.0,
                    "radius": 1.0,
                    "var_f": 0.04,
                    "trainer.name": "oga",
                    "activation.name": "sigmoid",
                    "model.depth": 1,
                }
                rows.append({**base, "data.noise": sigma, "test_mse": a + e, "train_mse": a})
                if r < clean_reps:
                    rows.append({**base, "data.noise": 0.0, "test_mse": a, "train_mse": a})
    return pd.DataFrame(rows)


def ridge_paths(K_of_d, *, slope=-1.5, ds=(2, 4, 8, 16), trainers=("oga",), units=("sigmoid",), reps=5, seed=0):
    """ridge_sum paths with C_f = 1.5 sqrt(d + 2), Var f = 0.4, r = 1 (n_0 = 22.5 (d + 2)), training MSE shaped so
    that max over n ≥ n_0 of n · MSE / (2 C_f)² is K_of_d(d) (reached at n_0's first recorded width)."""
    rng = np.random.default_rng(seed)
    rows = []
    for d in ds:
        c_f = 1.5 * math.sqrt(d + 2)
        B, n0 = (2 * c_f) ** 2, (2 * c_f) ** 2 / 0.4
        for trainer in trainers:
            for act in units:
                m_of = (lambda n: n // 2) if act == "relu" else (lambda n: n)
                for r in range(reps):
                    K = K_of_d(d) * math.exp(0.05 * rng.normal())
                    for n in (8, 16, 32, 64, 128, 256, 384, 512, 768, 1024, 1536, 2048):
                        n_first = 2 ** math.ceil(math.log2(n0 * (2 if act == "relu" else 1)))
                        mse = K * B / m_of(n_first) * (n / n_first) ** slope
                        rows.append(
                            {
                                "target.name": "ridge_sum",
                                "target.m": 1,
                                "target.d": d,
                                "c_f": c_f,
                                "var_f": 0.4,
                                "radius": 1.0,
                                "trainer.name": trainer,
                                "activation.name": act,
                                "n": n,
                                "replica": r,
                                "seed": 0,
                                "train_mse": mse,
                                "test_mse": 1.2 * mse,
                                "test_mse_se": 0.0,
                                "rel_mse": mse / 0.4,
                                "data.N": 40000,
                                "status": "ok",
                                "model.depth": 1,
                                "bound": B / max(1, m_of(n)),
                            }
                        )
    return pd.DataFrame(rows)


def compose(overrides):
    """The config ``nnapprox-run`` composes from ``overrides`` (hydra node included), in-process."""
    from hydra import compose as hydra_compose
    from hydra import initialize_config_dir

    from nnapprox.cli.run import CONF_DIR

    with initialize_config_dir(config_dir=CONF_DIR, version_base="1.3"):
        return hydra_compose(config_name="config", overrides=list(overrides), return_hydra_config=True)
