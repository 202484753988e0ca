"""``results/REPORT.md``: the index of every study, built from the studies' ``verdicts.json``.

    python -m nnapprox.report.index results backprop universal_approximation ...

For each study folder ``results/<study>/`` it reads ``verdicts.json`` (never the rendered
Markdown), counts the outcomes and lists each verdict with its measurement, and links the
report, the data and the figures.
"""
from __future__ import annotations

import argparse
from pathlib import Path

from ..io import write_text_atomic
from .tables import md_table
from .verdicts import BADGE, NOT_TESTED, counts, from_json

__all__ = ["write_index", "main"]


def write_index(results_dir, studies, title: str = "nnapprox results", preamble: str = "") -> Path:
    """Write ``results_dir/REPORT.md`` from ``results_dir/<study>/verdicts.json`` for each study."""
    results_dir = Path(results_dir)
    lines = [f"# {title}", ""]
    if preamble:
        lines += [preamble, ""]
    lines += ["Each verdict tests a stated theorem inside the regime where it says something: *consistent*, "
              "*contradicts* (always explained in the study's report) or *not tested* (with the reason: outside "
              "the regime, or the data cannot decide).", ""]
    rows, sections = [], []
    for study in studies:
        folder = results_dir / study
        vfile = folder / "verdicts.json"
        if not vfile.exists():
            rows.append([f"`{study}`", "(missing: run `make reproduce`)", "", "-", "-", "-"])
            continue
        _, verdicts = from_json(vfile.read_text())
        c = counts(verdicts)
        data = ", ".join(f"[{p.name}]({study}/{p.name})" for p in sorted(folder.glob("*.csv")))
        rows.append([f"`{study}`", f"[{study}/REPORT.md]({study}/REPORT.md)", data, c["consistent"],
                     c["contradicts"], c["not tested"]])
        figs = sorted((folder / "figures").glob("*.png"))
        sec = [f"## {study}", "", f"Full report: [{study}/REPORT.md]({study}/REPORT.md). Figures: "
               + ", ".join(f"[{f.stem}]({study}/figures/{f.name})" for f in figs), ""]
        for v in verdicts:
            tail = v.reason if v.outcome == NOT_TESTED else v.regime
            sec.append(f"- {BADGE[v.outcome]} {v.claim} ({v.group}): {v.measured or '-'}"
                       + (f"; {tail}" if tail else "") + (f" Explained: {v.explanation}" if v.explanation else ""))
        sections.append("\n".join(sec or ["(no verdicts)"]))
    lines += [md_table(rows, ["study", "report", "data", "consistent", "contradicts", "not tested"]), ""]
    return write_text_atomic(results_dir / "REPORT.md", "\n".join(lines) + "\n" + "\n\n".join(sections) + "\n")


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(prog="python -m nnapprox.report.index", description=__doc__.splitlines()[0])
    ap.add_argument("results", help="the results folder (holds one folder per study)")
    ap.add_argument("studies", nargs="+", help="study names, in the order to list them")
    ap.add_argument("--preamble", default="", help="Markdown text under the title")
    args = ap.parse_args(argv)
    print(f"wrote {write_index(args.results, args.studies, preamble=args.preamble)}")


if __name__ == "__main__":
    main()
