"""Targets the user brings: a Python function (``target=python``) or a table of data (``target=table``).

``target=python target.fn=mypkg.mymod:f target.d=3``
    Any importable function mapping X of shape ``(N, d)`` to values of shape ``(N,)`` (or
    ``(N, 1)``). ``fn`` is ``module:function`` (a module importable from ``PYTHONPATH`` or the working
    directory) or ``path/to/file.py:function``. The domain and radius options are those of the
    built-in targets (the ball of radius r, or the cube ``[-r, r]^d``). Its Barron constant is
    ``target.c_f`` when given (0 only for a constant function), else estimated by FFT for d ≤ 3
    (:func:`nnapprox.targets.fourier.estimate_cf_checked`, which checks its own assumptions and says
    ``unknown: <why>`` otherwise; computed once per function version and domain: :func:`estimate_cached`),
    else unknown. The record says which (``c_f_method``, ``c_f_error``).
``target=table target.path=data.csv``
    A CSV file with a header: feature columns (``target.columns``, default every column but the
    label) and a label column (``target.label``, default ``y``), read by the strict reader
    :func:`nnapprox.targets.tables.read_table`. Each replica draws its own split of the rows:
    ``data.N`` for training, ``data.N_test`` for testing (their sum at most the number of rows).
    ``target.d`` is recorded as the number of feature columns. There is no C_f: Barron's verdicts
    are not tested, rates are still fitted.

Both are checked when the config is (before the first job of a sweep): the function is imported
and called through the guard (:mod:`nnapprox.targets.guard`: a read-only copy of X, real and finite
values of the right shape, deterministic, every failure one line), the table read and checked. A
hash of the function's module file (or of the table's bytes) is part of the target's parameters, so
a changed function or file gets new run folders instead of overwriting the records of the old one;
rebuilding a target whose function or file has changed since the run is refused, and
:func:`check_unchanged` refuses a job whose file changed after its target was built.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import os
from pathlib import Path

import numpy as np

from nnapprox.targets.core import finite, int_at_least, make_target, symmetric_domain
from nnapprox.targets.guard import UserCodeError, files_sha256, load_user_function
from nnapprox.targets.sampling import Dataset, Domain, sample_domain
from nnapprox.targets.tables import TableError, read_table

__all__ = [
    "python_target",
    "table_target",
    "table_dataset",
    "load_function",
    "check_unchanged",
    "estimate_cached",
    "PROBE_POINTS",
    "CACHE_ENV",
    "UserCodeError",
    "TableError",
    "InputChanged",
]

log = logging.getLogger("nnapprox.targets.user")

#: Points of the probe batch a user function is checked on.
PROBE_POINTS = 64
#: Environment variable naming the folder of the C_f estimates' cache (default ``$XDG_CACHE_HOME/nnapprox``).
CACHE_ENV = "NNAPPROX_CACHE_DIR"
#: The estimator's name in the cache key; the key also holds the hash of :mod:`nnapprox.targets.fourier`'s file,
#: so a value computed by another version of the estimator is never reused.
_ESTIMATOR = "fft-checked-2"


def _fail(msg):
    raise ValueError(msg)


def load_function(spec):
    """Import ``module:function`` or ``file.py:function`` through the guard.

    Returns
    -------
    (UserFunction, str)
        The guarded function (call it as ``uf(X)``) and the sha256 of its module's file.

    Raises
    ------
    UserCodeError
        A malformed spec, a module that does not import, a missing or non-callable attribute.
    """
    uf = load_user_function(spec)
    return uf, uf.sha256


def _cache_dir() -> Path:
    base = os.environ.get(CACHE_ENV) or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache"), "nnapprox"
    )
    return Path(base) / "c_f"


def estimate_cached(uf, d: int, dom: Domain):
    """The checked FFT estimate of a user function on a domain, computed once per function version and domain.

    Kept in this process and on disk (``$NNAPPROX_CACHE_DIR/c_f/``, default ``~/.cache/nnapprox/c_f/``),
    keyed by the function's file hash, ``target.fn``, d, the domain and the estimator's version, so a
    sweep's validation computes it and its jobs (joblib, SLURM workers) read it.
    """
    from nnapprox.targets import fourier
    from nnapprox.targets.fourier import CfEstimate

    half = dom.radius if dom.kind == "ball" else max(abs(dom.low), abs(dom.high))
    key = json.dumps([_ESTIMATOR, files_sha256([fourier.__file__]), uf.sha256, uf.spec, int(d), dom.kind, float(half)])
    return _estimate(key, uf, d, half, CfEstimate)


_MEMO: dict = {}


def _estimate(key, uf, d, half, cls):
    from nnapprox.base.io import WriteError, write_json_atomic
    from nnapprox.targets.fourier import estimate_cf_checked

    if key in _MEMO:
        return _MEMO[key]
    path = _cache_dir() / f"{hashlib.sha256(key.encode()).hexdigest()[:32]}.json"
    est = None
    try:
        saved = json.loads(path.read_text())
        if saved.get("key") == key:
            est = cls(
                saved["value"],
                math.nan if saved["rel_error"] is None else saved["rel_error"],
                saved["method"],
                int(saved["bytes"]),
            )
            log.info("%s: C_f estimate read from the cache %s", uf.name, path)
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        est = None
    if est is None:
        est = estimate_cf_checked(
            lambda X: uf(X, purpose="the FFT grid of the C_f estimate", finite=False, copy=False, log_size=False),
            d,
            radius=half,
            name=uf.name,
        )
        err = est.rel_error if math.isfinite(est.rel_error) else None
        try:
            write_json_atomic(
                path, {"key": key, "value": est.value, "rel_error": err, "method": est.method, "bytes": est.bytes}
            )
        except (WriteError, OSError) as e:  # a cache: computing again is the fallback
            log.debug("C_f cache not written (%s)", e)
    _MEMO[key] = est
    return est


def _given_c_f(c_f, uf, values):
    value = float(c_f)
    if not (value >= 0 and not math.isnan(value)):
        _fail(f"target.c_f={c_f!r} is invalid: a Barron constant is >= 0 (inf: outside the class)")
    value = value if math.isinf(value) else finite("c_f", value, nonnegative=True)
    spread = float(np.max(values) - np.min(values))
    if value == 0 and spread > 1e-12 * max(1.0, float(np.max(np.abs(values)))):
        _fail(
            f"target.c_f={c_f!r} is invalid for {uf.name}: only a constant function has C_f = 0, and this one takes "
            f"values in [{np.min(values):.4g}, {np.max(values):.4g}] on a probe of its domain; allowed: its C_f "
            f"(> 0), inf (outside the Barron class), or unset (estimated for d <= 3)"
        )
    return value


def python_target(d=1, fn=None, c_f=None, radius=1.0, domain="ball", fn_sha256=None):
    """A target from a user function (see the module notes).

    Parameters
    ----------
    d : int >= 1
    fn : str
        ``module:function`` or ``path/to/file.py:function``.
    c_f : float >= 0 or ``inf``, optional
        The Barron constant if known (0 only for a constant; None: estimated for d ≤ 3, else unknown).
    radius : float > 0;  domain : {"ball", "cube"}
    fn_sha256 : str, optional
        The module file's hash recorded with a run; when given it must match the file now.
    """

    d = int_at_least("d", d, 1)
    if fn is None:
        _fail("target=python needs target.fn=module:function (or path/to/file.py:function)")
    dom = symmetric_domain(domain, radius)
    uf = load_user_function(fn)
    if fn_sha256 is not None and fn_sha256 != uf.sha256:
        _fail(
            f"{uf.name} has changed since the run (file sha256 {uf.sha256[:12]}…, the run used "
            f"{str(fn_sha256)[:12]}…): the recorded results are not this function's"
        )
    X = sample_domain(dom, PROBE_POINTS, d, np.random.default_rng(0))
    try:
        probe = uf.probe(X)
    except UserCodeError as e:
        msg = str(e)
        _fail(f"{msg} (is target.d={d} right?)" if " raised " in msg and "read-only" not in msg else msg)
    nbytes = 0
    if c_f is not None:
        value = _given_c_f(c_f, uf, probe)
        info = {"c_f_method": "given", "c_f_error": 0.0}
    else:
        est = estimate_cached(uf, d, dom)
        value, nbytes = est.value, est.bytes
        info = {"c_f_method": est.method, "c_f_error": est.rel_error}

    def values(X):
        return uf(X)

    params = dict(d=d, fn=fn, c_f=c_f, radius=radius, domain=domain, fn_sha256=uf.sha256)
    info.update({"files": list(uf.files), "c_f_bytes": nbytes})
    return make_target("python", d, dom, value, "user", params, values, info)


def table_target(path=None, label="y", columns=None, sha256=None, d=None):
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
    d : int, optional
        When given, it must be the number of feature columns (recorded either way).
    """
    table = read_table(path, label=label, columns=columns)
    if sha256 is not None and sha256 != table.sha256:
        _fail(
            f"target.path={path!r} has changed since the run (sha256 {table.sha256[:12]}…, the run used "
            f"{str(sha256)[:12]}…): the recorded results are not this table's"
        )
    X, y = table.X, table.y
    if d is not None and d != X.shape[1]:
        _fail(f"d={d!r} is invalid: the table has {X.shape[1]} feature column(s) ({', '.join(table.columns)})")
    radius = float(np.max(np.linalg.norm(X, axis=1))) or 1.0

    def values(X_):
        raise ValueError(f"target=table ({path}) has values only at its rows; it cannot be evaluated elsewhere")

    params = dict(path=str(path), label=label, columns=list(table.columns), sha256=table.sha256, d=X.shape[1])
    info = {
        "X": X,
        "y": y,
        "rows": table.rows,
        "c_f_method": "unknown: a table has no Barron constant",
        "files": [os.path.abspath(str(path))],
    }
    return make_target("table", X.shape[1], Domain("ball", radius=radius), None, "table", params, values, info)


