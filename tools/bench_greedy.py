"""The greedy-path section of ``make bench``: today's paths against those of before issue 21, in one process.

What is timed
-------------
Whole paths (sigmoid units, the ``gaussian`` target in d dimensions, ``fit``'s defaults: 256
directions, top 8, 10 refinement steps) from width 1 to n_max, for

``old``
    the per-step algorithm of before issue 21 (:mod:`tools.greedy_reference`);
``new``
    ``fit(..., trainer="oga"|"greedy")``, the defaults;
``new, 4 passes`` (OGA only)
    ``reorthogonalise=1``: Gram–Schmidt twice for every unit, bit for bit the old numbers.

The variants take turns within each repetition (the order rotates); reported are the medians
over the repetitions and the ratio old / variant. Each run records the training and test MSE at
every recorded width (``path.predict``, as a job does); the table gives the largest relative
difference to ``old``. Per-phase seconds (screening and rescoring, refinement, Gram–Schmidt)
come from timers around the phases (a few µs per call).

Memory traffic of OGA's basis: a pass over ``Q[:k]`` reads ``8 k N`` bytes; the old algorithm
makes four per unit, the new one two (four for a unit that takes the second round). The table
gives the bytes of the whole path divided by its units, the bandwidth the Gram–Schmidt phase
achieved (bytes / its seconds) and the machine's bandwidth for the same kind of pass
(``Q @ g`` over an ``(n_max + 1) x N`` matrix, measured in the same process), so the distance of
the phase to the memory-bound limit is visible. Peak memory: ``VmHWM`` after the path minus
``VmRSS`` before it (the peak counter reset before each run; data excluded).
"""

from __future__ import annotations

import contextlib
import time
from dataclasses import dataclass

import numpy as np

from tools import greedy_reference as ref

__all__ = ["GreedyCase", "GREEDY_CASES", "run_case", "markdown_section", "VARIANTS"]


@dataclass(frozen=True)
class GreedyCase:
    name: str
    d: int
    N: int
    n_max: int
    reps: int
    N_test: int = 10_000
    exact_variant: bool = True  # also time OGA with four passes per unit (bit for bit the old numbers)

    @property
    def shape(self) -> str:
        return f"(d={self.d}, N={self.N}, n={self.n_max})"


GREEDY_CASES = {
    "S": GreedyCase("S", 4, 2_000, 64, reps=3),
    "M": GreedyCase("M", 16, 10_000, 512, reps=3),
    "L": GreedyCase("L", 16, 50_000, 2048, reps=1, exact_variant=False),
}
#: (trainer, variant) pairs, in the order they take turns.
VARIANTS = (("oga", "old"), ("oga", "new"), ("oga", "new, 4 passes"), ("greedy", "old"), ("greedy", "new"))


def _data(case: GreedyCase):
    from nnapprox.targets.builtin import get_target
    from nnapprox.targets.sampling import make_dataset

    return make_dataset(get_target("gaussian", d=case.d), case.N, N_test=case.N_test, seed=0)


def _status_kb(field: str) -> int:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def _reset_peak() -> bool:
    try:
        with open("/proc/self/clear_refs", "w") as fh:
            fh.write("5")
        return True
    except OSError:
        return False


@contextlib.contextmanager
def _phase_timers(acc: dict):
    """Accumulate seconds spent in the phases of a step (patched methods, restored on exit)."""
    from nnapprox.trainers import greedy as new_greedy
    from nnapprox.trainers.basis import OrthoBasis
    from nnapprox.trainers.unit_search import UnitSearch

    patched = []

    def wrap(owner, name, phase):
        orig = getattr(owner, name)

        def timed(*a, **k):
            t0 = time.perf_counter()
            try:
                return orig(*a, **k)
            finally:
                acc[phase] = acc.get(phase, 0.0) + time.perf_counter() - t0

        setattr(owner, name, timed)
        patched.append((owner, name, orig))

    wrap(UnitSearch, "best", "search")
    wrap(ref.ReferenceSearch, "best", "search")
    wrap(UnitSearch, "refine_correlation", "refine")
    wrap(ref.ReferenceSearch, "refine_correlation", "refine")
    wrap(new_greedy, "_lm_unit", "refine")
    wrap(ref, "_lm_unit", "refine")
    wrap(OrthoBasis, "orthogonalise", "gram_schmidt")
    wrap(ref, "_cgs2", "gram_schmidt")
    try:
        yield acc
    finally:
        for owner, name, orig in reversed(patched):
            setattr(owner, name, orig)


