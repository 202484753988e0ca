"""``make reference`` (``python -m tools.sklearn_reference``): the defaults against scikit-learn.

For every cell of the activations study's grid (target × activation × width, from
``conf/experiment/activations.yaml``), the study's own config is composed with Hydra and its
job is run exactly as ``nnapprox-run`` would (:func:`nnapprox.experiment.job.setup`, ``train``,
``evaluate``) for ``--seeds`` replicas; each replica's training set (from
``SeedSequence([seed, r])``) is then given to scikit-learn's ``MLPRegressor`` with the same
width, activation and iteration cap:

``MLPRegressor(hidden_layer_sizes=(n,), activation=..., solver="lbfgs", alpha=0, tol=0,
max_iter=<the study's trainer.max_steps>, max_fun=20 × max_iter, random_state=r)``

``alpha = 0`` because nnapprox's loss has no weight penalty, ``tol = 0`` so that scikit-learn,
like nnapprox, runs to the iteration cap (its default gradient tolerance 1e-4 stops it early,
which would flatter nnapprox). scikit-learn has no leaky ReLU: that row's reference is its
``relu``. Both fit the same ½·MSE on the same data; both errors are the MSE against the clean
test values of the replica's test set.

Per cell the table has the median test MSE over the seeds for each library, the ratio
nnapprox / scikit-learn of the medians, both interquartile ranges and the median fit times.
The defaults pass when every ratio is ≤ 1. BLAS runs at one thread for both (as in a job).

Writes ``results/bench/sklearn_reference.csv`` and ``results/bench/sklearn_reference.md``.
The median of a few seeds is not enough at the smallest widths: there both libraries end in
one of two basins (on the ridge at n = 4: test MSE ≈ 0.0016 or ≈ 0.004–0.006) about half the
time each, so the median of 9 seeds flips between them; 21 seeds (the default) settle it.

``--set key=value`` (repeatable) adds a config override to nnapprox's side only, to compare
other settings (``--set model.bias_init=zero``).
"""

from __future__ import annotations

import argparse
import math
import sys
import time
import warnings
from pathlib import Path

import numpy as np

__all__ = ["SKLEARN_ACTIVATION", "grid", "compose", "run_cell", "summarise", "markdown", "main"]

#: nnapprox activation -> scikit-learn's (it has no leaky ReLU: its ReLU is the reference).
SKLEARN_ACTIVATION = {"sigmoid": "logistic", "tanh": "tanh", "relu": "relu", "leaky_relu": "relu"}
STUDY = "activations"


def grid(study: str = STUDY) -> dict:
    """The swept values of a study's ``hydra.sweeper.params`` (the study's grid), by key."""
    import yaml

    from nnapprox.cli.run import CONF_DIR

    cfg = yaml.safe_load((Path(CONF_DIR) / "experiment" / f"{study}.yaml").read_text())
    params = cfg["hydra"]["sweeper"]["params"]
    return {k: [v.strip() for v in str(val).split(",")] for k, val in params.items()}


def compose(overrides) -> dict:
    """The plain config of ``nnapprox-run <overrides>`` (composed by Hydra, checked by the schema)."""
    from hydra import compose as hydra_compose
    from hydra import initialize_config_dir

    from nnapprox.cli.compose import to_plain
    from nnapprox.cli.run import CONF_DIR

    with initialize_config_dir(config_dir=CONF_DIR, version_base="1.3"):
        cfg = hydra_compose(config_name="config", overrides=list(overrides))
    return to_plain(cfg)


def _sklearn_fit(ds, width, activation, max_iter, seed):
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPRegressor

    reg = MLPRegressor(
        hidden_layer_sizes=(width,),
        activation=SKLEARN_ACTIVATION[activation],
        solver="lbfgs",
        alpha=0.0,
        tol=0.0,
        max_iter=max_iter,
        max_fun=20 * max_iter,
        random_state=seed,
    )
    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # reaching max_iter is the point
        reg.fit(ds.X, ds.y)
    elapsed = time.perf_counter() - t0
    pred = reg.predict(ds.X_test)
    return float(np.mean((pred - ds.y_test) ** 2)), elapsed, int(reg.n_iter_)


