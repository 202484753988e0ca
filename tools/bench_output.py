"""The outputs of ``make bench`` (:mod:`tools.bench`): formatting, the Markdown report and the CSV files, each
section of the report kept between markers so that a partial run rewrites only its own sections."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

#: The libraries a step is timed in, and their column titles.
LIBS = ("nnapprox", "numpy", "torch", "sklearn")
LIB_TITLES = {"nnapprox": "nnapprox", "numpy": "plain NumPy", "torch": "PyTorch CPU", "sklearn": "sklearn MLP"}
#: Steps of the fit-level timing.
FIT_STEPS = 200


# ---------------------------------------------------------------------------
# report
# ---------------------------------------------------------------------------


def fmt_time(s: float | None) -> str:
    if s is None or not np.isfinite(s):
        return "–"
    if s < 1e-3:
        return f"{s * 1e6:.0f} µs"
    if s < 1.0:
        return f"{s * 1e3:.1f} ms" if s < 0.1 else f"{s * 1e3:.0f} ms"
    return f"{s:.2f} s"


def fmt_mem(b: float | None) -> str:
    if b is None:
        return "–"
    if b < 1e9:
        return f"{b / 1e6:.0f} MB"
    return f"{b / 1e9:.2f} GB"


SECTION_BEGIN = "<!-- bench section: {} -->"
SECTION_END = "<!-- end of bench section: {} -->"


def _sections(text: str) -> dict:
    """The named sections of an existing bench.md (a file without markers is all 'step')."""
    out, pos = {}, 0
    if "<!-- bench section: " not in text:
        return {"step": text.strip()} if text.strip() else {}
    while True:
        a = text.find("<!-- bench section: ", pos)
        if a < 0:
            return out
        name = text[a + len("<!-- bench section: ") : text.index(" -->", a)]
        b = text.index(SECTION_END.format(name), a)
        out[name] = text[text.index("-->", a) + 3 : b].strip()
        pos = b + len(SECTION_END.format(name))


def write_outputs(
    out_dir: Path, meta: dict, rows: list[dict], rep_rows: list[dict], greedy_rows: list[dict] | None = None
) -> str:
    """Write bench.csv and bench.md; sections not measured in this run keep their rows from the last one.

    Returns the markdown written.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    greedy_rows = greedy_rows or []
    fields = [
        "section",
        "case",
        "d",
        "width",
        "depth",
        "N",
        "library",
        "threads",
        "median_s",
        "q1_s",
        "q3_s",
        "reps",
        "gflop_per_step",
        "gflops",
        "frac_of_peak",
        "peak_mem_bytes",
        "nnapprox_speedup",
        "elementwise_floor_s",
        "n_max",
        "trainer",
        "variant",
        "min_s",
        "max_s",
        "speedup",
        "search_s",
        "refine_s",
        "gram_schmidt_s",
        "reorthogonalised",
        "basis_bytes_per_step",
        "gs_bandwidth_Bps",
        "stream_bandwidth_Bps",
        "gs_bound_s",
        "max_rel_diff_train_mse",
        "max_rel_diff_test_mse",
        "max_rel_diff_recorded_mse",
    ]
    ran = {"step"} if rows else set()
    if greedy_rows:
        ran.add("greedy")
    kept = []
    csv_path, md_path = out_dir / "bench.csv", out_dir / "bench.md"
    if csv_path.exists():
        with open(csv_path, newline="") as fh:
            for r in csv.DictReader(fh):
                sec = "greedy" if r.get("section") == "greedy" else "step"
                if sec not in ran:
                    kept.append(r)
    with open(csv_path, "w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=fields, extrasaction="ignore")
        w.writeheader()
        for r in kept + rows + rep_rows + greedy_rows:
            w.writerow(r)
    old = _sections(md_path.read_text()) if md_path.exists() else {}
    new = dict(old)
    if rows:
        new["step"] = markdown(meta, rows, rep_rows).strip()
    if greedy_rows:
        from tools.bench_greedy import markdown_section

        new["greedy"] = markdown_section(greedy_rows, meta).strip()
    text = (
        "\n\n".join(
            f"{SECTION_BEGIN.format(k)}\n{new[k]}\n{SECTION_END.format(k)}" for k in ("step", "greedy") if k in new
        )
        + "\n"
    )
    md_path.write_text(text)
    return text


def markdown(meta: dict, rows: list[dict], rep_rows: list[dict]) -> str:
    fit_rows = [r for r in rep_rows if r["section"].startswith("fit")]
    rep_rows = [r for r in rep_rows if not r["section"].startswith("fit")]
    by = {(r["case"], r["library"]): r for r in rows}
    cases = list(dict.fromkeys(r["case"] for r in rows))
    libs = [lib for lib in LIBS if any(r["library"] == lib for r in rows)]
    lines = [
        f"Measured {meta['date']} on {meta['machine']} ({meta['cores']} cores); float64; nnapprox and PyTorch "
        f"on {meta['threads']} threads; GEMM peak {meta['gemm_peak_gflops']:.1f} GF/s "
        f"({meta['gemm_n']}² matmul, same process). "
        f"{meta['versions']}. Load average (other processes on the machine) "
        f"{meta.get('load_start', float('nan')):.1f} at the start, "
        f"{meta.get('load_end', float('nan')):.1f} at the end.",
        "",
        "Per-step time (median of interleaved repetitions), speed-up of nnapprox, achieved GF/s and peak memory "
        "of one step:",
        "",
        "| case (d, width, hidden layers, N) | "
        + " | ".join(LIB_TITLES[lib] for lib in libs)
        + " | nnapprox vs "
        + " | vs ".join(LIB_TITLES[lib] for lib in libs if lib != "nnapprox")
        + " | GF/s nnapprox (% of peak) | elementwise floor | peak memory "
        + " / ".join(LIB_TITLES[lib] for lib in libs)
        + " |",
        "|" + "---|" * (1 + len(libs) + (len(libs) - 1) + 2 + 1),
    ]
    for c in cases:
        nn = by[(c, "nnapprox")]
        cells = [f"{c} {nn['shape']}"]
        cells += [fmt_time(by[(c, lib)]["median_s"]) if (c, lib) in by else "–" for lib in libs]
        cells += [
            f"{by[(c, lib)]['nnapprox_speedup']:.2f}x" if (c, lib) in by else "–" for lib in libs if lib != "nnapprox"
        ]
        cells.append(f"{nn['gflops']:.2f} ({100 * nn['frac_of_peak']:.1f}%)")
        cells.append(fmt_time(nn.get("elementwise_floor_s")))
        cells.append(" / ".join(fmt_mem(by[(c, lib)].get("peak_mem_bytes")) if (c, lib) in by else "–" for lib in libs))
        lines.append("| " + " | ".join(cells) + " |")
    if rep_rows:
        lines += [
            "",
            f"R = {meta['replicas']} replicas (seeds, per-replica data), nnapprox: one vectorized pass "
            f"against {meta['replicas']} sequential steps (time per {meta['replicas']} replica-steps):",
            "",
            "| case | one pass | sequential | one pass faster by |",
            "|---|---|---|---|",
        ]
        for c in dict.fromkeys(r["case"] for r in rep_rows):
            one = next(r for r in rep_rows if r["case"] == c and r["library"] == "nnapprox one pass")
            seq = next(r for r in rep_rows if r["case"] == c and r["library"] == "nnapprox sequential")
            lines.append(
                f"| {c} {one['shape']} | {fmt_time(one['median_s'])} | {fmt_time(seq['median_s'])} | "
                f"{seq['median_s'] / one['median_s']:.2f}x |"
            )
    if fit_rows:
        by_lib = {r["library"]: r for r in fit_rows}
        one = fit_rows[0]
        refs = [(k, by_lib[k]["median_s"]) for k in ("torch loop", "torch loop, 1 thread") if k in by_lib]
        head = {
            "torch loop": f"PyTorch ({meta['threads']} threads) / this",
            "torch loop, 1 thread": "PyTorch (1 thread) / this",
        }
        lines += [
            "",
            f"Fit level, {one['case']} case {one['shape']}: {meta.get('fit_steps', FIT_STEPS)} steps of "
            "`fit(trainer='gd')` (construction, validation, loss recording included) beside the same number of "
            f"bare steps, and the PyTorch loop (model construction included) on {meta['threads']} threads (the "
            "bench's convention: as many as nnapprox, which runs a step this small in the calling thread) and on "
            "1 thread:",
            "",
            "| run | time | " + " | ".join(head[k] for k, _ in refs) + " |",
            "|---|---|" + "---|" * len(refs),
        ]
        for lib in ("nnapprox fit", "nnapprox bare steps", "torch loop", "torch loop, 1 thread"):
            if lib in by_lib:
                t = by_lib[lib]["median_s"]
                lines.append(f"| {lib} | {fmt_time(t)} | " + " | ".join(f"{ref / t:.2f}x" for _, ref in refs) + " |")
    lines += [
        "",
        "Step: full batch, forward + backward + plain gradient-descent update, ½·MSE loss, tanh hidden "
        "layers, the same data for every library (sklearn: one `partial_fit` with `solver='sgd'`, "
        "`batch_size=N`). GF/s counts matrix-product flops only. Elementwise floor: nnapprox's tanh and "
        "tanh' kernels alone over all hidden units, divided by the threads. Peak memory: extra resident "
        "memory of a step (VmHWM after two steps minus VmRSS before, fresh subprocess; data and weights "
        "excluded).",
        "",
    ]
    return "\n".join(lines)