def _run(trainer: str, variant: str, case: GreedyCase, ds):
    """One path; returns (seconds, errors dict, phases, peak bytes, extras)."""
    from nnapprox import MLP, fit
    from nnapprox.trainers.paths import UnitPath

    phases: dict = {}
    before = _status_kb("VmRSS")
    has_peak = _reset_peak()
    with _phase_timers(phases):
        t0 = time.perf_counter()
        if variant == "old":
            fn = ref.reference_oga if trainer == "oga" else ref.reference_greedy
            out = fn(ds.X, ds.y, "sigmoid", n_max=case.n_max, rng=np.random.default_rng(1))
            seconds = time.perf_counter() - t0
            path = UnitPath(
                out["A"],
                out["b"],
                "sigmoid",
                out["widths"],
                out["coefs"],
                out["intercepts"],
                [0.0] * len(out["widths"]),
                out["train_mse"],
            )
            extras = {"reorthogonalised": case.n_max if trainer == "oga" else None}
        else:
            opts = {"reorthogonalise": 1.0} if variant == "new, 4 passes" else {}
            h = fit(
                MLP([case.d, case.n_max, 1], "sigmoid"),
                ds.X,
                ds.y,
                trainer=trainer,
                rng=np.random.default_rng(1),
                progress_every=0,
                **opts,
            )
            seconds = time.perf_counter() - t0
            path, extras = h.path, h.extras
    peak = (_status_kb("VmHWM") - before) * 1024 if has_peak else None
    with np.errstate(over="ignore", invalid="ignore"):
        train = np.mean((path.predict(ds.X) - ds.y) ** 2, axis=1)
        test = np.mean((path.predict(ds.X_test) - ds.y_test) ** 2, axis=1)
    return (
        seconds,
        {"widths": list(path.widths), "train": train, "test": test, "recorded": np.array(path.train_mse)},
        phases,
        peak,
        extras,
    )


def stream_bandwidth(N: int, rows: int, reps: int = 5) -> float:
    """Bytes/s of ``Q @ g`` over a ``(rows, N)`` float64 matrix (one BLAS thread): one pass of Gram–Schmidt."""
    from threadpoolctl import threadpool_limits

    Q = np.ones((rows, N))
    g = np.ones(N)
    out = np.empty(rows)
    ts = []
    with threadpool_limits(limits=1, user_api="blas"):
        np.matmul(Q, g, out=out)
        for _ in range(reps):
            t0 = time.perf_counter()
            np.matmul(Q, g, out=out)
            ts.append(time.perf_counter() - t0)
    return Q.nbytes / float(np.median(ts))


def basis_bytes(N: int, n_max: int, reorthogonalised: int, passes_each: int) -> float:
    """Bytes read from the basis over a path: ``passes_each`` passes of ``8 k N`` for unit k (k rows
    in use), plus two more for each of ``reorthogonalised`` units (counted at the mean k)."""
    total_rows = n_max * (n_max + 1) / 2  # Σ_{k=1}^{n} k
    extra = 2 * reorthogonalised * (n_max + 1) / 2
    return 8.0 * N * (passes_each * total_rows + extra)


def run_case(case: GreedyCase, variants=VARIANTS, reps: int | None = None, log=print) -> list[dict]:
    """Time every variant of ``case`` (interleaved repetitions); one row per (trainer, variant).

    Phase seconds are medians over the repetitions; errors and peak memory come from the first.
    """
    ds = _data(case)
    reps = case.reps if reps is None else max(1, int(reps))
    variants = [v for v in variants if case.exact_variant or v[1] != "new, 4 passes"]
    times = {v: [] for v in variants}
    phase_runs = {v: [] for v in variants}
    first = {}
    order = list(variants)
    for _ in range(reps):
        for v in order:
            time.sleep(0.2)  # let BLAS/OpenMP threads of the previous run go idle
            seconds, errs, phases, peak, extras = _run(v[0], v[1], case, ds)
            times[v].append(seconds)
            phase_runs[v].append(phases)
            if v not in first:
                first[v] = (errs, phases, peak, extras)
            log(f"  {case.name} {v[0]} {v[1]}: {seconds:.2f} s")
        order = order[1:] + order[:1]
    bw = stream_bandwidth(case.N, min(case.n_max + 1, 1025))
    rows = []
    for v in variants:
        trainer, variant = v
        errs, _, peak, extras = first[v]
        phases = {
            p: float(np.median([ph.get(p, 0.0) for ph in phase_runs[v]]))
            for p in ("search", "refine", "gram_schmidt")
            if any(p in ph for ph in phase_runs[v])
        }
        old_errs = first.get((trainer, "old"), (None,))[0]
        t = np.array(times[v])
        med = float(np.median(t))
        old_med = float(np.median(times[(trainer, "old")])) if (trainer, "old") in times else float("nan")

        def rel(key, errs=errs, old_errs=old_errs):
            if old_errs is None:
                return None
            a, b = np.asarray(errs[key]), np.asarray(old_errs[key])
            return float(np.max(np.abs(a - b) / np.abs(b)))

        row = {
            "section": "greedy",
            "case": case.name,
            "shape": case.shape,
            "d": case.d,
            "N": case.N,
            "n_max": case.n_max,
            "trainer": trainer,
            "variant": variant,
            "reps": len(t),
            "median_s": med,
            "min_s": float(t.min()),
            "max_s": float(t.max()),
            "speedup": old_med / med,
            "search_s": phases.get("search"),
            "refine_s": phases.get("refine"),
            "gram_schmidt_s": phases.get("gram_schmidt"),
            "peak_mem_bytes": peak,
            "max_rel_diff_train_mse": rel("train"),
            "max_rel_diff_test_mse": rel("test"),
            "max_rel_diff_recorded_mse": rel("recorded"),
            "stream_bandwidth_Bps": bw,
        }
        if trainer == "oga":
            re = int(extras.get("reorthogonalised") or 0)
            passes = 4 if variant == "old" else 2
            re = 0 if variant == "old" else re
            total = basis_bytes(case.N, case.n_max, re, passes)
            row.update(
                {
                    "reorthogonalised": re,
                    "basis_bytes_per_step": total / case.n_max,
                    "gs_bandwidth_Bps": total / phases["gram_schmidt"] if phases.get("gram_schmidt") else None,
                    "gs_bound_s": total / bw,
                }
            )
        rows.append(row)
    return rows


