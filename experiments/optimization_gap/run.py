"""Trainers that reach the approximation regime, and how far gradient training stops from them.

Usage (from the repository root)::

    .venv/bin/python experiments/optimization_gap/run.py [--jobs 2] [--quick] [--out DIR]

Writes to ``results/optimization_gap/`` (or ``--out``):

``paths.csv``   test/train MSE, relative MSE and bound ratio at every recorded width of every
                oga / greedy / random-features path (case, method, seed, n)
``slopes.csv``  log-log slope of the seed-mean test MSE over n in [8, 256] with a 95%
                bootstrap CI over seeds, per case and method
``ratios.csv``  per case at n = n_max: greedy / oga and random features / oga test-MSE
                ratios, the largest bound ratio of each method
``caps.csv``    oga test MSE at n = n_max against the cap ``max_scale`` (seed 0)
``gap.csv``     the optimization-gap summary (Adam vs the best of greedy / oga /
                L-BFGS with restarts, per width); ``gap_table.csv`` every method's row
``paths.png``   test MSE vs n per case, with Barron's bound and Var f
``summary.md``  the numbers above as Markdown tables
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from nnapprox import MLP, fit  # noqa: E402
from nnapprox.data import make_dataset  # noqa: E402
from nnapprox.gap import optimization_gap, slope_over_seeds  # noqa: E402
from nnapprox.targets import get_target  # noqa: E402

#: case -> (target name, parameters)
CASES = {
    "gaussian_d2": ("gaussian", {"d": 2}),
    "cosine_product_d4": ("cosine_product", {"d": 4}),
    "gaussian_d8": ("gaussian", {"d": 8}),
    "cosine_product_d8": ("cosine_product", {"d": 8}),
    "cosine_ridge_d8_w10": ("cosine_ridge", {"d": 8, "omega": 10.0}),
}
METHODS = ("oga", "greedy", "random_features")
CAPS = (4.0, 8.0, 16.0, 32.0)
CAP_CASES = ("gaussian_d2", "cosine_product_d4", "cosine_ridge_d8_w10")
GAP_CASES = ("cosine_product_d4", "gaussian_d8")


def _target(case):
    name, params = CASES[case]
    return get_target(name, **params)


def _limit_threads():
    try:
        from threadpoolctl import threadpool_limits

        threadpool_limits(1)
    except ImportError:  # pragma: no cover
        pass


def run_path(task):
    """One path: returns its rows (one per recorded width)."""
    _limit_threads()
    case, method, seed, N, N_test, n_max, opts = task
    target = _target(case)
    ds = make_dataset(target, N, N_test=N_test, seed=seed)
    template = MLP([target.dim, n_max, 1], "sigmoid")
    if method == "random_features":
        widths = [2 ** k for k in range(int(np.log2(n_max)) + 1)]
        extra = {"record_widths": widths}
    else:
        extra = {}
    h = fit(template, ds.X, ds.y, trainer=method, rng=np.random.default_rng(seed), **extra, **opts)
    recs = h.path.evaluate(ds.X_test, ds.y_test, X=ds.X, y=ds.y, c_f=target.c_f, radius=target.radius)
    rows = []
    for r in recs:
        rows.append({"case": case, "target": target.name, "d": target.dim, "method": method, "seed": seed,
                     "N": N, "max_scale": opts.get("max_scale", h.extras.get("max_scale")),
                     "n": r["n"], "test_mse": r["test_mse"], "test_mse_se": r["test_mse_se"],
                     "rel_mse": r["rel_mse"], "train_mse": r["train_mse"], "var_f": r["var_f"],
                     "bound": r["bound"], "bound_ratio": r["bound_ratio"], "time": r["time"],
                     "wall_time": h.wall_time, "rf_scale": h.extras.get("scale"),
                     "rf_ridge": h.extras.get("ridge")})
    return rows


def run_gap(task):
    _limit_threads()
    case, N, N_test, widths, seed = task
    res = optimization_gap(_target(case), N, widths, N_test=N_test, seed=seed)
    s = res.summary.assign(case=case, N=N, seed=seed)
    t = res.table.assign(case=case, N=N, seed=seed)
    return s, t


def _map(fn, tasks, jobs):
    if jobs <= 1:
        return [fn(t) for t in tasks]
    with ProcessPoolExecutor(max_workers=jobs) as ex:
        return list(ex.map(fn, tasks))


def slopes_table(paths, n_lo=8, n_hi=256):
    rows = []
    for (case, method), g in paths.groupby(["case", "method"], sort=False):
        piv = g.pivot_table(index="seed", columns="n", values="test_mse")
        ns = piv.columns.to_numpy(dtype=float)
        s, lo, hi = slope_over_seeds(ns, piv.to_numpy(), n_min=n_lo, n_max=n_hi)
        rows.append({"case": case, "method": method, "slope": s, "ci_low": lo, "ci_high": hi,
                     "n_range": f"[{n_lo}, {n_hi}]", "seeds": piv.shape[0]})
    return pd.DataFrame(rows)


def ratios_table(paths, n_max):
    rows = []
    for case, g in paths.groupby("case", sort=False):
        end = g[g.n == n_max].groupby("method").test_mse.mean()
        rel = g[g.n == n_max].groupby("method").rel_mse.mean()
        row = {"case": case, "n": n_max}
        for m in METHODS:
            row[f"{m}_test_mse"] = end.get(m, np.nan)
            row[f"{m}_rel_mse"] = rel.get(m, np.nan)
            row[f"{m}_max_bound_ratio"] = g[g.method == m].bound_ratio.max()
        row["greedy_over_oga"] = row["greedy_test_mse"] / row["oga_test_mse"]
        row["rf_over_oga"] = row["random_features_test_mse"] / row["oga_test_mse"]
        rows.append(row)
    return pd.DataFrame(rows)


def plot_paths(paths, out):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    cases = list(dict.fromkeys(paths.case))
    ncol = min(3, len(cases))
    nrow = -(-len(cases) // ncol)
    fig, axes = plt.subplots(nrow, ncol, figsize=(4.2 * ncol, 3.4 * nrow), squeeze=False)
    flat = axes.ravel()
    for ax, case in zip(flat, cases):
        g = paths[paths.case == case]
        for m in METHODS:
            mm = g[g.method == m].groupby("n").test_mse.mean()
            if len(mm):
                ax.loglog(mm.index, mm.values, "o-" if m == "random_features" else "-", ms=3, label=m)
        ns = np.array(sorted(g.n.unique()), dtype=float)
        b = g.groupby("n").bound.first().reindex(ns).to_numpy(dtype=float)
        ax.loglog(ns, b, "k--", lw=1, label="(2rC_f)²/n")
        ax.loglog(ns, 0.1 * b, "k:", lw=1, label="0.1·bound")
        ax.axhline(g.var_f.mean(), color="grey", lw=0.8, label="Var f")
        ax.set_title(case, fontsize=9)
        ax.set_xlabel("width n")
        ax.grid(True, which="major", alpha=0.3)
    for row in axes:
        row[0].set_ylabel("test MSE (mean over seeds)")
    handles, labels = flat[0].get_legend_handles_labels()
    for ax in flat[len(cases):]:
        ax.axis("off")
    (flat[len(cases)] if len(cases) < flat.size else flat[0]).legend(handles, labels, fontsize=8, loc="center")
    fig.tight_layout()
    fig.savefig(out, dpi=120)
    plt.close(fig)


def _md(df, floatfmt=".3g"):
    cols = list(df.columns)
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for _, r in df.iterrows():
        cells = []
        for c in cols:
            v = r[c]
            cells.append(format(v, floatfmt) if isinstance(v, (float, np.floating)) else str(v))
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=str(ROOT / "results" / "optimization_gap"))
    ap.add_argument("--N", type=int, default=20000, help="training-set size of the paths")
    ap.add_argument("--N-test", type=int, default=2**14)
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--n-max", type=int, default=256)
    ap.add_argument("--gap-N", type=int, default=4000, help="training-set size of the gap diagnostic")
    ap.add_argument("--gap-widths", default="8,32,128")
    ap.add_argument("--jobs", type=int, default=1, help="worker processes (BLAS at 1 thread each)")
    ap.add_argument("--quick", action="store_true", help="small smoke run: N=2000, 2 seeds, n_max=64")
    ap.add_argument("--skip-gap", action="store_true")
    ap.add_argument("--plot-only", action="store_true", help="redraw paths.png from an existing paths.csv")
    args = ap.parse_args(argv)
    if args.plot_only:
        plot_paths(pd.read_csv(Path(args.out) / "paths.csv"), Path(args.out) / "paths.png")
        return
    if args.quick:
        args.N, args.seeds, args.n_max, args.gap_N, args.gap_widths, args.N_test = 2000, 2, 64, 500, "4,16", 4096
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    seeds = list(range(args.seeds))

    tasks = [(c, m, s, args.N, args.N_test, args.n_max, {}) for c in CASES for m in METHODS for s in seeds]
    tasks += [(c, "oga", 0, args.N, args.N_test, args.n_max, {"max_scale": cap})
              for c in CAP_CASES for cap in CAPS if cap != 16.0]
    print(f"{len(tasks)} paths (N={args.N}, n_max={args.n_max}, {args.seeds} seeds) on {args.jobs} jobs",
          flush=True)
    rows = [r for rs in _map(run_path, tasks, args.jobs) for r in rs]
    allp = pd.DataFrame(rows)
    main_paths = allp[allp.max_scale.isna() | (allp.method != "oga") | (allp.max_scale == 16.0)]
    main_paths = main_paths.drop_duplicates(subset=["case", "method", "seed", "n"])
    main_paths.to_csv(out / "paths.csv", index=False, float_format="%.6g")
    t_paths = time.perf_counter() - t0

    n_hi = args.n_max
    slopes = slopes_table(main_paths, 8, n_hi)
    slopes.to_csv(out / "slopes.csv", index=False)
    ratios = ratios_table(main_paths, args.n_max)
    ratios.to_csv(out / "ratios.csv", index=False)
    caps = allp[(allp.method == "oga") & (allp.seed == 0) & (allp.n == args.n_max)
                & allp.case.isin(CAP_CASES)][["case", "max_scale", "test_mse", "rel_mse", "train_mse"]]
    caps = caps.sort_values(["case", "max_scale"]).reset_index(drop=True)
    caps.to_csv(out / "caps.csv", index=False)
    timing = main_paths.groupby(["case", "method"]).wall_time.mean().reset_index()
    plot_paths(main_paths, out / "paths.png")

    gap_s = gap_t = None
    if not args.skip_gap:
        widths = [int(w) for w in args.gap_widths.split(",")]
        res = _map(run_gap, [(c, args.gap_N, args.N_test, widths, 0) for c in GAP_CASES], args.jobs)
        gap_s = pd.concat([r[0] for r in res], ignore_index=True)
        gap_t = pd.concat([r[1] for r in res], ignore_index=True)
        gap_s.to_csv(out / "gap.csv", index=False)
        gap_t.to_csv(out / "gap_table.csv", index=False)
    total = time.perf_counter() - t0

    md = [f"# Optimization gap study\n\nN = {args.N}, N_test = {args.N_test}, {args.seeds} seeds, "
          f"n = 1..{args.n_max}, sigmoid units, float64; paths took {t_paths:.0f} s, everything "
          f"{total:.0f} s on {args.jobs} job(s).\n",
          "## Slopes of test MSE vs n (seed bootstrap 95% CI)\n", _md(slopes), "",
          f"## At n = {args.n_max}\n", _md(ratios), "",
          "## OGA cap (max_scale) at n = n_max, seed 0\n", _md(caps), "",
          "## Wall time per path [s]\n", _md(timing), ""]
    if gap_s is not None:
        md += [f"## Optimization gap (N = {args.gap_N}, seed 0): Adam vs best reference\n",
               _md(gap_s[["case", "n", "gradient_test_mse", "gradient_train_mse", "best_method",
                          "best_test_mse", "best_train_mse", "gap", "best_train_test"]]), ""]
    (out / "summary.md").write_text("\n".join(md))
    (out / "run_info.json").write_text(json.dumps({"args": vars(args), "seconds": total,
                                                   "cpu_count": os.cpu_count()}, indent=1))
    print("\n".join(md))


if __name__ == "__main__":
    main()
