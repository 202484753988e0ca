"""nnapprox.base.io: atomic writes honour the umask; only dead writers' temporary files are removed."""

import os
import stat
import subprocess
import sys

from helpers import small_sin_cfg

from nnapprox.base.io import remove_stale_temps, write_text_atomic
from nnapprox.experiment.job import run_job


# files honour the umask
def test_files_honour_the_umask(tmp_path):
    old = os.umask(0o022)
    try:
        run_job(small_sin_cfg(trainer={"name": "lbfgs", "max_steps": 5}), tmp_path)
        write_text_atomic(tmp_path / "x.md", "x")
    finally:
        os.umask(old)
    for name in ("record.json", "history.csv", "params.npz", "x.md"):
        assert stat.S_IMODE((tmp_path / name).stat().st_mode) == 0o644, name


# temp files of other live writers are never removed; a dead writer's are
def test_only_dead_writers_temp_files_are_removed(tmp_path):
    from nnapprox.base.io import _HOST

    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    try:
        live = tmp_path / f".record.json.{_HOST}.{sleeper.pid}.abc123.tmp"
        gone = tmp_path / f".record.json.{_HOST}.{dead.pid}.def456.tmp"
        other = tmp_path / f".record.json.otherhost.{dead.pid}.ghi789.tmp"
        for p in (live, gone, other):
            p.write_text("partial")
        assert remove_stale_temps(tmp_path) == 1
        assert live.exists() and other.exists() and not gone.exists()
    finally:
        sleeper.kill()
