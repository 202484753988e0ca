"""Helpers shared by the study scripts ``experiments/<study>/run.py``.

A study script reads the sweep's ``runs.csv``, adds its own figures and CSV files to the report
directory and inserts one Markdown section into ``REPORT.md``. The section sits between two HTML
comment markers, so running the script again replaces it instead of appending a copy
(:func:`replace_section`), and regenerating the generic report (``nnapprox-report``) followed by
the script gives the same file as before.

Nothing here imports pyplot: figures are :class:`matplotlib.figure.Figure` objects saved with
:func:`save_figure`, in the style of :mod:`nnapprox.report.plots` (:data:`RC`).
"""
from __future__ import annotations

import argparse
import math
import re
from pathlib import Path

import numpy as np
import pandas as pd

from ..io import write_text_atomic
from .collect import write_runs_csv
from .plots import RC

__all__ = [
    "RC",
    "fmt_num",
    "group_stats",
    "load_runs",
    "markdown_table",
    "minmax_yerr",
    "replace_section",
    "save_figure",
    "section_markers",
    "study_parser",
    "write_csv",
]

#: The generic report's closing sections; a new study section is inserted before the first.
TRAILING_HEADINGS = ("## How to read this report", "## Provenance")


def _slug(title):
    slug = re.sub(r"[^a-z0-9]+", "-", str(title).lower()).strip("-")
    if not slug:
        raise ValueError(f"title={title!r} must contain at least one letter or digit")
    return slug


def section_markers(title):
    """The begin and end comment lines that delimit the section called ``title``.

    Parameters
    ----------
    title : str
        Section heading; its lower-case alphanumeric slug names the markers.

    Returns
    -------
    tuple of str
        ``("<!-- nnapprox-section: slug -->", "<!-- /nnapprox-section: slug -->")``.

    Raises
    ------
    ValueError
        If ``title`` has no letter or digit.
    """
    slug = _slug(title)
    return f"<!-- nnapprox-section: {slug} -->", f"<!-- /nnapprox-section: {slug} -->"


def replace_section(report_md_path, title, markdown, *, level=2):
    """Insert or replace the marked section ``title`` in a Markdown file, idempotently.

    The section is written as::

        <!-- nnapprox-section: <slug> -->
        ## <title>

        <markdown>
        <!-- /nnapprox-section: <slug> -->

    If the markers are already in the file, everything between them (inclusive) is replaced;
    otherwise the section goes before the generic report's closing sections ("How to read this
    report", "Provenance") or, without those, at the end. A missing file is created. Calling the
    function twice with the same arguments leaves the file as after the first call.

    Parameters
    ----------
    report_md_path : str or Path
        The Markdown file (usually ``<results>/REPORT.md``).
    title : str
        Section heading (also names the markers).
    markdown : str
        Body of the section, without the heading.
    level : int
        Heading level, 1 to 6.

    Returns
    -------
    Path
        The written file.

    Raises
    ------
    ValueError
        If ``level`` is outside 1..6, ``title`` has no letter or digit or spans several lines,
        or the file holds the begin marker without a matching end marker (or several copies).
    """
    if not (isinstance(level, int) and 1 <= level <= 6):
        raise ValueError(f"level={level!r} must be an integer in 1..6")
    if "\n" in str(title):
        raise ValueError(f"title={title!r} must be a single line")
    path = Path(report_md_path)
    begin, end = section_markers(title)
    block = "\n".join([begin, f"{'#' * level} {title}", "", str(markdown).strip("\n"), end])
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    n_begin, n_end = text.count(begin), text.count(end)
    if n_begin != n_end or n_begin > 1:
        raise ValueError(f"{path}: found {n_begin} begin and {n_end} end markers of section "
                         f"{title!r}; expected one of each or none (fix the file by hand)")
    if n_begin == 1:
        i, j = text.index(begin), text.index(end) + len(end)
        if j < i:
            raise ValueError(f"{path}: the end marker of section {title!r} precedes its begin")
        new = text[:i] + block + text[j:]
    else:
        cut = min((m.start() for h in TRAILING_HEADINGS
                   for m in [re.search(r"(?m)^" + re.escape(h) + r"\s*$", text)] if m),
                  default=None)
        if cut is None:
            head = text.rstrip("\n")
            new = (head + "\n\n" if head else "") + block + "\n"
        else:
            head = text[:cut].rstrip("\n")
            new = (head + "\n\n" if head else "") + block + "\n\n" + text[cut:]
    return write_text_atomic(path, new)


def fmt_num(value, digits=3):
    """Compact text for a table cell.

    Parameters
    ----------
    value : object
        Numbers get ``digits`` significant digits (integers and integral floats below 1e6 are
        written plainly); NaN and None give ``-``; other objects use ``str``.
    digits : int
        Significant digits.

    Returns
    -------
    str
    """
    if value is None:
        return "-"
    if isinstance(value, (bool, np.bool_)):
        return "yes" if value else "no"
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, (float, np.floating)):
        v = float(value)
        if math.isnan(v):
            return "-"
        if math.isinf(v):
            return "inf" if v > 0 else "-inf"
        if v == int(v) and abs(v) < 1e6:
            return str(int(v))
        return f"{v:.{digits}g}"
    return str(value)


