"""A fuzz harness (issue 24): property-based tests of hostile input at the three doors of the suite.

(a) override lists, drawn over the real option declarations (config groups, run keys, every trainer's and
    target's options) with hostile values: the in-process validation of the command line
    (:func:`nnapprox.cli.run.precheck`, and ``canonical`` of the composed config) accepts, or refuses in one
    line naming a key it was given, before any folder is made;
(b) arrays and parameters for ``MLP`` and ``fit`` (shapes, dtypes, NaN, inf, huge values): a one-line
    ValueError, or a network that stays one buffer and a history whose loss is finite (or ``diverged``);
(c) CSV files (headers and cells: duplicates, text, blanks, inf) through the table target's validation
    (``target=table``): a one-line error, or a table whose features are columns of the file and whose
    values are the file's numbers.

Example counts: the ``default`` Hypothesis profile (``make test``); the ``slow`` tests rerun each property
with the ``slow`` profile (more examples). Both are registered in ``tests/conftest.py``.
"""

from __future__ import annotations

import contextlib
import csv
import math
import os
import tempfile
from pathlib import Path

import numpy as np
import pytest
from helpers import ROOT, compose, plain_config
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from nnapprox import MLP, fit
from nnapprox.experiment.errors import ConfigError
from nnapprox.experiment.groups import GROUP_OPTIONS, RUN_OPTIONS
from nnapprox.targets.builtin import target_defaults
from nnapprox.trainers import TRAINERS

SLOW = settings.get_profile("slow")
_NO_FIXTURE_CHECK = [HealthCheck.function_scoped_fixture, HealthCheck.too_slow]


def _one_line(text) -> str:
    text = str(text)
    assert text.strip() and "\n" not in text, f"not one line: {text!r}"
    return text


@contextlib.contextmanager
def _in_empty_dir():
    """A fresh empty working directory for one example (the default ``out_root`` is relative)."""
    old = os.getcwd()
    with tempfile.TemporaryDirectory() as tmp:
        os.chdir(tmp)
        try:
            yield Path(tmp)
        finally:
            os.chdir(old)


# ---------------------------------------------------------------------------
# (a) override lists over the declarations
# ---------------------------------------------------------------------------

_GROUP_CHOICES = {
    "trainer": sorted(TRAINERS) + ["lbfgs_path"],
    "target": sorted(p.stem for p in (ROOT / "conf" / "target").glob("*.yaml")),
    "activation": ["tanh", "relu", "sigmoid", "heaviside", "leaky_relu", "relu2", "relu3"],
    "model": ["shallow", "deep"],
    "data": ["default", "noisy"],
}
_GROUP_KEYS = sorted(
    [f"{g}.{o.name}" for g, opts in GROUP_OPTIONS.items() for o in opts]
    + [o.name for o in RUN_OPTIONS]
    + ["trainer.loss"]
)
_TRAINER_KEYS = {n: sorted(f"trainer.{o.name}" for o in t.options if o.config) for n, t in TRAINERS.items()}
_TRAINER_KEYS["lbfgs_path"] = _TRAINER_KEYS["lbfgs"]
_TARGET_KEYS = {
    n: sorted(f"target.{k}" for k in target_defaults(n) if k != "fn")
    for n in _GROUP_CHOICES["target"]
    if n != "cosine_ridge_hf"
}
_TARGET_KEYS["cosine_ridge_hf"] = _TARGET_KEYS["cosine_ridge"]
#: Every key a message may name: declared keys, their leaves and the groups.
_ALL_KEYS = sorted(
    set(_GROUP_KEYS)
    | {k for ks in _TRAINER_KEYS.values() for k in ks}
    | {k for ks in _TARGET_KEYS.values() for k in ks}
    | set(_GROUP_CHOICES)
    | {"target.fn"}
)
_UNKNOWN_KEYS = ["model.widht", "foo", "target.zzz", "trainer.zzz", "data.n", "Model.width", "model..width"]
_HOSTILE = [
    "abc",
    "-1",
    "-0.5",
    "0",
    "nan",
    "NaN",
    "inf",
    "-inf",
    "+inf",
    "''",
    '""',
    "null",
    "true",
    "false",
    "[]",
    "[1,2]",
    "[-1]",
    "[a]",
    "{}",
    "{a:1}",
    "99999999999999999999999999",
    "1e400",
    "-1e400",
    "1e-400",
    "3.7",
    "0x10",
    "é",
    "a/b",
    "..",
    "/",
    "' '",
    "${oops}",
    "${model.width}",
    "[1.5,2]",
    "[[1]]",
    "1,2",
    "",
    "none",
    "None",
    "[nan]",
    "2147483648",
    "-2147483649",
]
#: Values that pass the types, to reach the rules behind them (ranges, combinations, memory).
_PLAUSIBLE = [
    "0",
    "1",
    "2",
    "3",
    "4",
    "8",
    "0.5",
    "0.001",
    "1e-12",
    "100000",
    "1000000000",
    "[1,2]",
    "[2,4]",
    "tree",
    "dense",
    "float32",
    "normal",
    "zero",
    "data",
    "rai",
    "sigmoid",
    "logistic",
    "bernoulli",
    "cube",
    "ball",
    "uniform",
    "he",
    "loop",
]
# target.fn: module specs that name nothing (the user-function guard is exercised elsewhere)
_FN_VALUES = ["nomodule:f", "", "a:b:c", "x.py:f", "nnapprox:nothing", ":", "os"]


