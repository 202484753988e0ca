"""``make bench`` (``python -m tools.bench``): the engine against PyTorch CPU and scikit-learn.

What is timed
-------------
One full-batch training step, float64, tanh hidden layers, identity output, the
loss ½·mean squared error, plain gradient descent, on the same data (``X`` uniform
in [−1, 1]^d, ``y = sin(Σ x)``) for every library:

``nnapprox``
    ``net.flat_loss_and_grad(X, y, mse)`` then ``theta -= lr · g``: one iteration
    of the ``gd`` trainer's loop (the blocked, threaded :mod:`nnapprox.engine.fastpath`).
``plain NumPy``
    the same step through the whole-batch reference ``forward``/``backward``
    (``MLP.reference_flat_loss_and_grad``: the lecture's formulas over all N rows
    at once, nnapprox's activation kernels, BLAS at its default threads).
``PyTorch``
    ``zero_grad``, forward, ``0.5 * ((out − y)**2).mean()``, ``backward``,
    ``torch.optim.SGD.step``; ``torch.set_num_threads`` = nnapprox's threads; the
    same initial weights as nnapprox.
``sklearn``
    one ``MLPRegressor.partial_fit(X, y)`` with ``solver="sgd"``, ``batch_size=N``,
    ``momentum=0``, ``alpha=0``, ``shuffle=False``: one epoch of one batch, i.e. one
    forward+backward+update (plus its own input validation and loss bookkeeping).

Each case is timed in one process with ``time.perf_counter``: warm-up steps, then
repetitions in which the libraries take turns (the order rotates each repetition);
in each turn a library runs a burst of consecutive steps (50 for the tiny case, 5
for case A, 1 otherwise) and the per-step time is the burst's time divided by its
length. Reported are medians over the repetitions (and quartiles in the CSV). From
case A on, the turns are separated by a 150 ms pause: OpenBLAS's worker threads
spin for about 0.1 s after a multi-threaded product (plain NumPy's and sklearn's
steps), and a spinning thread on one of the two cores slowed the next library's
step by up to 2x. PyTorch runs with
``OMP_WAIT_POLICY=PASSIVE`` (set by the benchmark unless already set): with its
default spin-waiting its small steps were up to 10x slower on this shared machine.

Also measured, in the same process: the machine's float64 GEMM peak (a 2048² matmul
on all BLAS threads), the achieved GF/s of each step (matrix-product flops only:
``2N Σ n_l n_{l−1}`` forward, the same for dW, and again for dA of layers 2..L),
the elementwise floor (nnapprox's own tanh and tanh' kernels over all hidden units,
single thread, divided by the thread count), and R = 8 replicas (seeds) in one
vectorized pass against 8 sequential runs on the tiny case and case A.

Fit level (the tiny case): 200 steps of ``nnapprox.fit(net, X, y, trainer="gd")``
(network construction, validation, the loop with its loss recording, the result)
against 200 steps of the PyTorch loop above (model construction included; on
nnapprox's threads and, separately, on 1 thread) and against 200 bare nnapprox
steps; they take turns in each repetition. The
gap between ``fit`` and the bare steps is ``fit``'s own overhead.

Peak memory of one step: a fresh subprocess per case and library builds the data
and the model, resets the kernel's peak-RSS counter (``/proc/self/clear_refs``),
runs two steps and reports ``VmHWM − VmRSS(before)``: the extra resident memory
the step needed, data and weights excluded.

Greedy paths (issue 21, :mod:`tools.bench_greedy`): whole OGA and relaxed-greedy paths of
today's code against the per-step algorithm of before issue 21, taking turns in this process
(``--greedy-cases``; ``M`` is d = 16, N = 10 000, n = 512, ``L`` the full size d = 16,
N = 50 000, n = 2048, about half an hour), with the phases, the bytes moved over OGA's basis and
the bandwidth achieved, peak memory, and the largest difference to the old path's errors.

Writes ``results/bench/bench.csv`` (one row per case and library or path variant) and
``results/bench/bench.md`` (the tables for the README). Each has a section per part of the
benchmark (the training step, the greedy paths); a part not run (``--cases none`` or
``--greedy-cases none``) keeps its rows from the previous run.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from tools.bench_output import FIT_STEPS, LIBS, fmt_mem, fmt_time, write_outputs

LR = 1e-3


@dataclass(frozen=True)
class Case:
    name: str
    d: int
    width: int
    depth: int
    N: int
    reps: int
    warmup: int
    pause: float = 0.0  # seconds of sleep before each timed step (see time_case)
    burst: int = 1  # consecutive steps timed together in each repetition

    @property
    def sizes(self):
        return [self.d] + [self.width] * self.depth + [1]

    @property
    def shape(self) -> str:
        N = f"10^{int(np.log10(self.N))}" if self.N >= 1000 and self.N == 10 ** int(np.log10(self.N)) else str(self.N)
        return f"({self.d}, {self.width}, {self.depth}, {N})"

    def gflop(self) -> float:
        """Matrix-product flops of one forward+backward step (GF)."""
        s = self.sizes
        prods = [s[l] * s[l - 1] for l in range(1, len(s))]
        return 2.0 * self.N * (2 * sum(prods) + sum(prods[1:])) / 1e9


CASES = {
    "tiny": Case("tiny", 1, 4, 1, 32, reps=200, warmup=100, burst=50),
    "A": Case("A", 1, 64, 1, 1_000, reps=40, warmup=10, burst=5, pause=0.15),
    "B": Case("B", 8, 256, 1, 10_000, reps=21, warmup=3, pause=0.15),
    "C": Case("C", 8, 128, 4, 10_000, reps=11, warmup=2, pause=0.15),
    "D": Case("D", 4, 1024, 1, 100_000, reps=5, warmup=1, pause=0.15),
}


# ---------------------------------------------------------------------------
# data and the four steps
# ---------------------------------------------------------------------------


def make_data(case: Case, seed: int = 0):
    rng = np.random.default_rng(seed)
    X = rng.uniform(-1.0, 1.0, size=(case.N, case.d))
    y = np.sin(X.sum(axis=1))
    return X, y


def _nnapprox_net(case: Case):
    from nnapprox import MLP

    return MLP(case.sizes, "tanh", rng=np.random.default_rng(1))


def make_step(lib: str, case: Case, X, y, threads: int):
    """A zero-argument function doing one training step of ``lib`` (built and warmed by the caller)."""
    if lib in ("nnapprox", "numpy"):
        from nnapprox.engine.losses import get_loss

        net = _nnapprox_net(case)
        loss = get_loss("mse")
        y2 = y[:, None]
        grad = net.flat_loss_and_grad if lib == "nnapprox" else net.reference_flat_loss_and_grad
        theta = net.theta

        def step():
            _, g = grad(X, y2, loss)
            theta.__isub__(LR * g)

        return step
    if lib == "torch":
        import torch

        torch.set_num_threads(threads)
        ref = _nnapprox_net(case)
        layers = []
        for l, (W, b) in enumerate(zip(ref.weights, ref.biases, strict=True)):
            lin = torch.nn.Linear(W.shape[1], W.shape[0], dtype=torch.float64)
            with torch.no_grad():
                lin.weight.copy_(torch.from_numpy(W.copy()))
                lin.bias.copy_(torch.from_numpy(b.copy()))
            layers.append(lin)
            if l < len(ref.weights) - 1:
                layers.append(torch.nn.Tanh())
        model = torch.nn.Sequential(*layers)
        opt = torch.optim.SGD(model.parameters(), lr=LR)
        Xt = torch.from_numpy(X)
        yt = torch.from_numpy(y[:, None].copy())

        def step():
            opt.zero_grad(set_to_none=True)
            out = model(Xt)
            loss = 0.5 * ((out - yt) ** 2).mean()
            loss.backward()
            opt.step()

        return step
    if lib == "sklearn":
        from sklearn.neural_network import MLPRegressor

        reg = MLPRegressor(
            hidden_layer_sizes=(case.width,) * case.depth,
            activation="tanh",
            solver="sgd",
            batch_size=case.N,
            learning_rate_init=LR,
            momentum=0.0,
            nesterovs_momentum=False,
            alpha=0.0,
            shuffle=False,
            max_iter=1,
            tol=0.0,
            random_state=0,
        )

        def step():
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                reg.partial_fit(X, y)

        return step
    raise ValueError(f"lib={lib!r} is not known; valid: {', '.join(LIBS)}")


def available(lib: str) -> bool:
    if lib in ("nnapprox", "numpy"):
        return True
    try:
        __import__({"torch": "torch", "sklearn": "sklearn"}[lib])
        return True
    except ImportError:
        return False


# ---------------------------------------------------------------------------
# measurements
# ---------------------------------------------------------------------------


def gemm_peak(n: int = 2048, reps: int = 5) -> float:
    """float64 GEMM rate (GF/s) of an n×n matmul on all BLAS threads: the machine's peak."""
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=(n, n)), rng.normal(size=(n, n))
    c = np.empty((n, n))
    np.matmul(a, b, out=c)
    ts = []
    for _ in range(reps):
        t0 = time.perf_counter()
        np.matmul(a, b, out=c)
        ts.append(time.perf_counter() - t0)
    return 2.0 * n**3 / float(np.median(ts)) / 1e9


