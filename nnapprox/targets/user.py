"""Targets the user brings: a Python function (``target=python``) or a table of data (``target=table``).

``target=python target.fn=mypkg.mymod:f target.d=3``
    Any importable function mapping X of shape ``(N, d)`` to values of shape ``(N,)`` (or
    ``(N, 1)``). ``fn`` is ``module:function`` (a module importable from ``PYTHONPATH`` or the working
    directory) or ``path/to/file.py:function``. The domain and radius options are those of the
    built-in targets (the ball of radius r, or the cube ``[-r, r]^d``). Its Barron constant is
    ``target.c_f`` when given, else estimated by FFT for d ≤ 3 (:func:`nnapprox.targets.fourier.estimate_cf_checked`:
    f as a function on R^d must decay inside the box; the two-resolution change is the stated
    error), else unknown. The record says which (``c_f_method``, ``c_f_error``).
``target=table target.path=data.csv``
    A CSV file with a header: feature columns (``target.columns``, default every column but the
    label) and a label column (``target.label``, default ``y``). Each replica draws its own split of
    the rows: ``data.N`` for training, ``data.N_test`` for testing (their sum at most the number of
    rows). There is no C_f: Barron's verdicts are not tested, rates are still fitted.

Both are checked when the config is (before the first job of a sweep): the function is imported,
called on a probe batch from its domain and must return finite values of the right shape; the
table is read and its columns must exist and be numeric. A hash of the function's source (or of
the table's bytes) is part of the target's parameters, so a changed function or file gets new run
folders instead of overwriting the records of the old one, and rebuilding a target whose function
or file has changed since the run is refused.
"""
from __future__ import annotations

import functools
import hashlib
import importlib
import importlib.util
import inspect
import math
import os
import sys
from pathlib import Path

import numpy as np

from nnapprox.targets.core import finite, int_at_least, make_target, symmetric_domain
from nnapprox.targets.sampling import Dataset, sample_domain

__all__ = ["python_target", "table_target", "table_dataset", "load_function", "PROBE_POINTS"]

#: Points of the probe batch a user function is checked on.
PROBE_POINTS = 64


def _fail(msg):
    raise ValueError(msg)


def _import_module(spec: str):
    """The module of ``spec`` (``pkg.mod`` or ``path/file.py``): imported normally, else from the working directory."""
    if spec.endswith(".py"):
        path = Path(spec)
        if not path.is_file():
            _fail(f"target.fn={spec!r}: no such file (relative paths start at the working directory {os.getcwd()})")
        name = f"nnapprox_user_{hashlib.sha256(str(path.resolve()).encode()).hexdigest()[:12]}"
        if name in sys.modules:
            return sys.modules[name]
        module_spec = importlib.util.spec_from_file_location(name, path)
        module = importlib.util.module_from_spec(module_spec)
        try:
            module_spec.loader.exec_module(module)
        except Exception as e:
            _fail(f"target.fn={spec!r}: importing {path} raised {type(e).__name__}: {e}")
        sys.modules[name] = module
        return module
    try:
        return importlib.import_module(spec)
    except ModuleNotFoundError as e:
        if e.name != spec.split(".")[0] or os.getcwd() in sys.path:
            _fail(f"target.fn: cannot import module {spec!r} ({e})")
    except Exception as e:
        _fail(f"target.fn: importing module {spec!r} raised {type(e).__name__}: {e}")
    sys.path.insert(0, os.getcwd())  # a module next to the user, as `python -c` would find it
    try:
        return importlib.import_module(spec)
    except Exception as e:
        _fail(f"target.fn: cannot import module {spec!r} from PYTHONPATH or the working directory {os.getcwd()} "
              f"({type(e).__name__}: {e})")


