"""The blocked, threaded engine (nnapprox.engine.fastpath) against the reference forward/backward."""

import itertools
import os
import subprocess
import sys
import tracemalloc
import zlib
from itertools import pairwise

import numpy as np
import pytest

from nnapprox import MLP
from nnapprox.engine import fastpath
from nnapprox.engine.losses import get_loss
from nnapprox.engine.passes import forward as ref_forward

ACTS = ["sigmoid", "tanh", "relu", "leaky_relu", "identity"]
BLOCK = 16
N_ODD = 7 * BLOCK + 5  # several blocks and chunks, not a multiple of the block size


@pytest.fixture(params=["ones column", "no ones column"])
def threaded(request, monkeypatch):
    """Every step takes the blocked, threaded plan (several chunks), on 2 threads, with and
    without the column of ones appended to the input block (small blocks here)."""
    monkeypatch.setattr(fastpath, "PARALLEL_SECONDS", 0.0)
    monkeypatch.setattr(fastpath, "AUG_MIN_ELEMENTS", 0 if request.param == "ones column" else 10**9)
    fastpath._make_plan.cache_clear()
    fastpath.set_threads(2)
    yield
    fastpath.set_threads(None)
    fastpath._make_plan.cache_clear()


def _net(sizes, act, out_act="identity", replicas=None, seed=0, dtype=np.float64):
    rng = np.random.default_rng(seed)
    net_rng = rng if replicas is None else [np.random.default_rng(seed + k) for k in range(replicas)]
    net = MLP(sizes, act, out_act, rng=net_rng, dtype=dtype)
    # a generic point: nonzero biases keep the ReLU kinks off exact zeros
    net.theta[...] = rng.normal(0.0, 0.7, size=net.theta.shape)
    return net


def _data(rng, N, d, k, loss, batch=()):
    X = rng.normal(size=batch + (N, d))
    y = rng.normal(size=batch + (N, k)) if loss == "mse" else (rng.random(batch + (N, k)) > 0.5) * 1.0
    return X, y


def _rel(a, b):
    return np.max(np.abs(np.asarray(a) - np.asarray(b))) / max(np.max(np.abs(np.asarray(b))), 1e-300)


@pytest.mark.parametrize(
    "act,depth,loss_out,d,k",
    [
        (a, depth, lo, d, k)
        for a, depth, lo, (d, k) in itertools.product(
            ACTS,
            [1, 2, 3, 4],
            [("mse", "identity"), ("mse", "sigmoid"), ("logistic", "sigmoid")],
            # (1, 1): rank-1 input and output layers; (12, 1): more inputs than units (no ones column)
            [(3, 2), (1, 1), (12, 1)],
        )
    ],
)
def test_blocked_equals_reference(threaded, act, depth, loss_out, d, k):
    loss_name, out_act = loss_out
    loss = get_loss(loss_name)
    rng = np.random.default_rng(zlib.crc32(repr((act, depth, loss_name, d)).encode()))
    net = _net([d] + [9] * depth + [k], act, out_act)
    X, y = _data(rng, N_ODD, d, k, loss_name)
    v0, g0 = net.reference_flat_loss_and_grad(X, y, loss)
    v1, g1 = fastpath.loss_and_grad(net, X, y, loss, block=BLOCK)
    assert g1.shape == net.theta.shape and np.shape(v1) == ()
    assert _rel(v1, v0) < 1e-12
    assert _rel(g1, g0) < 1e-12
    # the dispatch in MLP uses the fast path (default plan) and agrees too
    v2, g2 = net.flat_loss_and_grad(X, y, loss)
    assert _rel(v2, v0) < 1e-12 and _rel(g2, g0) < 1e-12
    # forward
    out = fastpath.forward(net, X, block=BLOCK)
    ref = ref_forward(net.weights, net.biases, X, net.act, net.out_act)[1][-1]
    assert _rel(out, ref) < 1e-12