def elementwise_floor(case: Case, threads: int, reps: int = 20) -> float:
    """Seconds of nnapprox's tanh value + derivative kernels over all hidden units of one step,
    on block-sized buffers in one thread, divided by ``threads``: what the elementwise work
    alone costs."""
    from nnapprox.engine import fastpath
    from nnapprox.engine.activations import get_activation

    act = get_activation("tanh")
    plan = fastpath.make_plan(case.N, case.sizes, "tanh")
    rows = min(plan.block, case.N)
    z = np.random.default_rng(0).normal(size=(rows, case.width))
    a, d = np.empty_like(z), np.empty_like(z)
    ts = []
    for _ in range(reps):
        t0 = time.perf_counter()
        act.value(z, out=a)
        act.deriv(z, a, out=d)
        ts.append(time.perf_counter() - t0)
    per_element = float(np.median(ts)) / z.size
    units = case.N * case.width * case.depth
    return per_element * units / (threads if plan.parallel else 1)


def time_case(case: Case, libs, threads: int, reps_scale: float = 1.0, log=print, pause: float | None = None) -> dict:
    """Median step times (and quartiles) per library, interleaved in one process.

    In each repetition every library runs ``case.burst`` consecutive steps, timed
    together (per-step time = burst time / burst): for microsecond steps this is the
    steady state of a training loop rather than the first step after another
    library has filled the caches with its own code and data. ``pause`` (default ``case.pause``): seconds of
    sleep before each timed step, which lets the worker threads that BLAS keeps spinning after one library's
    step go idle before the next library is timed. Not used for the tiny case (a sleep before
    microsecond steps would time a cold cache instead)."""
    if pause is None:
        pause = case.pause
    X, y = make_data(case)
    steps = {lib: make_step(lib, case, X, y, threads) for lib in libs}
    reps = max(3, int(round(case.reps * reps_scale)))
    warm = max(1, int(round(case.warmup * reps_scale)))
    for f in steps.values():
        for _ in range(warm):
            f()
    times = {lib: [] for lib in libs}
    order = list(libs)
    k = case.burst
    for _ in range(reps):
        for lib in order:
            if pause:
                time.sleep(pause)
            step = steps[lib]
            t0 = time.perf_counter()
            for _ in range(k):
                step()
            times[lib].append((time.perf_counter() - t0) / k)
        order = order[1:] + order[:1]
    out = {}
    for lib in libs:
        t = np.array(times[lib])
        out[lib] = {
            "median_s": float(np.median(t)),
            "q1_s": float(np.percentile(t, 25)),
            "q3_s": float(np.percentile(t, 75)),
            "reps": len(t),
        }
    log(f"  {case.name}: " + ", ".join(f"{lib} {fmt_time(v['median_s'])}" for lib, v in out.items()))
    return out