def run_cell(target: str, activation: str, width: int, seeds: int, extra=()) -> list[dict]:
    """One grid cell: nnapprox's job and scikit-learn on each of ``seeds`` replicas' data.

    Returns
    -------
    list of dict
        One row per seed: ``target, activation, width, seed, nnapprox_mse, sklearn_mse,
        nnapprox_time, sklearn_time, sklearn_iter`` and the settings nnapprox used.
    """
    from threadpoolctl import threadpool_limits

    from nnapprox.experiment.evaluation import evaluate
    from nnapprox.experiment.training import setup, train
    from nnapprox.experiment.validation import canonical

    cfg = compose(
        [
            f"experiment={STUDY}",
            f"target={target}",
            f"activation={activation}",
            f"model.width={width}",
            f"replicas={seeds}",
            *extra,
        ]
    )
    canon = canonical(cfg)
    c = canon.config
    max_iter = int(canon.options["max_steps"])
    rows = []
    with threadpool_limits(limits=1, user_api="blas"):
        setups = [setup(canon, r) for r in range(seeds)]
        t0 = time.perf_counter()
        results = train(canon, setups)
        ours_time = (time.perf_counter() - t0) / seeds
        records = evaluate(canon, setups, results)
        for s, rec in zip(setups, records, strict=True):
            sk_mse, sk_time, sk_iter = _sklearn_fit(s.data, width, activation, max_iter, s.replica)
            rows.append(
                {
                    "target": target,
                    "activation": activation,
                    "width": width,
                    "seed": s.replica,
                    "nnapprox_mse": float(rec["test_mse"]),
                    "sklearn_mse": sk_mse,
                    "nnapprox_time": ours_time,
                    "sklearn_time": sk_time,
                    "sklearn_iter": sk_iter,
                    "nnapprox_steps": int(rec.get("steps", -1)),
                    "max_iter": max_iter,
                    "init": c["model"]["init"],
                    "bias_init": c["model"]["bias_init"],
                    "N": c["data"]["N"],
                    "N_test": c["data"]["N_test"],
                    "d": c["target"]["d"],
                }
            )
    return rows


def summarise(rows):
    """Per cell: medians over the seeds, the ratio of the medians, interquartile ranges, median times."""
    import pandas as pd

    df = pd.DataFrame(rows)
    q = lambda p: lambda v: float(np.quantile(v, p))  # noqa: E731
    out = (
        df.groupby(["target", "activation", "width"], sort=False)
        .agg(
            seeds=("seed", "nunique"),
            nnapprox_median=("nnapprox_mse", "median"),
            nnapprox_q1=("nnapprox_mse", q(0.25)),
            nnapprox_q3=("nnapprox_mse", q(0.75)),
            sklearn_median=("sklearn_mse", "median"),
            sklearn_q1=("sklearn_mse", q(0.25)),
            sklearn_q3=("sklearn_mse", q(0.75)),
            nnapprox_time=("nnapprox_time", "median"),
            sklearn_time=("sklearn_time", "median"),
            init=("init", "first"),
            bias_init=("bias_init", "first"),
            max_iter=("max_iter", "first"),
        )
        .reset_index()
    )
    out.insert(out.columns.get_loc("sklearn_q3") + 1, "ratio", out["nnapprox_median"] / out["sklearn_median"])
    return out


