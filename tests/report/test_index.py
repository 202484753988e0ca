"""nnapprox.report.index: results/REPORT.md from each study's verdicts.json (never its rendered Markdown)."""

import math

from nnapprox.report.index import main, write_index
from nnapprox.report.verdicts import CONSISTENT, CONTRADICTS, NOT_TESTED, Check, Verdict, to_json


def _study(root, name, verdicts, checks=(), figures=()):
    folder = root / name
    (folder / "figures").mkdir(parents=True)
    (folder / "verdicts.json").write_text(to_json(verdicts, name, checks))
    (folder / "REPORT.md").write_text("# rendered: the index must not read this\n")
    (folder / "rates.csv").write_text("a\n1\n")
    for f in figures:
        (folder / "figures" / f).write_bytes(b"png")


def _v(kind, outcome, value=math.nan, group="all", **kw):
    extra = {"reason": "pre-asymptotic: n < n_0"} if outcome == NOT_TESTED else {}
    extra |= {"explanation": "the optimizer stalls"} if outcome == CONTRADICTS else {}
    return Verdict(
        claim=f"claim {kind}",
        theorem="thm",
        outcome=outcome,
        kind=kind,
        value=value,
        group=group,
        measured=kw.pop("measured", "m"),
        **extra,
        **kw,
    )


def test_the_index_answers_both_questions_and_lists_every_study(tmp_path):
    _study(
        tmp_path,
        "width_scaling",
        [
            _v("barron_bound", CONSISTENT, 0.4, "d=2"),
            _v("barron_bound", CONSISTENT, 0.9, "d=8"),
            _v("barron_bound", NOT_TESTED),
        ],
        figures=["width_scaling__n.png", "own.png"],
    )
    _study(
        tmp_path,
        "depth",
        [_v("matched_depth", CONTRADICTS, 1.0, measured="x (deep wins)")],
        checks=[
            Check("Telgarsky exact", True, kind="telgarsky_exact"),
            Check("square", False, kind="square_existence"),
            Check("gradient", False, kind="gradcheck"),
        ],
    )
    path = write_index(tmp_path, ["width_scaling", "depth", "sawtooth"], preamble="Made by a test.")
    text = path.read_text()
    assert path == tmp_path / "REPORT.md" and text.startswith("# nnapprox results\n\nMade by a test.\n")
    barron = next(ln for ln in text.splitlines() if "(`barron_bound`)" in ln)
    # counts over every study, the worst measured K, a link to the study and its own figure first
    assert "2 consistent, 0 contradict, 1 not tested; largest K_train 0.9 (d=8)" in barron
    assert "[width_scaling](width_scaling/REPORT.md) ([own](width_scaling/figures/own.png))" in barron
    depth = next(ln for ln in text.splitlines() if "(`matched_depth`)" in ln)
    assert "0 consistent, 1 contradict, 0 not tested; deep wins: 1" in depth
    existence = next(ln for ln in text.splitlines() if ln.startswith("- **In existence**"))
    assert "1 passed, 1 failed" in existence  # only the depth checks, not the gradient check
    assert "rendered: the index must not read this" not in text
    rows = [ln for ln in text.splitlines() if ln.startswith("| `")]
    assert rows[0].startswith(
        "| `width_scaling` | [width_scaling/REPORT.md](width_scaling/REPORT.md) | "
        "[rates.csv](width_scaling/rates.csv) | 2 | 0 | 1 | 0 / 0 |"
    )
    assert rows[1].endswith("| 0 | 1 | 0 | 1 / 2 |")
    assert rows[2] == "| `sawtooth` | (missing: run `make reproduce`) |  | - | - | - | - |"
    assert "- checks: 1 passed, 2 failed: failed square; gradient" in text
    assert "Explained: the optimizer stalls" in text
    # a rule with no verdict in any study says nothing
    assert "(`sharp_rate`)" not in text


def test_main_writes_the_index_and_says_where(tmp_path, capsys):
    _study(tmp_path, "a", [_v("u_rise", CONSISTENT, 1.0)])
    main([str(tmp_path), "a", "--preamble", "P"])
    assert capsys.readouterr().out.strip() == f"wrote {tmp_path / 'REPORT.md'}"
    assert "(`u_rise`): 1 consistent" in (tmp_path / "REPORT.md").read_text()