def time_replicas(case: Case, R: int, threads: int, reps_scale: float = 1.0, log=print) -> dict:
    """R seeds in one vectorized pass against R sequential single-network steps (nnapprox)."""
    from nnapprox import MLP
    from nnapprox.engine.losses import get_loss

    loss = get_loss("mse")
    rng = np.random.default_rng(0)
    X = rng.uniform(-1.0, 1.0, size=(R, case.N, case.d))  # per-replica data, as multi-seed jobs have
    y = np.sin(X.sum(axis=-1))[..., None]
    batched = MLP(case.sizes, "tanh", rng=[np.random.default_rng(s) for s in range(R)])
    solos = [batched.replica(r).copy() for r in range(R)]

    def one_pass():
        _, g = batched.flat_loss_and_grad(X, y, loss)
        batched.theta.__isub__(LR * g)

    def sequential():
        for r, net in enumerate(solos):
            _, g = net.flat_loss_and_grad(X[r], y[r], loss)
            net.theta.__isub__(LR * g)

    fns = {"one pass": one_pass, "sequential": sequential}
    reps = max(3, int(round(case.reps * reps_scale / 2)))
    burst = max(1, case.burst // 5)
    for f in fns.values():
        for _ in range(max(1, case.warmup // 5)):
            f()
    times = {k: [] for k in fns}
    for _ in range(reps):
        for k, f in fns.items():
            t0 = time.perf_counter()
            for _ in range(burst):
                f()
            times[k].append((time.perf_counter() - t0) / burst)
    out = {k: float(np.median(v)) for k, v in times.items()}
    log(f"  {case.name} x{R}: one pass {fmt_time(out['one pass'])}, sequential {fmt_time(out['sequential'])}")
    return {**out, "reps": reps}


def time_fit(case: Case, threads: int, libs, steps: int = FIT_STEPS, reps: int = 15, log=print) -> dict:
    """Median seconds of a ``steps``-step training run: ``fit`` (nnapprox), the same
    number of bare nnapprox steps, and the PyTorch loop if ``"torch"`` is in ``libs``.
    Every run builds its network afresh (as a user's call does)."""
    from nnapprox import MLP, fit

    X, y = make_data(case)

    def nn_fit():
        net = MLP(case.sizes, "tanh", rng=np.random.default_rng(1))
        fit(net, X, y, trainer="gd", lr=LR, max_steps=steps, progress_every=0)

    def nn_steps():
        step = make_step("nnapprox", case, X, y, threads)
        for _ in range(steps):
            step()

    fns = {"nnapprox fit": nn_fit, "nnapprox bare steps": nn_steps}
    if "torch" in libs:

        def torch_loop():
            step = make_step("torch", case, X, y, threads)
            for _ in range(steps):
                step()

        fns["torch loop"] = torch_loop
        if threads != 1:

            def torch_loop_1():
                step = make_step("torch", case, X, y, 1)  # sets torch's threads to 1 for this run
                for _ in range(steps):
                    step()

            fns["torch loop, 1 thread"] = torch_loop_1
    for f in fns.values():
        f()
    times = {k: [] for k in fns}
    order = list(fns)
    for _ in range(max(3, reps)):
        for k in order:
            t0 = time.perf_counter()
            fns[k]()
            times[k].append(time.perf_counter() - t0)
        order = order[1:] + order[:1]
    if "torch loop" in fns:
        import torch

        torch.set_num_threads(threads)
    out = {k: float(np.median(v)) for k, v in times.items()}
    log(f"  {case.name} {steps} steps: " + ", ".join(f"{k} {fmt_time(v)}" for k, v in out.items()))
    return {**out, "reps": max(3, reps), "steps": steps}


# ---------------------------------------------------------------------------
# peak memory, in a subprocess per case and library
# ---------------------------------------------------------------------------


def _status_kb(field: str) -> int:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise KeyError(field)


def _probe_memory(case_name: str, lib: str, threads: int) -> dict:
    """Run in the subprocess: extra resident memory of two steps (bytes)."""
    import resource

    from nnapprox.engine import fastpath

    fastpath.set_threads(threads)
    case = CASES[case_name]
    X, y = make_data(case)
    step = make_step(lib, case, X, y, threads)
    before = _status_kb("VmRSS")
    method = "VmHWM"
    try:
        with open("/proc/self/clear_refs", "w") as fh:
            fh.write("5")  # reset the peak-RSS counter (Linux >= 4.0)
    except OSError:
        method = "ru_maxrss"
    for _ in range(2):
        step()
    if method == "VmHWM":
        peak = _status_kb("VmHWM")
    else:
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {"peak_bytes": max(0, peak - before) * 1024, "method": method}


def peak_memory(case: Case, lib: str, threads: int) -> float | None:
    """Bytes of extra resident memory of one step, or None if the probe failed."""
    cmd = [sys.executable, "-m", "tools.bench", "--probe-memory", case.name, lib, "--threads", str(threads)]
    env = dict(os.environ, NNAPPROX_THREADS=str(threads))
    try:
        res = subprocess.run(cmd, capture_output=True, text=True, timeout=600, env=env)
        return float(json.loads(res.stdout.strip().splitlines()[-1])["peak_bytes"])
    except Exception:  # noqa: BLE001 - report a missing number, don't stop the benchmark
        return None


# ---------------------------------------------------------------------------
# main
# ---------------------------------------------------------------------------


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m tools.bench", description=__doc__.split("\n")[0])
    ap.add_argument("--cases", default=",".join(CASES), help="comma-separated subset of " + ",".join(CASES))
    ap.add_argument("--libs", default=",".join(LIBS), help="comma-separated subset of " + ",".join(LIBS))
    ap.add_argument("--threads", type=int, default=None, help="nnapprox and PyTorch threads (default: nnapprox's)")
    ap.add_argument("--reps-scale", type=float, default=1.0, help="multiply every case's repetitions")
    ap.add_argument("--quick", action="store_true", help="a fast smoke run: --reps-scale 0.2, no memory probes")
    ap.add_argument("--no-memory", action="store_true", help="skip the peak-memory subprocesses")
    ap.add_argument("--replicas", type=int, default=8, help="R for the replica comparison (0: skip)")
    ap.add_argument("--fit-steps", type=int, default=FIT_STEPS, help="steps of the fit-level row (0: skip)")
    ap.add_argument(
        "--greedy-cases",
        default=None,
        help="greedy-path cases (comma-separated subset of S,M,L; 'none' to skip; default M,L, with --quick none)",
    )
    ap.add_argument("--greedy-reps", type=int, default=None, help="repetitions of every greedy case (default: its own)")
    ap.add_argument("--out", default="results/bench", help="output folder")
    ap.add_argument("--probe-memory", nargs=2, metavar=("CASE", "LIB"), help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    torch_used = args.probe_memory[1] == "torch" if args.probe_memory else "torch" in args.libs.split(",")
    if torch_used:
        # PyTorch's OpenMP threads spin-wait by default; on a loaded 2-core machine that
        # made its small steps 10x slower. Passive waiting is its best setting here.
        os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

    from nnapprox.engine import fastpath

    if args.threads is not None:
        fastpath.set_threads(args.threads)
    threads = fastpath.get_threads()
    if args.probe_memory:
        print(json.dumps(_probe_memory(args.probe_memory[0], args.probe_memory[1], threads)))
        return 0
    if args.quick:
        args.reps_scale = min(args.reps_scale, 0.2)
        args.no_memory = True
    cases = [CASES[c] for c in args.cases.split(",") if c and c != "none"]
    libs = []
    for lib in args.libs.split(","):
        if lib not in LIBS:
            ap.error(f"--libs: {lib!r} is not one of {', '.join(LIBS)}")
        if available(lib):
            libs.append(lib)
        else:
            print(f"[bench] {lib} is not installed (pip install -e '.[bench]'); skipped", file=sys.stderr)
    if "nnapprox" not in libs:
        libs.insert(0, "nnapprox")

    def log(msg):
        print(msg, file=sys.stderr, flush=True)

    versions = [f"NumPy {np.__version__}"]
    if "torch" in libs:
        import torch

        versions.append(f"PyTorch {torch.__version__}")
    if "sklearn" in libs:
        import sklearn

        versions.append(f"scikit-learn {sklearn.__version__}")
    log(f"[bench] threads={threads}; measuring the GEMM peak")
    gemm_n = 1024 if args.quick else 2048
    peak = gemm_peak(gemm_n)
    meta = {
        "date": time.strftime("%Y-%m-%d"),
        "machine": platform.processor() or platform.machine(),
        "cores": os.cpu_count(),
        "threads": threads,
        "gemm_peak_gflops": peak,
        "gemm_n": gemm_n,
        "versions": ", ".join(versions),
        "replicas": args.replicas,
    }
    try:
        with open("/proc/cpuinfo") as fh:
            model = next((ln.split(":", 1)[1].strip() for ln in fh if ln.startswith("model name")), None)
        if model:
            meta["machine"] = model
    except OSError:
        pass
    log(f"[bench] GEMM peak {peak:.1f} GF/s")
    meta["load_start"] = os.getloadavg()[0]

    rows = []
    for case in cases:
        log(f"[bench] case {case.name} {case.shape}")
        res = time_case(case, libs, threads, args.reps_scale, log)
        floor = elementwise_floor(case, threads)
        for lib in libs:
            r = res[lib]
            gf = case.gflop()
            rows.append(
                {
                    "section": "step",
                    "case": case.name,
                    "shape": case.shape,
                    "d": case.d,
                    "width": case.width,
                    "depth": case.depth,
                    "N": case.N,
                    "library": lib,
                    "threads": threads if lib in ("nnapprox", "torch") else "",
                    **r,
                    "gflop_per_step": gf,
                    "gflops": gf / r["median_s"],
                    "frac_of_peak": gf / r["median_s"] / peak,
                    "nnapprox_speedup": r["median_s"] / res["nnapprox"]["median_s"],
                    "elementwise_floor_s": floor if lib == "nnapprox" else "",
                }
            )
    if not args.no_memory:
        log("[bench] peak memory (one subprocess per case and library)")
        for row in rows:
            row["peak_mem_bytes"] = peak_memory(CASES[row["case"]], row["library"], threads)
            log(f"  {row['case']} {row['library']}: {fmt_mem(row['peak_mem_bytes'])}")
    rep_rows = []
    if args.replicas > 0:
        log(f"[bench] R={args.replicas} replicas: one pass vs sequential")
        for name in [c.name for c in cases if c.name in ("tiny", "A")]:
            case = CASES[name]
            res = time_replicas(case, args.replicas, threads, args.reps_scale, log)
            for k in ("one pass", "sequential"):
                rep_rows.append(
                    {
                        "section": f"replicas R={args.replicas}",
                        "case": name,
                        "shape": case.shape,
                        "d": case.d,
                        "width": case.width,
                        "depth": case.depth,
                        "N": case.N,
                        "library": f"nnapprox {k}",
                        "threads": threads,
                        "median_s": res[k],
                        "reps": res["reps"],
                        "nnapprox_speedup": res[k] / res["one pass"],
                    }
                )
    if any(c.name == "tiny" for c in cases) and args.fit_steps > 0:
        log(f"[bench] fit level: {args.fit_steps} steps of fit() vs bare steps vs PyTorch (tiny case)")
        case = CASES["tiny"]
        res = time_fit(
            case, threads, libs, steps=args.fit_steps, reps=max(3, int(round(15 * args.reps_scale))), log=log
        )
        meta["fit_steps"] = args.fit_steps
        for k in ("nnapprox fit", "nnapprox bare steps", "torch loop", "torch loop, 1 thread"):
            if k in res:
                rep_rows.append(
                    {
                        "section": f"fit {args.fit_steps} steps",
                        "case": "tiny",
                        "shape": case.shape,
                        "d": case.d,
                        "width": case.width,
                        "depth": case.depth,
                        "N": case.N,
                        "library": k,
                        "threads": threads,
                        "median_s": res[k],
                        "reps": res["reps"],
                        "nnapprox_speedup": res[k] / res["nnapprox fit"],
                    }
                )
    greedy_rows = []
    if args.greedy_cases is None:
        args.greedy_cases = "none" if args.quick else "M,L"
    greedy_cases = [c for c in args.greedy_cases.split(",") if c and c != "none"]
    if greedy_cases:
        from tools import bench_greedy

        log("[bench] greedy paths, old and new taking turns: " + ", ".join(greedy_cases))
        for name in greedy_cases:
            if name not in bench_greedy.GREEDY_CASES:
                ap.error(f"--greedy-cases: {name!r} is not one of {', '.join(bench_greedy.GREEDY_CASES)}")
            greedy_rows += bench_greedy.run_case(bench_greedy.GREEDY_CASES[name], reps=args.greedy_reps, log=log)
    meta["load_end"] = os.getloadavg()[0]
    out = Path(args.out)
    text = write_outputs(out, meta, rows, rep_rows, greedy_rows)
    print(text)
    log(f"[bench] wrote {out / 'bench.csv'} and {out / 'bench.md'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
