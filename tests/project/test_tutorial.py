"""docs/tutorial.md runs: its Python blocks in order in one namespace, its shell lines, in a fresh folder."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import ROOT

TUTORIAL = ROOT / "docs" / "tutorial.md"
FENCE = re.compile(r"^```(\w+)\n(.*?)^```", re.S | re.M)


def blocks(text):
    """(language, code) of every fenced block, in order."""
    return [(m.group(1), m.group(2)) for m in FENCE.finditer(text)]


def test_the_tutorial_has_its_parts():
    langs = [lang for lang, _ in blocks(TUTORIAL.read_text())]
    assert langs.count("python") >= 6 and langs.count("bash") >= 2
    assert (ROOT / "docs" / "figures" / "tutorial_my_bump__n.png").exists()  # the figure it shows


@pytest.mark.slow
def test_the_tutorial_runs(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    env = dict(
        os.environ,
        MPLBACKEND="Agg",
        HYDRA_FULL_ERROR="0",
        PATH=str(Path(sys.executable).parent) + os.pathsep + os.environ.get("PATH", ""),
    )
    namespace = {"__name__": "tutorial"}
    for i, (lang, code) in enumerate(blocks(TUTORIAL.read_text())):
        first = code.splitlines()[0] if code.strip() else ""
        if lang == "python" and first.startswith("# file: "):
            (tmp_path / first[len("# file: ") :].strip()).write_text(code)
        elif lang == "python":
            exec(compile(code, f"{TUTORIAL.name} block {i}", "exec"), namespace)
        elif lang == "bash":
            for line in code.splitlines():
                if line.strip() and not line.lstrip().startswith("#"):
                    proc = subprocess.run(
                        line, shell=True, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=900
                    )
                    assert proc.returncode == 0, f"block {i}: {line}\n{proc.stderr[-3000:]}"
    assert (tmp_path / "runs" / "my_bump" / "figures" / "my_bump__n.png").exists()
