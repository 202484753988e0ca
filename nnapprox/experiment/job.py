"""One job of a sweep, without Hydra: config dict in, records out. A straight line:

1. :func:`nnapprox.experiment.validation.canonical`: the validated run (target built, options resolved, hash);
2. :func:`setup`: per replica, the data, the initial network and the training Generator, all
   from ``SeedSequence([seed, replica])``;
3. :func:`train`: the trainer, replica by replica or all replicas in one vectorized pass, giving
   one :class:`ReplicaResult` per replica (its trained networks, one per recorded width);
4. :func:`evaluate`: metrics of every trained network (test and train MSE, relative and sup
   error, bound ratio, unit statistics, errors on a fine grid for 1-D targets);
5. the records, ``history.csv`` and ``params.npz`` written atomically (:mod:`nnapprox.experiment.records`).

:func:`run_job` never raises for a failing or diverging run: the record says ``failed`` or
``diverged`` with the message, so a sweep always completes and can be aggregated. A job whose
``record.json`` holds ``ok`` records with the same config hash is skipped (resume).
"""

from __future__ import annotations

import logging
import math
import platform
import subprocess
import time
import traceback
from functools import lru_cache
from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_limits

from nnapprox.base.io import remove_stale_temps, write_text_atomic
from nnapprox.experiment import records as rc
from nnapprox.experiment.evaluation import evaluate
from nnapprox.experiment.training import setup, train
from nnapprox.experiment.validation import Canonical, canonical
from nnapprox.targets.user import InputChanged, check_unchanged

__all__ = ["run_job", "c_f_provenance", "InputChanged"]

log = logging.getLogger("nnapprox.experiment.job")


# ---------------------------------------------------------------------------
# provenance
# ---------------------------------------------------------------------------


@lru_cache(maxsize=1)
def _git_commit() -> str | None:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=Path(__file__).resolve().parent, capture_output=True, text=True, timeout=5
        )
        return out.stdout.strip() or None
    except (OSError, subprocess.SubprocessError):
        return None


@lru_cache(maxsize=1)
def _versions() -> dict:
    import scipy

    from nnapprox.base.version import __version__

    return {
        "versions.nnapprox": __version__,
        "versions.numpy": np.__version__,
        "versions.scipy": scipy.__version__,
        "versions.python": platform.python_version(),
    }


def _validated(run, validated_hash):
    if isinstance(run, Canonical):
        return run
    try:
        return canonical(run)
    except ValueError as e:
        if validated_hash is None:
            raise
        raise InputChanged(
            f"the job no longer validates although the sweep validated it (config hash "
            f"{validated_hash}): a user file changed since: {e}"
        ) from None


def c_f_provenance(target) -> dict:
    """``c_f_method`` (closed form, given, estimated: <how>, unknown: <why>) and ``c_f_error`` of a target."""
    method = target.info.get("c_f_method")
    if method is None:
        method = "closed form" if target.c_f is not None else "unknown: no closed form for this target"
    err = target.info.get("c_f_error", 0.0 if target.c_f is not None else None)
    return {"c_f_method": method, "c_f_error": None if err is None or not math.isfinite(err) else float(err)}


# ---------------------------------------------------------------------------
# 3. training
# ---------------------------------------------------------------------------


# ---------------------------------------------------------------------------
# 4. evaluation
# ---------------------------------------------------------------------------


# ---------------------------------------------------------------------------
# the job
# ---------------------------------------------------------------------------


def _inputs_changed(canon, validated_hash: str) -> str:
    """The one line of a job whose validation now gives another hash than the sweep's (an input file changed)."""
    p = canon.target.params
    what = (
        f"target.fn={p.get('fn')!r} (file sha256 now {str(p.get('fn_sha256'))[:12]}…)"
        if canon.target.kind == "user"
        else f"target.path={p.get('path')!r} (sha256 now {str(p.get('sha256'))[:12]}…)"
        if canon.target.kind == "table"
        else "its inputs"
    )
    return (
        f"{what} changed since the sweep validated this job (config hash now {canon.hash}, validated "
        f"{validated_hash}): the job would use what the sweep did not validate; rerun the sweep"
    )


