"""Verdicts and checks as data.

A :class:`Verdict` is a *test that can fail*: it judges a stated theorem (or a stated hypothesis)
inside the regime where it says something. Its ``kind`` names a registered :class:`Rule`, which
declares the null (what the theorem predicts) and the alternative (what the data must show to
contradict it); ``tests/`` holds, for every registered rule, one synthetic input on which the rule
says *contradicts* and one on which it says *consistent*. Outcomes:

``consistent``
    the prediction holds within the measurement's uncertainty, inside the theorem's regime;
``contradicts``
    the prediction is violated inside its regime; an ``explanation`` is required (a bug found,
    or the hypothesis that does not hold);
``not tested``
    the measurement lies outside the regime, or cannot decide; ``reason`` is one of
    :data:`REASONS` followed by the detail.

A :class:`Check` is a deterministic identity (a construction is exact, a piece count, gradients
against finite differences, a closed form, a reproduction of a published number): pass or fail,
reported apart and never counted among the verdicts.

Every study writes both to ``verdicts.json`` (:func:`to_json`), with the judgement windows it used
and how the verdicts move when each window shifts by one grid step; ``results/REPORT.md`` is built
from those files.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field, fields, replace

__all__ = [
    "Verdict",
    "Check",
    "Rule",
    "RULES",
    "register_rule",
    "rule_of",
    "OUTCOMES",
    "REASONS",
    "CONSISTENT",
    "CONTRADICTS",
    "NOT_TESTED",
    "to_json",
    "from_json",
    "load_json",
    "counts",
    "check_counts",
    "verdict_rows",
    "check_rows",
    "collapse",
    "BADGE",
]

CONSISTENT, CONTRADICTS, NOT_TESTED = "consistent", "contradicts", "not tested"
OUTCOMES = (CONSISTENT, CONTRADICTS, NOT_TESTED)
#: Why a claim is not tested.
REASONS = (
    "pre-asymptotic",
    "precision floor",
    "optimizer floor",
    "estimation-dominated",
    "outside the hypotheses",
    "too few points",
    "no data",
    "undecided",
)
BADGE = {CONSISTENT: "**consistent**", CONTRADICTS: "**CONTRADICTS**", NOT_TESTED: "not tested"}


@dataclass(frozen=True)
class Rule:
    """A judgement rule, declared once: what it tests and how it can fail.

    Attributes
    ----------
    kind : str
        The key verdicts carry (``Verdict.kind``).
    claim : str
        What is asserted, in general terms.
    theorem : str
        The theorem (or, for a hypothesis about training, the statement and that it is one).
    null : str
        What the data show when the theorem holds (the rule then says consistent).
    alternative : str
        What the data must show for the rule to say *contradicts*.
    windows : tuple of str
        The judgement windows (``judge:`` keys of the study's YAML) the rule uses.
    """

    kind: str
    claim: str
    theorem: str
    null: str
    alternative: str
    windows: tuple = ()


#: Every registered rule, by kind.
RULES: dict = {}


def register_rule(rule: Rule) -> Rule:
    """Register ``rule`` under its kind (re-registering the same rule is a no-op).

    Raises
    ------
    ValueError
        If another rule of the same kind is registered, or the null or alternative is empty.
    """
    if not rule.null or not rule.alternative:
        raise ValueError(f"rule {rule.kind!r} must state its null and its alternative")
    old = RULES.get(rule.kind)
    if old is not None and old != rule:
        raise ValueError(f"rule kind {rule.kind!r} is registered twice with different declarations")
    RULES[rule.kind] = rule
    return rule


def rule_of(kind: str) -> Rule:
    """The registered rule of ``kind``.

    Raises
    ------
    ValueError
        If no rule of that kind is registered.
    """
    if kind not in RULES:
        raise ValueError(f"verdict kind {kind!r} is not a registered rule; registered: {', '.join(sorted(RULES))}")
    return RULES[kind]


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
        The registered :class:`Rule` that made it.
    windows : dict
        The judgement windows (name -> value) the outcome depends on.
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
    windows: dict = field(default_factory=dict)

    def __post_init__(self):
        if self.outcome not in OUTCOMES:
            raise ValueError(f"outcome={self.outcome!r} is not one of {', '.join(OUTCOMES)}")
        if self.outcome == NOT_TESTED and not any(self.reason.startswith(r) for r in REASONS):
            raise ValueError(
                f"a 'not tested' verdict needs a reason starting with one of {REASONS}; got "
                f"{self.reason!r} ({self.claim})"
            )
        if self.outcome == CONTRADICTS and not self.explanation:
            raise ValueError(f"a 'contradicts' verdict needs an explanation ({self.claim}, {self.group})")

    def as_dict(self) -> dict:
        d = asdict(self)
        for k in ("value", "ci_low", "ci_high"):
            if isinstance(d[k], float) and not math.isfinite(d[k]):
                d[k] = None
        return d


@dataclass
class Check:
    """A deterministic identity: pass or fail, reported apart from the verdicts.

    Attributes
    ----------
    name : str
        What is checked, in a sentence.
    passed : bool
    group : str
        Which runs or objects.
    expected, measured : str
    detail : str
        How it was checked (tolerance, method) and, when it fails, what that means.
    kind : str
        A short key (``telgarsky_exact``, ``gradcheck``, ...).
    """

    name: str
    passed: bool
    group: str = "all"
    expected: str = ""
    measured: str = ""
    detail: str = ""
    kind: str = ""

    def __post_init__(self):
        self.passed = bool(self.passed)

    def as_dict(self) -> dict:
        return asdict(self)


def counts(verdicts) -> dict:
    """Number of verdicts per outcome."""
    return {o: sum(v.outcome == o for v in verdicts) for o in OUTCOMES}


def check_counts(checks) -> dict:
    """Number of checks passed and failed."""
    return {"passed": sum(c.passed for c in checks), "failed": sum(not c.passed for c in checks)}


def to_json(verdicts, study: str, checks=(), judge=None, sensitivity=()) -> str:
    """``verdicts.json`` text: the study, the counts, the windows, every verdict, every check, the sensitivity rows."""
    return json.dumps(
        {
            "study": study,
            "counts": counts(verdicts),
            "checks_counts": check_counts(checks),
            "judge": dict(judge or {}),
            "verdicts": [v.as_dict() for v in verdicts],
            "checks": [c.as_dict() for c in checks],
            "sensitivity": list(sensitivity),
        },
        indent=1,
        allow_nan=False,
        default=_plain,
    )


def _plain(o):
    return o.item() if hasattr(o, "item") else str(o)


def _verdict(d: dict) -> Verdict:
    d = {k: v for k, v in d.items() if k in {f.name for f in fields(Verdict)}}
    for k in ("value", "ci_low", "ci_high"):
        d[k] = math.nan if d.get(k) is None else d[k]
    return Verdict(**d)


def load_json(text: str) -> dict:
    """``verdicts.json`` as ``{"study", "verdicts": [Verdict], "checks": [Check], "judge", "sensitivity"}``.

    A sweep of several studies is flattened: its verdicts and checks are concatenated.
    """
    data = json.loads(text)
    parts = data.get("studies", [data])
    return {
        "study": data["study"],
        "verdicts": [_verdict(d) for p in parts for d in p.get("verdicts", [])],
        "checks": [Check(**d) for p in parts for d in p.get("checks", [])],
        "judge": {k: v for p in parts for k, v in p.get("judge", {}).items()},
        "sensitivity": [s for p in parts for s in p.get("sensitivity", [])],
    }


def from_json(text: str) -> tuple[str, list]:
    """``(study, verdicts)`` from ``verdicts.json`` text."""
    data = load_json(text)
    return data["study"], data["verdicts"]


def verdict_rows(verdicts) -> list[list[str]]:
    """Rows ``[outcome, claim, group, predicted, measured, regime or reason]`` for a Markdown table."""
    rows = []
    for v in verdicts:
        where = v.reason if v.outcome == NOT_TESTED else v.regime
        rows.append([BADGE[v.outcome], v.claim, v.group, v.predicted, v.measured, where])
    return rows


def check_rows(checks) -> list[list[str]]:
    """Rows ``[pass/FAIL, check, group, expected, measured]`` for a Markdown table."""
    return [["pass" if c.passed else "**FAIL**", c.name, c.group, c.expected, c.measured] for c in checks]


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
