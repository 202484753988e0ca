"""Find and load run records into one tidy DataFrame, and describe what a sweep varied.

A sweep directory holds job directories at any depth, each with a ``record.json`` (a JSON list of
flat dicts, see ``docs/records.md``). :func:`collect_records` turns them into one row per record,
columns ordered config, metrics, provenance, rows sorted by the swept variables then seed/replica,
so that ``runs.csv`` is identical for identical inputs.

:func:`swept_variables` then reads the design back from the data: which config values vary, which
of them are numeric scaling axes (fits, log-log plots) and which are categories (one line each).
"""

from __future__ import annotations

import json
import math
import warnings
from dataclasses import dataclass, field
from numbers import Number
from pathlib import Path

import numpy as np
import pandas as pd

from nnapprox.base.io import write_text_atomic
from nnapprox.experiment.records import (
    CONFIG_TOP_LEVEL,
    PROVENANCE_KEYS,
    RECORD_FILE,
    REPLICATION_KEYS,
    column_kind,
)

#: Keys naming the study a record belongs to.
STUDY_KEYS = ("study",)
#: Preferred order of the metric columns; other metrics follow alphabetically.
METRIC_ORDER = (
    "status",
    "n",
    "n_params",
    "test_mse",
    "test_mse_se",
    "rel_mse",
    "var_f",
    "sup_err",
    "train_mse",
    "c_f",
    "radius",
    "bound",
    "bound_ratio",
)
#: Metrics that describe the evaluated model and may be swept (greedy paths sweep ``n``).
MODEL_METRICS = ("n", "n_params")
#: Scaling axes in order of preference; ``n`` wins over its alias ``model.width``.
AXIS_PRIORITY = ("n", "data.N", "model.depth", "model.width", "target.d", "n_params")
#: Architecture columns that ``n_params`` summarises (dropped from the hue when it is the axis).
ARCHITECTURE = ("n", "model.width", "model.depth")
#: Minimum number of distinct positive values for a numeric variable to be a scaling axis.
MIN_AXIS_VALUES = 3

__all__ = [
    "collect_records",
    "find_record_files",
    "find_missing_jobs",
    "column_kind",
    "write_runs_csv",
    "swept_variables",
    "status_counts",
    "iter_groups",
    "varying_columns",
]


def order_columns(columns):
    """Stable column order: config (alphabetical, seed/replica last), metrics, provenance.

    Parameters
    ----------
    columns : iterable of str

    Returns
    -------
    list of str
    """
    cols = list(dict.fromkeys(columns))
    config = sorted(c for c in cols if column_kind(c) == "config" and c not in CONFIG_TOP_LEVEL)
    config += [c for c in CONFIG_TOP_LEVEL if c in cols]
    metrics = [c for c in METRIC_ORDER if c in cols]
    metrics += sorted(c for c in cols if column_kind(c) == "metric" and c not in METRIC_ORDER)
    prov = [c for c in PROVENANCE_KEYS if c in cols]
    prov += sorted(c for c in cols if column_kind(c) == "provenance" and c not in PROVENANCE_KEYS)
    return config + metrics + prov


def find_record_files(sweep_dir):
    """All ``record.json`` files below ``sweep_dir``, at any depth, in sorted order.

    Parameters
    ----------
    sweep_dir : str or Path
        A sweep directory, a single job directory, or a ``record.json`` file.

    Returns
    -------
    list of Path

    Raises
    ------
    ValueError
        If ``sweep_dir`` does not exist.
    """
    root = Path(sweep_dir)
    if root.is_file():
        return [root]
    if not root.is_dir():
        raise ValueError(f"sweep_dir={str(sweep_dir)!r} is not an existing directory or file")
    return sorted(root.rglob(RECORD_FILE), key=lambda p: p.as_posix())


