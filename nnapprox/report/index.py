"""``results/REPORT.md``: the mission's two questions answered first, then every study, from ``verdicts.json``.

    python -m nnapprox.report.index results backprop universal_approximation ...

For each study folder ``results/<study>/`` it reads ``verdicts.json`` (never the rendered
Markdown). The index opens with the two questions (does the error behave as Barron's theorems say;
when does depth beat width), each answered in a few generated sentences, one per rule, every
sentence counting its verdicts and linking the studies and figures it rests on; then the table of
studies with the falsifiable verdicts and the checks counted apart; then each study's verdicts.
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path

from nnapprox.base.io import write_text_atomic
from nnapprox.report.tables import md_table
from nnapprox.report.verdicts import BADGE, CONSISTENT, CONTRADICTS, NOT_TESTED, check_counts, counts, load_json

__all__ = ["write_index", "answers", "main", "QUESTIONS"]

#: question -> the rules whose verdicts answer it, each with a short description (in the order shown).
QUESTIONS = {
    "Does the error behave as Barron's theorems say?": {
        "barron_bound": "Barron's bound (2 r C_f)²/n on the training sample, constructive trainers, n ≥ n_0",
        "barron_d_trend": "the bound's constant K_d does not grow with the dimension d",
        "sharp_rate": "OGA at least as fast as Siegel & Xu's sharp rate of its dictionary",
        "estimation_n": "the measured estimation term grows like the variance of least squares in n",
        "estimation_N": "the measured estimation term falls like 1/N",
        "u_rise": "the test error above its minimum rises as the measured terms predict",
        "nbest_balance": "the best width grows like the balance of the measured terms",
    },
    "When does depth beat width?": {
        "matched_depth": "trained deeper nets beat trained shallow nets with as many parameters",
        "born_dead_depth": "narrow deep ReLU nets are born dead more often as depth grows",
        "rai_remedy": "the randomized asymmetric initialisation is born dead less often",
    },
}
#: Checks (existence by construction, exactness) that answer the depth question beside the verdicts.
DEPTH_CHECKS = ("depth_separation", "square_existence", "telgarsky_exact")


def _load(results_dir: Path, studies) -> dict:
    out = {}
    for study in studies:
        vfile = results_dir / study / "verdicts.json"
        if vfile.exists():
            out[study] = load_json(vfile.read_text())
    return out


def _fig_links(results_dir: Path, study: str, limit: int = 2) -> str:
    # a plug-in's own figures (no "__": the generic per-axis ones are named <study>__<axis>) first
    figs = sorted((results_dir / study / "figures").glob("*.png"), key=lambda f: ("__" in f.stem, f.stem))[:limit]
    return ", ".join(f"[{f.stem}]({study}/figures/{f.name})" for f in figs)


def _sentence(kind: str, text: str, data: dict, results_dir: Path) -> str | None:
    """One line: how the verdicts of ``kind`` came out, where, with the extreme measured value."""
    where = {s: [v for v in d["verdicts"] if v.kind == kind] for s, d in data.items()}
    where = {s: vs for s, vs in where.items() if vs}
    if not where:
        return None
    allv = [v for vs in where.values() for v in vs]
    c = counts(allv)
    tested = [v for v in allv if v.outcome != NOT_TESTED and math.isfinite(v.value)]
    extra = ""
    if kind == "barron_bound" and tested:
        worst = max(tested, key=lambda v: v.value)
        extra = f"; largest K_train {worst.value:.2g} ({worst.group})"
    elif kind == "matched_depth":
        labels = [v.measured.rsplit("(", 1)[-1].rstrip(")") for v in allv]
        extra = "; " + ", ".join(f"{lab}: {labels.count(lab)}" for lab in dict.fromkeys(labels))
    links = "; ".join(
        f"[{s}]({s}/REPORT.md) ({_fig_links(results_dir, s, 1)})"
        if _fig_links(results_dir, s, 1)
        else f"[{s}]({s}/REPORT.md)"
        for s in where
    )
    return (
        f"- **{text}** (`{kind}`): {c[CONSISTENT]} consistent, {c[CONTRADICTS]} contradict, {c[NOT_TESTED]} not "
        f"tested{extra}. In: {links}."
    )


def answers(data: dict, results_dir: Path) -> list[str]:
    """The two questions, each answered by one line per rule (and, for depth, the existence checks)."""
    lines = []
    for question, kinds in QUESTIONS.items():
        lines += [f"### {question}", ""]
        for kind, text in kinds.items():
            s = _sentence(kind, text, data, results_dir)
            if s:
                lines.append(s)
        if question.startswith("When"):
            checks = [(st, c) for st, d in data.items() for c in d["checks"] if c.kind in DEPTH_CHECKS]
            if checks:
                cc = check_counts([c for _, c in checks])
                studies = ", ".join(f"[{s}]({s}/REPORT.md)" for s in dict.fromkeys(s for s, _ in checks))
                lines.append(
                    f"- **In existence** (checks, not evidence: hand-built deep nets against certified bounds "
                    f"on every shallow net of their size): {cc['passed']} passed, {cc['failed']} failed. "
                    f"In: {studies}."
                )
        lines.append("")
    return lines


def write_index(results_dir, studies, title: str = "nnapprox results", preamble: str = "") -> Path:
    """Write ``results_dir/REPORT.md`` from ``results_dir/<study>/verdicts.json`` for each study."""
    results_dir = Path(results_dir)
    data = _load(results_dir, studies)
    lines = [f"# {title}", ""]
    if preamble:
        lines += [preamble, ""]
    lines += [
        "## The two questions",
        "",
        "Each line counts the verdicts of one rule over every study that uses it. A verdict is a test that could "
        "have failed (its rule states the null and the alternative); *not tested* means outside the theorem's "
        "regime or undecided, with the reason in the study's report. Checks (deterministic identities) are "
        "counted apart.",
        "",
    ]
    lines += answers(data, results_dir)
    rows, sections = [], []
    for study in studies:
        folder = results_dir / study
        if study not in data:
            rows.append([f"`{study}`", "(missing: run `make reproduce`)", "", "-", "-", "-", "-"])
            continue
        verdicts, checks = data[study]["verdicts"], data[study]["checks"]
        c, cc = counts(verdicts), check_counts(checks)
        csvs = ", ".join(f"[{p.name}]({study}/{p.name})" for p in sorted(folder.glob("*.csv")))
        rows.append(
            [
                f"`{study}`",
                f"[{study}/REPORT.md]({study}/REPORT.md)",
                csvs,
                c[CONSISTENT],
                c[CONTRADICTS],
                c[NOT_TESTED],
                f"{cc['passed']} / {cc['failed']}",
            ]
        )
        figs = sorted((folder / "figures").glob("*.png"))
        sec = [
            f"## {study}",
            "",
            f"Full report: [{study}/REPORT.md]({study}/REPORT.md). Figures: "
            + ", ".join(f"[{f.stem}]({study}/figures/{f.name})" for f in figs),
            "",
        ]
        for v in verdicts:
            tail = v.reason if v.outcome == NOT_TESTED else v.regime
            sec.append(
                f"- {BADGE[v.outcome]} {v.claim} ({v.group}): {v.measured or '-'}"
                + (f"; {tail}" if tail else "")
                + (f" Explained: {v.explanation}" if v.explanation else "")
            )
        if checks:
            sec.append(
                f"- checks: {cc['passed']} passed, {cc['failed']} failed"
                + (": failed " + "; ".join(c.name for c in checks if not c.passed) if cc["failed"] else "")
            )
        sections.append("\n".join(sec))
    lines += [
        "## Studies",
        "",
        md_table(
            rows, ["study", "report", "data", "consistent", "contradicts", "not tested", "checks passed / failed"]
        ),
        "",
    ]
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
