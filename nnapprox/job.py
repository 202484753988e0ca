"""One job of a sweep, without Hydra: config dict in, ``record.json`` + ``history.csv`` out.

:func:`run_job` builds the target and data, trains one network per replica (or
one greedy path per replica), evaluates it (one record per replica, and one per
recorded width on greedy paths) and writes the records atomically. It never
raises for a failing or diverging run: the record says ``failed`` or
``diverged`` with the message, so a sweep always completes and can be aggregated.
"""
from __future__ import annotations

import json
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

from .config import config_hash, flatten, trainer_options, validate
from .io import write_json_atomic as _write_json
from .io import write_text_atomic

__all__ = ["run_job", "write_json_atomic", "load_records", "unit_stats", "RECORD_FILE", "HISTORY_FILE"]

log = logging.getLogger("nnapprox.job")

RECORD_FILE = "record.json"
HISTORY_FILE = "history.csv"


# ---------------------------------------------------------------------------
# files
# ---------------------------------------------------------------------------

def write_json_atomic(path: Path, obj) -> None:
    """Write JSON atomically (temp file, fsync, rename): a killed job never leaves a half record."""
    _write_json(path, obj, default=_json_default)


def _json_default(o):
    if isinstance(o, (np.integer,)):
        return int(o)
    if isinstance(o, (np.floating,)):
        return _finite_or_none(float(o))
    if isinstance(o, np.ndarray):
        return o.tolist()
    return str(o)


def _finite_or_none(x):
    if x is None:
        return None
    x = float(x)
    return x if math.isfinite(x) else None


def load_records(out_dir: Path) -> list[dict] | None:
    """The records in ``out_dir/record.json``, or None if missing or unreadable."""
    try:
        recs = json.loads((Path(out_dir) / RECORD_FILE).read_text())
    except (OSError, ValueError):
        return None
    return recs if isinstance(recs, list) else None


# ---------------------------------------------------------------------------
# provenance
# ---------------------------------------------------------------------------

@lru_cache(maxsize=1)
def _git_commit() -> str | None:
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], cwd=Path(__file__).resolve().parent,
                             capture_output=True, text=True, timeout=5)
        return out.stdout.strip() or None
    except (OSError, subprocess.SubprocessError):
        return None


@lru_cache(maxsize=1)
def _versions() -> dict:
    import scipy

    from . import __version__

    return {"versions.nnapprox": __version__, "versions.numpy": np.__version__,
            "versions.scipy": scipy.__version__, "versions.python": platform.python_version()}


# ---------------------------------------------------------------------------
# metrics beyond the error
# ---------------------------------------------------------------------------

def unit_stats(net, X) -> dict:
    """Saturated and dead hidden units, the lecture's pros and cons made measurable.

    ``saturated_frac``: fraction of (sample, hidden unit) pairs whose derivative is
    below 1% of its maximum (sigmoid |z| > 6.0, tanh |z| > 3.0); ``dead_frac``:
    fraction of hidden units (ReLU family) with z < 0 on every test sample. Both
    over all hidden layers; ``None`` where they do not apply.
    """
    from .network import forward

    act = net.activation_name
    zs, as_ = forward(net.weights, net.biases, X.astype(net.dtype), net.act, net.out_act)
    hidden_z = zs[1:-1]
    out = {"saturated_frac": None, "dead_frac": None}
    if act in ("sigmoid", "tanh"):
        peak = 0.25 if act == "sigmoid" else 1.0
        sat = [np.mean(net.act.deriv(z, a) < 0.01 * peak) for z, a in zip(hidden_z, as_[1:-1])]
        out["saturated_frac"] = float(np.mean(sat))
    if act in ("relu", "leaky_relu"):
        dead = np.concatenate([np.all(z < 0, axis=0) for z in hidden_z])
        out["dead_frac"] = float(np.mean(dead))
    return out


# ---------------------------------------------------------------------------
# the job
# ---------------------------------------------------------------------------

def _replica_seed(seed: int, r: int) -> np.random.SeedSequence:
    return np.random.SeedSequence([int(seed), int(r)])


def _evaluate(predict_test, predict_train, ds, target, n, extra):
    from .metrics import evaluate

    c_f = target.c_f
    m = evaluate(predict_test, ds.y_test, predict_train, ds.y, c_f=c_f, radius=target.radius, n=n)
    m.update(extra)
    return m