def find_missing_jobs(sweep_dir, only=None):
    """Job folders (holding Hydra's ``.hydra/``) without a ``record.json``: killed or never finished.

    Parameters
    ----------
    sweep_dir : str or Path

    Returns
    -------
    list of str
        Folder paths relative to ``sweep_dir``, sorted.
    """
    root = Path(sweep_dir)
    if not root.is_dir():
        return []
    if only is not None:
        return sorted(j for j in only if not (root / j / RECORD_FILE).exists())
    out = []
    for hyd in root.rglob(".hydra"):
        job = hyd.parent
        if hyd.is_dir() and not (job / RECORD_FILE).exists() and job != root:
            out.append(job.relative_to(root).as_posix())
    return sorted(out)


def load_record_file(path):
    """Read one ``record.json``: a JSON list of flat dicts (a single dict is accepted too).

    Non-scalar values (lists, dicts) are stored as JSON text so that every cell is hashable.

    Parameters
    ----------
    path : str or Path

    Returns
    -------
    list of dict

    Raises
    ------
    ValueError
        If the file is not valid JSON or holds something other than dicts.
    """
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise ValueError(f"path={str(path)!r} is not a readable JSON record file: {err}") from err
    if isinstance(data, dict):
        data = [data]
    if not isinstance(data, list) or not all(isinstance(r, dict) for r in data):
        raise ValueError(f"path={str(path)!r} must hold a JSON list of flat dicts")
    out = []
    for rec in data:
        flat = {}
        for key, value in rec.items():
            if isinstance(value, (list, dict)):
                value = json.dumps(value, sort_keys=True)
            flat[str(key)] = value
        out.append(flat)
    return out


def _is_number(v):
    return isinstance(v, Number) and not isinstance(v, bool)


def _is_missing(v):
    return v is None or (isinstance(v, float) and math.isnan(v))


def _coerce(series):
    """Numeric dtype when every non-missing value is a number; object/str otherwise."""
    values = [v for v in series if not _is_missing(v)]
    if not values:
        return pd.Series(np.nan, index=series.index, dtype=float)
    if all(_is_number(v) for v in values):
        return pd.to_numeric(series.astype(object).where(series.notna(), np.nan), errors="coerce")
    return series


def sort_key(value):
    """Total order on mixed cells: numbers, then text, then missing values.

    Parameters
    ----------
    value : object

    Returns
    -------
    tuple
    """
    if _is_missing(value):
        return (2, 0.0, "")
    if _is_number(value):
        return (0, float(value), "")
    return (1, 0.0, str(value))


def sort_records(df, by):
    """Sort rows by the columns ``by`` with :func:`sort_key` (mixed types allowed), stably.

    Parameters
    ----------
    df : pandas.DataFrame
    by : list of str
        Columns to sort by, most significant first; absent columns are ignored.

    Returns
    -------
    pandas.DataFrame
        Sorted copy with a fresh ``RangeIndex``.
    """
    by = [c for c in by if c in df.columns]
    if not by or df.empty:
        return df.reset_index(drop=True)
    cols = [df[c].tolist() for c in by]
    order = sorted(range(len(df)), key=lambda i: tuple(sort_key(col[i]) for col in cols))
    return df.iloc[order].reset_index(drop=True)


