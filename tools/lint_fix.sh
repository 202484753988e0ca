#!/usr/bin/env bash
# Apply ruff's fixes and formatting to the whole tree (run once after a batch of merges, then commit):
#   1. the safe fixes of every selected rule (import order, unused imports, pyupgrade);
#   2. B905, `zip()` without `strict=`: ruff inserts `strict=False`, which is what zip did (behaviour unchanged).
#      With STRICT_ZIP=1 those calls get `strict=True` instead (a length mismatch then raises): most zips pair
#      sequences of one length, but not all (report/plots.py zips a 2x2 grid of axes with 3 panels), so run
#      the whole test suite after STRICT_ZIP=1 and put back `strict=False` where truncation is meant;
#   3. `ruff format` (line length 120, see [tool.ruff] in pyproject.toml);
#   4. tools/wrap_long_lines.py on the lines still too long: one-line strings cut into adjacent literals,
#      whole-line comments re-flowed (a file whose AST would change is left alone), and `ruff format` again;
#   5. the findings left, which need a hand (unused loop variables, late-bound closures, ...).
# Usage: tools/lint_fix.sh [PATH ...]   (default: the whole tree)
set -euo pipefail
cd "$(dirname "$0")/.."
RUFF=${RUFF:-.venv/bin/ruff}
paths=("$@"); [ ${#paths[@]} -gt 0 ] || paths=(.)
before=$("$RUFF" check --quiet --output-format concise "${paths[@]}" | grep -c ':[0-9]*:[0-9]*: ' || true)
"$RUFF" check --quiet --fix --exit-zero --output-format concise "${paths[@]}" > /dev/null
# B905: only the zip calls ruff flags, each rewritten at the position it reports.
"$RUFF" check --quiet --select B905 --output-format json --exit-zero "${paths[@]}" > /tmp/lint_fix_b905.$$.json
"$RUFF" check --quiet --select B905 --fix --unsafe-fixes --exit-zero --output-format concise "${paths[@]}" > /dev/null
if [ "${STRICT_ZIP:-0}" = 1 ]; then python3 - /tmp/lint_fix_b905.$$.json <<'PY'
import json, sys
from collections import defaultdict
hits = defaultdict(list)
for f in json.load(open(sys.argv[1])):
    hits[f["filename"]].append(f["location"]["row"])
n = 0
for fn, rows in hits.items():
    lines = open(fn).read().split("\n")
    # a zip call may span lines: turn the first `strict=False` at or after the reported row into strict=True
    for row in sorted(rows):
        for i in range(row - 1, min(row + 40, len(lines))):
            if "strict=False" in lines[i]:
                lines[i] = lines[i].replace("strict=False", "strict=True", 1)
                n += 1
                break
    open(fn, "w").write("\n".join(lines))
print(f"lint_fix: {n} zip() calls now strict=True")
PY
fi
rm -f /tmp/lint_fix_b905.$$.json
"$RUFF" format --quiet "${paths[@]}"
# 4. the long strings and comments the formatter leaves (the AST of every file is checked unchanged), then format again
long=$("$RUFF" check --quiet --select E501 --output-format concise --exit-zero "${paths[@]}" | cut -d: -f1 | sort -u)
if [ -n "$long" ]; then
  ${PYTHON:-.venv/bin/python} tools/wrap_long_lines.py $long
  "$RUFF" format --quiet "${paths[@]}"
fi
after=$("$RUFF" check --quiet --output-format concise "${paths[@]}" | grep -c ':[0-9]*:[0-9]*: ' || true)
echo "lint_fix: ruff findings before $before, after $after"
"$RUFF" check --statistics "${paths[@]}" || true
