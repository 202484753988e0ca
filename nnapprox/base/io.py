"""Atomic file writes: a temporary file in the same folder, then a rename over the target.

A reader (or a sweep resumed after a kill) sees either the old file or the new one, never a
half-written one; a failed write leaves no temporary file behind. Files get the permissions the
process's umask gives a new file (``0o666 & ~umask``), as ``open()`` would, not the 0600 of a
bare ``mkstemp``: on a shared cluster the group can read the results.

Temporary files are named ``.<name>.<host>.<pid>.<random>.tmp``. :func:`remove_stale_temps`
removes only those whose writer is gone (same host, process no longer alive): a live writer's
file is never touched. Every failure to write is raised as :class:`WriteError`, whose message is
one line naming the path and the reason.
"""

from __future__ import annotations

import json
import os
import socket
import tempfile
from pathlib import Path

__all__ = [
    "write_text_atomic",
    "write_json_atomic",
    "write_bytes_atomic",
    "remove_stale_temps",
    "WriteError",
    "file_mode",
]

_HOST = socket.gethostname().replace(".", "_") or "host"


class WriteError(OSError):
    """A file could not be written; ``str()`` is one line naming the path."""


def file_mode() -> int:
    """Permissions of a new file under the current umask (``0o666 & ~umask``)."""
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


def _prefix(path: Path) -> str:
    return f".{path.name}.{_HOST}.{os.getpid()}."


def _write(path, data: bytes, fsync: bool) -> Path:
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=_prefix(path), suffix=".tmp", dir=path.parent)
    except OSError as e:
        raise WriteError(f"cannot write {path}: {e.strerror or e}") from None
    try:
        with os.fdopen(fd, "wb") as fh:
            os.fchmod(fh.fileno(), file_mode())
            fh.write(data)
            if fsync:
                fh.flush()
                os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException as e:
        Path(tmp).unlink(missing_ok=True)
        if isinstance(e, OSError):
            raise WriteError(f"cannot write {path}: {e.strerror or e}") from None
        raise
    return path


def write_text_atomic(path, text: str, fsync: bool = False) -> Path:
    """Write ``text`` (UTF-8, ``\\n`` line ends) to ``path`` atomically; create parent folders."""
    return _write(path, text.encode("utf-8"), fsync)


def write_bytes_atomic(path, data: bytes, fsync: bool = True) -> Path:
    """Write ``data`` to ``path`` atomically (fsynced); create parent folders."""
    return _write(path, data, fsync)


def write_json_atomic(path, obj, default=None) -> Path:
    """Write ``obj`` as JSON (no NaN/inf allowed) atomically, fsynced."""
    return write_text_atomic(path, json.dumps(obj, indent=1, allow_nan=False, default=default), fsync=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def remove_stale_temps(folder) -> int:
    """Remove temporary files left by writers that died (same host, process gone); return how many.

    Files of live writers, of other hosts (a shared filesystem) and of unknown names are kept.
    """
    removed = 0
    for tmp in Path(folder).glob(".*.tmp"):
        parts = tmp.name.split(".")
        # "", name..., host, pid, random, "tmp"
        if len(parts) < 5 or parts[-4] != _HOST or not parts[-3].isdigit():
            continue
        pid = int(parts[-3])
        if pid != os.getpid() and not _alive(pid):
            tmp.unlink(missing_ok=True)
            removed += 1
    return removed
