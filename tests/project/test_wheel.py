"""A package that installs (issue 23): the wheel holds the code, the YAML presets and the sweeper plug-in; installed
(not editable) into a fresh venv, ``nnapprox-run`` and ``nnapprox-report`` run a smoke sweep from an empty folder;
every third-party module the package imports is a declared dependency."""

import ast
import os
import re
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest
import tomllib
from helpers import ROOT

#: Import names of the declared distributions (where they differ from the distribution's name).
IMPORT_NAMES = {"hydra-core": "hydra", "pyyaml": "yaml", "scikit-learn": "sklearn"}
#: Imported only for objects the caller brings (never installed by nnapprox).
OPTIONAL = {"cupy"}  # engine.activations.array_module: the namespace of a CuPy array passed in


def _declared(extra: str | None = None) -> set[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    reqs = project["dependencies"] + (project["optional-dependencies"][extra] if extra else [])
    names = {re.split(r"[<>=!~ \[;]", r, maxsplit=1)[0].strip().lower() for r in reqs}
    return {IMPORT_NAMES.get(n, n.replace("-", "_")) for n in names}


def _imported(folder: Path) -> set[str]:
    """Top-level names of every module imported anywhere in ``folder`` (inside functions too)."""
    out = set()
    for path in folder.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                out |= {a.name.split(".")[0] for a in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                out.add(node.module.split(".")[0])
    return out


def _third_party(names: set[str]) -> set[str]:
    return {n for n in names if n not in sys.stdlib_module_names and n not in ("nnapprox", "hydra_plugins", "tools")}


def test_every_imported_third_party_module_is_declared():
    shipped = _third_party(_imported(ROOT / "nnapprox") | _imported(ROOT / "hydra_plugins")) - OPTIONAL
    assert shipped <= _declared(), sorted(shipped - _declared())
    tools = _third_party(_imported(ROOT / "tools"))
    assert tools <= _declared("bench"), sorted(tools - _declared("bench"))


def _run(args, **kw):
    proc = subprocess.run(args, capture_output=True, text=True, timeout=600, **kw)
    assert proc.returncode == 0, f"{args}\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    return proc


@pytest.mark.slow  # builds a wheel and a fresh venv (about 16 s): make test runs it, make test-fast does not
def test_the_wheel_installs_into_a_fresh_venv_and_runs_a_sweep_and_its_report(tmp_path):
    # 1. the wheel (build's own setuptools; no network)
    _run([sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(tmp_path / "dist"), str(ROOT)])
    (wheel,) = (tmp_path / "dist").glob("nnapprox-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert "nnapprox/conf/config.yaml" in names and "nnapprox/conf/experiment/smoke.yaml" in names
    assert "nnapprox/py.typed" in names  # PEP 561: the annotations are for users too
    assert "hydra_plugins/nnapprox_sweeper/sweeper.py" in names and not any(n.startswith("tools/") for n in names)
    # 2. a fresh venv; pip installs the wheel itself (not editable). Its dependencies come from this venv's
    #    site-packages through a path file (no download): a plain path, so this venv's editable checkout stays out.
    venv = tmp_path / "venv"
    _run([sys.executable, "-m", "venv", str(venv)])
    py = venv / "bin" / "python"
    site = Path(_run([str(py), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"]).stdout.strip())
    (site / "_deps_of_the_test.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    _run([str(py), "-m", "pip", "install", "--no-deps", "--no-index", "-q", str(wheel)])
    # 3. from an empty folder: the smoke sweep (its report at the sweep's end), then nnapprox-report by hand
    work = tmp_path / "empty"
    work.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env.update(MPLBACKEND="Agg", HYDRA_FULL_ERROR="0")
    where = _run(
        [
            str(py),
            "-c",
            "import nnapprox, hydra_plugins.nnapprox_sweeper as s; print(nnapprox.__file__); print(s.__file__)",
        ],
        cwd=work,
        env=env,
    ).stdout.split()
    assert all(str(site) in w for w in where), where  # the installed wheel, not the checkout
    _run([str(venv / "bin" / "nnapprox-run"), "-m", "experiment=smoke", "out_root=runs"], cwd=work, env=env)
    records = list((work / "runs" / "smoke").glob("*/record.json"))
    assert len(records) == 4 and (work / "runs" / "smoke" / "REPORT.md").exists()
    _run([str(venv / "bin" / "nnapprox-report"), "runs/smoke", "--out", "report"], cwd=work, env=env)
    assert (work / "report" / "REPORT.md").exists() and (work / "report" / "runs.csv").exists()
    listed = _run([str(venv / "bin" / "nnapprox-run"), "--list"], cwd=work, env=env).stdout
    assert "trainer.max_steps" in listed and "lbfgs_path" in listed
