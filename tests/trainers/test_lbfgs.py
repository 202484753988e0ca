"""L-BFGS extensions: restarts, boosting, width continuation, and the float64 precision target."""

import numpy as np
import pytest
from helpers import small_sin_cfg

from nnapprox import MLP, fit
from nnapprox.experiment.job import run_job
from nnapprox.experiment.metrics import evaluate
from nnapprox.experiment.validation import ConfigError, canonical
from nnapprox.trainers.lbfgs import NEW_UNIT_SCALE, NetPath, grow, sum_networks


def _sin3(N, rng):
    X = rng.uniform(-1, 1, size=(N, 1))
    return X, np.sin(3 * X[:, 0])


def test_restarts_1_is_the_plain_run():
    X, y = _sin3(64, np.random.default_rng(0))
    a = MLP([1, 6, 1], "tanh", rng=np.random.default_rng(0))
    b = MLP([1, 6, 1], "tanh", rng=np.random.default_rng(0))
    ha = fit(a, X, y, trainer="lbfgs", max_steps=50)
    hb = fit(b, X, y, trainer="lbfgs", max_steps=50, restarts=1, boost=0)
    np.testing.assert_array_equal(a.theta, b.theta)
    np.testing.assert_array_equal(ha.loss, hb.loss)


def test_restarts_keep_the_best_run_and_start_from_the_given_network():
    X, y = _sin3(64, np.random.default_rng(0))
    solo = MLP([1, 4, 1], "tanh", rng=np.random.default_rng(5))
    h1 = fit(solo, X, y, trainer="lbfgs", max_steps=100)
    net = MLP([1, 4, 1], "tanh", rng=np.random.default_rng(5))
    h = fit(net, X, y, trainer="lbfgs", max_steps=100, restarts=4, rng=np.random.default_rng(1))
    losses = h.extras["restart_losses"]
    assert len(losses) == 4 and losses[0] == pytest.approx(h1.final_loss, rel=1e-12)
    assert h.final_loss == pytest.approx(min(losses), rel=1e-12)
    assert h.net is net and net.loss_and_grad(X, y)[0] == pytest.approx(min(losses), rel=1e-9)


def test_sum_networks_is_exact_for_deep_nets():
    rng = np.random.default_rng(0)
    nets = [MLP([2, 3, 4, 1], "tanh", rng=np.random.default_rng(s)) for s in range(3)]
    X = rng.normal(size=(20, 2))
    net = sum_networks(nets, [1.0, 0.5, -2.0])
    assert net.sizes == [2, 9, 12, 1]
    ref = nets[0].predict(X) + 0.5 * nets[1].predict(X) - 2.0 * nets[2].predict(X)
    np.testing.assert_allclose(net.predict(X), ref, rtol=1e-12, atol=1e-12)


def test_boost_fits_the_scaled_residual_and_returns_the_summed_network():
    X, y = _sin3(128, np.random.default_rng(0))
    net = MLP([1, 4, 1], "tanh", rng=np.random.default_rng(0))
    h = fit(net, X, y, trainer="lbfgs", max_steps=150, boost=2, rng=np.random.default_rng(1))
    st = h.extras["stage_losses"]
    assert len(st) == 3 and st[2] < st[1] < st[0]
    assert h.net.sizes == [1, 12, 1] and net.sizes == [1, 4, 1]
    assert 0.5 * np.mean((h.net.predict(X) - y) ** 2) == pytest.approx(st[-1], rel=1e-9)
    assert 0.5 * np.mean((net.predict(X) - y) ** 2) == pytest.approx(st[0], rel=1e-9)
    c1 = h.extras["boost_scales"][0]
    assert c1 == pytest.approx(np.mean(np.abs(y - net.predict(X))), rel=1e-12)  # Michaud et al.: mean|r|
    assert h.path.widths == [4, 8, 12] and h.path.scales[1] == c1


def test_grow_keeps_the_function_up_to_the_new_units_scale():
    X = np.random.default_rng(0).normal(size=(50, 3))
    for sizes in ([3, 4, 1], [3, 4, 5, 2]):
        small = MLP(sizes, "tanh", rng=np.random.default_rng(1))
        big_sizes = [sizes[0]] + [2 * s for s in sizes[1:-1]] + [sizes[-1]]
        big = grow(small, MLP(big_sizes, "tanh", rng=np.random.default_rng(2)))
        diff = np.max(np.abs(big.forward(X) - small.forward(X)))
        assert 0 < diff < 10 * NEW_UNIT_SCALE * np.max(np.abs(small.forward(X)))
        np.testing.assert_array_equal(big.weights[0][: sizes[1]], small.weights[0])


