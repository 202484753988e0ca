"""One job of a sweep, without Hydra: config dict in, records out. A straight line:

1. :func:`nnapprox.config.canonical`: the validated run (target built, options resolved, hash);
2. :func:`setup`: per replica, the data, the initial network and the training Generator, all
   from ``SeedSequence([seed, replica])``;
3. :func:`train`: the trainer, replica by replica or all replicas in one vectorized pass, giving
   one :class:`ReplicaResult` per replica (its trained networks, one per recorded width);
4. :func:`evaluate`: metrics of every trained network (test and train MSE, relative and sup
   error, bound ratio, unit statistics, errors on a fine grid for 1-D targets);
5. the records, ``history.csv`` and ``params.npz`` written atomically (:mod:`nnapprox.records`).

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
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_limits

from . import records as rc
from .config import canonical
from .io import remove_stale_temps, write_text_atomic

__all__ = ["run_job", "setup", "init_recipe", "train", "evaluate", "ReplicaSetup", "ReplicaResult", "unit_stats",
           "one_pass", "grid_errors", "BLOWUP_REL_MSE"]

log = logging.getLogger("nnapprox.job")

#: A trained run whose training MSE exceeds this multiple of Var(y) (the constant predictor's
#: error) is ``diverged``, even if every number stayed finite.
BLOWUP_REL_MSE = 100.0
#: Points of the evaluation grid of a 1-D target (2^14 + 1: contains every dyadic point j/2^14).
GRID_POINTS = 2 ** 14 + 1


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
# 2. set-up
# ---------------------------------------------------------------------------

@dataclass
class ReplicaSetup:
    """Replica ``r``'s data, initial (or template) network and training Generator."""

    replica: int
    data: object
    net: object
    rng: np.random.Generator


def c_f_provenance(target) -> dict:
    """``c_f_method`` (closed form, given, estimated: <how>, unknown: <why>) and ``c_f_error`` of a target."""
    method = target.info.get("c_f_method")
    if method is None:
        method = "closed form" if target.c_f is not None else "unknown: no closed form for this target"
    err = target.info.get("c_f_error", 0.0 if target.c_f is not None else None)
    return {"c_f_method": method, "c_f_error": None if err is None or not math.isfinite(err) else float(err)}


def _dataset(canon, ss_data):
    from .data import make_dataset

    d = canon.config["data"]
    if canon.target.kind == "table":  # the rows of the user's file, split per replica
        from .user_targets import table_dataset

        return table_dataset(canon.target, d["N"], d["N_test"], ss_data)
    ds = make_dataset(canon.target, d["N"], d["N_test"], d["noise"], seed=ss_data)
    if d["labels"] == "bernoulli":  # y ~ Bernoulli(f(x)); the clean test values stay f(x)
        rng = np.random.default_rng(ss_data.spawn(1)[0])
        ds.y = (rng.random(ds.N) < ds.y_clean).astype(np.float64)
    return ds


def setup(canon, r: int) -> ReplicaSetup:
    """Replica ``r`` of a job: everything random comes from ``SeedSequence([seed, r])``.

    The same replica is therefore the same whether it trains alone or in a one-pass batch.
    """
    from .initialization import build
    from .network import tree_mask

    c = canon.config
    m, act = c["model"], c["activation"]
    ss_data, ss_init, ss_train = np.random.SeedSequence([int(c["seed"]), int(r)]).spawn(3)
    ds = _dataset(canon, ss_data)
    mask = tree_mask(canon.target.dim, m["width"]) if m.get("structure") == "tree" else None
    # the recipe travels with the network: restarts and boosting stages are drawn by it (and its mask)
    net = build(canon.sizes, act["name"] or "identity", m["output_activation"], init=init_recipe(m, act["name"] or "identity"),
                rng=np.random.default_rng(ss_init), X=ds.X, mask=mask,
                slope=act["slope"] if act["slope"] is not None else 0.01, dtype=np.dtype(m["dtype"]))
    return ReplicaSetup(r, ds, net, np.random.default_rng(ss_train))


def init_recipe(model: dict, activation: str):
    """The :class:`~nnapprox.initialization.Init` of a resolved ``model`` group (the activation's
    default scheme where ``model.init`` is unset, as for trainers that build their own network)."""
    from .initialization import Init
    from .network import default_init

    scheme = model["init"] or default_init(activation)
    return Init(weights=scheme, std=model["init_std"] or 1.0,
                biases=None if scheme == "rai" else (model["bias_init"] or "zero"),
                bias_std=model["bias_std"] or 0.5)


