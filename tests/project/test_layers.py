"""The architecture, checked: import layers (import-linter), no private cross-module imports, small files, a
package list that matches the folders, validation rules of low complexity."""

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import tomllib
from helpers import ROOT

CODE = [p for d in ("nnapprox", "hydra_plugins", "tools") for p in (ROOT / d).rglob("*.py")]


def test_the_import_contract_holds():
    exe = Path(sys.executable).parent / "lint-imports"
    if not exe.exists() and shutil.which("lint-imports") is None:
        pytest.skip("import-linter is not installed (pip install -e '.[test]')")
    proc = subprocess.run(
        [str(exe) if exe.exists() else "lint-imports"], cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    assert "2 kept, 0 broken" in proc.stdout


def test_no_module_imports_a_private_name_of_another():
    pattern = re.compile(r"^\s*from\s+([\w.]+)\s+import\s+\(?([^)\n]*)", re.M)
    bad = []
    for path in CODE:
        for m in pattern.finditer(path.read_text()):
            names = [n.strip().split(" as ")[0] for n in m.group(2).split(",")]
            bad += [
                f"{path.relative_to(ROOT)}: from {m.group(1)} import {n}"
                for n in names
                if n.startswith("_") and not n.startswith("__")
            ]
    assert not bad, "\n".join(bad)


def test_no_file_is_longer_than_750_lines():
    long = {str(p.relative_to(ROOT)): n for p in CODE if (n := len(p.read_text().splitlines())) > 750}
    assert not long


def test_every_package_is_listed_for_the_wheel():
    listed = set(tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    found = {".".join(p.parent.relative_to(ROOT).parts) for p in (ROOT / "nnapprox").rglob("__init__.py")}
    found |= {".".join(p.parent.relative_to(ROOT).parts) for p in (ROOT / "hydra_plugins").rglob("__init__.py")}
    assert found - {"nnapprox.conf"} <= listed and "nnapprox.conf" in listed


def test_validation_rules_are_simple():
    radon = pytest.importorskip("radon.complexity")
    from nnapprox.experiment import rules, schema, validation

    for module in (rules, validation, schema):
        blocks = radon.cc_visit(Path(module.__file__).read_text())
        worst = {b.name: b.complexity for b in blocks if b.complexity > 15}
        assert not worst, f"{module.__name__}: {worst}"