class InputChanged(ValueError):
    """A user file (function module, table) changed between the validation and the job; one line."""


def check_unchanged(target) -> None:
    """Refuse a run whose user file (the function's module, the table) changed after its target was built.

    Raises
    ------
    InputChanged
        One line naming the file, its hash now and the one the target was built from.
    """
    if target.kind == "user":
        key, recorded, what = "target.fn", target.params.get("fn_sha256"), target.params.get("fn")
    elif target.kind == "table":
        key, recorded, what = "target.path", target.params.get("sha256"), target.params.get("path")
    else:
        return
    files = target.info.get("files") or []
    if not files or recorded is None:
        return
    try:
        now = files_sha256(files)
    except OSError as e:
        raise InputChanged(
            f"{key}={what!r}: {getattr(e, 'filename', None) or files[0]} cannot be read any more "
            f"({e.strerror or e}) since the run was validated"
        ) from None
    if now != recorded:
        raise InputChanged(
            f"{key}={what!r} ({', '.join(files)}) changed since the run was validated (sha256 now "
            f"{now[:12]}…, validated {recorded[:12]}…): this job would use what its record does not "
            f"describe; rerun the sweep (new folders for the new version)"
        )


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
        _fail(
            f"data.N + data.N_test = {N + N_test} exceeds the {rows} rows of target.path="
            f"{target.params['path']!r}; allowed: at most {rows}"
        )
    ss = seed if isinstance(seed, np.random.SeedSequence) else np.random.SeedSequence(seed)
    perm = np.random.default_rng(ss).permutation(rows)
    tr, te = perm[:N], perm[N : N + N_test]
    y_test = y[te].copy()
    var_f = float(np.var(y_test)) if N_test > 1 else 0.0
    return Dataset(
        X=X[tr].copy(), y=y[tr].copy(), X_test=X[te].copy(), y_test=y_test, noise=0.0, var_f=var_f, y_clean=y[tr].copy()
    )