def load_function(spec):
    """Import ``module:function`` or ``file.py:function``.

    Returns
    -------
    (callable, str)
        The function and a sha256 of its source (of its module's file when the source is not available).

    Raises
    ------
    ValueError
        A malformed spec, a module that does not import, a missing or non-callable attribute.
    """
    if not isinstance(spec, str) or spec.count(":") != 1 or not all(spec.split(":")):
        _fail(f"target.fn={spec!r} is invalid: give 'module:function' or 'path/to/file.py:function'")
    mod_name, attr = spec.split(":")
    module = _import_module(mod_name)
    fn = module
    for part in attr.split("."):
        if not hasattr(fn, part):
            _fail(f"target.fn={spec!r}: module {mod_name!r} has no attribute {attr!r}")
        fn = getattr(fn, part)
    if not callable(fn):
        _fail(f"target.fn={spec!r}: {attr!r} is a {type(fn).__name__}, not a function")
    try:
        source = inspect.getsource(fn).encode()
    except (OSError, TypeError):
        file = getattr(module, "__file__", None)
        source = Path(file).read_bytes() if file else spec.encode()
    return fn, hashlib.sha256(source).hexdigest()


def _probe(fn, spec, d, domain):
    X = sample_domain(domain, PROBE_POINTS, d, np.random.default_rng(0))
    try:
        v = fn(X)
    except Exception as e:
        _fail(f"target.fn={spec!r} raised {type(e).__name__} on a probe batch of shape ({PROBE_POINTS}, {d}) from "
              f"its domain: {e} (it must map X of shape (N, d) to values of shape (N,); is target.d={d} right?)")
    v = np.asarray(v)
    if v.shape not in ((PROBE_POINTS,), (PROBE_POINTS, 1)):
        _fail(f"target.fn={spec!r} returned shape {v.shape} for X of shape ({PROBE_POINTS}, {d}); expected "
              f"({PROBE_POINTS},) (one value per row)")
    if not np.issubdtype(v.dtype, np.number) or not np.all(np.isfinite(v.astype(np.float64))):
        _fail(f"target.fn={spec!r} returned non-finite or non-numeric values on its domain")


@functools.lru_cache(maxsize=64)
def _estimate(spec, sha, d):
    """The checked FFT estimate, once per (function, source, d) in a process (validation and the job share it)."""
    from nnapprox.targets.fourier import estimate_cf_checked

    fn, _ = load_function(spec)
    return estimate_cf_checked(lambda X: np.asarray(fn(X), dtype=np.float64).reshape(-1), d)


def python_target(d=1, fn=None, c_f=None, radius=1.0, domain="ball", fn_sha256=None):
    """A target from a user function (see the module notes).

    Parameters
    ----------
    d : int >= 1
    fn : str
        ``module:function`` or ``path/to/file.py:function``.
    c_f : float >= 0 or ``inf``, optional
        The Barron constant if known (None: estimated for d ≤ 3, else unknown).
    radius : float > 0;  domain : {"ball", "cube"}
    fn_sha256 : str, optional
        The source hash recorded with a run; when given it must match the function's source now.
    """

    d = int_at_least("d", d, 1)
    if fn is None:
        _fail("target=python needs target.fn=module:function (or path/to/file.py:function)")
    dom = symmetric_domain(domain, radius)
    f, sha = load_function(fn)
    if fn_sha256 is not None and fn_sha256 != sha:
        _fail(f"target.fn={fn!r} has changed since the run (source sha256 {sha[:12]}…, the run used "
              f"{str(fn_sha256)[:12]}…): the recorded results are not this function's")
    _probe(f, fn, d, dom)
    if c_f is not None:
        value = float(c_f)
        if not (value >= 0 and not math.isnan(value)):
            _fail(f"target.c_f={c_f!r} is invalid: a Barron constant is >= 0 (inf: outside the class)")
        value = value if math.isinf(value) else finite("c_f", value, nonnegative=True)
        info = {"c_f_method": "given", "c_f_error": 0.0}
    else:
        est = _estimate(fn, sha, d)
        value = est.value
        info = {"c_f_method": est.method, "c_f_error": est.rel_error}

    def values(X):
        return np.asarray(f(X), dtype=np.float64).reshape(X.shape[0])

    params = dict(d=d, fn=fn, c_f=c_f, radius=radius, domain=domain, fn_sha256=sha)
    return make_target("python", d, dom, value, "user", params, values, info)


@functools.lru_cache(maxsize=16)
def _read_table(path, sha):
    import pandas as pd

    try:
        return pd.read_csv(path)
    except Exception as e:
        _fail(f"target.path={path!r}: cannot read it as CSV with a header ({type(e).__name__}: {e})")


