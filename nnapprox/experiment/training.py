"""Steps 2 and 3 of a job: each replica's data, initial network and Generator, then training.

Everything random of replica r comes from ``SeedSequence([seed, r])`` (data, initialisation,
training), so a replica is the same whether it trains alone or in a one-pass batch.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

__all__ = ["ReplicaSetup", "ReplicaResult", "setup", "init_recipe", "fit_kwargs", "one_pass", "train"]


@dataclass
class ReplicaSetup:
    """Replica ``r``'s data, initial (or template) network and training Generator."""

    replica: int
    data: object
    net: object
    rng: np.random.Generator


def _dataset(canon, ss_data):
    from nnapprox.targets.sampling import make_dataset

    d = canon.config["data"]
    if canon.target.kind == "table":  # the rows of the user's file, split per replica
        from nnapprox.targets.user import table_dataset

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
    from nnapprox.engine.network import MLP
    from nnapprox.engine.structure import tree_mask

    c = canon.config
    m, act = c["model"], c["activation"]
    ss_data, ss_init, ss_train = np.random.SeedSequence([int(c["seed"]), int(r)]).spawn(3)
    ds = _dataset(canon, ss_data)
    mask = tree_mask(canon.target.dim, m["width"]) if m.get("structure") == "tree" else None
    # the recipe travels with the network: restarts and boosting stages are drawn by it (and its mask)
    net = MLP(
        canon.sizes,
        act["name"] or "identity",
        m["output_activation"],
        init=init_recipe(m, act["name"] or "identity"),
        rng=np.random.default_rng(ss_init),
        X=ds.X,
        mask=mask,
        slope=act["slope"] if act["slope"] is not None else 0.01,
        dtype=np.dtype(m["dtype"]),
    )
    return ReplicaSetup(r, ds, net, np.random.default_rng(ss_train))


def init_recipe(model: dict, activation: str):
    """The :class:`~nnapprox.engine.init.Init` of a resolved ``model`` group, through the declarations
    (:meth:`~nnapprox.engine.init.Init.resolve`: unset keys take the activation family's defaults)."""
    from nnapprox.engine.init import Init

    return Init.resolve(activation, model["init"], model["init_std"], model["bias_init"], model["bias_std"])


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


def fit_kwargs(canon) -> dict:
    """The keyword options of :func:`nnapprox.trainers.fit` for a validated run: its resolved options, the
    path's width (``model.width``, under the name the trainer declares: ``Trainer.width_option``) and the
    target for a trainer that builds from it."""
    opts = {k: v for k, v in canon.options.items() if v is not None}
    spec = canon.trainer
    if spec.width_option is not None:
        opts[spec.width_option] = canon.config["model"]["width"]  # the path's length is model.width
    if spec.needs_target:
        opts["target"] = canon.target
    return opts


def _result_from(hist, r, train_time, net=None):
    """A :class:`ReplicaResult` from a single run's :class:`History`."""
    hdf = hist.to_frame()
    if "replica" not in hdf.columns:
        hdf.insert(0, "replica", r)
    if hist.path is not None:
        times = getattr(hist.path, "times", None)
        models = [
            (int(n), hist.path.prefix(n), None if times is None else float(times[i]))
            for i, n in enumerate(hist.path.widths)
        ]
    else:
        trained = hist.net if hist.net is not None else net
        models = [(int(trained.sizes[1]) if len(trained.sizes) > 2 else 0, trained, None)]
    return ReplicaResult(
        r,
        models,
        hist.status,
        hist.message if hist.status != "ok" else "",
        hist.stop_reason,
        int(hist.steps),
        train_time,
        dict(hist.extras or {}),
        hdf,
        hist.path,
    )


def one_pass(canon_or_cfg) -> bool:
    """Do this job's replicas train in one vectorized pass?

    With ``replica_mode: auto``, for several replicas of a trainer declared ``one_pass`` (gd,
    momentum, adam) without a time budget (a shared budget would not be a per-replica one).
    Each replica keeps its own data, initial network and mini-batch order, and stops on its own
    (``tol``, divergence), so its numbers are the loop's up to floating-point reassociation.
    """
    from nnapprox.experiment.validation import canonical

    canon = canon_or_cfg if hasattr(canon_or_cfg, "trainer") else canonical(canon_or_cfg)
    c = canon.config
    return (
        c["replica_mode"] == "auto"
        and c["replicas"] > 1
        and canon.trainer.one_pass
        and canon.options.get("time_budget") is None
    )


def train(canon, setups: list) -> list:
    """Train every replica; one :class:`ReplicaResult` each."""
    from nnapprox.trainers import fit

    tr = canon.config["trainer"]
    kwargs = fit_kwargs(canon)
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
    from nnapprox.engine.network import MLP
    from nnapprox.trainers import fit
    from nnapprox.trainers.common import should_record

    tr, R = canon.config["trainer"], len(setups)
    net = MLP.stack([s.net for s in setups])
    X = np.stack([s.data.X for s in setups])
    y = np.stack([s.data.y.reshape(len(s.data.y), -1) for s in setups])
    t0 = time.perf_counter()
    hist = fit(net, X, y, trainer=tr["name"], loss=tr["loss"], rng=[s.rng for s in setups], **kwargs)
    train_time = (time.perf_counter() - t0) / R
    hdf = hist.to_frame()
    out = []
    for r in range(len(setups)):
        last = hist.replica_steps[r]
        # the solo run's history: its decimated steps up to its own stop (frozen after it)
        keep = np.array([(st <= last and should_record(st)) or st == last for st in hdf["step"]], dtype=bool)
        mine = hdf[(hdf["replica"] == r) & keep][["replica", "step", "elapsed", "loss"]].reset_index(drop=True)
        single = net.replica(r)
        out.append(
            ReplicaResult(
                r,
                [(int(single.sizes[1]) if len(single.sizes) > 2 else 0, single, None)],
                hist.replica_status[r],
                hist.replica_message[r] if hist.replica_status[r] != "ok" else "",
                hist.replica_stop[r],
                last,
                train_time,
                {"one_pass_replicas": R},
                mine,
            )
        )
    return out