@pytest.mark.parametrize("shared_X", [True, False])
@pytest.mark.parametrize("act", ["tanh", "relu"])
def test_blocked_replicas_equal_reference_and_solo(threaded, shared_X, act):
    R, sizes, loss = 3, [2, 8, 8, 1], get_loss("mse")
    net = _net(sizes, act, replicas=R)
    rng = np.random.default_rng(5)
    X, y = _data(rng, N_ODD, 2, 1, "mse", () if shared_X else (R,))
    v0, g0 = net.reference_flat_loss_and_grad(X, y, loss)
    v1, g1 = fastpath.loss_and_grad(net, X, y, loss, block=BLOCK)
    assert v1.shape == (R,) and g1.shape == (R, net.n_params)
    assert _rel(v1, v0) < 1e-12 and _rel(g1, g0) < 1e-12
    for r in range(R):
        solo = net.replica(r)
        Xr, yr = (X, y) if shared_X else (X[r], y[r])
        vs, gs = fastpath.loss_and_grad(solo, Xr, yr, loss, block=BLOCK)
        assert abs(vs - v1[r]) <= 1e-12 * abs(vs)
        assert _rel(gs, g1[r]) < 1e-12
    np.testing.assert_allclose(
        net.forward(X), ref_forward(net.weights, net.biases, X, net.act, net.out_act)[1][-1], rtol=1e-12
    )


def test_two_replica_axes_fall_back_or_agree(threaded):
    net = _net([2, 5, 1], "tanh", replicas=6)
    net2 = net.with_theta(net.theta.reshape(2, 3, -1))
    rng = np.random.default_rng(1)
    X, y = _data(rng, 40, 2, 1, "mse", (2, 3))
    loss = get_loss("mse")
    v0, g0 = net2.reference_flat_loss_and_grad(X, y, loss)
    v1, g1 = net2.flat_loss_and_grad(X, y, loss)
    assert v1.shape == (2, 3) and g1.shape == (2, 3, net.n_params)
    assert _rel(v1, v0) < 1e-12 and _rel(g1, g0) < 1e-12
    X3, y3 = _data(rng, 40, 2, 1, "mse", (3,))  # partly broadcast data: the reference takes it
    assert fastpath.loss_and_grad(net2, X3, y3, loss) is None
    v3, _ = net2.flat_loss_and_grad(X3, y3, loss)
    assert v3.shape == (2, 3)


@pytest.mark.parametrize("act", ["tanh", "sigmoid", "relu"])
def test_float32_agrees_with_float64(threaded, act):
    rng = np.random.default_rng(2)
    net64 = _net([3, 16, 16, 1], act)
    net32 = MLP([3, 16, 16, 1], act, dtype=np.float32, rng=rng)
    net32.theta[...] = net64.theta
    X, y = _data(rng, N_ODD, 3, 1, "mse")
    loss = get_loss("mse")
    v64, g64 = net64.reference_flat_loss_and_grad(X, y, loss)
    v32, g32 = fastpath.loss_and_grad(net32, X.astype(np.float32), y, loss, block=BLOCK)
    assert g32.dtype == np.float32 and np.asarray(v32).dtype == np.float32
    assert _rel(v32, v64) < 1e-5
    assert _rel(g32, g64) < 1e-5


def test_bit_identical_across_calls_and_thread_counts(threaded):
    net = _net([4, 32, 32, 1], "tanh")
    X, y = _data(np.random.default_rng(3), 1000, 4, 1, "mse")
    loss = get_loss("mse")
    v1, g1 = fastpath.loss_and_grad(net, X, y, loss, block=64)
    v2, g2 = fastpath.loss_and_grad(net, X, y, loss, block=64)
    fastpath.set_threads(1)
    v3, g3 = fastpath.loss_and_grad(net, X, y, loss, block=64)
    fastpath.set_threads(3)
    v4, g4 = fastpath.loss_and_grad(net, X, y, loss, block=64)
    for v, g in [(v2, g2), (v3, g3), (v4, g4)]:
        assert v == v1
        np.testing.assert_array_equal(g, g1)