@st.composite
def setting(draw, keys):
    """One override of a key: hostile or plausible values, sometimes with a +, ++ or ~ prefix."""
    kind = draw(st.sampled_from(["key"] * 8 + ["unknown", "fn"]))
    if kind == "fn":
        return f"target.fn={draw(st.sampled_from(_FN_VALUES))}"
    key = draw(st.sampled_from(keys if kind == "key" else _UNKNOWN_KEYS))
    prefix = draw(st.sampled_from(["", "", "", "", "", "+", "++", "~"]))
    value = draw(st.sampled_from(_HOSTILE + _PLAUSIBLE * 2))
    return f"~{key}" if prefix == "~" and not value else f"{prefix}{key}={value}"


@st.composite
def override_list(draw):
    """An override list: a trainer and a target (as a user picks them), then 1 to 3 settings of their keys."""
    out = []
    trainer, target = "lbfgs", "gaussian"
    if draw(st.integers(0, 9)) < 8:
        trainer = draw(st.sampled_from(_GROUP_CHOICES["trainer"]))
        out.append(f"trainer={trainer}")
    if draw(st.booleans()):
        target = draw(st.sampled_from(_GROUP_CHOICES["target"]))
        out.append(f"target={target}")
    if draw(st.integers(0, 9)) == 0:  # a group to a value it does not have
        group = draw(st.sampled_from(sorted(_GROUP_CHOICES)))
        out.append(f"{group}={draw(st.sampled_from(['nope', '', 'null', 'None', '[a]']))}")
    keys = _GROUP_KEYS + _TRAINER_KEYS[trainer] * 2 + _TARGET_KEYS[target] * 2
    out += draw(st.lists(setting(keys), min_size=1, max_size=3))
    return draw(st.permutations(out))


def check_overrides(overrides) -> None:
    """The invariant of (a): one line naming a key, no folder made; or an accepted config."""
    from hydra.errors import HydraException

    from nnapprox.cli.compose import to_plain
    from nnapprox.cli.run import precheck
    from nnapprox.experiment.validation import canonical

    names = set(_ALL_KEYS) | {o.lstrip("+~").partition("=")[0] for o in overrides}
    with _in_empty_dir() as tmp:
        problem, _ = precheck(overrides)  # what nnapprox-run does before Hydra makes a folder
        if problem is not None:
            _one_line(problem)
            assert any(n in problem for n in names), f"{overrides}: {problem!r} names no key"
            assert not any(tmp.iterdir()), f"{overrides}: refused ({problem}) but made {list(tmp.iterdir())}"
        try:
            cfg = compose(overrides)
        except (HydraException, ValueError):
            assert problem is not None, f"{overrides}: precheck accepted what Hydra cannot compose"
            return  # Hydra's own refusal (e.g. a group set to null): precheck gave it in one line above
        try:
            canonical(to_plain(cfg))
        except ConfigError as e:  # the validation's one exception: one line, "Invalid config: ..."
            assert problem is not None and _one_line(e).startswith("Invalid config: "), (overrides, str(e))


_override_lists = override_list()


@settings(max_examples=settings.default.max_examples, deadline=None, suppress_health_check=_NO_FIXTURE_CHECK)
@given(_override_lists)
def test_fuzz_overrides(overrides):
    check_overrides(overrides)


@pytest.mark.slow
@settings(SLOW, suppress_health_check=_NO_FIXTURE_CHECK)
@given(_override_lists)
def test_fuzz_overrides_slow(overrides):
    check_overrides(overrides)


