"""nnapprox.engine.network: forward/backward, gradient checks, the lecture's network by hand, parameters, replicas,
initialisation, bad input."""

import itertools
import zlib

import numpy as np
import pytest
from helpers import small_sin_cfg
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from nnapprox import MLP, fit
from nnapprox.engine.gradcheck import check_gradient, numerical_gradient, relative_error
from nnapprox.engine.params import pack, param_count, unpack
from nnapprox.experiment.validation import ConfigError, canonical

ACTS = ["sigmoid", "tanh", "relu", "leaky_relu", "identity", "heaviside", "relu2", "relu3"]


def _generic(net, rng, scale=0.7):
    """Move the parameters to a generic point: random nonzero biases keep ReLU kinks off exact zeros."""
    net.theta[...] = rng.normal(0.0, scale, size=net.theta.shape)
    return net


def _data(rng, N, d, out, loss, batch=()):
    X = rng.normal(size=batch + (N, d))
    if loss == "mse":
        y = rng.normal(size=batch + (N, out))
    else:
        y = (rng.random(batch + (N, out)) > 0.5).astype(float)
    return X, y


# --- gradient check: every activation x loss x depth, with and without replicas ---


def _seed(*parts):
    """A seed from the test's parameters that is the same in every process (``hash`` of a str is not)."""
    return zlib.crc32(repr(parts).encode())


#: ReLU² and ReLU³ (the greedy dictionaries, one hidden layer) are checked to depth 2: through four
#: layers relu³ is a polynomial of degree 81 and central differences lose 1e-7 to its curvature.
@pytest.mark.parametrize(
    "act,depth,loss_out,replicas",
    [
        (a, d, lo, r)
        for a, d, lo, r in itertools.product(
            ACTS,
            [1, 2, 3, 4],
            [("mse", "identity"), ("mse", "sigmoid"), ("logistic", "sigmoid"), ("logistic", "identity")],
            [None, 3],
        )
        if not (a in ("relu2", "relu3") and d > 2)
    ],
)
def test_gradient_check(act, depth, loss_out, replicas):
    loss, out_act = loss_out
    rng = np.random.default_rng(_seed(act, depth, loss, out_act, replicas))
    sizes = [3] + [4] * depth + [2]
    net_rng = rng if replicas is None else [np.random.default_rng(k) for k in range(replicas)]
    net = _generic(MLP(sizes, activation=act, output_activation=out_act, rng=net_rng), rng)
    batch = () if replicas is None else (replicas,)
    X, y = _data(rng, 6, 3, 2, loss)
    err = check_gradient(net, X, y, loss=loss)
    assert err < 1e-7, err
    if replicas:  # per-replica data too
        X, y = _data(rng, 5, 3, 2, loss, batch)
        assert check_gradient(net, X, y, loss=loss) < 1e-7


@settings(max_examples=25, deadline=None)
@given(
    sizes=st.lists(st.integers(1, 5), min_size=2, max_size=5),
    N=st.integers(1, 8),
    act=st.sampled_from(ACTS),
    seed=st.integers(0, 2**31),
)
def test_gradient_check_random_shapes(sizes, N, act, seed):
    assume(not (act in ("relu2", "relu3") and len(sizes) > 4))  # see test_gradient_check
    rng = np.random.default_rng(seed)
    net = _generic(MLP(sizes, activation=act, rng=rng), rng)
    X, y = _data(rng, N, sizes[0], sizes[-1], "mse")
    assert check_gradient(net, X, y) < 1e-7


def test_gradient_check_catches_a_wrong_gradient():
    """The check must be able to fail: a gradient off by 1% is flagged."""
    rng = np.random.default_rng(0)
    net = _generic(MLP([2, 3, 1], "tanh", rng=rng), rng)
    X, y = _data(rng, 5, 2, 1, "mse")
    _, g = net.loss_and_grad(X, y)
    num = numerical_gradient(lambda t: net.loss_and_grad_flat(t, X, y)[0], net.theta.copy())
    assert relative_error(g.flat, num) < 1e-8
    assert relative_error(g.flat * 1.01, num) > 1e-3


# --- the lecture's 3-4-1 network by hand -------------------------------------