def markdown_table(df, *, digits=3, formats=None, index=False):
    """A GitHub Markdown table of a DataFrame.

    Parameters
    ----------
    df : pandas.DataFrame
    digits : int
        Significant digits of numeric cells (see :func:`fmt_num`).
    formats : dict, optional
        Column -> callable(value) -> str, overriding :func:`fmt_num` for that column.
    index : bool
        Include the index as the first column.

    Returns
    -------
    str
        Header, separator and one line per row; ``|`` in cells is escaped.

    Raises
    ------
    ValueError
        If ``df`` is not a DataFrame or ``formats`` names a missing column.
    """
    if not isinstance(df, pd.DataFrame):
        raise ValueError(f"df must be a pandas DataFrame, got {type(df).__name__}")
    formats = dict(formats or {})
    missing = [c for c in formats if c not in df.columns]
    if missing:
        raise ValueError(f"formats names columns {missing} that are not in the table; "
                         f"columns: {list(df.columns)}")
    if index:
        df = df.reset_index()

    def cell(text):
        return str(text).replace("|", "\\|").replace("\n", " ")

    cols = list(df.columns)
    lines = ["| " + " | ".join(cell(c) for c in cols) + " |",
             "|" + "|".join("---" for _ in cols) + "|"]
    for row in df.itertuples(index=False, name=None):
        cells = [formats[c](v) if c in formats else fmt_num(v, digits) for c, v in zip(cols, row)]
        lines.append("| " + " | ".join(cell(c) for c in cells) + " |")
    return "\n".join(lines)


def study_parser(study, description):
    """Command-line parser shared by the study scripts: ``--results DIR``.

    Parameters
    ----------
    study : str
        Study name; the default results directory is ``results/<study>``.
    description : str
        First line of ``--help``.

    Returns
    -------
    argparse.ArgumentParser
    """
    parser = argparse.ArgumentParser(prog=f"experiments/{study}/run.py", description=description)
    parser.add_argument("--results", type=Path, default=Path("results") / study,
                        help=f"report directory of the sweep (default: results/{study}); "
                             f"figures go to DIR/figures, the section into DIR/REPORT.md")
    return parser


def load_runs(results_dir, required=(), *, study=None, ok_only=True):
    """Read ``<results_dir>/runs.csv`` and check that it holds what a study needs.

    Parameters
    ----------
    results_dir : str or Path
        Report directory of a sweep.
    required : sequence of str
        Columns that must be present.
    study : str, optional
        Name used in the error message (the sweep command to run).
    ok_only : bool
        Keep only rows with ``status == "ok"`` (when the column exists).

    Returns
    -------
    pandas.DataFrame

    Raises
    ------
    ValueError
        If the file is missing, empty or lacks a required column.
    """
    path = Path(results_dir) / "runs.csv"
    hint = (f"; run the sweep first: nnapprox-run -m experiment={study} hydra/launcher=joblib "
            f"report_dir={results_dir}" if study else "")
    if not path.is_file():
        raise ValueError(f"{path} does not exist{hint}")
    try:
        df = pd.read_csv(path)
    except pd.errors.EmptyDataError:
        raise ValueError(f"{path} is empty{hint}") from None
    missing = [c for c in required if c not in df.columns]
    if missing:
        raise ValueError(f"{path} lacks the columns {missing}; columns: {list(df.columns)}")
    if ok_only and "status" in df.columns:
        df = df[df["status"].astype(str) == "ok"].reset_index(drop=True)
    if df.empty:
        raise ValueError(f"{path} has no usable (status ok) rows{hint}")
    return df


def group_stats(df, by, col):
    """Mean, standard error, min, max and count of ``col`` per group, sorted by ``by``.

    Parameters
    ----------
    df : pandas.DataFrame
    by : sequence of str
        Grouping columns.
    col : str
        Numeric column; NaN values are ignored.

    Returns
    -------
    pandas.DataFrame
        Columns ``by + ["mean", "se", "min", "max", "count"]``; ``se`` is ``std(ddof=1) /
        sqrt(count)`` (NaN for a single value).

    Raises
    ------
    ValueError
        If a column is missing.
    """
    by = [by] if isinstance(by, str) else list(by)
    missing = [c for c in by + [col] if c not in df.columns]
    if missing:
        raise ValueError(f"columns {missing} are not in the data; columns: {list(df.columns)}")
    vals = df[by].copy()
    vals["_v"] = pd.to_numeric(df[col], errors="coerce")
    g = vals.dropna(subset=["_v"]).groupby(by, sort=True)["_v"]
    out = g.agg(mean="mean", std="std", min="min", max="max", count="count").reset_index()
    out["se"] = out["std"] / np.sqrt(out["count"])
    return out[by + ["mean", "se", "min", "max", "count"]]


def minmax_yerr(mean, low, high):
    """Error-bar lengths ``(2, k)`` from a mean to its min and max, clipped at 0.

    Rounding can put a mean of equal values a hair outside [min, max]; matplotlib rejects the
    resulting negative lengths.

    Parameters
    ----------
    mean, low, high : array_like, shape (k,)

    Returns
    -------
    numpy.ndarray, shape (2, k)
    """
    mean, low, high = (np.asarray(a, dtype=float) for a in (mean, low, high))
    return np.clip(np.vstack([mean - low, high - mean]), 0.0, None)


def write_csv(df, path):
    """Write a DataFrame to CSV atomically (see :func:`nnapprox.report.write_runs_csv`).

    Parameters
    ----------
    df : pandas.DataFrame
    path : str or Path

    Returns
    -------
    Path
    """
    return write_runs_csv(df, path)


def save_figure(fig, path):
    """Save ``fig`` (PNG at the report's resolution), creating the folder.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
    path : str or Path

    Returns
    -------
    Path
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=RC["savefig.dpi"])
    return path