# ---------------------------------------------------------------------------
# (b) arrays and parameters for MLP and fit
# ---------------------------------------------------------------------------

_VALUES = st.one_of(st.floats(-3, 3), st.sampled_from([0.0, np.nan, np.inf, -np.inf, 1e308, -1e308, 1e39, 1e-320]))
_DTYPES = ["float64", "float32", "int64", "bool", "complex128", "object", "U3"]


@st.composite
def array(draw, shape):
    """An array of ``shape``: half of them clean (finite float64), the others any dtype and any value."""
    clean = draw(st.booleans())
    dtype = "float64" if clean else draw(st.sampled_from(_DTYPES + ["float64"] * 4))
    values = st.floats(-3, 3) if clean else _VALUES
    vals = draw(st.lists(values, min_size=int(np.prod(shape)), max_size=int(np.prod(shape))))
    a = np.array(vals, dtype=np.float64).reshape(shape)
    if dtype == "U3":
        return a.astype(str).astype("U3")
    with np.errstate(all="ignore"):
        return a.astype(dtype) if dtype != "object" else a.astype(object)


@st.composite
def fit_case(draw):
    d = draw(st.integers(1, 3))
    width = draw(st.integers(1, 4))
    depth = draw(st.integers(0, 2))
    sizes = [d] + [width] * depth + [1]
    N = draw(st.integers(1, 12))
    x_shape = draw(st.sampled_from([(N, d), (N, d), (N, d), (N,), (N, d + 1), (0, d), (2, N, d), (N, d, 1)]))
    y_shape = draw(st.sampled_from([(N,), (N,), (N, 1), (N, 2), (N + 1,), ()]))
    X = draw(array(x_shape))
    y = draw(array(y_shape))
    trainer = draw(st.sampled_from(["gd", "adam", "lbfgs", "bfgs", "oga", "greedy", "random_features", "glm_bfgs"]))
    loss = draw(st.sampled_from(["mse", "mse", "logistic"]))
    out = draw(st.sampled_from(["identity", "identity", "sigmoid"]))
    act = draw(st.sampled_from(["tanh", "relu", "sigmoid", "identity"]))
    dtype = draw(st.sampled_from(["float64", "float64", "float32"]))
    theta = draw(st.one_of(st.none(), array((draw(st.sampled_from([0, 1, 2])) + _count(sizes),))))
    return sizes, act, out, dtype, theta, X, y, trainer, loss


def _count(sizes):
    return sum(sizes[i] * sizes[i - 1] + sizes[i] for i in range(1, len(sizes)))


_OPTS = {
    "gd": dict(max_steps=3),
    "adam": dict(max_steps=3),
    "lbfgs": dict(max_steps=3),
    "bfgs": dict(max_steps=3),
    "oga": {},
    "greedy": {},
    "random_features": {},
    "glm_bfgs": dict(max_steps=5),
}


def check_fit(case) -> None:
    """The invariant of (b)."""
    sizes, act, out, dtype, theta, X, y, trainer, loss = case
    net = MLP(sizes, act, out, dtype=dtype, rng=np.random.default_rng(0))
    before = net.theta.copy()
    if theta is not None:
        try:
            net.theta = theta
        except ValueError as e:
            _one_line(e)
            np.testing.assert_array_equal(net.theta, before)  # refused: nothing written
        else:
            assert np.all(np.isfinite(net.theta)), "an accepted theta must be finite"
    for W, b in zip(net.weights, net.biases, strict=True):
        assert np.shares_memory(W, net.theta) and np.shares_memory(b, net.theta)
    try:
        with np.errstate(all="ignore"):
            hist = fit(net, X, y, trainer=trainer, loss=loss, **_OPTS[trainer])
    except ValueError as e:
        _one_line(e)
        return
    assert hist.status in ("ok", "diverged"), hist.status
    final = np.asarray(hist.final_loss, dtype=float)
    if hist.status == "ok":
        assert np.all(np.isfinite(final)), f"status ok with loss {final}"
        trained = hist.net if hist.net is not None else net
        Xc = np.asarray(X, dtype=np.float64)
        assert np.all(np.isfinite(trained.forward(Xc))), "status ok but the network's output is not finite"
        if trainer in ("lbfgs", "bfgs", "glm_bfgs"):  # their history's last loss is the returned network's
            real = float(np.sum(trained.loss_and_grad(Xc, y, loss=loss)[0]))
            assert math.isclose(real, float(np.sum(final)), rel_tol=1e-6, abs_tol=1e-12), (
                f"history says loss {float(np.sum(final))}, the returned network has {real}"
            )