def test_lecture_341_network_by_hand():
    """Forward values and dW, db of both layers of a 3-4-1 sigmoid net, one sample, written out."""
    W1 = np.array([[0.1, -0.2, 0.3], [0.4, 0.5, -0.6], [-0.7, 0.8, 0.9], [0.2, -0.1, 0.05]])
    b1 = np.array([0.1, -0.1, 0.2, 0.0])
    W2 = np.array([[0.3, -0.5, 0.7, 0.2]])
    b2 = np.array([-0.2])
    x = np.array([1.0, 2.0, -1.0])
    y = 0.5
    net = MLP.from_params([W1, W2], [b1, b2], activation="sigmoid", output_activation="sigmoid")
    s = lambda t: 1 / (1 + np.exp(-t))  # noqa: E731
    # forward, one unit at a time (no matrix products), exactly as on the blackboard
    z1 = [sum(W1[j, k] * x[k] for k in range(3)) + b1[j] for j in range(4)]
    a1 = [s(v) for v in z1]
    z2 = sum(W2[0, j] * a1[j] for j in range(4)) + b2[0]
    a2 = s(z2)
    np.testing.assert_allclose(net.forward(x[None, :])[0, 0], a2, rtol=1e-15)
    # backward for L = ½ (a2 − y)²: dz2 = (a2 − y) σ'(z2); dW2_j = dz2 a1_j; db2 = dz2
    dz2 = (a2 - y) * a2 * (1 - a2)
    dW2 = [dz2 * a1[j] for j in range(4)]
    # da1_j = W2_j dz2; dz1_j = da1_j σ'(z1_j); dW1_jk = dz1_j x_k; db1_j = dz1_j
    dz1 = [W2[0, j] * dz2 * a1[j] * (1 - a1[j]) for j in range(4)]
    dW1 = [[dz1[j] * x[k] for k in range(3)] for j in range(4)]
    loss, g = net.loss_and_grad(x[None, :], np.array([y]))
    assert loss == pytest.approx(0.5 * (a2 - y) ** 2, rel=1e-14)
    np.testing.assert_allclose(g.dW[1], [dW2], rtol=1e-13)
    np.testing.assert_allclose(g.db[1], [dz2], rtol=1e-13)
    np.testing.assert_allclose(g.dW[0], dW1, rtol=1e-13)
    np.testing.assert_allclose(g.db[0], dz1, rtol=1e-13)
    # spot values worked on paper (guards against both sides drifting together):
    # z1 = (0.1−0.4−0.3+0.1, 0.4+1.0+0.6−0.1, −0.7+1.6−0.9+0.2, 0.2−0.2−0.05) = (−0.5, 1.9, 0.2, −0.05)
    np.testing.assert_allclose(z1, [-0.5, 1.9, 0.2, -0.05], atol=1e-15)
    # z2 = 0.3·σ(−0.5) − 0.5·σ(1.9) + 0.7·σ(0.2) + 0.2·σ(−0.05) − 0.2 ≈ −0.03930, a2 = σ(z2) ≈ 0.49018
    assert z2 == pytest.approx(-0.03930, abs=1e-5)
    assert a2 == pytest.approx(0.49018, abs=1e-5)


def test_logistic_with_sigmoid_output_gives_dz_equal_yhat_minus_y():
    rng = np.random.default_rng(3)
    W, b = rng.normal(size=(1, 2)), rng.normal(size=1)
    net = MLP.from_params([W], [b], activation="tanh", output_activation="sigmoid")
    X = rng.normal(size=(10, 2))
    y = (rng.random(10) > 0.5).astype(float)
    _, g = net.loss_and_grad(X, y, loss="logistic")
    yhat = net.predict(X)
    np.testing.assert_allclose(g.db[0], [np.sum(yhat - y) / 10], rtol=1e-13)
    np.testing.assert_allclose(g.dW[0], ((yhat - y) @ X / 10)[None, :], rtol=1e-13)


# --- pack / unpack, views, from_params -----------------------------------------


def test_pack_unpack_roundtrip_and_views():
    rng = np.random.default_rng(0)
    sizes = [3, 5, 4, 2]
    net = MLP(sizes, "relu", rng=rng)
    assert net.n_params == param_count(sizes) == 3 * 5 + 5 + 5 * 4 + 4 + 4 * 2 + 2
    assert [W.shape for W in net.weights] == [(5, 3), (4, 5), (2, 4)]
    assert [b.shape for b in net.biases] == [(5,), (4,), (2,)]
    np.testing.assert_array_equal(pack(net.weights, net.biases), net.theta)
    net.weights[1][2, 3] = 42.0  # views write through
    assert 42.0 in net.theta
    W, b = unpack(net.theta.copy(), sizes)
    clone = MLP.from_params(W, b, activation="relu")
    X = rng.normal(size=(7, 3))
    np.testing.assert_array_equal(clone.forward(X), net.forward(X))