def _setup_replica(cfg: dict, target, r: int, progress_every: float):
    """Replica ``r``'s data, initial network, trainer options and training Generator.

    Everything random comes from ``SeedSequence([seed, r])``, so a replica is the same
    whether it trains alone or in a one-pass batch.
    """
    from .data import make_dataset
    from .network import MLP, place_kinks_at_data

    m_cfg, tr_cfg = cfg["model"], cfg["trainer"]
    ss = _replica_seed(cfg["seed"], r)
    ss_data, ss_init, ss_train = ss.spawn(3)
    ds = make_dataset(target, cfg["data"]["N"], cfg["data"]["N_test"], cfg["data"]["noise"], seed=ss_data)
    opts = trainer_options(tr_cfg)
    width = m_cfg["width"]
    if "record_widths" in opts:
        if tr_cfg["name"] == "lbfgs":
            # a width-continuation path: its largest recorded width is the network's width
            width = max(opts["record_widths"])
        else:  # constructive paths run to n_max (default: model.width); record what lies on the path
            top = opts.get("n_max", opts.get("n", width))
            opts["record_widths"] = [n for n in opts["record_widths"] if n <= top] or [top]
    if tr_cfg["name"] == "random_features" and "n_max" in opts:
        opts["n"] = opts.pop("n_max")
    sizes = [target.dim] + [width] * m_cfg["depth"] + [1]
    net = MLP(sizes, cfg["activation"]["name"], m_cfg["output_activation"], rng=np.random.default_rng(ss_init),
              init=m_cfg["init"], init_std=m_cfg["init_std"], slope=cfg["activation"]["slope"],
              dtype=np.dtype(m_cfg["dtype"]))
    if m_cfg.get("bias_init", "zero") == "data":
        place_kinks_at_data(net, ds.X, np.random.default_rng(ss_init.spawn(1)[0]))
    if tr_cfg["name"] != "random_features":  # the only trainer without progress lines (it is one solve)
        opts.setdefault("progress_every", progress_every)
    return ds, net, opts, np.random.default_rng(ss_train)


def _common_fields(hist, train_time: float, r: int | None = None) -> dict:
    """The record fields every replica's records share (``r``: replica of a one-pass batch)."""
    common = {"steps": int(hist.steps if r is None else hist.replica_steps[r]), "train_time": train_time,
              "stop_reason": hist.stop_reason if r is None else hist.replica_stop[r]}
    for k, v in (hist.extras or {}).items():
        if isinstance(v, (int, float, str, bool)) or v is None:
            common[f"extra.{k}"] = v
    return common


def _net_records(trained, ds, target, depth: int, common: dict) -> list[dict]:
    """The one record of a trained network (no metrics if its parameters are not finite)."""
    width = trained.sizes[1]
    if not np.all(np.isfinite(trained.theta)):
        return [dict(common, n=int(width), n_params=int(trained.n_params))]
    with np.errstate(over="ignore", invalid="ignore"):
        pt, pr = trained.predict(ds.X_test), trained.predict(ds.X)
    extra = dict(common, n=int(width), n_params=int(trained.n_params))
    extra.update(unit_stats(trained, ds.X_test))
    rec = _evaluate(pt, pr, ds, target, width if depth == 1 else None, extra)
    if depth != 1:
        rec["bound"] = rec["bound_ratio"] = None
    return [rec]


def _path_records(path, ds, target, common: dict) -> list[dict]:
    """One record per recorded width of a constructive or continuation path."""
    records = []
    widths = list(path.widths)
    P_test = path.predict(ds.X_test, widths)
    P_train = path.predict(ds.X, widths)
    times = getattr(path, "times", None)
    for i, n in enumerate(widths):
        sub = path.prefix(n)
        extra = dict(common, n=int(n), n_params=int(sub.n_params))
        if times is not None:
            extra["train_time"] = float(times[i])
        extra.update(unit_stats(sub, ds.X_test))
        records.append(_evaluate(P_test[i], P_train[i], ds, target, n, extra))
    return records


def _train_replica(cfg: dict, target, r: int, progress_every: float):
    """Train one replica; return (list of metric dicts, history DataFrame, status, message)."""
    from .trainers import fit

    tr_cfg = cfg["trainer"]
    ds, net, opts, rng = _setup_replica(cfg, target, r, progress_every)
    t0 = time.perf_counter()
    hist = fit(net, ds.X, ds.y, trainer=tr_cfg["name"], loss=tr_cfg["loss"], rng=rng, **opts)
    common = _common_fields(hist, time.perf_counter() - t0)
    if hist.path is not None:
        records = _path_records(hist.path, ds, target, common)
    else:
        records = _net_records(hist.net, ds, target, cfg["model"]["depth"], common)
    hdf = hist.to_frame()
    if "replica" not in hdf.columns:
        hdf.insert(0, "replica", r)
    status = hist.status
    return records, hdf, status, hist.message if status != "ok" else ""


#: Trainers whose replicas can train in one vectorized pass (``replica_mode: auto``).
ONE_PASS_TRAINERS = ("gd", "momentum", "adam")


def one_pass(cfg: dict) -> bool:
    """Do this job's replicas train in one vectorized pass?

    With ``replica_mode: auto``, for several replicas of a gradient trainer without a
    time budget (a shared budget would not be a per-replica one). Each replica keeps
    its own data, initial network and mini-batch order, and stops on its own (``tol``,
    divergence), so its numbers are the loop's up to floating-point reassociation;
    ``make bench`` measured the pass about 3× faster for tiny nets (``results/bench``).
    """
    tr = cfg["trainer"]
    return (cfg.get("replica_mode", "auto") == "auto" and cfg["replicas"] > 1
            and tr["name"] in ONE_PASS_TRAINERS and tr.get("time_budget") is None)