@settings(max_examples=settings.default.max_examples, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(fit_case())
def test_fuzz_mlp_and_fit(case):
    check_fit(case)


@pytest.mark.slow
@settings(SLOW, suppress_health_check=[HealthCheck.too_slow])
@given(fit_case())
def test_fuzz_mlp_and_fit_slow(case):
    check_fit(case)


@settings(max_examples=settings.default.max_examples, deadline=None)
@given(
    sizes=st.lists(
        st.one_of(st.integers(-2, 4), st.sampled_from([2.0, 2.7, True, "3", None, 10**6, 10**30, np.int64(3), 2**63])),
        min_size=0,
        max_size=4,
    ),
    act=st.sampled_from(["tanh", "relu", "nope", "", "TANH", None, 3]),
    dtype=st.sampled_from(_DTYPES + ["float16"]),
    replicas=st.sampled_from([None, 1, 2]),
)
def test_fuzz_mlp_constructor(sizes, act, dtype, replicas):
    assume(sum(isinstance(s, int) and s == 10**6 for s in sizes) != 1)  # one such layer fits: slow, not hostile
    rng = None if replicas is None else [np.random.default_rng(r) for r in range(replicas)]
    try:
        net = MLP(sizes, act, dtype=dtype, rng=rng)
    except ValueError as e:
        _one_line(e)
        return
    assert net.sizes == [int(s) for s in sizes] and np.all(np.isfinite(net.theta))


# ---------------------------------------------------------------------------
# (c) CSV files through the table target's validation
# ---------------------------------------------------------------------------

_HEADERS = ["x1", "x2", "y", "", " y", "y ", "x1", "lab el", "1", "nan", "Unnamed: 0", "y.1", "é"]
_CELLS = ["0", "1", "-2.5", "3e2", "", " ", "abc", "inf", "-inf", "nan", "NaN", "1e400", "1,5", "TRUE", "0x1", "'1'"]


@st.composite
def csv_file(draw):
    ncol = draw(st.integers(1, 4))
    header = draw(st.lists(st.sampled_from(_HEADERS), min_size=ncol, max_size=ncol))
    if draw(st.booleans()):
        header[-1] = "y"
    nrow = draw(st.integers(0, 8))
    numeric = draw(st.booleans())  # half the files: numbers only, to reach the accepting side
    cell = st.sampled_from(["0", "1", "-2.5", "3e2", "0.25", "7"]) if numeric else st.sampled_from(_CELLS)
    rows = draw(st.lists(st.lists(cell, min_size=ncol, max_size=ncol), min_size=nrow, max_size=nrow))
    label = draw(st.sampled_from(["y", "y", "x1", "zz", ""]))
    return header, rows, label


def _write(path, header, rows):
    with open(path, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        w.writerows(rows)


def check_table(case) -> None:
    """The invariant of (c): one line, or a table that is the file's numbers under the file's own names."""
    from nnapprox.experiment.validation import canonical

    header, rows, label = case
    with _in_empty_dir() as tmp:
        path = tmp / "data.csv"
        _write(path, header, rows)
        cfg = plain_config(
            **{"data.N": 2, "data.N_test": 2}, target={"name": "table", "path": str(path), "label": label, "d": None}
        )
        try:
            canon = canonical(cfg)
        except ConfigError as e:
            _one_line(e)
            return
        target = canon.target
        cols = target.params["columns"]
        X, y = target.info["X"], target.info["y"]
        header = [h.strip() for h in header]  # the reader takes a header name without its surrounding blanks
        assert len(set(header)) == len(header), f"duplicate headers {header} accepted as columns {cols}"
        assert set(cols) <= set(header) and label in header and label not in cols, (header, cols, label)
        assert X.shape == (len(rows), len(cols)) and np.all(np.isfinite(X)) and np.all(np.isfinite(y))
        lab = header.index(label)
        expect_y = [float(r[lab]) for r in rows]
        np.testing.assert_array_equal(y, expect_y)
        for j, c in enumerate(cols):
            np.testing.assert_array_equal(X[:, j], [float(r[header.index(c)]) for r in rows])


@settings(max_examples=settings.default.max_examples, deadline=None)
@given(csv_file())
def test_fuzz_table_reader(case):
    check_table(case)


@pytest.mark.slow
@settings(SLOW)
@given(csv_file())
def test_fuzz_table_reader_slow(case):
    check_table(case)
