"""tools/wrap_long_lines.py, which tools/lint_fix.sh runs after ruff format: it shortens lines without changing
the program."""

import ast

from tools.wrap_long_lines import wrap_source

WIDTH = 60


def _long(src: str) -> list[str]:
    return [ln for ln in src.splitlines() if len(ln) > WIDTH]


def test_a_long_string_in_brackets_becomes_adjacent_literals_with_the_same_value():
    src = 'print("' + "word " * 20 + 'end", sep="")\n'
    out = wrap_source(src, WIDTH)
    assert not _long(out) and ast.dump(ast.parse(out)) == ast.dump(ast.parse(src))


def test_an_fstring_is_never_cut_inside_a_replacement_field():
    src = 'x = f"' + "a " * 20 + "{value + other_value + yet_another_value:.3g} " + "b " * 10 + '"\n'
    out = wrap_source(src, WIDTH)
    assert out.startswith("x = (")  # outside brackets the pieces are parenthesised
    assert ast.dump(ast.parse(out)) == ast.dump(ast.parse(src))
    for line in out.splitlines()[1:]:
        assert line.count("{") == line.count("}")


def test_docstrings_and_pragmas_are_left_alone_and_comments_reflowed():
    doc = 'def f():\n    """' + "long docstring " * 8 + '"""\n'
    assert wrap_source(doc, WIDTH) == doc
    pragma = "x = 1\n# type: " + "ignore " * 12 + "\n"
    assert wrap_source(pragma, WIDTH) == pragma
    comment = "    # " + "a comment word " * 8 + "\n"
    out = wrap_source("def g():\n" + comment + "    pass\n", WIDTH)
    assert not _long(out) and all(ln.startswith("    # ") for ln in out.splitlines()[1:-1])
    assert " ".join(w for w in out.split() if w != "#").count("comment word") == 8  # every word kept
