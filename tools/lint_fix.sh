#!/usr/bin/env bash
# Apply ruff's fixes and formatting to the whole tree (run once after a batch of merges, then commit):
#   1. the safe fixes of every selected rule (import order, unused imports, pyupgrade);
#   2. B905, `zip()` without `strict=`: ruff inserts `strict=False`; this script turns that into `strict=True`
#      (every zip in nnapprox pairs sequences of one length; a mismatch is a bug and now raises) -- run the
#      tests afterwards, and put back `strict=False` with a comment where truncation is meant;
#   3. `ruff format` (line length 120, see [tool.ruff] in pyproject.toml);
#   4. the findings left, which need a hand (long strings and comments, unused loop variables, ...).
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
python3 - /tmp/lint_fix_b905.$$.json <<'PY'
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
rm -f /tmp/lint_fix_b905.$$.json
"$RUFF" format --quiet "${paths[@]}"
after=$("$RUFF" check --quiet --output-format concise "${paths[@]}" | grep -c ':[0-9]*:[0-9]*: ' || true)
echo "lint_fix: ruff findings before $before, after $after"
"$RUFF" check --statistics "${paths[@]}" || true