def test_plan_depends_on_shapes_only():
    p = fastpath.make_plan(10_000, [8, 256, 1], "tanh")
    assert p.parallel and len(p.chunks) == fastpath.LANES
    assert p.chunks[0][0] == 0 and p.chunks[-1][1] == 10_000
    assert all(a[1] == b[0] for a, b in pairwise(p.chunks))
    rows = [e - s for g in range(len(p.chunks)) for s, e in p.blocks(g)]
    assert sum(rows) == 10_000 and max(rows) <= p.block
    fastpath.set_threads(1)
    try:
        assert fastpath.make_plan(10_000, [8, 256, 1], "tanh") == p
    finally:
        fastpath.set_threads(None)
    small = fastpath.make_plan(32, [1, 4, 1], "tanh")  # tiny: one chunk, no threads
    assert not small.parallel and small.chunks == ((0, 32),)


def test_memory_is_bounded_by_the_block_not_by_N():
    N, width = 40_000, 256
    net = _net([4, width, 1], "tanh")
    X, y = _data(np.random.default_rng(4), N, 4, 1, "mse")
    loss = get_loss("mse")
    fastpath.clear_workspaces()
    tracemalloc.start()
    try:
        net.flat_loss_and_grad(X, y, loss)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    one_array = N * width * 8  # what a single N x width array of the reference costs (82 MB)
    assert peak < one_array / 8, (peak, one_array)