def _fmt_s(s):
    if s is None or not np.isfinite(s):
        return "–"
    return f"{s:.2f} s" if s < 100 else f"{s:.0f} s"


def _fmt_b(b):
    if b is None:
        return "–"
    return f"{b / 1e6:.0f} MB" if b < 1e9 else f"{b / 1e9:.2f} GB"


def _fmt_rel(x):
    return "–" if x is None else ("0" if x == 0 else f"{x:.1e}")


def markdown_section(rows: list[dict], meta: dict) -> str:
    """The greedy section of bench.md."""
    lines = [
        f"Greedy paths (issue 21), measured {meta.get('date', '')} on {meta.get('machine', '')} "
        f"({meta.get('cores', '')} cores, {meta.get('threads', '')} threads for the screening); sigmoid units, "
        "the gaussian target, `fit`'s defaults; whole paths from width 1 to n, old and new taking turns "
        "in one process (median of the repetitions; load average "
        f"{meta.get('load_start', float('nan')):.1f} at the start, "
        f"{meta.get('load_end', float('nan')):.1f} at the end):",
        "",
        "| case | trainer | variant | reps | path time | old / this | screening + rescoring | refinement | "
        "Gram–Schmidt | basis bytes per unit | GS bandwidth (machine's) | GS at the machine's bandwidth | "
        "peak memory | max rel. diff train / test MSE vs old |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        gs_bw = (
            f"{r['gs_bandwidth_Bps'] / 1e9:.1f} GB/s ({r['stream_bandwidth_Bps'] / 1e9:.1f})"
            if r.get("gs_bandwidth_Bps")
            else "–"
        )
        lines.append(
            f"| {r['case']} {r['shape']} | {r['trainer']} | {r['variant']} | {r['reps']} | {_fmt_s(r['median_s'])} | "
            f"{r['speedup']:.2f}x | {_fmt_s(r['search_s'])} | {_fmt_s(r['refine_s'])} | "
            f"{_fmt_s(r['gram_schmidt_s'])} | "
            f"{_fmt_b(r.get('basis_bytes_per_step'))} | {gs_bw} | {_fmt_s(r.get('gs_bound_s'))} | "
            f"{_fmt_b(r['peak_mem_bytes'])} | {_fmt_rel(r['max_rel_diff_train_mse'])} / "
            f"{_fmt_rel(r['max_rel_diff_test_mse'])} |"
        )
    lines += [
        "",
        "Basis bytes per unit: the passes over the first k rows of the orthonormal basis, 8 k N bytes "
        "each, averaged over the path (old: four per unit; new: two, four for units that take the second "
        "round). GS bandwidth: those bytes over the Gram–Schmidt seconds; in brackets the machine's bandwidth "
        "for one such pass (`Q @ g`, one thread, same process); 'GS at the machine's bandwidth' is the "
        "memory-bound time of the phase. Peak memory: VmHWM after the path minus VmRSS before (data "
        "excluded). Differences: largest relative difference to the old path's training and test MSE over the "
        "recorded widths (`path.predict`, as a job records them).",
        "",
    ]
    return "\n".join(lines)
