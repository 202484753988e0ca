"""The study plug-in API: ``analyse(runs, ctx) -> StudyResult``.

A study plug-in (``nnapprox/studies/<study>.py``) gets the tidy records of its sweep and a
:class:`StudyContext` (report settings, and loaders for the networks and data the jobs saved)
and returns a :class:`StudyResult`: named tables (DataFrames, written as CSV), named figures
(matplotlib Figures, written as PNG), verdicts (:class:`~nnapprox.report.verdicts.Verdict`) and
Markdown sections. The runner (:mod:`nnapprox.report.runner`) renders and writes them; a plug-in
never writes a file and never trains.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["Section", "StudyResult", "StudyContext", "target_of"]


def target_of(row):
    """Rebuild the :class:`~nnapprox.targets.Target` a record used from its ``target.*`` values.

    Values a table turned into floats (``2.0`` for ``d = 2``) go back to ints, and JSON lists
    (explicit frequency vectors) back to lists.
    """
    import json
    import math

    from ..targets import get_target

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
        params[key[len("target."):]] = value
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
    rules : list of str
        Bullets of "How to read this report" (the rules behind the verdicts).
    """

    intro: str = ""
    sections: list = field(default_factory=list)
    tables: dict = field(default_factory=dict)
    figures: dict = field(default_factory=dict)
    verdicts: list = field(default_factory=list)
    rules: list = field(default_factory=list)

    def add(self, other: "StudyResult") -> "StudyResult":
        """Append another result's parts (sections, tables, figures, verdicts, rules) to this one."""
        self.sections += other.sections
        self.tables.update(other.tables)
        self.figures.update(other.figures)
        self.verdicts += other.verdicts
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
    tol : float
        Slack of the rate rules.
    """

    name: str
    sweep_dir: Path
    n_boot: int = 2000
    seed: int = 0
    fit_range: dict = field(default_factory=dict)
    tol: float = 0.1

    def net(self, row):
        """The trained network of a record (a row of the runs table), from its job's ``params.npz``."""
        from ..records import load_params

        return load_params(Path(self.sweep_dir) / str(row["run_dir"]), str(row["params_key"]))

    def target(self, row):
        """The target function of a record, rebuilt from its ``target.*`` columns (no data, no training)."""
        return target_of(row)

    def data(self, row):
        """``(X, y)``: the training data of a record's replica (jobs run with ``save_data=true``)."""
        from ..records import load_data

        return load_data(Path(self.sweep_dir) / str(row["run_dir"]), int(row["replica"]))