def test_from_params_with_replica_axis_and_stack():
    rng = np.random.default_rng(0)
    nets = [MLP([2, 3, 1], "tanh", rng=np.random.default_rng(s)) for s in range(4)]
    stacked = MLP.stack(nets)
    assert stacked.batch_shape == (4,)
    X = rng.normal(size=(6, 2))
    out = stacked.forward(X)
    assert out.shape == (4, 6, 1)
    for r, n in enumerate(nets):
        np.testing.assert_allclose(out[r], n.forward(X), rtol=1e-14)
    again = MLP.from_params(stacked.weights, stacked.biases, activation="tanh")
    np.testing.assert_array_equal(again.forward(X), out)


def test_replicas_built_from_seeds_equal_solo_networks():
    seeds = [11, 12, 13]
    batched = MLP([2, 8, 8, 1], "relu", rng=[np.random.default_rng(s) for s in seeds])
    for r, s in enumerate(seeds):
        solo = MLP([2, 8, 8, 1], "relu", rng=np.random.default_rng(s))
        np.testing.assert_array_equal(batched.theta[r], solo.theta)


@pytest.mark.parametrize("scheme,act", [("xavier", "tanh"), ("he", "relu"), ("normal", "tanh")])
def test_init_schemes_have_the_stated_scale(scheme, act):
    net = MLP([400, 300, 1], act, init=scheme, init_std=0.05, rng=np.random.default_rng(0))
    W = net.weights[0]
    expected = {"xavier": np.sqrt(2.0 / 700), "he": np.sqrt(2.0 / 400), "normal": 0.05}[scheme]
    assert W.std() == pytest.approx(expected, rel=0.02)
    # hidden biases: the declared default of the activation's family (issue 23: the same as the CLI's),
    # N(0, 0.5²) for the ReLU family, zero otherwise
    if act in ("relu", "leaky_relu"):
        assert net.biases[0].std() == pytest.approx(0.5, rel=0.15)
    else:
        assert np.all(net.biases[0] == 0)
    assert np.all(MLP([400, 300, 1], act, init=scheme, bias_init="zero").biases[0] == 0)


def test_default_init_depends_on_activation():
    a = MLP([50, 60, 1], "relu", rng=np.random.default_rng(0))
    b = MLP([50, 60, 1], "relu", init="he", rng=np.random.default_rng(0))
    c = MLP([50, 60, 1], "tanh", init="xavier", rng=np.random.default_rng(0))
    d = MLP([50, 60, 1], "tanh", rng=np.random.default_rng(0))
    np.testing.assert_array_equal(a.theta, b.theta)
    np.testing.assert_array_equal(c.theta, d.theta)


def test_float32_option():
    net = MLP([2, 4, 1], "tanh", dtype=np.float32, rng=np.random.default_rng(0))
    out = net.forward(np.ones((3, 2)))
    assert out.dtype == np.float32 and net.theta.dtype == np.float32
    loss, g = net.loss_and_grad(np.ones((3, 2)), np.zeros(3))
    assert g.flat.dtype == np.float32


# --- bad input -------------------------------------------------------------------


def test_bad_inputs_raise_value_errors_naming_the_argument():
    net = MLP([2, 3, 1], "tanh", rng=np.random.default_rng(0))
    with pytest.raises(ValueError, match=r"X must have shape \(N, 2\)"):
        net.forward(np.ones((4, 3)))
    with pytest.raises(ValueError, match=r"X must have shape"):
        net.forward(np.ones(4))
    with pytest.raises(ValueError, match="X contains NaN or inf"):
        net.forward(np.array([[0.0, np.nan]]))
    with pytest.raises(ValueError, match="X contains NaN or inf"):
        net.forward(np.array([[np.inf, 0.0]]))
    with pytest.raises(ValueError, match=r"y must have shape \(4,\) or \(4, 1\) to match X"):
        net.loss_and_grad(np.ones((4, 2)), np.ones(5))
    with pytest.raises(ValueError, match="y contains NaN"):
        net.loss_and_grad(np.ones((2, 2)), np.array([0.0, np.nan]))
    with pytest.raises(ValueError, match=r"width sizes\[1\]=0 must be >= 1"):
        MLP([2, 0, 1])
    with pytest.raises(ValueError, match=r"width sizes\[2\]=-3 must be >= 1"):
        MLP([2, 4, -3, 1])
    with pytest.raises(ValueError, match="sizes must"):
        MLP([2])
    with pytest.raises(ValueError, match="init='uniformish'"):
        MLP([2, 3, 1], init="uniformish")
    with pytest.raises(ValueError, match="weights\\[1\\] has shape"):
        MLP.from_params([np.ones((3, 2)), np.ones((1, 4))], [np.ones(3), np.ones(1)])
    with pytest.raises(ValueError, match="loss='logistic' needs output_activation"):
        MLP([2, 3, 1], output_activation="tanh").loss_and_grad(np.ones((2, 2)), np.ones(2), loss="logistic")


