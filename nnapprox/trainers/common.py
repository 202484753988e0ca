"""What every trainer shares: the training history, divergence, stopping and progress."""
from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = ["History", "Diverged", "Recorder", "should_record", "check_positive", "check_int", "pop_common", "reject_unknown",
           "nonfinite_message"]

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
    replica_stop, replica_steps : list, optional
        Per replica (gradient trainers): why it stopped and after how many steps
        (replicas stop on their own at ``tol`` or on divergence).
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
        return pd.DataFrame({
            "step": np.repeat(self.step, R),
            "elapsed": np.repeat(self.elapsed, R),
            "replica": np.tile(np.arange(R), len(loss)),
            "loss": loss.ravel(),
        })


def should_record(step: int) -> bool:
    """Every step up to 100, then ~100 per decade (1%-of-step granularity)."""
    if step <= 100:
        return True
    stride = 10 ** (int(math.log10(step)) - 1)
    return step % stride == 0


class Recorder:
    """Collects (step, elapsed, loss) points, logs progress with an ETA, checks time budgets."""

    def __init__(self, name: str, max_steps: int | None, time_budget: float | None,
                 progress_every: float = 10.0):
        self.name = name
        self.max_steps = max_steps
        self.time_budget = time_budget
        self.progress_every = progress_every
        self.t0 = time.perf_counter()
        self._last_log = self.t0
        self.steps, self.times, self.losses = [], [], []

    def elapsed(self) -> float:
        return time.perf_counter() - self.t0

    def record(self, step: int, loss, force: bool = False):
        now = time.perf_counter()
        if force or should_record(step):
            self.steps.append(step)
            self.times.append(now - self.t0)
            self.losses.append(np.array(loss, dtype=float, copy=True))
        if self.progress_every and now - self._last_log >= self.progress_every:
            self._last_log = now
            el = now - self.t0
            eta = ""
            if self.max_steps:
                eta = f", ETA {el / max(step, 1) * (self.max_steps - step):.0f} s"
            if self.time_budget:
                eta += f", budget left {self.time_budget - el:.0f} s"
            log.info("%s: step %d/%s, loss %.3e, %.0f s elapsed%s", self.name, step,
                     self.max_steps or "?", float(np.mean(loss)), el, eta)

    def out_of_time(self) -> bool:
        return self.time_budget is not None and self.elapsed() >= self.time_budget

    def history(self, **kw) -> History:
        loss = np.array(self.losses) if self.losses else np.zeros((0,))
        return History(step=np.array(self.steps, dtype=int), elapsed=np.array(self.times),
                       loss=loss, wall_time=self.elapsed(), **kw)


def check_positive(name: str, value, allow_zero: bool = False, allow_none: bool = False):
    """Raise ValueError unless ``value`` is a positive (or non-negative) finite number."""
    if value is None and allow_none:
        return None
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name}={value!r} must be a number") from None
    ok = (v >= 0 if allow_zero else v > 0) and math.isfinite(v)
    if not ok:
        raise ValueError(f"{name}={value!r} must be {'>= 0' if allow_zero else '> 0'} and finite")
    return v


def check_int(name: str, value, low: int = 1, allow_none: bool = False):
    """Raise ValueError unless ``value`` is an integer >= ``low``."""
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or int(value) != value:
        raise ValueError(f"{name}={value!r} must be an integer >= {low}")
    if int(value) < low:
        raise ValueError(f"{name}={value!r} must be an integer >= {low}")
    return int(value)


def nonfinite_message(step: int) -> str:
    """Why a run (or a replica) was stopped as ``diverged``."""
    return f"non-finite loss or parameters at step {step}"


def reject_unknown(name: str, options: dict) -> None:
    """Raise ValueError naming any option a trainer did not pop (misspelt or not its own)."""
    if options:
        raise ValueError(f"trainer {name!r} got unknown options {sorted(options)}")


def pop_common(options: dict) -> dict:
    """Pop and validate the options every iterative trainer understands."""
    return {
        "max_steps": check_int("max_steps", options.pop("max_steps", 1000), 1),
        "tol": check_positive("tol", options.pop("tol", 0.0), allow_zero=True),
        "time_budget": check_positive("time_budget", options.pop("time_budget", None), allow_none=True),
        "progress_every": check_positive("progress_every", options.pop("progress_every", 10.0), allow_zero=True),
    }
