"""The study plug-in API: ``analyse(runs, ctx) -> StudyResult``.

A study plug-in (``nnapprox/studies/<study>.py``) gets the tidy records of its sweep and a
:class:`StudyContext` (report settings, and loaders for the networks and data the jobs saved)
and returns a :class:`StudyResult`: named tables (DataFrames, written as CSV), named figures
(matplotlib Figures, written as PNG), verdicts (:class:`~nnapprox.report.verdicts.Verdict`) and
Markdown sections. The runner (:mod:`nnapprox.runner.report`) renders and writes them; a plug-in
never writes a file and never trains.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["Section", "StudyResult", "StudyContext", "Window", "target_of", "resolve_windows", "shift_window"]


def target_of(row):
    """Rebuild the :class:`~nnapprox.targets.builtin.Target` a record used from its ``target.*`` values.

    Values a table turned into floats (``2.0`` for ``d = 2``) go back to ints, and JSON lists
    (explicit frequency vectors) back to lists.
    """
    import json
    import math

    from nnapprox.targets.builtin import get_target

    params = {}
    for key, value in dict(row).items():
        if not key.startswith("target.") or key in ("target.name", "target.kind"):
            continue
        if value is None or (isinstance(value, float) and math.isnan(value)):
            continue
        if isinstance(value, str) and value.startswith("["):
            value = json.loads(value)
        elif isinstance(value, float) and value.is_integer():
            value = int(value)
        elif hasattr(value, "item"):
            value = value.item()
        params[key[len("target.") :]] = value
    return get_target(str(row["target.name"]), **params)


@dataclass
class Section:
    """A Markdown section: ``## heading`` then ``body`` (which may link ``figures/<name>.png``)."""

    heading: str
    body: str


@dataclass
class StudyResult:
    """What a study plug-in returns.

    Attributes
    ----------
    intro : str
        Markdown under the title: the question and how the runs answer it.
    sections : list of Section
    tables : dict of str to DataFrame
        Written as ``<name>.csv``.
    figures : dict of str to Figure
        Written as ``figures/<name>.png`` (and SVG on request).
    verdicts : list of Verdict
        Tests that can fail (:class:`~nnapprox.report.verdicts.Verdict`).
    checks : list of Check
        Deterministic identities, pass/fail (:class:`~nnapprox.report.verdicts.Check`), reported apart.
    rules : list of str
        Bullets of "How to read this report" (the rules behind the verdicts).
    """

    intro: str = ""
    sections: list = field(default_factory=list)
    tables: dict = field(default_factory=dict)
    figures: dict = field(default_factory=dict)
    verdicts: list = field(default_factory=list)
    checks: list = field(default_factory=list)
    rules: list = field(default_factory=list)

    def add(self, other: StudyResult) -> StudyResult:
        """Append another result's parts (sections, tables, figures, verdicts, checks, rules) to this one."""
        self.sections += other.sections
        self.tables.update(other.tables)
        self.figures.update(other.figures)
        self.verdicts += other.verdicts
        self.checks += other.checks
        self.rules += [r for r in other.rules if r not in self.rules]
        if other.intro:
            self.intro = (self.intro + "\n\n" + other.intro).strip()
        return self


@dataclass
class StudyContext:
    """What a plug-in may use besides the records.

    Attributes
    ----------
    name : str
        The study.
    sweep_dir : Path
        The folder holding the job folders (``run_dir`` of a record is relative to it).
    n_boot, seed : int
        Bootstrap resamples and seed of every CI.
    fit_range : dict
        Axis -> ``(x_min, x_max)`` of the rate fits (either may be None).
    judge : dict
        The study's judgement windows (name -> value), declared in its YAML's ``judge:`` block
        before the sweep (:data:`JUDGE` of the plug-in gives the names and defaults).
    """

    name: str
    sweep_dir: Path
    n_boot: int = 2000
    seed: int = 0
    fit_range: dict = field(default_factory=dict)
    judge: dict = field(default_factory=dict)

    def windows(self, declared: dict) -> dict:
        """The values of the windows ``declared`` (a plug-in's ``JUDGE``): :attr:`judge` where it has them, else
        the declared defaults (a context made by hand, outside the report runner, has none)."""
        return {k: self.judge.get(k, w.default) for k, w in declared.items()}

    def net(self, row):
        """The trained network of a record (a row of the runs table), from its job's ``params.npz``."""
        from nnapprox.experiment.records import load_params

        return load_params(Path(self.sweep_dir) / str(row["run_dir"]), str(row["params_key"]))

    def target(self, row):
        """The target function of a record, rebuilt from its ``target.*`` columns (no data, no training)."""
        return target_of(row)

    def data(self, row):
        """``(X, y)``: the training data of a record's replica (jobs run with ``save_data=true``)."""
        from nnapprox.experiment.records import load_data

        return load_data(Path(self.sweep_dir) / str(row["run_dir"]), int(row["replica"]))


@dataclass(frozen=True)
class Window:
    """A judgement window a plug-in declares (``JUDGE = {"n_min": Window(32, "...", step="n")}``).

    Its value comes from the study's YAML (``judge: {n_min: 32}``), fixed before the sweep; the
    report shows how the verdicts move when it shifts one step either way.

    Attributes
    ----------
    default : float
        The value when the sweep declares none.
    doc : str
        What it decides.
    step : str or float
        One step: a record column name (the neighbouring distinct value of that column in the
        runs, e.g. the next swept width) or a factor > 1 (the value times or divided by it).
    """

    default: float
    doc: str
    step: object = 2.0

    def __post_init__(self):
        if not isinstance(self.step, str) and not (isinstance(self.step, (int, float)) and self.step > 1):
            raise ValueError(f"Window step={self.step!r} must be a column name or a factor > 1")


def resolve_windows(declared: dict, given: dict | None, study: str = "") -> dict:
    """The window values of a report: the declared defaults updated by the sweep's ``judge:`` block.

    Raises
    ------
    ValueError
        If ``given`` names a window the plug-in does not declare, or a value is not a finite number.
    """
    import math

    out = {k: w.default for k, w in declared.items()}
    for k, v in (given or {}).items():
        if k not in declared:
            raise ValueError(
                f"judge.{k}={v!r} is not a judgement window of study {study!r}; its windows: "
                f"{', '.join(sorted(declared)) or '(none)'}"
            )
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
            raise ValueError(f"judge.{k}={v!r} must be a finite number")
        out[k] = v
    return out


def shift_window(window: Window, value, runs, direction: int):
    """``value`` moved one step of ``window`` in ``direction`` (+1 or -1); None where there is no such step.

    A column step moves to the next distinct value of that column in ``runs`` strictly above (below)
    ``value``; a factor step multiplies (divides) by it.
    """
    import numpy as np
    import pandas as pd

    if isinstance(window.step, str):
        if window.step not in runs.columns:
            return None
        vals = np.unique(pd.to_numeric(runs[window.step], errors="coerce").dropna().to_numpy(dtype=float))
        side = vals[vals > value] if direction > 0 else vals[vals < value]
        if side.size == 0:
            return None
        new = float(side.min() if direction > 0 else side.max())
        return int(new) if float(new).is_integer() and isinstance(value, int) else new
    new = value * window.step if direction > 0 else value / window.step
    return float(f"{new:.12g}")  # 1e-11 × 10 is 1e-10, not 9.999999999999999e-11
