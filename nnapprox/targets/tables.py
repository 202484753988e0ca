"""The one strict reader of the user's CSV files (``target=table target.path=...``).

:func:`read_table` reads the file's bytes once: their SHA-256 is the table's identity and the same
bytes are parsed, so what a run records is what it read. It checks what the file must be, each
failure one line naming the file, the column and the row (:class:`TableError`):

* a readable file (not a directory), UTF-8 text, a header row and at least one data row;
* column names read from the header by this reader (pandas would rename a duplicate ``y`` to
  ``y.1``): present, unique, without surrounding blanks; every row as many fields as the header;
* the label and feature columns (``target.label``, ``target.columns``) among them, distinct;
* each of those columns numeric by pandas' own dtype tests (``is_numeric_dtype``; a text column,
  pandas 3's ``str`` dtype included, and True/False columns are refused, naming the first
  offending row and its value);
* every value finite, and representable: integers exactly in float64 (``|v| <= 2^53``), magnitudes
  whose squares stay finite (below ``1e150``).
"""

from __future__ import annotations

import csv
import hashlib
import io
import math
import os
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

__all__ = ["TableError", "Table", "read_table", "MIN_ROWS", "MAX_MAGNITUDE"]

#: Fewest data rows a table must have (train and test).
MIN_ROWS = 4
#: Largest magnitude accepted: a square (norms, the squared error) stays finite in float64.
MAX_MAGNITUDE = 1e150
_EXACT_INT = 2**53


class TableError(ValueError):
    """The user's table is not what a run can use; one line naming the file, the column and the row."""


@dataclass(frozen=True, eq=False)
class Table:
    """A table as read: features ``X`` (rows, d), labels ``y`` (rows,), the feature ``columns`` and the file's
    ``sha256``."""

    path: str
    X: np.ndarray
    y: np.ndarray
    columns: tuple
    label: str
    sha256: str

    @property
    def rows(self) -> int:
        return len(self.y)


def _where(i: int) -> str:
    return f"data row {i + 1} (line {i + 2})"


def _header(text: str, where: str) -> list[str]:
    first = text.split("\n", 1)[0].rstrip("\r")
    if not first.strip():
        raise TableError(f"{where}: the first line is empty; it must be the header row (the column names)")
    names = next(csv.reader([first]))
    out = []
    for k, raw in enumerate(names, start=1):
        name = raw.strip()
        if not name:
            raise TableError(f"{where}: column {k} of the header has no name; every column needs one")
        if name in out:
            raise TableError(
                f"{where}: the column name {name!r} appears twice in the header (columns "
                f"{out.index(name) + 1} and {k}); names must be unique"
            )
        out.append(name)
    return out


_NUMBER = re.compile(r"^\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*$")


def _representable(raw) -> bool:
    """A number (or its text) that float64 holds: an integer within +-2^53, else finite below :data:`MAX_MAGNITUDE`."""
    text = str(raw).strip()
    try:
        value = int(text) if re.fullmatch(r"[+-]?\d+", text) else float(text)
    except (ValueError, OverflowError):
        return False
    if isinstance(value, int):
        return abs(value) <= _EXACT_INT
    return math.isfinite(value) and abs(value) < MAX_MAGNITUDE


def _not_numeric(where: str, name: str, s) -> TableError:
    """Name the first row of a non-numeric column whose value is not a number."""
    import pandas as pd

    if pd.api.types.is_bool_dtype(s):
        return TableError(f"{where}: column {name!r} holds True/False, not numbers; allowed: numbers (write 1 and 0)")

    def missing(raw):
        return raw is None or raw is pd.NA or (isinstance(raw, float) and math.isnan(raw))

    for i, raw in enumerate(s):  # the first value that is not a number
        if missing(raw):
            continue
        if isinstance(raw, (bool, np.bool_)) or str(raw).strip().lower() in ("true", "false"):
            return TableError(
                f"{where}: column {name!r}: {_where(i)} holds {str(raw)!r}; True/False are not numbers (write 1 and 0)"
            )
        if not (isinstance(raw, (int, float, np.number)) or _NUMBER.match(str(raw))):
            return TableError(
                f"{where}: column {name!r} is not numeric: {_where(i)} holds {str(raw)!r}; allowed: "
                f"numbers with '.' as the decimal point (set target.columns to leave a column out)"
            )
    for i, raw in enumerate(s):  # every value looks like a number: pandas kept text for one it cannot hold
        if not missing(raw) and not _representable(raw):
            return TableError(
                f"{where}: column {name!r}: {_where(i)} holds {str(raw)!r}, which a 64-bit float cannot "
                f"hold exactly; allowed: integers within +-2^53, numbers below {MAX_MAGNITUDE:g} in "
                f"magnitude"
            )
    return TableError(f"{where}: column {name!r} is not numeric (dtype {s.dtype}); allowed: numbers")