def test_thread_settings(monkeypatch):
    for var in ("NNAPPROX_THREADS", "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        monkeypatch.delenv(var, raising=False)
    fastpath.set_threads(None)
    assert 1 <= fastpath.get_threads() <= 2
    monkeypatch.setenv("OMP_NUM_THREADS", "1")  # what joblib's loky workers set
    assert fastpath.get_threads() == 1
    monkeypatch.setenv("NNAPPROX_THREADS", "3")
    assert fastpath.get_threads() == 3
    fastpath.set_threads(2)
    assert fastpath.get_threads() == 2
    fastpath.set_threads(None)
    monkeypatch.setenv("NNAPPROX_THREADS", "zero")
    with pytest.raises(ValueError, match="NNAPPROX_THREADS='zero'"):
        fastpath.get_threads()
    with pytest.raises(ValueError, match="threads=0"):
        fastpath.set_threads(0)


def test_worker_errors_propagate(threaded):
    net = _net([2, 8, 1], "tanh")
    X, y = _data(np.random.default_rng(6), N_ODD, 2, 1, "mse")
    bad = get_loss("mse").__class__("bad", lambda o, t: 1 / 0, lambda o, t: o, False)
    with pytest.raises(ZeroDivisionError):
        fastpath.loss_and_grad(net, X, y, bad, block=BLOCK)
    v, _ = fastpath.loss_and_grad(net, X, y, get_loss("mse"), block=BLOCK)  # still usable
    assert np.isfinite(v)


@pytest.mark.parametrize("sizes", [[2, 1, 5, 1], [3, 5, 1, 1, 2], [1, 1, 1], [4, 3], [6, 2, 1]])
def test_width_one_layers_and_no_hidden_layer(threaded, sizes):
    """Layers of one unit (outer products kept as pending factors) anywhere in the net."""
    loss = get_loss("mse")
    net = _net(sizes, "tanh", replicas=2)
    X, y = _data(np.random.default_rng(7), N_ODD, sizes[0], sizes[-1], "mse", (2,))
    v0, g0 = net.reference_flat_loss_and_grad(X, y, loss)
    v1, g1 = fastpath.loss_and_grad(net, X, y, loss, block=BLOCK)
    assert _rel(v1, v0) < 1e-12 and _rel(g1, g0) < 1e-12


def test_tiny_net_through_the_dispatch_equals_reference():
    net = _net([1, 4, 1], "tanh")
    X, y = _data(np.random.default_rng(8), 32, 1, 1, "mse")
    for loss in (get_loss("mse"), get_loss("logistic")):
        yy = y if loss.name == "mse" else (y > 0) * 1.0
        v0, g0 = net.reference_flat_loss_and_grad(X, yy, loss)
        v1, g1 = net.flat_loss_and_grad(X, yy, loss)
        assert _rel(v1, v0) < 1e-12 and _rel(g1, g0) < 1e-12


@pytest.mark.parametrize("act", ACTS)
@pytest.mark.parametrize("sizes,N", [([1, 4, 1], 32), ([2, 8, 1], 1024), ([3, 5, 4, 2], 50)])
@pytest.mark.parametrize("loss_out", [("mse", "identity"), ("mse", "sigmoid"), ("logistic", "identity")])
def test_small_lane_follows_in_place_updates_and_keeps_nets_apart(act, sizes, N, loss_out):
    """Small steps reuse a kept setup per parameter array (fastpath._SmallLane): it must see
    the optimizer's in-place updates and never mix up two networks of the same shapes."""
    loss = get_loss(loss_out[0])
    nets = [_net(sizes, act, loss_out[1], seed=s) for s in (0, 1)]
    X, y = _data(np.random.default_rng(9), N, sizes[0], sizes[-1], loss_out[0])
    fastpath.loss_and_grad(nets[0], X, y, loss)
    assert fastpath._small_lanes, "this shape should take the small-step lane"
    rng = np.random.default_rng(3)
    for _ in range(3):
        for net in nets:
            v0, g0 = net.reference_flat_loss_and_grad(X, y, loss)
            v1, g1 = fastpath.loss_and_grad(net, X, y, loss)
            assert _rel(v1, v0) < 1e-12 and _rel(g1, g0) < 1e-12
            g1[...] = np.nan  # the caller owns the returned gradient: the next call must not see this
            net.theta -= 0.1 * rng.normal(size=net.theta.shape)  # an in-place update


def test_tanh_kernel_accurate_and_quiet_for_small_and_large_arrays():
    """Large arrays use 1 − 2/(e^{2z} + 1) (overflow silenced), small ones np.tanh."""
    import warnings

    from nnapprox.engine.activations import get_activation

    tanh = get_activation("tanh")
    z = np.concatenate([np.linspace(-400, 400, 40_001), [np.inf, -np.inf, 0.0, 19.99, 20.0, 20.01]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        big = tanh.value(z)
        small = np.concatenate([tanh.value(z[i : i + 1000]) for i in range(0, z.size, 1000)])
    for a in (big, small):
        assert np.max(np.abs(a - np.tanh(z))) < 5e-16
        assert a[-6] == 1.0 and a[-5] == -1.0 and a[-4] == 0.0
    out = z.copy()
    assert tanh.value(out, out=out) is out  # in place
    np.testing.assert_array_equal(out, big)


def test_callers_errstate_reaches_the_worker_threads(threaded):
    import warnings

    net = _net([2, 8, 1], "tanh")
    X, y = _data(np.random.default_rng(9), N_ODD, 2, 1, "mse")
    net.weights[0][:, 0] = np.inf
    X[:, 0] = 0.0  # inf * 0 in every block of every chunk: 'invalid'
    loss = get_loss("mse")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a worker that ignored the caller's errstate would warn
        with np.errstate(invalid="ignore"):
            v, _ = fastpath.loss_and_grad(net, X, y, loss, block=BLOCK)
    assert not np.isfinite(v)
    with np.errstate(invalid="raise"):
        with pytest.raises(FloatingPointError):
            fastpath.loss_and_grad(net, X, y, loss, block=BLOCK)


def test_bench_quick_run_writes_csv_and_markdown(tmp_path):
    """`python -m tools.bench` end to end on the tiny case (peers skipped if not installed)."""
    from tools import bench

    out = tmp_path / "bench"
    assert (
        bench.main(
            [
                "--quick",
                "--cases",
                "tiny",
                "--libs",
                "nnapprox,numpy",
                "--replicas",
                "2",
                "--reps-scale",
                "0.05",
                "--fit-steps",
                "20",
                "--out",
                str(out),
            ]
        )
        == 0
    )
    rows = (out / "bench.csv").read_text().splitlines()
    # 2 step rows, 2 replica rows, 2 fit-level rows (fit, bare steps; no torch asked for)
    assert rows[0].startswith("section,case") and len(rows) == 1 + 2 + 2 + 2
    assert sum(r.startswith("fit 20 steps,tiny") for r in rows) == 2
    md = (out / "bench.md").read_text()
    assert "| tiny (1, 4, 1, 32) |" in md and "one pass" in md
    assert "| nnapprox fit |" in md and "| nnapprox bare steps |" in md


@pytest.mark.slow  # two bench runs (about 8 s)
def test_bench_greedy_section_keeps_the_step_rows(tmp_path):
    """The greedy-path section alone (old and new paths on the small case) keeps the step section of
    the previous run in bench.csv and bench.md."""
    from tools import bench

    out = tmp_path / "bench"
    assert (
        bench.main(
            [
                "--quick",
                "--cases",
                "tiny",
                "--libs",
                "nnapprox",
                "--replicas",
                "0",
                "--reps-scale",
                "0.05",
                "--fit-steps",
                "0",
                "--out",
                str(out),
            ]
        )
        == 0
    )
    assert (
        bench.main(
            [
                "--cases",
                "none",
                "--libs",
                "nnapprox",
                "--replicas",
                "0",
                "--fit-steps",
                "0",
                "--no-memory",
                "--greedy-cases",
                "S",
                "--greedy-reps",
                "1",
                "--out",
                str(out),
            ]
        )
        == 0
    )
    rows = (out / "bench.csv").read_text().splitlines()
    assert sum(r.startswith("step,tiny") for r in rows) == 1 and sum(r.startswith("greedy,S") for r in rows) == 5
    md = (out / "bench.md").read_text()
    assert "| tiny (1, 4, 1, 32) |" in md and "| S (d=4, N=2000, n=64) | oga | new |" in md
    with open(out / "bench.csv", newline="") as fh:
        greedy = [r for r in __import__("csv").DictReader(fh) if r["section"] == "greedy"]
    exact = next(r for r in greedy if r["variant"] == "new, 4 passes")
    assert float(exact["max_rel_diff_train_mse"]) == 0.0 and float(exact["max_rel_diff_test_mse"]) == 0.0
    assert all(float(r["max_rel_diff_train_mse"]) == 0.0 for r in greedy if r["trainer"] == "greedy")


@pytest.mark.skipif(not hasattr(__import__("os"), "fork"), reason="needs os.fork")
def test_threaded_step_works_in_a_forked_child(threaded):
    import multiprocessing as mp

    net = _net([2, 8, 1], "tanh")
    X, y = _data(np.random.default_rng(10), N_ODD, 2, 1, "mse")
    v, g = fastpath.loss_and_grad(net, X, y, get_loss("mse"), block=BLOCK)  # pool started here
    ctx = mp.get_context("fork")
    with ctx.Pool(1) as pool:
        v2, g2 = pool.apply(fastpath.loss_and_grad, (net, X, y, get_loss("mse")), {"block": BLOCK})
    assert v2 == v
    np.testing.assert_array_equal(g2, g)


def test_env_switch_selects_the_reference_path(monkeypatch):
    from nnapprox import MLP
    from nnapprox.engine import fastpath

    net = MLP([2, 3, 1], "tanh")
    X = np.ones((4, 2))
    assert fastpath.applies(net, X)
    monkeypatch.setattr(fastpath, "ENABLED", False)
    assert not fastpath.applies(net, X)
    # the environment variable is read when nnapprox is imported
    code = (
        "import numpy as np; from nnapprox import MLP; from nnapprox.engine import fastpath; "
        "print(fastpath.applies(MLP([2, 3, 1]), np.ones((4, 2))))"
    )
    for env, want in (("0", "False"), ("1", "True")):
        out = subprocess.run(
            [sys.executable, "-c", code],
            env={**os.environ, "NNAPPROX_FASTPATH": env},
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        assert out == want
