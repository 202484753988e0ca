"""Verdicts as data: each is a test of a stated theorem inside the regime where it says something.

A :class:`Verdict` names the claim, the theorem and its hypotheses, the regime the measurement
lies in, the prediction and the measurement (with its CI), and an outcome:

``consistent``
    the prediction holds within the measurement's uncertainty, inside the theorem's regime;
``contradicts``
    the prediction is violated inside its regime; an ``explanation`` is required (a bug found,
    or the hypothesis that does not hold);
``not tested``
    the measurement lies outside the regime, or cannot decide; ``reason`` is one of
    :data:`REASONS` followed by the detail.

Every study writes its verdicts to ``verdicts.json`` (:func:`to_json`); ``results/REPORT.md`` is
built from those files.
"""
from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, replace

__all__ = ["Verdict", "OUTCOMES", "REASONS", "CONSISTENT", "CONTRADICTS", "NOT_TESTED", "to_json", "from_json",
           "counts", "verdict_rows", "collapse"]

CONSISTENT, CONTRADICTS, NOT_TESTED = "consistent", "contradicts", "not tested"
OUTCOMES = (CONSISTENT, CONTRADICTS, NOT_TESTED)
#: Why a claim is not tested.
REASONS = ("pre-asymptotic", "precision floor", "optimizer floor", "estimation-dominated",
           "outside the hypotheses", "too few points", "no data")
BADGE = {CONSISTENT: "**consistent**", CONTRADICTS: "**CONTRADICTS**", NOT_TESTED: "not tested"}


@dataclass
class Verdict:
    """One judged claim (see the module docstring).

    Attributes
    ----------
    claim : str
        What is asserted, in a sentence.
    theorem : str
        The theorem or rule, with its reference.
    hypotheses : str
        What the theorem assumes.
    group : str
        Which runs (``"d=8, trainer=oga"``; ``"all"``).
    regime : str
        Where the theorem speaks and which of the measured points lie there.
    predicted : str
    measured : str
        With its CI.
    outcome : str
        One of :data:`OUTCOMES`.
    reason : str
        For ``not tested``: one of :data:`REASONS`, then the detail.
    explanation : str
        For ``contradicts`` (required).
    rule : str
        How the outcome follows from the measurement.
    value, ci_low, ci_high : float
        The measured number and its CI (NaN when not a number).
    kind : str
        Which rule made it (``barron_bound``, ``width_rate``, ``sample_rate``, or a study's own), so
        plug-ins can find the verdicts of a rule without matching text.
    """

    claim: str
    theorem: str
    hypotheses: str = ""
    group: str = "all"
    regime: str = ""
    predicted: str = ""
    measured: str = ""
    outcome: str = NOT_TESTED
    reason: str = ""
    explanation: str = ""
    rule: str = ""
    value: float = math.nan
    ci_low: float = math.nan
    ci_high: float = math.nan
    kind: str = ""

    def __post_init__(self):
        if self.outcome not in OUTCOMES:
            raise ValueError(f"outcome={self.outcome!r} is not one of {', '.join(OUTCOMES)}")
        if self.outcome == NOT_TESTED and not any(self.reason.startswith(r) for r in REASONS):
            raise ValueError(f"a 'not tested' verdict needs a reason starting with one of {REASONS}; got "
                             f"{self.reason!r} ({self.claim})")
        if self.outcome == CONTRADICTS and not self.explanation:
            raise ValueError(f"a 'contradicts' verdict needs an explanation ({self.claim}, {self.group})")

    def as_dict(self) -> dict:
        d = asdict(self)
        for k in ("value", "ci_low", "ci_high"):
            if isinstance(d[k], float) and not math.isfinite(d[k]):
                d[k] = None
        return d


def to_json(verdicts, study: str) -> str:
    """``verdicts.json`` text: the study, the outcome counts and every verdict."""
    return json.dumps({"study": study, "counts": counts(verdicts), "verdicts": [v.as_dict() for v in verdicts]},
                      indent=1, allow_nan=False)


def from_json(text: str) -> tuple[str, list]:
    """``(study, verdicts)`` from ``verdicts.json`` text."""
    data = json.loads(text)
    out = []
    for d in data["verdicts"]:
        d = dict(d)
        for k in ("value", "ci_low", "ci_high"):
            d[k] = math.nan if d.get(k) is None else d[k]
        out.append(Verdict(**d))
    return data["study"], out


def counts(verdicts) -> dict:
    """Number of verdicts per outcome."""
    return {o: sum(v.outcome == o for v in verdicts) for o in OUTCOMES}


def verdict_rows(verdicts) -> list[list[str]]:
    """Rows ``[outcome, claim, group, predicted, measured, regime or reason]`` for a Markdown table."""
    rows = []
    for v in verdicts:
        where = v.reason if v.outcome == NOT_TESTED else v.regime
        rows.append([BADGE[v.outcome], v.claim, v.group, v.predicted, v.measured, where])
    return rows


def collapse(verdicts) -> list:
    """Merge verdicts that differ only in their group (same kind, claim, outcome, reason, measurement).

    Twenty groups "not tested: outside the hypotheses: C_f unknown" become one verdict whose group
    lists them; verdicts with their own numbers stay apart.
    """
    out, index = [], {}
    for v in verdicts:
        key = (v.kind, v.claim, v.outcome, v.reason, v.measured, v.regime, v.explanation)
        if key in index:
            first = out[index[key]]
            out[index[key]] = replace(first, group=f"{first.group}; {v.group}")
        else:
            index[key] = len(out)
            out.append(v)
    return [replace(v, group=_groups(v.group)) for v in out]


def _groups(text: str) -> str:
    parts = text.split("; ")
    return text if len(parts) <= 3 else f"{len(parts)} groups: " + "; ".join(parts)