# ---------------------------------------------------------------------------
# 3. training
# ---------------------------------------------------------------------------

@dataclass
class ReplicaResult:
    """What training one replica gave.

    Attributes
    ----------
    replica : int
    models : list of (int, MLP, float or None)
        ``(n, network, train_time)`` per recorded width (one entry for a plain network;
        ``train_time`` None: the replica's time).
    status, message, stop_reason : str
    steps : int
    train_time : float
    extras : dict
        Trainer-specific numbers (``extra.*`` in the records).
    history : pandas.DataFrame
        Columns replica, step, elapsed, loss.
    path : object, optional
        A trainer path with ``predict(X, widths)`` (shared hidden units: one pass for all widths).
    """

    replica: int
    models: list
    status: str
    message: str
    stop_reason: str
    steps: int
    train_time: float
    extras: dict = field(default_factory=dict)
    history: object = None
    path: object = None


def _fit_kwargs(canon, target_needed):
    opts = {k: v for k, v in canon.options.items() if v is not None}
    spec = canon.trainer
    width = canon.config["model"]["width"]
    if "n_max" in {o.name for o in spec.options}:
        opts["n_max"] = width  # the path's length is model.width
    if spec.name == "random_features":
        opts["n"] = width
    if target_needed:
        opts["target"] = canon.target
    return opts


def _result_from(hist, r, train_time, net=None):
    """A :class:`ReplicaResult` from a single run's :class:`History`."""
    hdf = hist.to_frame()
    if "replica" not in hdf.columns:
        hdf.insert(0, "replica", r)
    if hist.path is not None:
        times = getattr(hist.path, "times", None)
        models = [(int(n), hist.path.prefix(n), None if times is None else float(times[i]))
                  for i, n in enumerate(hist.path.widths)]
    else:
        trained = hist.net if hist.net is not None else net
        models = [(int(trained.sizes[1]) if len(trained.sizes) > 2 else 0, trained, None)]
    return ReplicaResult(r, models, hist.status, hist.message if hist.status != "ok" else "", hist.stop_reason,
                         int(hist.steps), train_time, dict(hist.extras or {}), hdf, hist.path)


def one_pass(canon_or_cfg) -> bool:
    """Do this job's replicas train in one vectorized pass?

    With ``replica_mode: auto``, for several replicas of a trainer declared ``one_pass`` (gd,
    momentum, adam) without a time budget (a shared budget would not be a per-replica one).
    Each replica keeps its own data, initial network and mini-batch order, and stops on its own
    (``tol``, divergence), so its numbers are the loop's up to floating-point reassociation.
    """
    canon = canon_or_cfg if hasattr(canon_or_cfg, "trainer") else canonical(canon_or_cfg)
    c = canon.config
    return (c["replica_mode"] == "auto" and c["replicas"] > 1 and canon.trainer.one_pass
            and canon.options.get("time_budget") is None)


def train(canon, setups: list) -> list:
    """Train every replica; one :class:`ReplicaResult` each."""
    from .trainers import fit

    tr = canon.config["trainer"]
    kwargs = _fit_kwargs(canon, canon.trainer.needs_target)
    if one_pass(canon):
        return _train_one_pass(canon, setups, kwargs)
    out = []
    for s in setups:
        t0 = time.perf_counter()
        hist = fit(s.net, s.data.X, s.data.y, trainer=tr["name"], loss=tr["loss"], rng=s.rng, **kwargs)
        out.append(_result_from(hist, s.replica, time.perf_counter() - t0, s.net))
    return out


