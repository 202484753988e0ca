"""Wrap the long lines ``ruff format`` leaves: string literals and whole-line comments (used by tools/lint_fix.sh).

``ruff format`` never splits a string or a comment, so lines over the limit that are made long by one are
left for a hand. This does what the hand would:

* a one-line string literal that crosses the limit is cut at a space into adjacent literals with the same
  prefix (``f``, ``r``, ...) on consecutive lines, indented where it started; outside brackets the pieces are
  wrapped in parentheses. An f-string is never cut inside a replacement field ``{...}``.
* a comment alone on its line is re-flowed into several ``#`` lines with the same indentation.

Adjacent literals are one literal to the compiler, so the program is unchanged: every file's AST is compared
before and after, and a file whose AST would change is left as it was (and named). Docstrings and
triple-quoted strings are left alone.

Usage: ``python tools/wrap_long_lines.py [--width 120] FILE ...``
"""

from __future__ import annotations

import argparse
import ast
import io
import re
import sys
import textwrap
import tokenize

OPEN, CLOSE = "([{", ")]}"
PREFIX = re.compile(r"^([A-Za-z]*)(['\"])")
PRAGMA = re.compile(r"^#\s*(type:|noqa|pragma|fmt:|!|-\*-)")


def _cut(body: str, room: int, fstring: bool) -> int | None:
    """The index in ``body`` after the last space at or before ``room`` that is outside ``{...}``, or None."""
    depth, best, i = 0, None, 0
    while i < len(body) and i < room:
        c = body[i]
        if fstring and c in "{}" and body[i : i + 2] in ("{{", "}}"):
            i += 2
            continue
        if fstring and c == "{":
            depth += 1
        elif fstring and c == "}":
            depth -= 1
        elif c == " " and depth == 0 and i > 0 and body[i - 1] != "\\":
            best = i + 1
        i += 1
    return best if best and best < len(body) else None


def _split_string(tok: str, col: int, width: int) -> list[str] | None:
    """The literal ``tok`` (starting at column ``col``) as pieces that each end within ``width``."""
    m = PREFIX.match(tok)
    if not m or tok[len(m.group(1)) :].startswith(m.group(2) * 3):
        return None
    prefix, quote = m.group(1), m.group(2)
    body = tok[len(prefix) + 1 : -1]
    fstring = "f" in prefix.lower()
    pieces = []
    while col + len(prefix) + len(body) + 2 > width:
        k = _cut(body, width - col - len(prefix) - 2, fstring)
        if k is None:
            break
        pieces.append(f"{prefix}{quote}{body[:k]}{quote}")
        body = body[k:]
    if not pieces:
        return None
    return pieces + [f"{prefix}{quote}{body}{quote}"]


def wrap_source(src: str, width: int = 120) -> str:
    """``src`` with its long one-line strings cut and its long whole-line comments re-flowed."""
    lines = src.splitlines(keepends=True)
    edits = []  # (row, start col, end col, replacement text), applied from the end
    depth, prev = 0, None
    for tok in tokenize.generate_tokens(io.StringIO(src).readline):
        if tok.type == tokenize.OP and tok.string in OPEN:
            depth += 1
        elif tok.type == tokenize.OP and tok.string in CLOSE:
            depth -= 1
        (r0, c0), (r1, c1) = tok.start, tok.end
        long_line = r0 <= len(lines) and len(lines[r0 - 1].rstrip("\r\n")) > width
        if long_line and tok.type == tokenize.STRING and r0 == r1 and c1 > width:
            statement = prev is None or prev.type in (tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT, tokenize.NL)
            pieces = None if statement else _split_string(tok.string, c0 + (depth == 0), width)
            if pieces:
                indent = " " * (c0 + (depth == 0))
                text = ("\n" + indent).join(pieces)
                edits.append((r0, c0, c1, f"({text})" if depth == 0 else text))
        elif (
            long_line
            and tok.type == tokenize.COMMENT
            and not lines[r0 - 1][:c0].strip()
            and not PRAGMA.match(tok.string)
        ):
            indent = lines[r0 - 1][:c0]
            words = tok.string.lstrip("#").strip()
            wrapped = textwrap.wrap(words, width - len(indent) - 2, break_long_words=False, break_on_hyphens=False)
            edits.append((r0, c0, c1, ("\n" + indent).join("# " + w for w in wrapped)))
        if tok.type not in (tokenize.COMMENT, tokenize.NL):
            prev = tok
    for row, c0, c1, text in sorted(edits, reverse=True):
        line = lines[row - 1]
        lines[row - 1] = line[:c0] + text + line[c1:]
    return "".join(lines)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--width", type=int, default=120)
    ap.add_argument("files", nargs="*")
    args = ap.parse_args(argv)
    changed, refused = 0, []
    for path in args.files:
        with open(path, encoding="utf-8") as fh:
            src = fh.read()
        new = wrap_source(src, args.width)
        if new == src:
            continue
        if ast.dump(ast.parse(src)) != ast.dump(ast.parse(new)):
            refused.append(path)
            continue
        with open(path, "w", encoding="utf-8") as fh:
            fh.write(new)
        changed += 1
    print(
        f"wrap_long_lines: {changed} files wrapped" + (f"; left as they were: {', '.join(refused)}" if refused else "")
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