def run_job(run: Canonical | dict, out_dir, resume: bool = True, validated_hash: str | None = None) -> list[dict]:
    """Run one job and write ``record.json``, ``history.csv`` and ``params.npz`` into ``out_dir``.

    Parameters
    ----------
    run : Canonical or dict
        The validated run (:func:`nnapprox.experiment.validation.canonical`; the CLI and
        :func:`nnapprox.runner.sweep.sweep` pass the one they validated, so it is never validated
        twice), or a resolved plain config, validated here.
    out_dir : path
        The job's own output directory (created if needed).
    resume : bool
        Skip the job when ``out_dir/record.json`` holds ``ok`` records with the same config hash
        (and its parameters are saved).
    validated_hash : str, optional
        The config hash the sweep validated this job as (a worker validates its job again): another
        hash now, or a config that no longer validates, means a user file changed since, and the job
        fails with a record saying so. Either way the user's file (function module, table) must still be
        the one its target was built from (:func:`nnapprox.targets.user.check_unchanged`).

    Returns
    -------
    list of dict
        The flat records written (one per replica, and per recorded width for paths).
    """
    import pandas as pd

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    remove_stale_temps(out_dir)  # leftovers of writers killed with SIGKILL (never a live writer's)
    t0 = time.perf_counter()
    base = {"git_commit": _git_commit(), **_versions(), "run_dir": out_dir.name}
    canon = None
    records, histories, nets, datasets = [], [], {}, []
    # BLAS at one thread: results then do not depend on the launcher or the machine's core count
    # (OpenBLAS sums in a thread-count-dependent order); the engine's own sample-block threads
    # (nnapprox.engine.fastpath) use a fixed partition and are deterministic.
    blas = threadpool_limits(limits=1, user_api="blas")
    try:
        canon = _validated(run, validated_hash)
        base.update({**rc.flatten(canon.config), "config_hash": canon.hash})
        if validated_hash is not None and canon.hash != validated_hash:
            raise InputChanged(_inputs_changed(canon, validated_hash))
        if resume:
            old = rc.finished(out_dir, canon.hash)
            if old is not None:
                log.info("skip %s: done (config hash %s)", out_dir, canon.hash)
                return old
        check_unchanged(canon.target)  # the file behind the target is still the one validated
        t = canon.target
        base.update(
            {
                "c_f": rc.encode(t.c_f) if t.c_f is not None else None,
                "c_f_infinite": bool(t.c_f is not None and math.isinf(t.c_f)),
                **c_f_provenance(t),
                "radius": float(t.radius),
                "target.kind": t.kind,
            }
        )
        setups = [setup(canon, r) for r in range(canon.config["replicas"])]
        results = train(canon, setups)
        for rec in evaluate(canon, setups, results):
            records.append({**base, **rec})
        for res in results:
            histories.append(res.history)
            for n, net, _ in res.models:
                if np.all(np.isfinite(net.theta)):
                    nets[rc.params_key(res.replica, n)] = net
        datasets = [s.data for s in setups] if canon.config["save_data"] else []
    except Exception as e:  # a job never crashes the sweep: it records why it failed
        log.error("job %s failed: %s", out_dir, e)
        records = [
            {
                **base,
                "status": "failed",
                "error": f"{type(e).__name__}: {e}",
                "traceback": traceback.format_exc(limit=8),
            }
        ]
    finally:
        blas.restore_original_limits()
    wall = time.perf_counter() - t0
    for rec in records:
        rec["wall_time"] = wall
    if histories:
        hist = pd.concat([h for h in histories if h is not None], ignore_index=True)
        write_text_atomic(out_dir / rc.HISTORY_FILE, hist.to_csv(index=False))
    rc.save_params(out_dir, nets)
    if datasets:
        rc.save_data(out_dir, datasets)
    rc.write_records(out_dir, records)
    return records
