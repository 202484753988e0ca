"""Atomic file writes: a temporary file in the same folder, then a rename over the target.

A reader (or a sweep resumed after a kill) sees either the old file or the new one, never a
half-written one; a failed write leaves no temporary file behind.
"""
from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

__all__ = ["write_text_atomic", "write_json_atomic"]


def write_text_atomic(path, text: str, fsync: bool = False) -> Path:
    """Write ``text`` (UTF-8, ``\\n`` line ends) to ``path`` atomically; create parent folders."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            fh.write(text)
            if fsync:
                fh.flush()
                os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def write_json_atomic(path, obj, default=None) -> Path:
    """Write ``obj`` as JSON (no NaN/inf allowed) atomically, fsynced."""
    return write_text_atomic(path, json.dumps(obj, indent=1, allow_nan=False, default=default), fsync=True)
