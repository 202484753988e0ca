"""nnapprox.base.options: each constraint accepts what it says, refuses without coercing, and says what is allowed."""

import math

import pytest

from nnapprox.base.options import (
    Bool,
    Choice,
    Float,
    FloatOrList,
    Int,
    IntList,
    Option,
    Text,
    check_value,
    describe,
    options_table,
    resolve,
)


@pytest.mark.parametrize(
    "constraint,good,bad,says",
    [
        (Int(1), [1, 7, 10**12], [0, -1, 2.0, 2.7, True, "8", None], "an integer >= 1"),
        (Int(high=3), [-5, 3], [4, 3.0], "an integer <= 3"),
        (Int(1, 3), [1, 2, 3], [0, 4], "an integer in [1, 3]"),
        (Int(), [-3, 0], [0.5, False], "an integer"),
        (Float(gt=0), [1e-300, 2, 0.5], [0, -1.0, math.inf, math.nan, True, "1"], "> 0 and finite"),
        (Float(ge=0), [0, 0.0, 3], [-1e-9, math.inf], ">= 0 and finite"),
        (Float(gt=0, lt=1), [0.5], [0, 1, 1.5], "in (0, 1)"),
        (Float(ge=0, le=1), [0, 1], [1.01], "in [0, 1]"),
        (Float(le=2), [-math.pi, 2], [2.5], "<= 2 and finite"),
        (Float(finite=False), [math.inf, -math.inf, 0], [math.nan, None], "a number (not NaN)"),
        (Float(), [1.5, -2], [math.inf], "a finite number"),
        (Choice(("a", "b"), "letters"), ["a", "b"], ["c", "A", 1, None], "one of a, b"),
        (Text(), ["x", "a b"], ["", 3, None], "a non-empty text"),
        (Text(forbid="/", empty=True), ["", "ab"], ["a/b"], "a text without '/'"),
        (Bool(), [True, False], [0, 1, "true", None], "true or false"),
        (IntList(2), [[2], (3, 2)], [[], [1], [2.0], 2, "2"], "a non-empty list of integers >= 2"),
        (
            FloatOrList(Float(gt=0)),
            [1.0, [1, 2.5]],
            [[], [1, -1], -1, [math.nan]],
            "a number > 0 and finite, or a list",
        ),
    ],
)
def test_a_constraint_accepts_its_values_refuses_others_and_says_what_it_allows(constraint, good, bad, says):
    assert all(constraint.ok(v) for v in good), [v for v in good if not constraint.ok(v)]
    assert not any(constraint.ok(v) for v in bad), [v for v in bad if constraint.ok(v)]
    assert constraint.describe().startswith(says), constraint.describe()
    for v in bad:
        with pytest.raises(ValueError) as err:
            check_value("grp.key", v, constraint)
        msg = str(err.value)  # names the key and the value (a list's bad element: see below)
        assert msg.startswith("grp.key=") and "\n" not in msg, msg
        assert f"grp.key={v!r}" in msg or isinstance(constraint, FloatOrList) and isinstance(v, list), msg


def test_accepted_values_are_stored_as_plain_python_types():
    assert type(check_value("k", 3, Float(gt=0))) is float
    assert check_value("k", (5, 2, 5), IntList()) == [2, 5]  # a set of widths: sorted, no repeats
    assert check_value("k", [1, 2], FloatOrList(Float())) == [1.0, 2.0]
    assert check_value("k", 2, FloatOrList(Float())) == 2.0
    import numpy as np

    assert type(check_value("k", np.int64(4), Int())) is int


def test_messages_name_the_bad_element_and_the_choices():
    with pytest.raises(ValueError, match=r"^k=-1 must be > 0 and finite$"):
        check_value("k", [1, -1], FloatOrList(Float(gt=0)))
    with pytest.raises(ValueError, match=r"^k='c' is not known; valid letters: a, b$"):
        check_value("k", "c", Choice(("a", "b"), "letters"))


def test_resolve_fills_defaults_checks_given_values_and_refuses_unknown_names():
    declared = (Option("lr", 0.1, Float(gt=0)), Option("budget", None, Float(gt=0)), Option("steps", 5, Int(1)))
    assert resolve(declared, {}, "trainer 'x'") == {"lr": 0.1, "budget": None, "steps": 5}
    assert resolve(declared, {"lr": 1, "steps": None}, "trainer 'x'") == {"lr": 1.0, "budget": None, "steps": 5}
    with pytest.raises(
        ValueError,
        match=r"^trainer 'x' got unknown options \['lrr', 'zz'\]; its options: lr, budget, "
        r"steps$",
    ):
        resolve(declared, {"lrr": 1, "zz": 2}, "trainer 'x'")
    with pytest.raises(ValueError, match=r"^trainer\.steps=0 must be an integer >= 1$"):
        resolve(declared, {"steps": 0}, "trainer 'x'", prefix="trainer.")
    assert declared[1].check(None) is None  # None is "not given" only where the default is None
    with pytest.raises(ValueError):
        declared[0].check(None)


def test_tables_list_the_settable_options_with_their_defaults():
    declared = (
        Option("lr", 0.1, Float(gt=0), "step size"),
        Option("every", 10.0, Float(ge=0), config=False),
        Option("budget", None, Float(gt=0), "seconds"),
    )
    assert options_table(declared, prefix="trainer.") == [
        ["`trainer.lr`", "`0.1`", "> 0 and finite", "step size"],
        ["`trainer.budget`", "(none)", "> 0 and finite", "seconds"],
    ]
    assert describe(declared[0]) == "default 0.1; > 0 and finite" and describe(declared[2]).startswith("default none")
