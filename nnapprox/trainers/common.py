"""What every trainer shares: its declaration, the training history, divergence, stopping and progress.

A trainer is a plain function ``fn(net, X, y, loss, rng, **options) -> History`` plus one
:class:`Trainer` declaration: its options (:class:`nnapprox.base.options.Option`, checked and
defaulted by :func:`nnapprox.trainers.fit` before ``fn`` runs), the losses it fits and what it
does with the network it is given. The Hydra schema, the config validation and the README's
option table are generated from these declarations.

Divergence
----------
A run is ``diverged`` when its loss, gradient or parameters become non-finite, or when its
training loss ends more than :data:`BLOWUP_FACTOR` times above where it started (a step size far
too large can blow a loss up to 1e12 and keep it finite). Either way the record says so; a
diverged run never feeds a fit.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from nnapprox.base.options import Float, Int, Option

__all__ = [
    "History",
    "Diverged",
    "Recorder",
    "should_record",
    "nonfinite_message",
    "blowup_message",
    "Trainer",
    "ITERATIVE",
    "MAX_STEPS",
    "TOL",
    "TIME_BUDGET",
    "PROGRESS_EVERY",
    "BLOWUP_FACTOR",
]

log = logging.getLogger("nnapprox.train")


class Diverged(RuntimeError):
    """Raised by ``fit(..., raise_on_diverge=True)`` when the loss or a parameter is not finite."""


@dataclass
class History:
    """What a training run returns.

    Attributes
    ----------
    step, elapsed : arrays ``(T,)``
        Recorded steps (decimated for long runs: every step up to 100, then about
        100 points per decade) and seconds since the start.
    loss : array ``(T,)`` or ``(T,) + batch``
        Training loss at the recorded steps (per replica for replica batches).
    status : str
        ``ok`` or ``diverged`` (``diverged`` when any replica diverged).
    replica_status : list of str
        Status per replica (one entry for a single network).
    stop_reason : str
        ``max_steps``, ``tol``, ``time_budget``, ``converged`` (optimizer's own test),
        ``diverged``, or ``path_end`` for greedy paths.
    steps : int
        Optimizer steps taken.
    wall_time : float
        Seconds spent in the trainer.
    message : str
        Human-readable detail (why it stopped, which replica diverged).
    net : MLP
        The trained network (the one passed in, trained in place, for the gradient
        trainers; a new one for constructive trainers).
    path : object, optional
        For greedy trainers: an object with ``widths`` and ``prefix(n) -> MLP``.
    extras : dict
        Trainer-specific numbers (e.g. chosen ridge and scale for random features).
    replica_stop, replica_steps, replica_message : list, optional
        Per replica (gradient trainers): why it stopped, after how many steps, and the
        message of a diverged replica (replicas stop on their own at ``tol`` or on
        divergence).
    """

    step: np.ndarray
    elapsed: np.ndarray
    loss: np.ndarray
    status: str = "ok"
    replica_status: list = field(default_factory=lambda: ["ok"])
    stop_reason: str = "max_steps"
    steps: int = 0
    wall_time: float = 0.0
    message: str = ""
    net: Any = None
    path: Any = None
    extras: dict = field(default_factory=dict)
    replica_stop: list | None = None
    replica_steps: list | None = None
    replica_message: list | None = None

    @property
    def diverged(self) -> bool:
        return self.status == "diverged"

    @property
    def final_loss(self):
        return self.loss[-1] if len(self.loss) else math.nan

    def to_frame(self):
        """The history as a tidy DataFrame: step, elapsed, loss (and replica for batches)."""
        import pandas as pd

        loss = np.asarray(self.loss)
        if loss.ndim == 1:
            return pd.DataFrame({"step": self.step, "elapsed": self.elapsed, "loss": loss})
        loss = loss.reshape(len(loss), -1)
        R = loss.shape[1]
        return pd.DataFrame(
            {
                "step": np.repeat(self.step, R),
                "elapsed": np.repeat(self.elapsed, R),
                "replica": np.tile(np.arange(R), len(loss)),
                "loss": loss.ravel(),
            }
        )


def should_record(step: int) -> bool:
    """Every step up to 100, then ~100 per decade (1%-of-step granularity)."""
    if step <= 100:
        return True
    stride = 10 ** (int(math.log10(step)) - 1)
    return step % stride == 0


class Recorder:
    """Collects (step, elapsed, loss) points, logs progress with an ETA, checks time budgets."""

    def __init__(self, name: str, max_steps: int | None, time_budget: float | None, progress_every: float = 10.0):
        self.name = name
        self.max_steps = max_steps
        self.time_budget = time_budget
        self.progress_every = progress_every
        self.t0 = time.perf_counter()
        self._last_log = self.t0
        self.steps: list[int] = []
        self.times: list[float] = []
        self.losses: list[Any] = []  # floats, or (R,) arrays for replicas

    def elapsed(self) -> float:
        return time.perf_counter() - self.t0

    def record(self, step: int, loss, force: bool = False):
        now = time.perf_counter()
        if force or should_record(step):
            self.steps.append(step)
            self.times.append(now - self.t0)
            self.losses.append(np.array(loss, dtype=float, copy=True))
        self.progress(step, loss, now)

    def progress(self, step: int, loss, now: float | None = None):
        """Log ``step k/max, loss, elapsed, ETA`` when ``progress_every`` seconds have passed since the last line."""
        now = time.perf_counter() if now is None else now
        if self.progress_every and now - self._last_log >= self.progress_every:
            self._last_log = now
            el = now - self.t0
            eta = ""
            if self.max_steps:
                eta = f", ETA {el / max(step, 1) * (self.max_steps - step):.0f} s"
            if self.time_budget:
                eta += f", budget left {self.time_budget - el:.0f} s"
            log.info(
                "%s: step %d/%s, loss %.3e, %.0f s elapsed%s",
                self.name,
                step,
                self.max_steps or "?",
                float(np.mean(loss)),
                el,
                eta,
            )

    def out_of_time(self) -> bool:
        return self.time_budget is not None and self.elapsed() >= self.time_budget

    def history(self, **kw) -> History:
        loss = np.array(self.losses) if self.losses else np.zeros((0,))
        return History(
            step=np.array(self.steps, dtype=int),
            elapsed=np.array(self.times),
            loss=loss,
            wall_time=self.elapsed(),
            **kw,
        )


def nonfinite_message(step: int) -> str:
    """Why a run (or a replica) was stopped as ``diverged`` for a non-finite value."""
    return f"non-finite loss or parameters at step {step}"


#: A training loss that ends more than this factor above its start marks the run ``diverged``.
BLOWUP_FACTOR = 10.0


def blowup_message(start: float, end: float) -> str:
    """Why a run whose loss blew up (but stayed finite) is ``diverged``."""
    return (
        f"training loss rose from {start:.3g} to {end:.3g} (more than {BLOWUP_FACTOR:g}x its start): "
        f"the step size is too large"
    )


def blew_up(start, end):
    """Elementwise: did the loss end more than :data:`BLOWUP_FACTOR` times above its start?"""
    start, end = np.asarray(start, dtype=float), np.asarray(end, dtype=float)
    return np.isfinite(end) & (end > BLOWUP_FACTOR * np.maximum(start, np.finfo(float).tiny))


# ---------------------------------------------------------------------------
# declarations
# ---------------------------------------------------------------------------

MAX_STEPS = Option("max_steps", 2000, Int(1), "optimizer steps (iterations) per run")
TOL = Option(
    "tol",
    0.0,
    Float(ge=0),
    "stop once the training loss is <= tol (0: never); with "
    "mini-batches checked on the full training set at the end of each epoch",
)
TIME_BUDGET = Option("time_budget", None, Float(gt=0), "seconds; stop when they are spent (none: no limit)")
PROGRESS_EVERY = Option(
    "progress_every", 10.0, Float(ge=0), "seconds between progress log lines (0: never)", identity=False, config=False
)
#: The options of every iterative trainer.
ITERATIVE = (MAX_STEPS, TOL, TIME_BUDGET, PROGRESS_EVERY)


@dataclass(frozen=True)
class Trainer:
    """The declaration of one trainer.

    Attributes
    ----------
    name : str
    fn : callable
        ``fn(net, X, y, loss, rng, **options) -> History``, options resolved.
    options : tuple of Option
    doc : str
        One line for the README and ``--list``.
    losses : tuple of str
        Losses it fits.
    replica_rng : bool
        Takes one Generator per replica of a replica batch (``fit(..., rng=[...])``).
    one_pass : bool
        Replicas of a job may train in one vectorized pass (same result as the loop).
    builds_own : bool
        Builds its own one-hidden-layer float64 networks from units (the template gives only
        d, the activation and the width): depth, dtype and initialisation of the model are
        not used.
    path : bool
        Returns a path of widths (``history.path``): one record per recorded width.
    needs_target : bool
        Takes the target function itself (``fit(..., target=...)``), not only samples.
    check_model : callable, optional
        ``check_model(sizes, activation, output_activation, loss, options, target)`` raises
        ValueError naming ``model.*`` keys the trainer cannot honour (run before any job).
    check_data : callable, optional
        ``check_data(options, N)`` raises ValueError naming ``trainer.*`` options that the
        training-set size N makes impossible (run before any job).
    guarantee : str
        The approximation guarantee it meets constructively on the sample it fits: ``"barron"``
        (relaxed greedy, OGA: Barron's (2 r C_f)²/n at every width) or ``""`` (none: a trained
        network says nothing about a bound on the best network).
    adaptive_units : bool
        Its hidden units adapt to the target (False for a fixed random basis, which is outside
        the hypotheses of Barron's upper bound).
    width_option : str or None
        The option through which it takes the path's width (``model.width`` in a config): ``n_max``
        (greedy, oga), ``n`` (random_features); None when it trains the network it is given.
    depth : int or None
        The number of hidden layers it builds (1 for the constructive paths); None when it honours
        ``model.depth``.
    uses_init : bool
        It starts from the network it is given, drawn by ``model.init`` and ``model.bias_init`` (False
        when it builds its own network from units or from the target).
    float32 : bool
        It honours ``model.dtype=float32`` (False: it computes in float64).
    trees : bool
        It trains a masked network (``model.structure=tree``) as given.
    training_bytes : callable, optional
        ``training_bytes(N, d, width, options) -> int``: its own arrays' peak memory, for trainers
        whose memory is not that of the network (the greedy paths' bases and screening buffers).
    sharp_rate : bool
        Siegel & Xu's sharp rate over its dictionary applies (the orthogonal greedy algorithm;
        relaxed greedy is guaranteed only Barron's 1/n).
    """

    name: str
    fn: Callable
    options: tuple
    doc: str
    losses: tuple = ("mse", "logistic")
    replica_rng: bool = False
    one_pass: bool = False
    builds_own: bool = False
    path: bool = False
    needs_target: bool = False
    check_model: Callable | None = None
    check_data: Callable | None = None
    record_lists: tuple = ()
    guarantee: str = ""
    adaptive_units: bool = True
    width_option: str | None = None
    depth: int | None = None
    uses_init: bool = True
    float32: bool = True
    trees: bool = True
    training_bytes: Callable | None = None
    sharp_rate: bool = False

    def option(self, name: str) -> Option:
        return next(o for o in self.options if o.name == name)