def test_place_kinks_at_data_makes_every_relu_unit_active_somewhere():
    from nnapprox.engine.init import place_kinks_at_data

    rng = np.random.default_rng(0)
    X = rng.uniform(0, 1, size=(500, 1))
    net = MLP([1, 32, 32, 1], "relu", rng=np.random.default_rng(1))
    from nnapprox.engine.passes import forward

    zs, _ = forward(net.weights, net.biases, X, net.act, net.out_act)
    dead_before = sum(int(np.sum(np.all(z <= 0, axis=0))) for z in zs[1:-1])
    assert dead_before > 0  # zero biases, inputs >= 0: units with negative weights are dead
    W0 = [W.copy() for W in net.weights]
    place_kinks_at_data(net, X, np.random.default_rng(2))
    zs, _ = forward(net.weights, net.biases, X, net.act, net.out_act)
    for z in zs[1:-1]:
        assert np.all(np.any(z > 0, axis=0) | np.any(z == 0, axis=0))  # every unit reaches its kink
        assert np.all(np.min(np.abs(z), axis=0) < 1e-12)  # kink exactly at a data point
    for a, b in zip(W0, net.weights, strict=True):
        np.testing.assert_array_equal(a, b)


# sizes are integers or a clear error
@pytest.mark.parametrize("bad", [2.7, np.float64(3.9), True, "8"])
def test_sizes_must_be_integers(bad):
    with pytest.raises(ValueError, match=r"sizes\[1\]=.* must be an integer"):
        MLP([1, bad, 1])
    assert MLP([1, np.int64(3), 1]).sizes == [1, 3, 1]


# API errors that help
def test_api_errors_name_the_argument():
    X = np.zeros((4, 1))
    with pytest.raises(ValueError, match="rng=0 must be a np.random.Generator"):
        MLP([1, 4, 1], rng=0)
    with pytest.raises(ValueError, match="net='net' must be an nnapprox MLP"):
        fit("net", X, X[:, 0])
    with pytest.raises(ValueError, match="nets must be a non-empty sequence"):
        MLP.stack([])
    h = fit(MLP([1, 2, 1]), X, X[:, 0], trainer="gd", max_steps=None)  # None: the declared default
    assert h.steps == 2000  # the declared default (gd, momentum, adam, lbfgs: 2000, as the CLI always ran)


# shared y with per-replica X says what it needs
def test_per_replica_x_needs_per_replica_y():
    net = MLP([1, 3, 1], rng=[np.random.default_rng(s) for s in range(2)])
    with pytest.raises(ValueError, match=r"y must have shape \(2, 64\).*per-replica X needs per-replica y.*\(64,\)"):
        net.loss_and_grad(np.zeros((2, 64, 1)), np.zeros(64))


# NaN/inf parameters and non-finite casts are refused; linear hidden units are outside Barron's hypotheses
def test_non_finite_parameters_and_casts_are_refused():
    with pytest.raises(ValueError, match="init_std=nan must be > 0 and finite"):
        MLP([1, 3, 1], init="normal", init_std=float("nan"))
    W = [np.array([[np.nan]]), np.array([[1.0]])]
    with pytest.raises(ValueError, match="NaN or inf"):
        MLP.from_params(W, [np.zeros(1), np.zeros(1)])
    with pytest.raises(ValueError, match="beyond the range of float32"):
        MLP([1, 3, 1], dtype=np.float32).forward(np.full((2, 1), 1e300))
    with pytest.raises(ValueError, match=r"y must lie in \[0, 1\] for loss='logistic'"):
        fit(MLP([1, 3, 1], output_activation="sigmoid"), np.zeros((4, 1)), np.array([0, 1, 2, 1.0]), loss="logistic")
    with pytest.raises(ConfigError, match="activation.name='identity' is not known"):
        canonical(small_sin_cfg(**{"activation.name": "identity"}))
