"""Markdown tables and number formatting for reports (one implementation for every report)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

__all__ = ["fmt_num", "md_table", "markdown_table"]


def fmt_num(value, digits: int = 3) -> str:
    """Compact text for a table cell.

    Numbers get ``digits`` significant digits (integers and integral floats below 1e6 are
    written plainly); NaN and None give ``-``; booleans ``yes``/``no``; other objects ``str``.
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


def _cell(text) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def md_table(rows, headers) -> str:
    """A Markdown table from row lists (cells converted with :func:`fmt_num`)."""
    lines = ["| " + " | ".join(_cell(h) for h in headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    lines += ["| " + " | ".join(_cell(c if isinstance(c, str) else fmt_num(c)) for c in r) + " |" for r in rows]
    return "\n".join(lines)


def markdown_table(df, *, digits: int = 3, formats=None, index: bool = False) -> str:
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
        raise ValueError(f"formats names columns {missing} that are not in the table; columns: {list(df.columns)}")
    if index:
        df = df.reset_index()
    cols = list(df.columns)
    rows = [
        [formats[c](v) if c in formats else fmt_num(v, digits) for c, v in zip(cols, row, strict=True)]
        for row in df.itertuples(index=False, name=None)
    ]
    return md_table(rows, cols)