def _train_one_pass(canon, setups, kwargs):
    """All replicas as one replica batch; ``train_time`` of each is the pass's time over R."""
    from .network import MLP
    from .trainers import fit
    from .trainers.common import should_record

    tr, R = canon.config["trainer"], len(setups)
    net = MLP.stack([s.net for s in setups])
    X = np.stack([s.data.X for s in setups])
    y = np.stack([s.data.y.reshape(len(s.data.y), -1) for s in setups])
    t0 = time.perf_counter()
    hist = fit(net, X, y, trainer=tr["name"], loss=tr["loss"], rng=[s.rng for s in setups], **kwargs)
    train_time = (time.perf_counter() - t0) / R
    hdf = hist.to_frame()
    out = []
    for r, s in enumerate(setups):
        last = hist.replica_steps[r]
        # the solo run's history: its decimated steps up to its own stop (frozen after it)
        keep = np.array([(st <= last and should_record(st)) or st == last for st in hdf["step"]], dtype=bool)
        mine = hdf[(hdf["replica"] == r) & keep][["replica", "step", "elapsed", "loss"]].reset_index(drop=True)
        single = net.replica(r)
        out.append(ReplicaResult(
            r, [(int(single.sizes[1]) if len(single.sizes) > 2 else 0, single, None)], hist.replica_status[r],
            hist.replica_message[r] if hist.replica_status[r] != "ok" else "", hist.replica_stop[r], last,
            train_time, {"one_pass_replicas": R}, mine))
    return out


# ---------------------------------------------------------------------------
# 4. evaluation
# ---------------------------------------------------------------------------

def unit_stats(net, X) -> dict:
    """Saturated and dead hidden units, the lecture's pros and cons made measurable.

    ``saturated_frac``: fraction of (sample, hidden unit) pairs whose derivative is below 1% of
    its maximum (sigmoid |z| > 6.0, tanh |z| > 3.0); ``dead_frac``: fraction of hidden units
    (ReLU family) with z < 0 on every test sample. Both over all hidden layers; ``None`` where
    they do not apply.
    """
    from .network import forward

    act = net.activation_name
    out = {"saturated_frac": None, "dead_frac": None}
    if act not in ("sigmoid", "tanh", "relu", "leaky_relu") or net.depth == 0:
        return out
    zs, as_ = forward(net.weights, net.biases, X.astype(net.dtype), net.act, net.out_act)
    hidden_z = zs[1:-1]
    if act in ("sigmoid", "tanh"):
        peak = 0.25 if act == "sigmoid" else 1.0
        sat = [np.mean(net.act.deriv(z, a) < 0.01 * peak) for z, a in zip(hidden_z, as_[1:-1])]
        out["saturated_frac"] = float(np.mean(sat))
    else:
        dead = np.concatenate([np.all(z < 0, axis=0) for z in hidden_z])
        out["dead_frac"] = float(np.mean(dead))
    return out


def _grid(target):
    dom = target.domain
    lo, hi = (-dom.radius, dom.radius) if dom.kind == "ball" else (dom.low, dom.high)
    return np.linspace(lo, hi, GRID_POINTS)


def grid_errors(net, target, grid=None) -> dict:
    """Errors of a network on a fine uniform grid of a 1-D target's interval.

    ``grid_mse`` (the uniform-measure MSE), ``grid_sup_err`` (the sup error on the grid; exact
    for piecewise-linear networks whose breakpoints lie on the dyadic grid) and, for ReLU-family
    networks, ``pieces``: the number of linear pieces of the network on the interval.
    """
    from .constructions import count_linear_pieces

    x = _grid(target) if grid is None else grid
    with np.errstate(over="ignore", invalid="ignore"):
        p = net.predict(x[:, None])
        e = p - target(x[:, None])
        out = {"grid_mse": float(np.mean(e * e)), "grid_sup_err": float(np.max(np.abs(e)))}
    if net.activation_name in ("relu", "leaky_relu") and np.all(np.isfinite(p)):
        out["pieces"] = count_linear_pieces(p, x)
    return out


def _metrics(canon, s: ReplicaSetup, res: ReplicaResult) -> list[dict]:
    """One metric dict per recorded width of a replica."""
    from .metrics import evaluate as fit_metrics
    from .theory import barron_bound

    target, ds = canon.target, s.data
    act = canon.config["activation"]["name"]
    depth = canon.config["model"]["depth"]
    out = []
    widths = [n for n, _, _ in res.models]
    finite = [np.all(np.isfinite(net.theta)) for _, net, _ in res.models]
    P_test = P_train = None
    if res.path is not None and all(finite):
        with np.errstate(over="ignore", invalid="ignore"):
            P_test, P_train = res.path.predict(ds.X_test, widths), res.path.predict(ds.X, widths)
    for i, (n, net, t) in enumerate(res.models):
        rec = {"n": int(n), "n_params": int(net.n_trainable), "train_time": res.train_time if t is None else t}
        if not finite[i]:
            out.append(rec)
            continue
        with np.errstate(over="ignore", invalid="ignore"):
            pt = P_test[i] if P_test is not None else net.predict(ds.X_test)
            pr = P_train[i] if P_train is not None else net.predict(ds.X)
        c_f = target.c_f if target.c_f is not None and math.isfinite(target.c_f) else None
        bound = barron_bound(c_f, n, target.radius, act) if (c_f is not None and depth == 1 and n > 0) else None
        m = fit_metrics(pt, ds.y_test, pr, ds.y)
        m["bound"] = bound
        m["bound_ratio"] = m["test_mse"] / bound if bound and m["test_mse"] is not None else None
        rec.update(m)
        rec.update(unit_stats(net, ds.X_test))
        if target.dim == 1 and target.kind != "table":  # a table has no values between its rows
            rec.update(grid_errors(net, target))
        out.append(rec)
    return out