def table_target(path=None, label="y", columns=None, sha256=None):
    """A target given as a table of rows (see the module notes).

    Parameters
    ----------
    path : str
        CSV file with a header row.
    label : str
        The target column.
    columns : list of str or str, optional
        Feature columns (a comma-separated string works); default every column but ``label``.
    sha256 : str, optional
        The file's hash recorded with a run; when given it must match the file now.
    """
    from nnapprox.targets.sampling import Domain

    if not path:
        _fail("target=table needs target.path=<file.csv>")
    p = Path(path)
    if not p.is_file():
        _fail(f"target.path={path!r}: no such file (relative paths start at the working directory {os.getcwd()})")
    sha = hashlib.sha256(p.read_bytes()).hexdigest()
    if sha256 is not None and sha256 != sha:
        _fail(f"target.path={path!r} has changed since the run (sha256 {sha[:12]}…, the run used "
              f"{str(sha256)[:12]}…): the recorded results are not this table's")
    df = _read_table(str(p.resolve()), sha)
    if label not in df.columns:
        _fail(f"target.label={label!r} is not a column of {path}; its columns: {', '.join(map(str, df.columns))}")
    if columns is None:
        cols = [c for c in df.columns if c != label]
    else:
        cols = [c.strip() for c in columns.split(",")] if isinstance(columns, str) else [str(c) for c in columns]
        missing = [c for c in cols if c not in df.columns]
        if missing:
            _fail(f"target.columns: {', '.join(missing)} not in {path}; its columns: {', '.join(map(str, df.columns))}")
        if label in cols:
            _fail(f"target.columns includes the label column {label!r}")
    if not cols:
        _fail(f"target.path={path!r} has no feature column besides the label {label!r}")
    sub = df[cols + [label]]
    bad = [c for c in sub.columns if not np.issubdtype(sub[c].dtype, np.number)]
    if bad:
        _fail(f"target.path={path!r}: column(s) {', '.join(bad)} are not numeric")
    arr = sub.to_numpy(dtype=np.float64)
    if not np.all(np.isfinite(arr)):
        rows = np.flatnonzero(~np.all(np.isfinite(arr), axis=1))
        _fail(f"target.path={path!r}: {len(rows)} row(s) with missing or non-finite values (first: data row "
              f"{rows[0] + 1}); clean the file")
    if len(arr) < 4:
        _fail(f"target.path={path!r} has {len(arr)} rows; at least 4 are needed (train and test)")
    X, y = arr[:, :-1], arr[:, -1]
    radius = float(np.max(np.linalg.norm(X, axis=1))) or 1.0

    def values(X_):
        raise ValueError(f"target=table ({path}) has values only at its rows; it cannot be evaluated elsewhere")

    params = dict(path=str(path), label=label, columns=list(cols), sha256=sha)
    info = {"X": X, "y": y, "rows": len(arr), "c_f_method": "unknown: a table has no Barron constant"}
    return make_target("table", X.shape[1], Domain("ball", radius=radius), None, "table", params, values, info)


def table_dataset(target, N: int, N_test: int, seed) -> Dataset:
    """A random split of a table target's rows: N for training, N_test for testing.

    Parameters
    ----------
    target : Target
        From :func:`table_target`.
    N, N_test : int
        Their sum is at most the number of rows.
    seed : int or np.random.SeedSequence
        The replica's data seed (each replica draws its own split).
    """
    X, y = target.info["X"], target.info["y"]
    rows = len(y)
    if N + N_test > rows:
        _fail(f"data.N + data.N_test = {N + N_test} exceeds the {rows} rows of target.path="
              f"{target.params['path']!r}; allowed: at most {rows}")
    ss = seed if isinstance(seed, np.random.SeedSequence) else np.random.SeedSequence(seed)
    perm = np.random.default_rng(ss).permutation(rows)
    tr, te = perm[:N], perm[N:N + N_test]
    y_test = y[te].copy()
    var_f = float(np.var(y_test)) if N_test > 1 else 0.0
    return Dataset(X=X[tr].copy(), y=y[tr].copy(), X_test=X[te].copy(), y_test=y_test, noise=0.0,
                   var_f=var_f, y_clean=y[tr].copy())