def test_init_from_continues_training_from_a_smaller_net():
    X, y = _sin3(128, np.random.default_rng(0))
    small = MLP([1, 4, 1], "tanh", rng=np.random.default_rng(0))
    hs = fit(small, X, y, trainer="lbfgs", max_steps=300)
    big = MLP([1, 8, 1], "tanh", rng=np.random.default_rng(1))
    hb = fit(big, X, y, trainer="lbfgs", max_steps=300, init_from=small)
    assert hb.loss[0] <= hs.final_loss * 1.01 and hb.final_loss < hs.final_loss


def test_width_continuation_path():
    X, y = _sin3(128, np.random.default_rng(0))
    net = MLP([1, 8, 1], "tanh", rng=np.random.default_rng(0))
    h = fit(net, X, y, trainer="lbfgs", max_steps=200, record_widths=[2, 4], rng=np.random.default_rng(3))
    path = h.path
    assert isinstance(path, NetPath) and path.widths == [2, 4, 8] and h.stop_reason == "path_end"
    assert [path.prefix(n).sizes[1] for n in path.widths] == [2, 4, 8]
    np.testing.assert_array_equal(path.prefix(8).theta, net.theta)
    np.testing.assert_allclose(path.predict(X)[1], path.prefix(4).predict(X))
    assert np.all(np.diff(path.train_mse) <= 0.02 * np.array(path.train_mse[:-1]))
    assert len(h.loss) == 3 and np.all(np.diff(path.times) > 0)
    bounds = [evaluate(p, y, c_f=3.0, n=n)["bound"] for p, n in zip(path.predict(X), path.widths, strict=True)]
    assert bounds == pytest.approx([36 / 2, 36 / 4, 36 / 8])


def test_bad_options_raise():
    X, y = _sin3(32, np.random.default_rng(0))
    net = MLP([1, 4, 1], "tanh")
    for opts, match in [
        (dict(restarts=0), "restarts=0"),
        (dict(boost=-1), "boost=-1"),
        (dict(init="lecun"), "init='lecun' is not known"),
        (dict(init_from=MLP([1, 8, 1], "tanh")), "init_from has sizes"),
        (dict(init_from=MLP([1, 2, 1], "relu")), "init_from has activation"),
        (dict(record_widths=[0, 2]), "record_widths"),
        (dict(record_widths=[2], boost=1), "record_widths cannot be combined"),
        (dict(warm_rows=0), "warm_rows=0"),
        (dict(restart=2), r"unknown options \['restart'\]"),
    ]:
        with pytest.raises(ValueError, match=match):
            fit(net, X, y, trainer="lbfgs", max_steps=5, **opts)
    reps = MLP([1, 4, 1], "tanh", rng=[np.random.default_rng(s) for s in range(2)])
    with pytest.raises(ValueError, match="single network"):
        fit(reps, X, y, trainer="lbfgs", restarts=2)
    with pytest.raises(ValueError, match="boost=1 needs trainer.loss='mse'"):
        fit(MLP([1, 4, 1], "tanh", "sigmoid"), X, (y > 0).astype(float), trainer="lbfgs", loss="logistic", boost=1)


@pytest.mark.slow
def test_lbfgs_with_restarts_reaches_1e_8_on_sin3x_at_width_32():
    X, y = _sin3(512, np.random.default_rng(0))
    Xt, yt = _sin3(4096, np.random.default_rng(1))
    net = MLP([1, 32, 1], "tanh", rng=np.random.default_rng(0))
    # ftol=0: scipy's ftol test is absolute below a loss of 1 and would stop near 1e-9
    h = fit(net, X, y, trainer="lbfgs", restarts=3, max_steps=2500, ftol=0.0, rng=np.random.default_rng(1))
    assert h.status == "ok" and net.dtype == np.float64
    assert np.mean((net.predict(Xt) - yt) ** 2) < 1e-8


# a continuation path ends at model.width; widths beyond it are refused
def test_lbfgs_paths_end_at_model_width(tmp_path):
    path = {"name": "lbfgs", "record_widths": [2, 4, 8], "max_steps": 20}
    with pytest.raises(ConfigError, match=r"trainer.record_widths=\[2, 4, 8\] exceeds model.width=4"):
        canonical(small_sin_cfg(trainer=path, **{"model.width": 4}))
    recs = run_job(small_sin_cfg(trainer=path, **{"model.width": 8}), tmp_path)
    assert [r["n"] for r in recs] == [2, 4, 8] and {r["model.width"] for r in recs} == {8}