def _train_replicas_one_pass(cfg: dict, target, progress_every: float):
    """Train all replicas in one pass; yield (records, history DataFrame, status, message) per replica.

    ``train_time`` of each replica is the pass's time divided by the replicas.
    """
    from .network import MLP
    from .trainers import fit
    from .trainers.common import nonfinite_message, should_record

    tr_cfg, R = cfg["trainer"], cfg["replicas"]
    setups = [_setup_replica(cfg, target, r, progress_every) for r in range(R)]
    net = MLP.stack([s[1] for s in setups])
    X = np.stack([s[0].X for s in setups])
    y = np.stack([s[0].y.reshape(len(s[0].y), -1) for s in setups])
    t0 = time.perf_counter()
    hist = fit(net, X, y, trainer=tr_cfg["name"], loss=tr_cfg["loss"], rng=[s[3] for s in setups],
               **setups[0][2])
    train_time = (time.perf_counter() - t0) / R
    hdf = hist.to_frame()
    out = []
    for r, (ds, _, _, _) in enumerate(setups):
        common = dict(_common_fields(hist, train_time, r), **{"extra.one_pass_replicas": R})
        records = _net_records(net.replica(r), ds, target, cfg["model"]["depth"], common)
        status = hist.replica_status[r]
        message = nonfinite_message(hist.replica_steps[r]) if status != "ok" else ""
        # the solo run's history: its decimated steps up to its own stop (frozen after it)
        last = hist.replica_steps[r]
        keep = [(s <= last and should_record(s)) or s == last for s in hdf["step"]]
        mine = hdf[(hdf["replica"] == r) & np.array(keep, dtype=bool)]
        out.append((records, mine[["replica", "step", "elapsed", "loss"]].reset_index(drop=True), status, message))
    return out


def run_job(cfg: dict, out_dir, resume: bool = True) -> list[dict]:
    """Run one job and write ``record.json`` and ``history.csv`` into ``out_dir``.

    Parameters
    ----------
    cfg : dict
        A resolved plain config (see :class:`nnapprox.config.Config`).
    out_dir : path
        The job's own output directory (created if needed).
    resume : bool
        Skip the job when ``out_dir/record.json`` holds ``ok`` records with the same
        config hash.

    Returns
    -------
    list of dict
        The flat records written (one per replica, and per recorded width for paths).
    """
    import pandas as pd

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    for stale in out_dir.glob(".*.tmp"):  # leftovers of a write killed with SIGKILL
        stale.unlink(missing_ok=True)
    h = config_hash(cfg)
    if resume:
        old = load_records(out_dir)
        if old and all(rec.get("status") == "ok" and rec.get("config_hash") == h for rec in old):
            log.info("skip %s: done (config hash %s)", out_dir, h)
            return old
    t0 = time.perf_counter()
    flat_cfg = flatten(cfg)
    base = {**flat_cfg, "config_hash": h, "git_commit": _git_commit(), **_versions(), "run_dir": str(out_dir)}
    records, histories = [], []
    # BLAS at one thread: results then do not depend on the launcher or the machine's core count
    # (OpenBLAS sums in a thread-count-dependent order); the engine's own sample-block threads
    # (nnapprox.fastpath) use a fixed partition and are deterministic.
    blas = threadpool_limits(limits=1, user_api="blas")
    try:
        target = validate(cfg)["target"]
        base.update({"c_f": _finite_or_none(target.c_f) if target.c_f is not None else None,
                     "c_f_infinite": bool(target.c_f is not None and math.isinf(target.c_f)),
                     "radius": float(target.radius), "target.kind": target.kind})
        every = cfg.get("progress_every", 30.0)
        if one_pass(cfg):
            results = _train_replicas_one_pass(cfg, target, every)
        else:
            results = (_train_replica(cfg, target, r, every) for r in range(cfg["replicas"]))
        for r, (recs, hdf, status, message) in enumerate(results):
            histories.append(hdf)
            for m in recs:
                rec = {**base, "replica": r, **m, "status": status, "error": message or None}
                records.append(rec)
    except Exception as e:  # a job never crashes the sweep: it records why it failed
        log.error("job %s failed: %s", out_dir, e)
        records.append({**base, "status": "failed", "error": f"{type(e).__name__}: {e}",
                        "traceback": traceback.format_exc(limit=8)})
    finally:
        blas.restore_original_limits()
    wall = time.perf_counter() - t0
    for rec in records:
        rec["wall_time"] = wall
        for k, v in list(rec.items()):
            if isinstance(v, float) and not math.isfinite(v):
                rec[k] = None
    if histories:
        hist = pd.concat(histories, ignore_index=True)
        write_text_atomic(out_dir / HISTORY_FILE, hist.to_csv(index=False))
    write_json_atomic(out_dir / RECORD_FILE, records)
    return records
