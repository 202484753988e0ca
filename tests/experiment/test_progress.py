"""Sweep progress lines (nnapprox.experiment.progress), on a fake clock: no sleeps, no timing."""

import os

from nnapprox.experiment.progress import SweepProgress, format_duration, progress_line


def _finish(folder, at):
    """Write ``folder/record.json`` with modification time ``at``."""
    folder.mkdir(exist_ok=True)
    (folder / "record.json").write_text("[]")
    os.utime(folder / "record.json", (at, at))


def test_progress_lines_count_jobs_as_their_records_appear(tmp_path):
    now = [1000.0]
    _finish(tmp_path / "a", 500.0)  # finished before the sweep (resume)
    (tmp_path / "b").mkdir()
    _finish(tmp_path / "c", 10.0)  # a stale record of an earlier sweep: not done by this one
    lines = []
    # the watcher's own thread would look once an hour: every look below is an explicit poll()
    with SweepProgress(tmp_path, ["a", "b", "c"], {"a"}, interval=3600, emit=lines.append, clock=lambda: now[0]) as p:
        assert p.poll() == 0 and lines == []
        now[0] = 1010.0
        _finish(tmp_path / "b", 1010.0)
        assert p.poll() == 1 and p.poll() == 0  # one line per finished job, once
        assert lines == ["sweep progress: 2/3 jobs done (1 of 2 run so far), elapsed 10s, ETA 10s"]
        now[0] = 1030.0
        _finish(tmp_path / "c", 1030.0)
    # the last job, finished since the last look, is seen on leaving
    assert lines[-1] == "sweep progress: 3/3 jobs done (2 of 2 run so far), elapsed 30s, all done"
    assert len(lines) == 2 and p.finished == {"b", "c"}


def test_a_sweep_with_nothing_to_run_starts_no_watcher(tmp_path):
    _finish(tmp_path / "a", 500.0)
    lines = []
    with SweepProgress(tmp_path, ["a"], {"a"}, emit=lines.append, clock=lambda: 1000.0) as p:
        assert p._thread is None
    assert lines == []


def test_durations_and_lines_read_as_written():
    assert format_duration(75) == "1m15s" and format_duration(4000) == "1h06m" and format_duration(8.4) == "8s"
    assert format_duration(-3) == "0s"
    assert progress_line(1, 4, 1, 4, 10.0).endswith("elapsed 10s, ETA 30s")
    assert progress_line(0, 4, 0, 4, 5.0).endswith("ETA unknown")