def collect_records(sweep_dir, only=None):
    """Collect every record below ``sweep_dir`` into one tidy DataFrame.

    One row per record. Columns: config (alphabetical, then ``seed``, ``replicas``, ``replica``,
    ``seed_effective``), metrics (``status`` first), provenance. Rows are sorted by study
    (``experiment``), the varying config columns and ``n``, then ``seed``/``replica``, then
    ``run_dir``. Unreadable files are
    skipped with a warning and listed in ``df.attrs["skipped_files"]``; ``df.attrs["n_files"]``
    counts the files read. A missing ``status`` is taken as ``"ok"``; a missing ``run_dir`` is
    filled with the job directory relative to ``sweep_dir``.

    Parameters
    ----------
    sweep_dir : str or Path
        Sweep directory (job directories at any depth), a job directory or a record file.
    only : sequence of str, optional
        Job folders (relative to ``sweep_dir``) to collect, e.g. a sweep manifest's; the others
        are counted in ``df.attrs["ignored_jobs"]``.

    Returns
    -------
    pandas.DataFrame
        Empty (no columns) when no record was found.

    Raises
    ------
    ValueError
        If ``sweep_dir`` does not exist.
    """
    root = Path(sweep_dir)
    files = find_record_files(root)
    if root.is_file():
        root = root.parent.parent
    ignored = 0
    if only is not None:
        keep = {str(j) for j in only}
        ignored = sum(1 for p in files if p.parent.relative_to(root).as_posix() not in keep)
        files = [p for p in files if p.parent.relative_to(root).as_posix() in keep]
    rows, skipped = [], []
    for path in files:
        try:
            recs = load_record_file(path)
        except ValueError as err:
            warnings.warn(f"skipping {path}: {err}", stacklevel=2)
            skipped.append(str(path))
            continue
        rel = path.parent.relative_to(root).as_posix()
        for rec in recs:
            rec["run_dir"] = rel or "."  # relative to the sweep folder, wherever the sweep ran
            rows.append(rec)
    if not rows:
        df = pd.DataFrame()
    else:
        df = pd.DataFrame.from_records(rows)
        df = df[order_columns(df.columns)]
        for col in df.columns:
            df[col] = _coerce(df[col])
        if "status" not in df.columns:
            n_config = sum(column_kind(c) == "config" for c in df.columns)
            df.insert(n_config, "status", "ok")
        df["status"] = df["status"].astype(object).where(df["status"].notna(), "ok").astype(str)
        by = [*STUDY_KEYS, *varying_columns(df), *REPLICATION_KEYS, "run_dir"]
        df = sort_records(df, by)
    df.attrs["skipped_files"] = skipped
    df.attrs["n_files"] = len(files) - len(skipped)
    df.attrs["missing_jobs"] = find_missing_jobs(root, only)
    df.attrs["ignored_jobs"] = ignored
    return df


def write_runs_csv(df, path):
    """Write the tidy records to CSV atomically (temporary file, then rename).

    Parameters
    ----------
    df : pandas.DataFrame
        Output of :func:`collect_records`.
    path : str or Path
        Target file; parent directories are created.

    Returns
    -------
    Path
        The written file.

    Raises
    ------
    ValueError
        If ``df`` is not a DataFrame.
    """
    if not isinstance(df, pd.DataFrame):
        raise ValueError(f"df must be a pandas DataFrame, got {type(df).__name__}")
    return write_text_atomic(path, df.to_csv(index=False, float_format=None, lineterminator="\n"))


def _distinct(series):
    """Distinct non-missing values of a column, sorted with :func:`sort_key`."""
    vals = {v for v in series.tolist() if not _is_missing(v)}
    return sorted(vals, key=sort_key)


def varying_columns(df):
    """Config columns (and the model metrics ``n``, ``n_params``) with more than one value.

    Replication keys (``seed``, ``replica``, ``seed_effective``) are not design variables and are
    left out. Missing values do not count as a value.

    Parameters
    ----------
    df : pandas.DataFrame

    Returns
    -------
    list of str
        In column order.
    """
    out = []
    for col in df.columns:
        if col in REPLICATION_KEYS:
            continue
        if column_kind(col) == "config" or col in MODEL_METRICS:
            if len(_distinct(df[col])) > 1:
                out.append(col)
    return out


def _is_axis_candidate(series):
    vals = _distinct(series)
    return len(vals) >= MIN_AXIS_VALUES and all(_is_number(v) for v in vals) and all(v > 0 for v in vals)


def _are_aliases(df, a, b):
    """True when ``a`` and ``b`` determine each other on the rows where both are present."""
    both = df[[a, b]].dropna()
    if both.empty:
        return False
    return bool((both.groupby(a)[b].nunique() <= 1).all() and (both.groupby(b)[a].nunique() <= 1).all())


def _determines(df, a, b):
    """True when the value of ``a`` fixes the value of ``b`` (``b`` is a function of ``a``)."""
    both = df[[a, b]].dropna()
    return bool(not both.empty and (both.groupby(a)[b].nunique() <= 1).all())


def _axis_rank(col):
    return (AXIS_PRIORITY.index(col), col) if col in AXIS_PRIORITY else (len(AXIS_PRIORITY), col)


