"""Sweep folders have one owner at a time, and every output path is checked before the first job.

A sweep (``nnapprox-run -m`` or :func:`nnapprox.sweep`) takes the lock of its folder
(:func:`hold`) before it writes its manifest and keeps it until its report is written
(:func:`release`, or the end of the process, whatever ends it: the lock is an ``flock`` on
``.nnapprox-sweep.lock``, which the system drops with the process). A second sweep into the same
folder meanwhile is refused in one line, before it makes a job folder, so one sweep's report
never covers another's jobs.

The jobs of a sweep are deduplicated by config hash (the sweeper's ``validate_all``, :func:`nnapprox.sweep`):
the same config reached by two grids, or spelled two ways, runs once and is counted once. Every folder the sweep
will write (the sweep folder, ``report_dir``) is created and probed with :func:`check_writable`
first; launcher options are checked by :func:`check_n_jobs`.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path

__all__ = ["LOCK_FILE", "check_writable", "hold", "release", "check_n_jobs"]

#: The lock file in a sweep folder (its content: the pid of the owner, for the message).
LOCK_FILE = ".nnapprox-sweep.lock"

_HELD: dict[str, object] = {}


def check_writable(folder, key: str = "out_root") -> str | None:
    """Create ``folder`` and a probe file in it; the one-line error naming ``key``, or None when writable."""
    from nnapprox.base.io import WriteError, write_text_atomic

    probe = Path(folder) / ".nnapprox-write-probe"
    try:
        write_text_atomic(probe, "ok\n")
        probe.unlink()
    except (WriteError, OSError) as e:
        return f"{key}={str(folder)!r}: the output folder is not writable ({e}); choose another {key}"
    return None


def hold(folder) -> None:
    """Take the lock of sweep folder ``folder`` for this process (again: no-op).

    Raises
    ------
    ValueError
        One line, when another process holds it (another sweep is writing there now).
    """
    folder = Path(folder)
    key = str(folder.resolve())
    if key in _HELD:
        return
    folder.mkdir(parents=True, exist_ok=True)
    fh = open(folder / LOCK_FILE, "a+")  # noqa: SIM115 - held open until release()
    try:
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        fh.seek(0)
        owner = fh.read().strip() or "?"
        fh.close()
        raise ValueError(
            f"sweep folder {str(folder)!r} is in use by another sweep (pid {owner}); wait until it "
            "ends or choose another out_root or study"
        ) from None
    fh.seek(0)
    fh.truncate()
    fh.write(f"{os.getpid()}\n")
    fh.flush()
    _HELD[key] = fh


def release(folder) -> None:
    """Drop this process's lock of ``folder`` (none held: no-op)."""
    fh = _HELD.pop(str(Path(folder).resolve()), None)
    if fh is not None:
        fcntl.flock(fh.fileno(), fcntl.LOCK_UN)
        fh.close()


def check_n_jobs(value, n_jobs_in_sweep: int, key: str = "hydra.launcher.n_jobs") -> int:
    """A launcher's worker count: an int >= 1 or -1 (every core), capped at the sweep's job count.

    Raises
    ------
    ValueError
        One line naming ``key``, the value and what is allowed.
    """
    if isinstance(value, bool) or not isinstance(value, int) or not (value == -1 or value >= 1):
        raise ValueError(f"{key}={value!r} is not allowed; allowed: an integer >= 1, or -1 (one worker per core)")
    cap = max(int(n_jobs_in_sweep), 1)
    return min(os.cpu_count() or 1, cap) if value == -1 else min(value, cap)
