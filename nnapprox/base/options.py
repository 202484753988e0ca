"""Declared options: one declaration per option gives its default, its constraint and its doc.

Every configurable thing (each trainer, the model, the data) declares its options once as a tuple
of :class:`Option`. The same declaration then serves

* the trainers' own argument checks (:func:`resolve`, called by :func:`nnapprox.trainers.fit`),
* the Hydra schema and its validation (:mod:`nnapprox.experiment.validation` builds the dataclass fields and
  the one-line errors from it),
* the option tables of the README and ``nnapprox-run --list`` (:func:`describe`).

A constraint checks a value and says what is allowed; it never coerces a value into another
type (``2.7`` is not an integer width, ``True`` is not a number, ``"8"`` is not an int).
Nothing here imports Hydra.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

__all__ = [
    "Constraint",
    "Int",
    "Float",
    "Choice",
    "Bool",
    "IntList",
    "FloatOrList",
    "Text",
    "Option",
    "resolve",
    "check_value",
    "describe",
    "options_table",
]


class Constraint:
    """What values an option accepts. Subclasses define :meth:`ok`, :meth:`describe` and ``schema_type``."""

    #: Python type of the option's field in the Hydra schema (``Any`` where OmegaConf has none).
    schema_type: Any = Any

    def ok(self, value: Any) -> bool:  # pragma: no cover - abstract
        raise NotImplementedError

    def describe(self) -> str:  # pragma: no cover - abstract
        raise NotImplementedError

    def normalise(self, value: Any) -> Any:
        """The value as stored (plain Python types); called only on accepted values."""
        return value

    def message(self, key: str, value: Any) -> str:
        return f"{key}={value!r} must be {self.describe()}"


def _is_int(v: Any) -> bool:
    return isinstance(v, numbers.Integral) and not isinstance(v, bool)


def _is_real(v: Any) -> bool:
    return isinstance(v, numbers.Real) and not isinstance(v, bool)


@dataclass(frozen=True)
class Int(Constraint):
    """An integer (``bool`` and floats refused) in ``[low, high]``."""

    low: int | None = None
    high: int | None = None
    schema_type = int

    def ok(self, value: Any) -> bool:
        return _is_int(value) and (self.low is None or value >= self.low) and (self.high is None or value <= self.high)

    def describe(self) -> str:
        if self.low is not None and self.high is not None:
            return f"an integer in [{self.low}, {self.high}]"
        if self.low is not None:
            return f"an integer >= {self.low}"
        if self.high is not None:
            return f"an integer <= {self.high}"
        return "an integer"

    def normalise(self, value: Any) -> Any:
        return int(value)


@dataclass(frozen=True)
class Float(Constraint):
    """A real number (``bool`` refused) with optional bounds; finite unless ``finite=False``."""

    gt: float | None = None
    ge: float | None = None
    lt: float | None = None
    le: float | None = None
    finite: bool = True
    schema_type = float

    def ok(self, value: Any) -> bool:
        if not _is_real(value):
            return False
        v = float(value)
        if math.isnan(v) or (self.finite and not math.isfinite(v)):
            return False
        return (
            (self.gt is None or v > self.gt)
            and (self.ge is None or v >= self.ge)
            and (self.lt is None or v < self.lt)
            and (self.le is None or v <= self.le)
        )

    def describe(self) -> str:
        lo = f"({self.gt:g}" if self.gt is not None else f"[{self.ge:g}" if self.ge is not None else None
        hi = f"{self.lt:g})" if self.lt is not None else f"{self.le:g}]" if self.le is not None else None
        fin = "" if not self.finite else " and finite"
        if lo and hi:
            return f"in {lo}, {hi}"
        if lo:
            return f"{'>' if self.gt is not None else '>='} {lo[1:]}{fin}"
        if hi:
            return f"{'<' if self.lt is not None else '<='} {hi[:-1]}{fin}"
        return "a finite number" if self.finite else "a number (not NaN)"

    def normalise(self, value: Any) -> Any:
        return float(value)


@dataclass(frozen=True)
class Choice(Constraint):
    """One of a fixed set of strings."""

    choices: tuple
    what: str = "choices"
    schema_type = str

    def ok(self, value: Any) -> bool:
        return isinstance(value, str) and value in self.choices

    def describe(self) -> str:
        return "one of " + ", ".join(self.choices)

    def message(self, key: str, value: Any) -> str:
        return f"{key}={value!r} is not known; valid {self.what}: {', '.join(self.choices)}"


@dataclass(frozen=True)
class Text(Constraint):
    """A string, non-empty unless ``empty``, without the characters in ``forbid``."""

    forbid: str = ""
    empty: bool = False
    schema_type = str

    def ok(self, value: Any) -> bool:
        return isinstance(value, str) and (self.empty or value != "") and not any(c in value for c in self.forbid)

    def describe(self) -> str:
        what = "a text" if self.empty else "a non-empty text"
        return what + (f" without {' '.join(repr(c) for c in self.forbid)}" if self.forbid else "")


@dataclass(frozen=True)
class Bool(Constraint):
    """True or False."""

    schema_type = bool

    def ok(self, value: Any) -> bool:
        return isinstance(value, bool)

    def describe(self) -> str:
        return "true or false"


@dataclass(frozen=True)
class IntList(Constraint):
    """A non-empty list of integers >= ``low`` (stored sorted, without repeats: a set of widths)."""

    low: int = 1
    schema_type = list[int]

    def ok(self, value: Any) -> bool:
        return isinstance(value, (list, tuple)) and len(value) > 0 and all(_is_int(v) and v >= self.low for v in value)

    def describe(self) -> str:
        return f"a non-empty list of integers >= {self.low}"

    def normalise(self, value: Any) -> Any:
        return sorted({int(v) for v in value})


@dataclass(frozen=True)
class FloatOrList(Constraint):
    """A number, or a non-empty list of numbers (searched), each satisfying ``element``."""

    element: Float
    schema_type = Any

    def ok(self, value: Any) -> bool:
        if isinstance(value, (list, tuple)):
            return len(value) > 0 and all(self.element.ok(v) for v in value)
        return self.element.ok(value)

    def describe(self) -> str:
        return f"a number {self.element.describe()}, or a list of them"

    def message(self, key: str, value: Any) -> str:
        if isinstance(value, (list, tuple)) and value:
            bad = next((v for v in value if not self.element.ok(v)), None)
            if bad is not None:
                return self.element.message(key, bad)
        if not isinstance(value, (list, tuple)):
            return self.element.message(key, value)
        return super().message(key, value)

    def normalise(self, value: Any) -> Any:
        if isinstance(value, (list, tuple)):
            return [float(v) for v in value]
        return float(value)


@dataclass(frozen=True)
class Option:
    """One declared option.

    Attributes
    ----------
    name : str
    default : object
        Value when the option is not given (``None`` where "not given" has its own meaning,
        e.g. no mini-batches, no time budget, choose automatically).
    constraint : Constraint
        Checked on every given value (``None`` is accepted only when ``default`` is None).
    doc : str
        One line for the option tables.
    identity : bool
        Whether the value defines what a run computes (False for progress logging): such
        options enter records and the config hash.
    config : bool
        Whether the option can be set from a Hydra config (False for Python objects such as
        ``init_from``, and for options the app sets from other keys).
    """

    name: str
    default: Any
    constraint: Constraint
    doc: str = ""
    identity: bool = True
    config: bool = True

    def check(self, value: Any, key: str | None = None) -> Any:
        """The accepted value (normalised), or ValueError naming ``key`` (default ``name``)."""
        key = key or self.name
        if value is None and self.default is None:
            return None
        if not self.constraint.ok(value):
            raise ValueError(self.constraint.message(key, value))
        return self.constraint.normalise(value)


def check_value(key: str, value: Any, constraint: Constraint) -> Any:
    """Check one value against a constraint; ValueError ``"key=value must be ..."``."""
    if not constraint.ok(value):
        raise ValueError(constraint.message(key, value))
    return constraint.normalise(value)


def resolve(declared: Sequence[Option], given: dict, owner: str, *, prefix: str = "") -> dict:
    """Check ``given`` options against their declarations and fill in the defaults.

    Parameters
    ----------
    declared : sequence of Option
    given : dict
        Option name -> value. ``None`` means "not given" (the default applies).
    owner : str
        Who declares them (``"trainer 'oga'"``), for the unknown-option message.
    prefix : str
        Prepended to option names in messages (``"trainer."`` for config keys).

    Returns
    -------
    dict
        Every declared option, given or default, in declaration order.

    Raises
    ------
    ValueError
        ``"<owner> got unknown options [...]"`` or ``"<prefix><name>=<value> must be ..."``.
    """
    by_name = {o.name: o for o in declared}
    unknown = sorted(k for k in given if k not in by_name)
    if unknown:
        raise ValueError(f"{owner} got unknown options {unknown}; its options: {', '.join(by_name)}")
    out = {}
    for o in declared:
        v = given.get(o.name)
        out[o.name] = o.default if v is None else o.check(v, prefix + o.name)
    return out


def describe(option: Option) -> str:
    """``"default 0.1; > 0 and finite"`` for tables."""
    d = "none" if option.default is None else repr(option.default)
    return f"default {d}; {option.constraint.describe()}"


def options_table(declared: Sequence[Option], *, prefix: str = "") -> list[list[str]]:
    """Rows ``[name, default, allowed, doc]`` of the config-settable options (for Markdown tables)."""
    rows = []
    for o in declared:
        if not o.config:
            continue
        d = "(none)" if o.default is None else f"`{o.default!r}`"
        rows.append([f"`{prefix}{o.name}`", d, o.constraint.describe(), o.doc])
    return rows
