"""``results/REPORT.md``: one page linking every study's report, with its verdict lines.

    python -m nnapprox.report.index results backprop universal_approximation ...

For each study folder ``results/<study>/`` it copies the verdict bullets
(``- **PASS** ...``, ``- **FAIL** ...``, ``- **N/A** ...``) of ``REPORT.md`` and
links the report, the data and the figures.
"""
from __future__ import annotations

import argparse
import re
from pathlib import Path

__all__ = ["write_index", "verdict_lines", "main"]

_VERDICT = re.compile(r"^\s*[-*] (\*\*(PASS|FAIL|N/A)\*\*|n/a )", re.IGNORECASE)


def verdict_lines(report_md: Path) -> list[str]:
    """The verdict bullets of a study report, in order, without duplicates."""
    seen, out = set(), []
    for line in Path(report_md).read_text().splitlines():
        if _VERDICT.match(line) and line.strip() not in seen:
            seen.add(line.strip())
            out.append(line.strip())
    return out


def _first_heading_text(report_md: Path) -> str:
    for line in Path(report_md).read_text().splitlines():
        if line.startswith("# "):
            return line[2:].strip()
    return report_md.parent.name


def write_index(results_dir, studies, title: str = "nnapprox results", preamble: str = "") -> Path:
    """Write ``results_dir/REPORT.md`` linking ``results_dir/<study>/REPORT.md`` for each study."""
    results_dir = Path(results_dir)
    lines = [f"# {title}", ""]
    if preamble:
        lines += [preamble, ""]
    lines += ["| study | report | data | verdicts (pass / fail / n/a) |", "|---|---|---|---|"]
    sections = []
    for study in studies:
        rep = results_dir / study / "REPORT.md"
        if not rep.exists():
            lines.append(f"| `{study}` | (missing: run `make reproduce`) | | |")
            continue
        v = verdict_lines(rep)
        counts = [sum(1 for x in v if x.upper().startswith(f"- {k}") or f"**{k}**" in x.upper())
                  for k in ("PASS", "FAIL", "N/A")]
        data = ", ".join(f"[{p.name}]({study}/{p.name})" for p in sorted((results_dir / study).glob("*.csv")))
        lines.append(f"| `{study}` | [{study}/REPORT.md]({study}/REPORT.md) | {data} | "
                     f"{counts[0]} / {counts[1]} / {counts[2]} |")
        figs = sorted((results_dir / study / "figures").glob("*.png"))
        sec = [f"## {study}", "", f"Full report: [{study}/REPORT.md]({study}/REPORT.md). "
               f"Figures: " + ", ".join(f"[{f.stem}]({study}/figures/{f.name})" for f in figs), ""]
        sec += v or ["(no verdicts)"]
        sections.append("\n".join(sec))
    lines.append("")
    out = results_dir / "REPORT.md"
    out.write_text("\n".join(lines) + "\n" + "\n\n".join(sections) + "\n")
    return out


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(prog="python -m nnapprox.report.index", description=__doc__.splitlines()[0])
    ap.add_argument("results", help="the results folder (holds one folder per study)")
    ap.add_argument("studies", nargs="+", help="study names, in the order to list them")
    ap.add_argument("--preamble", default="", help="Markdown text under the title")
    args = ap.parse_args(argv)
    print(f"wrote {write_index(args.results, args.studies, preamble=args.preamble)}")


if __name__ == "__main__":
    main()
