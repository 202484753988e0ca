"""The documentation holds together: the README stays a front page, every relative link resolves, the
studies page and the Makefile list the same studies as conf/experiment, and the API reference's docstring
reading (docs/conf.py) keeps tables aligned and literals untouched."""

import importlib.util
import re

import pytest
from helpers import ROOT

PAGES = [ROOT / "README.md", ROOT / "CONTRIBUTING.md", *sorted((ROOT / "docs").glob("*.md"))]
LINK = re.compile(r"\]\(([^)\s]+)\)")
NUMBERS = {
    10: "ten",
    11: "eleven",
    12: "twelve",
    13: "thirteen",
    14: "fourteen",
    15: "fifteen",
    16: "sixteen",
    17: "seventeen",
    18: "eighteen",
    19: "nineteen",
    20: "twenty",
}


def studies() -> set[str]:
    """The studies: the grids in conf/experiment but the demo and the smoke test."""
    return {p.stem for p in (ROOT / "conf" / "experiment").glob("*.yaml")} - {"demo", "smoke"}


def test_the_readme_is_a_front_page():
    lines = (ROOT / "README.md").read_text().splitlines()
    assert len(lines) <= 200, len(lines)
    text = "\n".join(lines)
    for must in (
        "make demo",
        "make test",
        "from nnapprox import MLP, fit",
        "nnapprox-run",
        "## Findings",
        "CONTRIBUTING.md",
        "docs/architecture.md",
    ):
        assert must in text, must


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_every_relative_link_resolves(page):
    missing = []
    for target in LINK.findall(page.read_text()):
        if re.match(r"[a-z]+:", target) or target.startswith("#"):
            continue
        path = target.split("#")[0]
        if not (page.parent / path).exists():
            missing.append(target)
    assert not missing, f"{page.name}: {missing}"


def test_the_studies_page_the_makefile_and_the_readme_agree_with_conf():
    names = studies()
    page = (ROOT / "docs" / "studies.md").read_text()
    listed = set(re.findall(r"^\| \[(\w+)\]\(\.\./experiments/\w+/README\.md\)", page, re.M))
    assert listed == names, listed ^ names
    make = (ROOT / "Makefile").read_text()
    in_make = set(make.split("STUDIES ?=")[1].split("JOBS ?=")[0].replace("\\", " ").split())
    assert in_make == names, in_make ^ names
    for name in names:
        assert (ROOT / "experiments" / name / "README.md").exists(), name
    word = NUMBERS[len(names)]
    for doc in ("README.md", "docs/studies.md"):
        text = (ROOT / doc).read_text().lower()
        assert word in text, (doc, word)
        wrong = [w for n, w in NUMBERS.items() if n != len(names) and re.search(rf"\b{w} studies", text)]
        assert not wrong, (doc, wrong)


@pytest.fixture(scope="module")
def sphinx_conf():
    spec = importlib.util.spec_from_file_location("docs_conf", ROOT / "docs" / "conf.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)  # writes docs/api/ (ignored by git), as a build does
    return mod


def test_docstring_pipes_are_escaped_outside_literals_and_tables_stay_aligned(sphinx_conf):
    esc = sphinx_conf._escape_all
    assert esc(["the norm |x| of ``|x|``"]) == [r"the norm \|x\| of ``|x|``"]
    table = [
        "=====  ==========  ===",
        "name   C_f         d",
        "=====  ==========  ===",
        "a      |w| / 4     1",
        "=====  ==========  ===",
    ]
    out = esc(table)
    assert out[3] == r"a      \|w\| / 4   1"
    assert out[3].rindex("1") == table[3].rindex("1") == table[0].rindex("=") - 2  # the last column's start
    assert esc(["| a line block |"]) == ["| a line block |"]


def test_column_glossaries_become_definition_lists(sphinx_conf):
    lines = [
        "``record.json``  the records,",
        "                 one per replica",
        "``data.npz``     the data",
        "",
        "Next paragraph.",
    ]
    assert sphinx_conf._glossaries(lines) == [
        "``record.json``",
        "    the records,",
        "    one per replica",
        "``data.npz``",
        "    the data",
        "",
        "Next paragraph.",
    ]
    plain = ["A sentence with ``code``  and two spaces.", "And another line."]
    assert sphinx_conf._glossaries(plain) == plain


def test_the_api_pages_cover_every_module(sphinx_conf, tmp_path):
    layers = sphinx_conf.write_api_pages(str(tmp_path))
    folders = sorted(p.parent.name for p in (ROOT / "nnapprox").glob("*/__init__.py") if p.parent.name != "conf")
    assert sorted(layers) == folders
    for layer in layers:
        page = (tmp_path / f"{layer}.rst").read_text()
        for mod in (ROOT / "nnapprox" / layer).glob("*.py"):
            if mod.stem != "__init__":
                assert f".. automodule:: nnapprox.{layer}.{mod.stem}" in page, mod


FENCE = re.compile(r"^```(\w+)\n(.*?)^```", re.S | re.M)


@pytest.mark.slow
def test_the_readme_python_blocks_run_as_written(tmp_path, monkeypatch):
    """The README's Python API screen, in order in one namespace, in a fresh folder (the sweep writes there)."""
    monkeypatch.chdir(tmp_path)
    blocks = [code for lang, code in FENCE.findall((ROOT / "README.md").read_text()) if lang == "python"]
    assert len(blocks) == 2
    namespace = {"__name__": "readme"}
    for i, code in enumerate(blocks):
        exec(compile(code, f"README.md python block {i}", "exec"), namespace)
    assert namespace["history"].status == "ok" and namespace["history"].final_loss < 1e-3
    runs = namespace["runs"]
    assert sorted(runs["model.width"].unique()) == [8, 16] and set(runs["status"]) == {"ok"}
    assert (tmp_path / "results" / "runs" / "mine").is_dir()
