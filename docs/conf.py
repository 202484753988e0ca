"""Sphinx configuration of the API reference (``make docs``: sphinx-build -W, warnings as errors).

The pages ``docs/api/<layer>.rst`` are written here at every build, one per layer of the import contract in
``pyproject.toml`` (lowest first), each with every module of that folder: a new module or layer is in the
reference without editing anything. The Markdown guides beside this file (tutorial, architecture, records,
...) are read on GitHub and are not part of this build.
"""

import os
import re
import sys
import warnings

# numpydoc reads the raw docstrings too, where a trainer's "Options" section is not one of its names; the
# rendered page gets it as "Other Parameters" (_process_docstring below).
warnings.filterwarnings("ignore", message="Unknown section Options", category=UserWarning)

sys.path.insert(0, os.path.abspath(".."))
os.environ.setdefault("MPLBACKEND", "Agg")

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))


def _layers() -> list[str]:
    """The layers of the import contract, lowest first (``[[tool.importlinter.contracts]]`` of type layers)."""
    text = open(os.path.join(ROOT, "pyproject.toml"), encoding="utf-8").read()
    block = re.search(r'type = "layers"\s*layers = \[(.*?)\]', text, re.S)
    return [name.split(".")[-1] for name in re.findall(r'"(nnapprox\.\w+)"', block.group(1))][::-1]


def write_api_pages(out: str) -> list[str]:
    """Write ``<out>/<layer>.rst`` for every layer and ``<out>/toc.inc``, their table of contents (included by
    ``index.rst``); returns the layers."""
    os.makedirs(out, exist_ok=True)
    layers = _layers()
    for layer in layers:
        folder = os.path.join(ROOT, "nnapprox", layer)
        mods = sorted(f[:-3] for f in os.listdir(folder) if f.endswith(".py") and f != "__init__.py")
        title = f"``nnapprox.{layer}``"
        lines = [title, "=" * len(title), "", f".. automodule:: nnapprox.{layer}", ""]
        for m in mods:
            head = f"``nnapprox.{layer}.{m}``"
            lines += [head, "-" * len(head), "", f".. automodule:: nnapprox.{layer}.{m}", ""]
        with open(os.path.join(out, f"{layer}.rst"), "w", encoding="utf-8") as fh:
            fh.write("\n".join(lines))
    toc = [".. toctree::", "   :maxdepth: 1", "   :caption: The layers, lowest first", ""]
    with open(os.path.join(out, "toc.inc"), "w", encoding="utf-8") as fh:
        fh.write("\n".join(toc + [f"   api/{layer}" for layer in layers]) + "\n")
    return layers


write_api_pages(os.path.join(os.path.dirname(os.path.abspath(__file__)), "api"))

project = "nnapprox"
author = "the nnapprox developers"
copyright = "2026, the nnapprox developers"

extensions = ["sphinx.ext.autodoc", "sphinx.ext.mathjax", "sphinx.ext.viewcode", "numpydoc"]
source_suffix = {".rst": "restructuredtext"}
root_doc = "index"
exclude_patterns = ["_build", "*.md", "figures"]

autodoc_default_options = {"members": True, "member-order": "bysource"}
autodoc_typehints = "none"  # the numpydoc Parameters sections say the types
numpydoc_show_class_members = False  # members are documented once, by autodoc
numpydoc_validation_checks: set[str] = set()  # the layout is checked by the build's warnings, not by a style list
numpydoc_xref_param_type = False

html_theme = "alabaster"
html_static_path: list[str] = []

autodoc_default_options["exclude-members"] = "schema_type"  # a type (list[int]), not a documented member

# -- two plain-text conventions of the docstrings, read as reST ------------------------------------------------
# 1. |x| is an absolute value or a norm, never a reST substitution: pipes outside ``literals`` are escaped.
# 2. Column-aligned glossaries, "``term``   what it is" with continuation lines under the description, become
#    definition lists.
_TERM = re.compile(r"^(\s*)(``[^`]+``|\S+)(\s{2,})(\S.*)$")
_BORDER = re.compile(r"^\s*=+( +=+)+\s*$")


def _escape_pipes(line: str, table: bool = False) -> str:
    """``line`` with its pipes outside literals escaped; in a simple table each escape takes a space of the gap
    after it, so that the columns stay aligned."""
    if line.lstrip().startswith(("|", "+")):  # a grid table or a line block
        return line
    out, literal, pending, i = [], False, 0, 0
    while i < len(line):
        if line.startswith("``", i):
            literal = not literal
            out.append("``")
            i += 2
            continue
        c = line[i]
        if c == "|" and not literal and (i == 0 or line[i - 1] != "\\"):
            out.append("\\|")
            pending += table
        elif c == " " and pending and line.startswith("  ", i):
            pending -= 1  # drop one space of a gap between columns
        else:
            out.append(c)
        i += 1
    return "".join(out)


def _escape_all(lines: list[str]) -> list[str]:
    out, table = [], False
    for k, line in enumerate(lines):
        if not line.strip():
            table = False
        elif _BORDER.match(line) and (k == 0 or not lines[k - 1].strip()):
            table = True  # a simple table: a paragraph that starts with a border
        out.append(_escape_pipes(line, table))
    return out


def _glossaries(lines: list[str]) -> list[str]:
    out, i, inside, table = [], 0, False, False
    while i < len(lines):
        if not lines[i].strip():
            table = False
        elif _BORDER.match(lines[i]) and (i == 0 or not lines[i - 1].strip()):
            table = True
        m = None if table else _TERM.match(lines[i])
        col = len(m.group(1)) + len(m.group(2)) + len(m.group(3)) if m and m.group(2).startswith("``") else None
        nxt = lines[i + 1] if i + 1 < len(lines) else ""
        glossary = col is not None and (
            inside or _TERM.match(nxt) or (len(nxt) - len(nxt.lstrip()) == col and nxt.strip())
        )
        if not glossary:
            inside = False
            out.append(lines[i])
            i += 1
            continue
        indent, inside = m.group(1), True
        out += [indent + m.group(2), indent + "    " + m.group(4)]
        i += 1
        while i < len(lines) and lines[i].strip() and len(lines[i]) - len(lines[i].lstrip()) == col:
            out.append(indent + "    " + lines[i].strip())
            i += 1
        if i < len(lines) and lines[i].strip() and not _TERM.match(lines[i]):
            out.append("")  # the list ends before the next paragraph
            inside = False
    return out


def _process_docstring(app, what, name, obj, options, lines):
    lines[:] = _glossaries(_escape_all(lines))
    for k in range(len(lines) - 1):  # a trainer's "Options" section: its keyword options, in numpydoc's terms
        if lines[k].strip() == "Options" and set(lines[k + 1].strip()) == {"-"}:
            lines[k], lines[k + 1] = lines[k].replace("Options", "Other Parameters"), lines[k + 1] + "-" * 9


def setup(app):
    app.connect("autodoc-process-docstring", _process_docstring, priority=100)  # before numpydoc reads sections
