"""Restarts and boosting stages: what the quasi-Newton trainers (lbfgs, bfgs) share, written once.

Both trainers declare a *single run* (one optimizer run on one network, in place) and hand it to
:func:`fit_stages`, which adds

``restarts = k``
    Best of k runs by final training loss: the network as passed, then k − 1 fresh networks
    drawn like it (:func:`nnapprox.engine.init.fresh`: same sizes, mask, initialisation
    recipe; ``init`` overrides only the weight scheme). ``history.extras["restart_losses"]``
    holds every run's final loss, ``["restart_best"]`` the index of the one kept.
``boost = s``
    Boosting as Michaud, Liu & Tegmark (2023) describe it: after the first network f_0, stage j
    draws a fresh network g_j like the first, fits it to the residual r_j = y − F_{j−1} divided
    by its mean absolute value c_j = mean|r_j| (so g_j's target is of order one), and the model
    becomes F_j = F_{j−1} + c_j g_j. The sum of networks is one network whose hidden layers are
    the stages' layers side by side (block-diagonal weights, :func:`sum_networks`); its mask
    keeps the blocks apart (and each stage's own mask, e.g. a tree), so ``n_trainable`` counts
    the stages' parameters. ``history.path`` is a :class:`BoostPath`: one network per stage
    (F_0, F_1, ...), each evaluated and recorded by the job with its stage's scale, loss,
    steps and cumulative time (``extra.stage``, ``extra.stage_scale``, ``extra.stage_loss``,
    ``extra.stage_iterations``, ``extra.stage_seconds``, ``extra.stage_reason``).
``warm_rows = M``, ``polish_steps = s``
    Every run first fits M random training rows (up to ``max_steps``), the runs are compared by
    their loss on all rows, and the kept run continues on all rows for up to s iterations: a
    dynamic sample size (Byrd, Chin, Nocedal & Wu 2012). Where the target is smooth and the
    sample large the subset carries the same function, and restarts cost M/N of a full run.

The training history records the loss of the whole model: during stage j the stage's own loss
½ mean((r_j / c_j − g_j)²) times c_j², which is ½ mean((y − F_j)²).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from nnapprox.base.options import Choice, Int, Option
from nnapprox.engine.init import WEIGHT_SCHEMES
from nnapprox.engine.network import MLP, fresh
from nnapprox.engine.params import pack, unpack
from nnapprox.trainers.common import History, Recorder
from nnapprox.trainers.paths import PathMixin

__all__ = [
    "Run",
    "fit_stages",
    "best_of",
    "sum_networks",
    "BoostPath",
    "RESTARTS",
    "BOOST",
    "INIT",
    "WARM_ROWS",
    "POLISH_STEPS",
    "STAGE_OPTIONS",
    "check_stages",
    "check_stage_data",
    "BOOST_RULE",
    "needs_stages",
    "RECORD_LISTS",
]

#: How a stage's residual is scaled: divided by its mean absolute value (Michaud et al.'s 1/mean|r|).
BOOST_RULE = "mean_abs"

WARM_ROWS = Option(
    "warm_rows",
    None,
    Int(1),
    "warm-up subset: each run first fits this many random training "
    "rows, the kept run then continues on all rows (none: all rows from the start)",
)
POLISH_STEPS = Option(
    "polish_steps",
    None,
    Int(1),
    "with warm_rows: iterations of the kept run on all rows after its warm-up (none: max_steps)",
)
RESTARTS = Option(
    "restarts",
    1,
    Int(1),
    "best of k runs by training loss (fresh networks drawn like the first "
    "after it: same initialisation, mask and biases)",
)
BOOST = Option(
    "boost",
    0,
    Int(0),
    "boosting stages after the first network: stage j fits a fresh network to the "
    "residual r / mean|r| and adds mean|r| times it (Michaud et al. 2023)",
)
INIT = Option(
    "init",
    None,
    Choice(WEIGHT_SCHEMES, "schemes"),
    "weight scheme of restarts, stages and new widths (none: the first network's own, model.init)",
)
#: The list-valued extras of restarts and stages that the job records (``Trainer.record_lists``).
RECORD_LISTS = (
    "restart_losses",
    "restart_best",
    "boost_scales",
    "stage_losses",
    "stage_steps",
    "stage_times",
    "stage_stop",
    "stage_restart_losses",
    "stage_restart_best",
    "warm_steps",
    "steps_per_width",
)
#: The options every staged trainer declares (in this order, after its own).
STAGE_OPTIONS = (RESTARTS, BOOST, INIT, WARM_ROWS, POLISH_STEPS)


@dataclass
class Run:
    """What one optimizer run on one network gave.

    Attributes
    ----------
    steps : int
        Iterations.
    reason : str
        ``max_steps``, ``tol``, ``time_budget``, ``converged`` (the optimizer's own test) or ``diverged``.
    status : str
        ``ok`` or ``diverged``.
    message : str
    loss : float
        Final value of the run's objective (its training loss).
    rec : Recorder
        The run's own (step, elapsed, loss) points, loss already multiplied by the stage's scale².
    warm_steps : int
        Of ``steps``, the iterations on the warm-up subset (``warm_rows``).
    """

    steps: int
    reason: str
    status: str
    message: str
    loss: float
    rec: Recorder
    warm_steps: int = 0


def needs_stages(options: dict) -> bool:
    """Do these options ask for more than one plain run?"""
    return options.get("restarts", 1) > 1 or options.get("boost", 0) > 0 or options.get("warm_rows") is not None


def check_stages(sizes, activation, output_activation, loss, options, target=None, *, api=False) -> None:
    """A trainer's ``check_model``: boosting adds networks' outputs, so it needs an identity output and mse;
    ``polish_steps`` is used only after a warm-up. ``api``: name ``fit``'s arguments, not config keys."""
    t, m = ("", "") if api else ("trainer.", "model.")
    if options.get("polish_steps") is not None and options.get("warm_rows") is None:
        raise ValueError(
            f"{t}polish_steps={options['polish_steps']} is not used by this run (it continues a "
            f"warm-up: set {t}warm_rows); leave it unset"
        )
    if options.get("boost", 0) and (loss != "mse" or output_activation != "identity"):
        raise ValueError(
            f"{t}boost={options['boost']} needs {t}loss='mse' and {m}output_activation='identity' "
            f"(stages add their outputs); got loss={loss!r}, output_activation={output_activation!r}"
        )


def check_stage_data(options, N, *, api=False) -> None:
    """A trainer's ``check_data``: a warm-up subset must be smaller than the training set."""
    t, n = ("", "N") if api else ("trainer.", "data.N")
    if options.get("warm_rows") is not None and options["warm_rows"] >= N:
        raise ValueError(
            f"{t}warm_rows={options['warm_rows']} must be below {n}={N} (a warm-up on a subset of the "
            "training rows); allowed: 1 to N - 1, or unset"
        )


def best_of(single, net, X, y, loss, rng, *, restarts, weights, deadline, scale=1.0, warm=None, polish_steps=None):
    """Best of ``restarts`` runs of ``single`` by final training loss; the winner is written into ``net``.

    Parameters
    ----------
    single : callable
        ``single(net, X, y, loss, time_budget=..., scale=...) -> Run``, in place.
    net : MLP
        A single network: the first run starts from it, the others from :func:`fresh` draws.
    rng : np.random.Generator
        Source of the fresh draws.
    restarts : int
    weights : str or None
        Weight scheme of the fresh draws (None: ``net``'s own recipe).
    deadline : float or None
        ``time.perf_counter()`` value when the time budget (shared by every run) is spent.
    scale : float
        Multiplies the recorded losses (a boosting stage's c²).
    warm : array of int, optional
        Rows of a warm-up subset: every run first fits these rows, the runs are compared by
        their loss on all rows, and only the winner continues on all rows (see ``warm_rows``).
    polish_steps : int, optional
        Iterations of that continuation (None: the single run's own ``max_steps``).

    Returns
    -------
    best : Run or None
        None when every run diverged. With ``warm``: its steps and history are the warm-up's
        followed by the continuation's, ``best.warm_steps`` the warm-up's iterations.
    losses : list of float
        Final training loss of each run on all rows (NaN for a diverged run).
    index : int or None
        The run kept.
    """
    Xw, yw = (X, y) if warm is None else (X[warm], y[warm])
    best, best_theta, index, losses = None, None, None, []
    for k in range(restarts):
        cand = net.copy() if k == 0 else fresh(net, rng, X, weights=weights)
        run = single(cand, Xw, yw, loss, time_budget=_left(deadline), scale=scale)
        if warm is not None and run.status == "ok":
            run.loss = float(cand.loss_and_grad_flat(cand.theta, X, y, loss)[0])  # compared on all rows
        losses.append(run.loss if run.status == "ok" and np.isfinite(run.loss) else float("nan"))
        if np.isfinite(losses[-1]) and (best is None or run.loss < best.loss):
            best, best_theta, index = run, cand.theta.copy(), k
        if deadline is not None and time.perf_counter() >= deadline:
            break
    if best is None:
        return None, losses, None
    net.theta[...] = best_theta
    if warm is not None:
        polish = single(
            net, X, y, loss, time_budget=_left(deadline), scale=scale, step0=best.steps, max_steps=polish_steps
        )
        if polish.status != "ok":  # keep the warm-up's network
            net.theta[...] = best_theta
        else:
            offset = best.rec.times[-1] if best.rec.times else 0.0
            polish.rec.steps[:0] = best.rec.steps
            polish.rec.times[:] = best.rec.times + [offset + t for t in polish.rec.times]
            polish.rec.losses[:0] = best.rec.losses
            best = Run(
                best.steps + polish.steps,
                polish.reason,
                "ok",
                polish.message,
                polish.loss,
                polish.rec,
                warm_steps=best.steps,
            )
            losses[index] = polish.loss  # type: ignore[index]  # set with best
    return best, losses, index


def _left(deadline):
    return None if deadline is None else max(deadline - time.perf_counter(), 1e-3)


def fit_stages(
    single,
    name,
    net,
    X,
    y,
    loss,
    rng,
    *,
    max_steps,
    time_budget,
    progress_every,
    restarts,
    boost,
    init,
    warm_rows=None,
    polish_steps=None,
) -> History:
    """Restarts and boosting around a trainer's single run (see the module notes).

    Parameters
    ----------
    single : callable
        The trainer's single run: ``single(net, X, y, loss, time_budget=..., scale=...) -> Run``.
    name : str
        The trainer's name (progress lines).
    net : MLP
        A single network, trained in place (it ends as the first stage's winner).
    X : array ``(N, d)``, y : array ``(N, out)``
    rng : np.random.Generator
        Fresh draws of restarts and stages.
    max_steps, time_budget, progress_every
        ``max_steps`` bounds each run; ``time_budget`` all of them together.
    restarts, boost : int
    init : str or None
        Weight scheme of the fresh draws (None: the network's own recipe).
    warm_rows : int, optional
        Every run (each restart of each stage) first fits a random subset of this many rows, the
        runs are compared on all rows, and the kept run continues on all rows (a dynamic sample
        size, Byrd, Chin, Nocedal & Wu 2012). None: all rows from the start.
    polish_steps : int, optional
        Iterations of the kept run on all rows after its warm-up (None: ``max_steps``).

    Returns
    -------
    History
        ``net`` = the whole model (the first network, or the sum of the stages); ``path`` = a
        :class:`BoostPath` when ``boost > 0``; ``extras`` as described in the module notes.
    """
    if net.batch_shape != ():
        raise ValueError(
            f"restarts and boost need a single network (no replica axes); net has replica axes {net.batch_shape}"
        )
    if X.ndim != 2:
        raise ValueError(f"X must have shape (N, d) with restarts or boost; got shape {X.shape}")
    if boost and (loss.name != "mse" or net.output_activation_name != "identity"):
        raise ValueError(
            f"boost={boost} needs loss='mse' and output_activation='identity'; got "
            f"loss={loss.name!r}, output_activation={net.output_activation_name!r}"
        )
    t0 = time.perf_counter()
    deadline = None if time_budget is None else t0 + time_budget
    master = Recorder(name, max_steps, time_budget, progress_every)
    N = X.shape[0]
    warm = None if warm_rows is None or warm_rows >= N else np.sort(rng.choice(N, size=warm_rows, replace=False))
    best, losses, index = best_of(
        single,
        net,
        X,
        y,
        loss,
        rng,
        restarts=restarts,
        weights=init,
        deadline=deadline,
        warm=warm,
        polish_steps=polish_steps,
    )
    extras = {"restart_losses": losses, "restart_best": index}
    if warm is not None:
        extras["warm_rows"] = int(warm_rows)
    if best is None:
        return History(
            step=np.zeros(0, int),
            elapsed=np.zeros(0),
            loss=np.zeros(0),
            status="diverged",
            replica_status=["diverged"],
            stop_reason="diverged",
            steps=0,
            wall_time=time.perf_counter() - t0,
            message="every restart diverged",
            net=net,
            extras=extras,
        )
    _append(master, best.rec, 0, 0.0)
    steps, reasons, messages = best.steps, [best.reason], [best.message]
    warm_steps = [best.warm_steps]
    if warm is not None:
        extras["warm_steps"] = best.warm_steps
    if not boost:
        return master.history(
            status="ok",
            replica_status=["ok"],
            stop_reason=best.reason,
            steps=steps,
            message=best.message,
            net=net,
            extras=extras,
        )

    nets, scales, times = [net.copy()], [1.0], [time.perf_counter() - t0]
    stage_losses, stage_steps, stage_restarts, stage_best = [best.loss], [best.steps], [losses], [index]
    F = net.predict(X).reshape(y.shape)
    for _ in range(boost):
        if deadline is not None and time.perf_counter() >= deadline:
            break
        r = y - F
        c = float(np.mean(np.abs(r)))
        if not np.isfinite(c) or c == 0.0:
            break
        g = fresh(net, rng, X, weights=init)
        b, bl, bi = best_of(
            single,
            g,
            X,
            r / c,
            loss,
            rng,
            restarts=restarts,
            weights=init,
            deadline=deadline,
            scale=c * c,
            warm=warm,
            polish_steps=polish_steps,
        )
        stage_restarts.append(bl)
        stage_best.append(bi)
        if b is None:
            reasons.append("diverged")
            messages.append("every restart of a boosting stage diverged; the stages before it are kept")
            break
        _append(master, b.rec, steps, times[-1])
        F = F + c * g.predict(X).reshape(y.shape)
        nets.append(g)
        scales.append(c)
        steps += b.steps
        reasons.append(b.reason)
        messages.append(b.message)
        stage_steps.append(b.steps)
        warm_steps.append(b.warm_steps)
        stage_losses.append(float(0.5 * np.mean((F - y) ** 2)))
        times.append(time.perf_counter() - t0)
    sums = [nets[0]] + [sum_networks(nets[: j + 1], scales[: j + 1]) for j in range(1, len(nets))]
    path = BoostPath(sums, scales, stage_losses, stage_steps, times, reasons)
    extras.update(
        boost_rule=BOOST_RULE,
        boost_stages=len(nets) - 1,
        boost_scales=scales[1:],
        stage_losses=stage_losses,
        stage_steps=stage_steps,
        stage_times=times,
        stage_stop=reasons,
        stage_restart_losses=stage_restarts,
        stage_restart_best=stage_best,
    )
    if warm is not None:
        extras["warm_steps"] = warm_steps
    hist = master.history(
        status="ok",
        replica_status=["ok"],
        stop_reason=f"{reasons[0]}+boost{len(nets) - 1}",
        steps=steps,
        message="; ".join(dict.fromkeys(m for m in messages if m)),
        net=sums[-1],
        path=path,
        extras=extras,
    )
    hist.wall_time = time.perf_counter() - t0
    return hist


def _append(master: Recorder, rec: Recorder, step0: int, t0: float) -> None:
    """Append a run's recorded points to the whole run's history (steps and times shifted)."""
    master.steps += [step0 + s for s in rec.steps]
    master.times += [t0 + t for t in rec.times]
    master.losses += list(rec.losses)


def sum_networks(nets, coefs):
    """One MLP computing ``Σ_j coefs[j] nets[j](x)``: hidden layers side by side, block-diagonal weights.

    Parameters
    ----------
    nets : sequence of MLP
        Single networks of equal depth, input and output sizes, activation and identity output.
    coefs : sequence of float

    Returns
    -------
    MLP
        Hidden widths the sums of the nets' widths. For more than one hidden layer (or masked
        nets) its mask zeroes the connections between different nets (and those each net's own
        mask leaves out), so ``n_trainable`` counts the nets' own connections.
    """
    first = nets[0]
    L = len(first.weights)
    masks = [n.mask if n.mask is not None else np.ones(n.n_params) for n in nets]
    mask_views = [unpack(m, n.sizes) for m, n in zip(masks, nets, strict=True)]
    Ws, bs, Ms, mbs = [], [], [], []
    for l in range(L):
        blocks = [n.weights[l] for n in nets]
        mblocks = [mv[0][l] for mv in mask_views]
        if l == 0:
            Ws.append(np.vstack(blocks))
            Ms.append(np.vstack(mblocks))
            bs.append(np.concatenate([n.biases[l] for n in nets]))
            mbs.append(np.concatenate([mv[1][l] for mv in mask_views]))
        elif l < L - 1:
            Ws.append(_block_diag(blocks))
            Ms.append(_block_diag(mblocks))
            bs.append(np.concatenate([n.biases[l] for n in nets]))
            mbs.append(np.concatenate([mv[1][l] for mv in mask_views]))
        else:
            Ws.append(np.hstack([c * B for c, B in zip(coefs, blocks, strict=True)]))
            Ms.append(np.hstack(mblocks))
            bs.append(sum(c * n.biases[l] for c, n in zip(coefs, nets, strict=True)))
            mbs.append(np.ones_like(bs[-1]))
    out = MLP.from_params(
        Ws,
        bs,
        activation=first.activation_name,
        output_activation=first.output_activation_name,
        slope=first.slope,
        dtype=first.dtype,
    )
    mask = pack(Ms, mbs)
    if not np.all(mask == 1):
        out.mask = mask.astype(out.theta.dtype)
    out.init_spec = first.init_spec
    return out


def _block_diag(blocks):
    rows = sum(B.shape[0] for B in blocks)
    cols = sum(B.shape[1] for B in blocks)
    W = np.zeros((rows, cols))
    i = j = 0
    for B in blocks:
        W[i : i + B.shape[0], j : j + B.shape[1]] = B
        i, j = i + B.shape[0], j + B.shape[1]
    return W


class BoostPath(PathMixin):
    """The model after each boosting stage: F_0 (the first network), F_1 = F_0 + c_1 g_1, ...

    Attributes
    ----------
    widths : list of int
        First hidden width of each F_j (the key of its record and saved parameters).
    times : list of float
        Cumulative seconds when each stage was done.
    train_mse : list of float
        Plain training MSE of each F_j (2 × the stage loss).
    scales : list of float
        c_j (1 for the first network).
    stage_losses, stage_steps, stop : lists
        ½ MSE of F_j on the training set, iterations of stage j's kept run, why it stopped.
    """

    def __init__(self, nets, scales, stage_losses, stage_steps, times, stop):
        self._nets = list(nets)
        self.widths = [int(n.sizes[1]) for n in self._nets]
        self.scales = [float(c) for c in scales]
        self.stage_losses = [float(v) for v in stage_losses]
        self.train_mse = [2.0 * v for v in self.stage_losses]
        self.stage_steps = [int(s) for s in stage_steps]
        self.times = [float(t) for t in times]
        self.stop = list(stop)

    def _index(self, n):
        if n not in self.widths:
            raise ValueError(f"n={n!r} is not a stage of this boosting path; stages have widths {self.widths}")
        return self.widths.index(n)

    def prefix(self, n):
        """A copy of the model after the stage of width ``n``."""
        return self._nets[self._index(n)].copy()

    def predict(self, X, widths=None):
        """Outputs of the models of ``widths`` (default all stages), shape ``(len(widths), N)``."""
        widths = self.widths if widths is None else [int(n) for n in np.atleast_1d(widths)]
        return np.stack([self._nets[self._index(n)].predict(X).reshape(-1) for n in widths])

    def record_extras(self, n) -> dict:
        """Per-record numbers of the stage of width ``n`` (``extra.*`` in the job's records)."""
        j = self._index(n)
        return {
            "stage": j,
            "stage_scale": self.scales[j],
            "stage_loss": self.stage_losses[j],
            "stage_iterations": self.stage_steps[j],
            "stage_reason": self.stop[j],
            "stage_seconds": self.times[j] - (self.times[j - 1] if j else 0.0),
        }

    def __repr__(self):
        return f"BoostPath(stages={len(self.widths)}, scales={self.scales})"
