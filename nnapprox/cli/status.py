"""The exit status of ``nnapprox-run``, read from what the jobs wrote (any launcher, no global state).

A sweep's jobs are the folders of its manifest (``sweep.json``); a single run is its own folder.
A job failed when its ``record.json`` is missing or says ``failed``.
"""

from __future__ import annotations

from pathlib import Path

from nnapprox.experiment.records import load_records, read_manifest

__all__ = ["failed_jobs"]


def failed_jobs(folder, *, sweep: bool) -> list[str]:
    """Names of the failed jobs of a sweep folder (``sweep=True``) or of one job folder."""
    folder = Path(folder)
    dirs = [folder / d for d in (read_manifest(folder) or [])] if sweep else [folder]
    failed = []
    for d in dirs:
        records = load_records(d)
        if not records or any(r.get("status") == "failed" for r in records):
            failed.append(d.name)
    return failed
