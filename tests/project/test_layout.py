"""The tests mirror the package: one folder per layer, one helpers module, no copies of it."""

import re

from helpers import ROOT

TESTS = ROOT / "tests"
#: Folders that are not a layer of nnapprox: project-wide checks (layers, packaging, docs, tools).
EXTRA = {"project"}
#: Files allowed at the top of tests/ (none: every test file lives in a layer folder or in project/).
PENDING: set[str] = set()


def test_every_test_folder_is_a_layer_of_the_package():
    layers = {p.name for p in (ROOT / "nnapprox").iterdir() if (p / "__init__.py").exists()}
    folders = {p.name for p in TESTS.iterdir() if p.is_dir() and not p.name.startswith((".", "__"))}
    assert folders <= layers | EXTRA, sorted(folders - layers - EXTRA)
    assert not list(TESTS.rglob("__init__.py")), "test folders have no __init__.py (pytest --import-mode=importlib)"


def test_no_new_test_file_at_the_top():
    top = {p.name for p in TESTS.glob("test_*.py")}
    assert top <= PENDING, sorted(top - PENDING)


def test_the_helpers_are_imported_never_copied():
    copies = []
    for path in sorted(TESTS.rglob("*.py")):
        if path.name == "helpers.py":
            continue
        text = path.read_text()
        for pattern in (
            r"^def (nnrun|records_under|run_cli|plain_config|run_study)\(",
            r"^ROOT = ",
            r"^\s*from conftest import",
            r"^\s*import conftest",
        ):
            copies += [f"{path.relative_to(ROOT)}: {m.group(0).strip()}" for m in re.finditer(pattern, text, re.M)]
    assert not copies, copies