@dataclass
class SweptVariables:
    """What a set of records varied.

    Attributes
    ----------
    axes : list of str
        Numeric variables with at least :data:`MIN_AXIS_VALUES` distinct positive values, one per
        alias class (``n`` rather than ``model.width`` when both vary together).
    categorical : list of str
        The other varying variables (text, or numeric with few values): one line per value.
    aliases : dict of str to list of str
        Axis -> the varying columns it was chosen over because they move in lockstep with it.
    values : dict of str to list
        Distinct values of every varying column.
    """

    axes: list = field(default_factory=list)
    categorical: list = field(default_factory=list)
    aliases: dict = field(default_factory=dict)
    values: dict = field(default_factory=dict)

    def hue_for(self, axis):
        """Categorical grouping to draw one line per value when ``axis`` is on the x axis.

        Parameters
        ----------
        axis : str
            One of :attr:`axes`.

        Returns
        -------
        list of str
            The other varying variables (other axes included), without ``n_params`` and, when
            the axis is ``n_params``, without the width columns it summarises (the depth stays: one
            line per depth, never one slope pooled over architectures of different depth).

        Raises
        ------
        ValueError
            If ``axis`` is not one of :attr:`axes`.
        """
        if axis not in self.axes:
            raise ValueError(f"axis={axis!r} is not a scaling axis of this sweep; axes: {self.axes}")
        drop = {axis, "n_params", *self.aliases.get(axis, [])}
        if axis == "n_params":
            widths = [a for a in ARCHITECTURE if a != "model.depth"]
            drop |= set(widths)
            for a in widths:
                drop |= set(self.aliases.get(a, []))
        ordered = [c for c in self.values if c in self.categorical or c in self.axes]
        return [c for c in ordered if c not in drop]

    def groups(self):
        """Variables defining the groups of the status and bound tables (no scaling axis)."""
        skip = set(self.axes) | {a for al in self.aliases.values() for a in al} | set(MODEL_METRICS)
        return [c for c in self.values if c in self.categorical and c not in skip]


def swept_variables(df):
    """Read the design of a sweep back from its records.

    Parameters
    ----------
    df : pandas.DataFrame
        Records (typically one study) from :func:`collect_records`.

    Returns
    -------
    SweptVariables
    """
    varying = varying_columns(df)
    values = {c: _distinct(df[c]) for c in varying}
    candidates = sorted((c for c in varying if _is_axis_candidate(df[c])), key=_axis_rank)
    axes, aliases = [], {}
    one_depth = "model.depth" not in varying
    for col in candidates:
        owner = next((a for a in axes if _are_aliases(df, a, col)), None)
        if owner is None and col == "n_params" and one_depth and "n" in axes:
            owner = "n"  # one hidden layer: the parameter count is a function of n and d, no axis of its own
        if owner is None:
            axes.append(col)
            aliases[col] = []
        else:
            aliases[owner].append(col)
    aliased = {a for al in aliases.values() for a in al}
    # A categorical column that is a coarser function of an axis (a path's largest width set per
    # range of N by the sweep's grids) only cuts that axis into ranges: it is folded into the axis.
    # Among categorical columns, one that is a function of another (trainer.record_widths beside
    # trainer.name, both set by the trainer preset) is folded into it: a column that is a function
    # of a kept one adds no group, only a longer label; ``*.name`` columns are kept first.
    categorical = []
    for col in sorted(
        (c for c in varying if c not in axes and c not in aliased),
        key=lambda c: (not c.endswith(".name"), varying.index(c)),
    ):
        axis = next((a for a in axes if df[a].nunique() > df[col].nunique() and _determines(df, a, col)), None)
        if axis is not None:
            aliases[axis].append(col)
            continue
        owner = next((k for k in categorical if _determines(df, k, col)), None)
        if owner is None:
            categorical.append(col)
        else:
            aliases.setdefault(owner, []).append(col)
    categorical.sort(key=varying.index)
    return SweptVariables(axes=axes, categorical=categorical, aliases=aliases, values=values)