def markdown(table, meta: dict) -> str:
    """The committed table: one row per cell, the worst ratio first in the summary line."""
    worst = table.loc[table["ratio"].idxmax()]
    ok = bool((table["ratio"] <= 1).all())
    lines = [
        "# nnapprox defaults against scikit-learn's MLPRegressor",
        "",
        f"Grid of the `{STUDY}` study ({meta['grid']}); N = {meta['N']}, clean test set of {meta['N_test']}, "
        f"d = {meta['d']}; both libraries: L-BFGS capped at {meta['max_iter']} iterations, no weight penalty, the "
        f"same training set per seed ({meta['seeds']} seeds: replicas 0..{meta['seeds'] - 1} of the study's job). "
        "scikit-learn: `solver='lbfgs', alpha=0, tol=0` (runs to the cap), its own initialisation; its `relu` is the "
        "reference for leaky ReLU (it has none). nnapprox: the study's config unchanged"
        + (f" plus `{' '.join(meta['extra'])}`" if meta["extra"] else "")
        + ". Command: `make reference` "
        f"(`python -m tools.sklearn_reference`), {meta['elapsed']:.0f} s, {meta['when']}, scikit-learn "
        f"{meta['sklearn']}.",
        "",
        f"**{'Every' if ok else 'Not every'} ratio ≤ 1**: {int((table['ratio'] <= 1).sum())} of {len(table)} cells; "
        f"largest ratio {worst['ratio']:.3g} ({worst['target']}, {worst['activation']}, n = {worst['width']}); "
        f"median ratio {table['ratio'].median():.3g}.",
        "",
        "| target | activation | n | init / bias | nnapprox median MSE [IQR] | scikit-learn median MSE [IQR] | "
        "ratio | time nnapprox / sklearn (s) |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in table.itertuples(index=False):
        lines.append(
            f"| {r.target} | {r.activation} | {r.width} | {r.init} / {r.bias_init} | "
            f"{r.nnapprox_median:.3g} [{r.nnapprox_q1:.2g}, {r.nnapprox_q3:.2g}] | "
            f"{r.sklearn_median:.3g} [{r.sklearn_q1:.2g}, {r.sklearn_q3:.2g}] | "
            f"{'**' if r.ratio > 1 else ''}{r.ratio:.3g}{'**' if r.ratio > 1 else ''} | "
            f"{r.nnapprox_time:.2f} / {r.sklearn_time:.2f} |"
        )
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m tools.sklearn_reference", description=__doc__.split("\n")[0])
    ap.add_argument(
        "--seeds",
        type=int,
        default=21,
        help="replicas (seeds) per cell, >= 3 (default 21: at the "
        "smallest widths both libraries land in two basins about half the time each, and the median "
        "of a few seeds is a coin toss between them)",
    )
    ap.add_argument("--jobs", type=int, default=2, help="cells in parallel (default 2)")
    ap.add_argument("--targets", default=None, help="comma-separated subset of the study's targets")
    ap.add_argument("--activations", default=None, help="comma-separated subset of the study's activations")
    ap.add_argument("--widths", default=None, help="comma-separated subset of the study's widths")
    ap.add_argument(
        "--set",
        dest="extra",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="extra config override for nnapprox's side (repeatable)",
    )
    ap.add_argument("--out", default="results/bench", help="output folder (default results/bench)")
    ap.add_argument("--name", default="sklearn_reference", help="file stem of the outputs")
    args = ap.parse_args(argv)
    if args.seeds < 3:
        ap.error(f"--seeds={args.seeds} is too small: medians need at least 3 seeds")
    try:
        import sklearn
    except ImportError:
        print("scikit-learn is not installed: run `make reference` (it installs the bench extra)", file=sys.stderr)
        return 2
    g = grid()
    pick = {"target": args.targets, "activation": args.activations, "model.width": args.widths}
    for key, sub in pick.items():
        if sub:
            bad = [v for v in sub.split(",") if v not in g[key]]
            if bad:
                ap.error(f"{key}={','.join(bad)} is not in the {STUDY} grid; allowed: {','.join(g[key])}")
            g[key] = sub.split(",")
    cells = [(t, a, int(w)) for t in g["target"] for a in g["activation"] for w in g["model.width"]]
    rows, t0 = [], time.perf_counter()
    from joblib import Parallel, delayed

    # one process per cell (each fit at one BLAS thread); results come back in grid order
    run = Parallel(n_jobs=args.jobs, return_as="generator")(
        delayed(run_cell)(t, a, w, args.seeds, args.extra) for t, a, w in cells
    )
    for i, ((t, a, w), cell) in enumerate(zip(cells, run, strict=True), 1):
        rows += cell
        ratio = np.median([r["nnapprox_mse"] for r in cell]) / np.median([r["sklearn_mse"] for r in cell])
        el = time.perf_counter() - t0
        print(
            f"[{i}/{len(cells)}] {t} {a} n={w}: ratio {ratio:.3g} ({el:.0f} s, ETA {el / i * (len(cells) - i):.0f} s)",
            flush=True,
        )
    table = summarise(rows)
    first = rows[0]
    meta = {
        "grid": ", ".join(f"{k} ∈ {{{', '.join(v)}}}" for k, v in g.items()),
        "N": first["N"],
        "N_test": first["N_test"],
        "d": first["d"],
        "max_iter": first["max_iter"],
        "seeds": args.seeds,
        "extra": args.extra,
        "elapsed": time.perf_counter() - t0,
        "sklearn": sklearn.__version__,
        "when": time.strftime("%Y-%m-%d"),
    }
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    import pandas as pd

    pd.DataFrame(rows).to_csv(out / f"{args.name}_seeds.csv", index=False)
    table.to_csv(out / f"{args.name}.csv", index=False)
    (out / f"{args.name}.md").write_text(markdown(table, meta))
    worst = float(table["ratio"].max())
    print(
        f"wrote {out / (args.name + '.md')}: largest ratio {worst:.3g}, "
        f"{int((table['ratio'] <= 1).sum())}/{len(table)} cells <= 1"
    )
    return 0 if math.isfinite(worst) else 1


if __name__ == "__main__":
    sys.exit(main())
