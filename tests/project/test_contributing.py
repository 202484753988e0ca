"""CONTRIBUTING.md's recipes, followed literally on a copy of the package: they add a trainer, a target and a
study, and the commands they give run as written."""

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import ROOT

GUIDE = ROOT / "CONTRIBUTING.md"
FENCE = re.compile(r"^```(\w*)\n(.*?)^```", re.S | re.M)
FILE = re.compile(r"^(?:# file: |<!-- file: )(\S+?)(?: -->)?$")


def blocks(text):
    """(language, code) of every fenced block of the recipes, in order."""
    recipes = text[text.index("## Recipes") :]
    return [(m.group(1), m.group(2)) for m in FENCE.finditer(recipes)]


def apply_diff(root: Path, code: str):
    """Replace the block's old lines (context and ``-``) by its new lines (context and ``+``) in its file.

    The old lines are matched token by token, whatever the whitespace between the tokens, so that the recipe
    holds before and after ``ruff format`` lays the same code out differently."""
    lines = code.splitlines()
    assert lines[0].startswith("--- "), lines[0]
    path = root / lines[0][4:].strip()
    old = "\n".join(ln[1:] for ln in lines[1:] if ln[:1] in (" ", "-"))
    new = "\n".join(ln[1:] for ln in lines[1:] if ln[:1] in (" ", "+")).strip()
    pattern = re.compile(r"\s*".join(re.escape(t) for t in re.findall(r"\w+|[^\w\s]", old)))
    text = path.read_text()
    found = pattern.findall(text)
    assert len(found) == 1, f"{path.name}: the recipe's lines are found {len(found)} times, not once:\n{old}"
    path.write_text(pattern.sub(lambda m: new, text))


def follow(root: Path):
    """Write the files, apply the diffs; return the shell lines, in order."""
    commands = []
    for lang, code in blocks(GUIDE.read_text()):
        m = next((FILE.match(ln) for ln in code.splitlines()[:2] if FILE.match(ln)), None)
        if m:
            target = root / m.group(1)
            assert not target.exists(), f"the recipe would overwrite {m.group(1)}"
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(code)
        elif lang == "diff":
            apply_diff(root, code)
        elif lang == "bash":
            commands += [ln for ln in code.splitlines() if ln.strip() and not ln.lstrip().startswith("#")]
        else:
            raise AssertionError(f"a {lang or 'plain'} block in the recipes that the test cannot follow:\n{code}")
    return commands


def copy_tree(dst: Path) -> Path:
    """The package, its presets, the sweeper plug-in and the Makefile, as a checkout has them."""
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for name in ("nnapprox", "conf", "hydra_plugins"):
        shutil.copytree(ROOT / name, dst / name, ignore=ignore)
    (dst / "experiments").mkdir()
    shutil.copy(ROOT / "Makefile", dst / "Makefile")
    # the wheel (and the editable install) ship conf/ as nnapprox.conf; in the copy it is a link
    (dst / "nnapprox" / "conf").symlink_to(dst / "conf", target_is_directory=True)
    return dst


def test_the_recipes_apply_to_the_tree_and_compile(tmp_path):
    root = copy_tree(tmp_path / "copy")
    commands = follow(root)
    assert len(commands) == 3 and all(c.startswith("nnapprox-run ") for c in commands), commands
    for path in (
        "nnapprox/trainers/sign_descent.py",
        "nnapprox/targets/sine_ridge.py",
        "nnapprox/studies/sign_study.py",
        "nnapprox/trainers/__init__.py",
        "nnapprox/targets/builtin.py",
    ):
        compile((root / path).read_text(), path, "exec")
    assert "sign_study" in (root / "Makefile").read_text().split("STUDIES ?=")[1].split("JOBS")[0]


@pytest.mark.slow
def test_the_recipes_run_as_written(tmp_path):
    root = copy_tree(tmp_path / "copy")
    commands = follow(root)
    env = dict(
        os.environ,
        MPLBACKEND="Agg",
        HYDRA_FULL_ERROR="0",
        PYTHONPATH=str(root),
        PATH=str(Path(sys.executable).parent) + os.pathsep + os.environ.get("PATH", ""),
    )
    for line in commands:
        proc = subprocess.run(line, shell=True, cwd=root, env=env, capture_output=True, text=True, timeout=600)
        assert proc.returncode == 0, f"{line}\n{proc.stderr[-3000:]}"
    # the copy's code ran (not the checkout's): the new trainer and target have records, the study its report
    records = sorted((root / "results" / "runs").rglob("record.json"))
    text = "\n".join(p.read_text() for p in records)
    assert '"trainer.name": "sign_descent"' in text and '"target.name": "sine_ridge"' in text
    report = root / "results" / "runs" / "sign_study" / "REPORT.md"
    assert report.exists(), [str(p) for p in (root / "results" / "runs").iterdir()]
    assert "Sign descent against gradient descent" in report.read_text()
    assert (root / "results" / "runs" / "sign_study" / "sign_vs_gd.csv").exists()
    # and the copy's refusal works for the new trainer's option, before any job
    proc = subprocess.run(
        "nnapprox-run trainer=sign_descent trainer.lr=-1",
        shell=True,
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode != 0 and "trainer.lr" in proc.stderr