def _check_values(where: str, name: str, s) -> np.ndarray:
    import pandas as pd

    if pd.api.types.is_bool_dtype(s) or not pd.api.types.is_numeric_dtype(s):
        raise _not_numeric(where, name, s)
    if pd.api.types.is_integer_dtype(s):
        ints = s.to_numpy()
        big = np.flatnonzero((ints > _EXACT_INT) | (ints < -_EXACT_INT))  # compared as integers, not rounded
        if len(big):
            i = int(big[0])
            raise TableError(
                f"{where}: column {name!r}: {_where(i)} holds {s.iloc[i]}, which a 64-bit float cannot "
                f"hold exactly; allowed: integers within +-2^53"
            )
    v = s.to_numpy(dtype=np.float64, na_value=np.nan)
    bad = ~np.isfinite(v) | (np.abs(v) >= MAX_MAGNITUDE)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        what = (
            "is empty (a missing value)"
            if np.isnan(v[i])
            else f"holds {v[i]:g}" + (" (a number beyond float64's range)" if np.isinf(v[i]) else "")
        )
        raise TableError(
            f"{where}: column {name!r}: {_where(i)} {what}; allowed: finite numbers below "
            f"{MAX_MAGNITUDE:g} in magnitude ({int(bad.sum())} such value(s) in the column)"
        )
    return v


def _selected(where: str, names: list[str], label, columns) -> list[str]:
    if label not in names:
        sep = next((c for c in ";\t|" if c in names[0]), None) if len(names) == 1 else None
        raise TableError(
            f"target.label={label!r} is not a column of {where}; its columns: {', '.join(names)}"
            + (f" (the file seems separated by {sep!r}; only ',' is read)" if sep else "")
        )
    if columns is None:
        cols = [c for c in names if c != label]
    else:
        cols = [c.strip() for c in columns.split(",")] if isinstance(columns, str) else [str(c) for c in columns]
        missing = [c for c in cols if c not in names]
        if missing:
            raise TableError(f"target.columns: {', '.join(missing)} not in {where}; its columns: {', '.join(names)}")
        dup = next((c for c in cols if cols.count(c) > 1), None)
        if dup is not None:
            raise TableError(f"target.columns names {dup!r} twice; each feature column once")
        if label in cols:
            raise TableError(f"target.columns includes the label column {label!r}")
    if not cols:
        raise TableError(f"{where} has no feature column besides the label {label!r}")
    return cols


_PARSED: dict = {}  # (sha256, where) -> (names, DataFrame), the last few files read


def _parse(data: bytes, sha: str, where: str):
    """(names, DataFrame with integer column labels) of a CSV file's bytes, parsed once per content."""
    key = (sha, where)
    if key not in _PARSED:
        if len(_PARSED) >= 8:
            _PARSED.pop(next(iter(_PARSED)))
        _PARSED[key] = _parse_bytes(data, where)
    return _PARSED[key]


def _parse_bytes(data: bytes, where: str):
    """(names, DataFrame with integer column labels) of a CSV file's bytes; every structural check."""
    import pandas as pd

    if not data.strip():
        raise TableError(f"{where} is empty; a table needs a header row and data rows")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise TableError(
            f"{where} is not UTF-8 text (byte {data[e.start]:#04x} at offset {e.start}); a table is a CSV text file"
        ) from None
    if "\x00" in text:
        raise TableError(f"{where} holds NUL bytes: it is not a CSV text file")
    text = text.rstrip() + "\n"  # trailing blank lines are not rows
    names = _header(text, where)
    body = text.split("\n", 1)[1] if "\n" in text else ""
    if not body.strip():
        raise TableError(f"{where} has a header but no data rows")
    try:
        df = pd.read_csv(io.StringIO(body), header=None, skip_blank_lines=False)
    except pd.errors.ParserError as e:
        detail = " ".join(str(e).split()).replace("C error: ", "")
        raise TableError(
            f"{where}: the rows do not all have the same number of fields ({detail}); the header has {len(names)}"
        ) from None
    except (ValueError, pd.errors.EmptyDataError) as e:
        raise TableError(f"{where}: cannot read it as CSV ({' '.join(str(e).split())})") from None
    if df.shape[1] != len(names):
        raise TableError(
            f"{where}: {_where(0)} has {df.shape[1]} fields but the header names {len(names)} columns; "
            f"every row needs one field per column"
        )
    return names, df


def read_table(path, label="y", columns=None) -> Table:
    """Read and check the user's CSV file (see the module notes).

    Parameters
    ----------
    path : str or Path
    label : str
        The label column.
    columns : list of str or str, optional
        Feature columns (a comma-separated string works); default every column but ``label``.

    Raises
    ------
    TableError
        One line naming the file, the column and the row.
    """
    if not path:
        raise TableError("target=table needs target.path=<file.csv>")
    where = f"target.path={str(path)!r}"
    p = Path(path)
    if p.is_dir():
        raise TableError(f"{where} is a directory; give the CSV file inside it")
    if not p.exists():
        raise TableError(f"{where}: no such file (relative paths start at the working directory {os.getcwd()})")
    try:
        data = p.read_bytes()
    except OSError as e:
        raise TableError(f"{where}: cannot read it ({e.strerror or e})") from None
    sha = hashlib.sha256(data).hexdigest()
    names, df = _parse(data, sha, where)
    cols = _selected(where, names, label, columns)
    index = {n: k for k, n in enumerate(names)}
    arr = np.column_stack([_check_values(where, c, df[index[c]]) for c in cols + [label]])
    if len(arr) < MIN_ROWS:
        raise TableError(f"{where} has {len(arr)} data rows; at least {MIN_ROWS} are needed (train and test)")
    X, y = arr[:, :-1].copy(), arr[:, -1].copy()
    X.flags.writeable = False
    y.flags.writeable = False
    return Table(path=str(path), X=X, y=y, columns=tuple(cols), label=label, sha256=sha)
