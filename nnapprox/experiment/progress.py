"""Progress of a sweep: ``k/K jobs done, elapsed, ETA`` lines while the launcher runs.

The sweeper (the launching process) starts a :class:`SweepProgress` beside ``launcher.launch``.
It watches the job folders of the sweep's manifest: a job is done once its ``record.json``
(status ok or failed) is newer than the sweep's start, or was finished before it (resume).
Because it reads only the files the jobs write, it works the same for every launcher: the basic
one (jobs in this process), joblib (worker processes) and SLURM (jobs on other machines; the
launching process waits for them).
"""

from __future__ import annotations

import logging
import threading
import time
from pathlib import Path

from nnapprox.experiment.records import RECORD_FILE

__all__ = ["SweepProgress", "format_duration", "progress_line"]

log = logging.getLogger("nnapprox.sweep")


def format_duration(seconds: float) -> str:
    """``75`` -> ``"1m15s"``, ``4000`` -> ``"1h06m"``, ``8.4`` -> ``"8s"``."""
    s = max(0, int(round(seconds)))
    if s < 60:
        return f"{s}s"
    if s < 3600:
        return f"{s // 60}m{s % 60:02d}s"
    return f"{s // 3600}h{(s % 3600) // 60:02d}m"


def progress_line(done: int, total: int, ran: int, to_run: int, elapsed: float) -> str:
    """``"sweep progress: 7/12 jobs done (5 of 10 run so far), elapsed 1m15s, ETA 1m15s"``.

    Parameters
    ----------
    done, total : int
        Jobs done (including those finished before the sweep started) and jobs in the sweep.
    ran, to_run : int
        Jobs finished by this sweep so far, and jobs this sweep had to run.
    elapsed : float
        Seconds since the sweep's jobs started.
    """
    eta = "ETA unknown" if ran == 0 else f"ETA {format_duration(elapsed / ran * (to_run - ran))}"
    if ran >= to_run:
        eta = "all done"
    return (
        f"sweep progress: {done}/{total} jobs done ({ran} of {to_run} run so far), "
        f"elapsed {format_duration(elapsed)}, {eta}"
    )


class SweepProgress:
    """Log ``k/K done, elapsed, ETA`` each time a job of the sweep finishes.

    Parameters
    ----------
    sweep_dir : path
        The sweep folder.
    job_dirs : list of str
        The manifest's job folders (relative to ``sweep_dir``).
    already_done : set of str
        Folders whose jobs were finished before the sweep (skipped by resume).
    interval : float
        Seconds between looks at the folders.
    emit : callable, optional
        Receives each line (default: the ``nnapprox.sweep`` logger at INFO).
    clock : callable, optional
        Seconds since the epoch, the time base of record files' mtimes (default :func:`time.time`; tests
        pass a fake one and call :meth:`poll` themselves).
    """

    def __init__(self, sweep_dir, job_dirs, already_done=(), interval: float = 1.0, emit=None, clock=time.time):
        self.sweep_dir = Path(sweep_dir)
        self.job_dirs = list(job_dirs)
        self.already = set(already_done) & set(self.job_dirs)
        self.pending = [d for d in self.job_dirs if d not in self.already]
        self.interval = float(interval)
        self.emit = emit or log.info
        self.clock = clock
        self.start = clock()
        self.finished: set[str] = set()
        self._stop = threading.Event()
        self._thread = None

    def _newly_finished(self) -> list:
        new = []
        for d in self.pending:
            if d in self.finished:
                continue
            try:
                if (self.sweep_dir / d / RECORD_FILE).stat().st_mtime >= self.start - 1.0:
                    new.append(d)
            except OSError:
                pass
        return new

    def poll(self) -> int:
        """Look once; log a line per newly finished job; return how many finished."""
        new = self._newly_finished()
        for d in new:
            self.finished.add(d)
            self.emit(
                progress_line(
                    len(self.already) + len(self.finished),
                    len(self.job_dirs),
                    len(self.finished),
                    len(self.pending),
                    self.clock() - self.start,
                )
            )
        return len(new)

    def _run(self):
        while not self._stop.wait(self.interval):
            self.poll()

    def __enter__(self):
        self.start = self.clock()
        if self.pending:
            self._thread = threading.Thread(target=self._run, name="nnapprox-sweep-progress", daemon=True)
            self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        self.poll()  # the last jobs, finished since the last look
        return False