def evaluate(canon, setups: list, results: list) -> list[dict]:
    """Flat records (without the config part) of every replica and recorded width.

    A trained run whose training MSE ends above :data:`BLOWUP_REL_MSE` × Var(y) is marked
    ``diverged``: it blew up even if its numbers stayed finite.
    """
    out = []
    for s, res in zip(setups, results):
        common = {"replica": res.replica, "steps": res.steps, "stop_reason": res.stop_reason}
        lists = canon.trainer.record_lists  # the list-valued extras the trainer declares for its records
        common.update({f"{rc.EXTRA_PREFIX}{k}": _extra_value(v) for k, v in res.extras.items()
                       if isinstance(v, (int, float, str, bool)) or v is None
                       or (isinstance(v, (list, tuple)) and k in lists)})
        var_y = float(np.var(s.data.y))
        per_width = getattr(res.path, "record_extras", None)  # e.g. a boosting stage's scale, loss and time
        for m in _metrics(canon, s, res):
            if per_width is not None:
                m.update({f"{rc.EXTRA_PREFIX}{k}": _extra_value(v) for k, v in per_width(m["n"]).items()})
            status, message = res.status, res.message
            tm = m.get("train_mse")
            if status == "ok" and res.steps > 0 and tm is not None and var_y > 0 and tm > BLOWUP_REL_MSE * var_y:
                status = "diverged"
                message = (f"training MSE {tm:.3g} is {tm / var_y:.3g} x Var(y) (above {BLOWUP_REL_MSE:g} x, the "
                           f"constant predictor's error): the run blew up")
            out.append({**common, **m, "status": status, "error": message or None,
                        "params_key": rc.params_key(res.replica, m["n"])})
    return out


def _extra_value(v):
    """A trainer's extra number as a record value: lists (restart losses, stage scales) as JSON text."""
    import json

    def plain(u):
        return [plain(w) for w in u] if isinstance(u, (list, tuple, np.ndarray)) else rc.encode(u)

    if isinstance(v, (list, tuple)):
        return json.dumps(plain(v), allow_nan=False)  # a NaN (diverged restart) is written as null
    return rc.encode(v)


# ---------------------------------------------------------------------------
# the job
# ---------------------------------------------------------------------------

def run_job(cfg: dict, out_dir, resume: bool = True) -> list[dict]:
    """Run one job and write ``record.json``, ``history.csv`` and ``params.npz`` into ``out_dir``.

    Parameters
    ----------
    cfg : dict
        A resolved plain config (see :class:`nnapprox.config.Config`).
    out_dir : path
        The job's own output directory (created if needed).
    resume : bool
        Skip the job when ``out_dir/record.json`` holds ``ok`` records with the same config hash
        (and its parameters are saved).

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
    # (nnapprox.fastpath) use a fixed partition and are deterministic.
    blas = threadpool_limits(limits=1, user_api="blas")
    try:
        canon = canonical(cfg)
        base.update({**rc.flatten(canon.config), "config_hash": canon.hash})
        if resume:
            old = rc.finished(out_dir, canon.hash)
            if old is not None:
                log.info("skip %s: done (config hash %s)", out_dir, canon.hash)
                return old
        t = canon.target
        base.update({"c_f": rc.encode(t.c_f) if t.c_f is not None else None,
                     "c_f_infinite": bool(t.c_f is not None and math.isinf(t.c_f)),
                     **c_f_provenance(t), "radius": float(t.radius), "target.kind": t.kind})
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
        records = [{**base, "status": "failed", "error": f"{type(e).__name__}: {e}",
                    "traceback": traceback.format_exc(limit=8)}]
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