def short_name(col, others=()):
    """Short label of a column: ``target.name`` -> ``target``, ``model.depth`` -> ``depth``.

    Parameters
    ----------
    col : str
    others : iterable of str
        Columns shown together with ``col``; the full name is kept when the short one collides.

    Returns
    -------
    str
    """

    def short(c):
        parts = c.split(".")
        if len(parts) == 1:
            return c
        return parts[-2] if parts[-1] == "name" else parts[-1]

    s = short(col)
    if any(short(o) == s for o in others if o != col):
        return col
    return s


def format_value(value):
    """Compact text for a cell: ``64``, ``0.001``, ``relu``, ``-`` for missing.

    Parameters
    ----------
    value : object

    Returns
    -------
    str
    """
    if _is_missing(value):
        return "-"
    if isinstance(value, (bool, np.bool_)):
        return str(bool(value))
    if _is_number(value):
        v = float(value)
        if math.isfinite(v) and v == int(v) and abs(v) < 1e5:
            return str(int(v))
        return f"{v:.4g}"
    return str(value)


def group_label(keys, hue):
    """Legend/table label of one group: ``"target=gaussian, d=2"``; ``"all"`` without hue.

    Parameters
    ----------
    keys : tuple
        Values of the ``hue`` columns for the group.
    hue : sequence of str

    Returns
    -------
    str
    """
    if not hue:
        return "all"
    return ", ".join(f"{short_name(h, hue)}={format_value(k)}" for h, k in zip(hue, keys, strict=True))


def iter_groups(df, hue):
    """Yield ``(label, keys, rows)`` for each combination of ``hue`` values, in sorted order.

    Missing values form their own group. Without ``hue`` there is one group labelled ``"all"``.

    Parameters
    ----------
    df : pandas.DataFrame
    hue : sequence of str
        Columns of ``df``.

    Yields
    ------
    tuple of (str, tuple, pandas.DataFrame)

    Raises
    ------
    ValueError
        If a ``hue`` column is missing.
    """
    hue = list(hue or [])
    missing = [h for h in hue if h not in df.columns]
    if missing:
        raise ValueError(f"hue={hue!r}: columns {missing} are not in the data; columns: {list(df.columns)}")
    if not hue:
        yield "all", (), df
        return
    keys = [tuple(r) for r in df[hue].astype(object).itertuples(index=False, name=None)]
    norm = [tuple(None if _is_missing(v) else v for v in k) for k in keys]
    uniq = sorted(set(norm), key=lambda k: tuple(sort_key(v) for v in k))
    for key in uniq:
        mask = np.fromiter((k == key for k in norm), dtype=bool, count=len(norm))
        yield group_label(key, hue), key, df[mask]


STATUS_COLUMNS = ("group", "total", "ok", "diverged", "failed", "other", "missing_metric")


def status_counts(df, by=(), metric="test_mse"):
    """Count runs per group: total, ok, diverged, failed, other status, ok but metric missing.

    Parameters
    ----------
    df : pandas.DataFrame
        Records with a ``status`` column (missing statuses count as ok).
    by : sequence of str
        Grouping columns; empty for one row ``"all"``.
    metric : str
        An ``ok`` record whose ``metric`` is missing or not finite counts in ``missing_metric``.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`STATUS_COLUMNS`, one row per group plus a ``"total"`` row when there are
        several groups.
    """
    rows = []
    for label, _, g in iter_groups(df, list(by)):
        status = g["status"].astype(str) if "status" in g.columns else pd.Series("ok", index=g.index)
        ok = status == "ok"
        if metric in g.columns:
            vals = pd.to_numeric(g[metric], errors="coerce").to_numpy(dtype=float)
            bad = ok.to_numpy() & ~np.isfinite(vals)
        else:
            bad = ok.to_numpy()
        rows.append(
            {
                "group": label,
                "total": len(g),
                "ok": int(ok.sum() - bad.sum()),
                "diverged": int((status == "diverged").sum()),
                "failed": int((status == "failed").sum()),
                "other": int((~status.isin(["ok", "diverged", "failed"])).sum()),
                "missing_metric": int(bad.sum()),
            }
        )
    out = pd.DataFrame(rows, columns=list(STATUS_COLUMNS))
    if len(out) > 1:
        total = out.drop(columns="group").sum()
        out.loc[len(out)] = {"group": "total", **{k: int(v) for k, v in total.items()}}
    return out
