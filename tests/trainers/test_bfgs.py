"""Full-precision training: the dense BFGS trainer, boosting as Michaud et al. describe it, fits that do not
depend on the thread count, and restarts/stages drawn like the first network (issue 24, repros 13 and 14)."""

import json

import numpy as np
import pytest
from helpers import plain_config
from threadpoolctl import threadpool_limits

from nnapprox import MLP, fit
from nnapprox.engine import fastpath
from nnapprox.engine.init import Init, draw_normal_biases, draw_rai, place_kinks_at_data
from nnapprox.engine.network import build, fresh
from nnapprox.engine.structure import tree_mask, tree_sizes
from nnapprox.experiment.job import run_job
from nnapprox.experiment.records import load_params
from nnapprox.experiment.training import setup
from nnapprox.experiment.validation import ConfigError, canonical
from nnapprox.targets.builtin import get_target, teacher_params


def _teacher_data(N, seed=0):
    t = get_target("teacher")
    X = np.random.default_rng(seed).uniform(-1, 1, size=(N, 1))
    return X, t(X)


# ---------------------------------------------------------------------------
# the same bits for any thread count
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("trainer,opts", [("lbfgs", {}), ("bfgs", {"boost": 1})])
def test_a_fit_gives_the_same_bits_for_1_and_2_blas_threads(trainer, opts):
    # N = 2000, width 20: steps short enough that the engine leaves BLAS alone; before fit held BLAS at one
    # thread, scipy's L-BFGS-B diverged from the one-thread run after 17 evaluations
    X, y = _teacher_data(2000)
    thetas = []
    for n in (1, 2):
        with threadpool_limits(n, user_api="blas"):
            net = MLP([1, 20, 20, 1], "tanh", rng=np.random.default_rng(1))
            h = fit(net, X, y, trainer=trainer, max_steps=150, rng=np.random.default_rng(2), **opts)
            thetas.append(h.net.theta.copy())
    np.testing.assert_array_equal(thetas[0], thetas[1])


def test_a_fit_gives_the_same_bits_for_1_and_2_engine_threads():
    X, y = _teacher_data(40000)  # a threaded plan: several chunks
    thetas = []
    try:
        for n in (1, 2):
            fastpath.set_threads(n)
            net = MLP([1, 20, 20, 1], "tanh", rng=np.random.default_rng(1))
            fit(net, X, y, trainer="bfgs", max_steps=30)
            thetas.append(net.theta.copy())
    finally:
        fastpath.set_threads(None)
    np.testing.assert_array_equal(thetas[0], thetas[1])


# ---------------------------------------------------------------------------
# the dense trainer and boosting
# ---------------------------------------------------------------------------


def test_bfgs_boosting_is_michauds_recipe_and_shared_with_lbfgs():
    X, y = _teacher_data(500)
    for trainer in ("bfgs", "lbfgs"):
        net = MLP([1, 6, 6, 1], "tanh", rng=np.random.default_rng(0))
        h = fit(net, X, y, trainer=trainer, max_steps=200, boost=2, rng=np.random.default_rng(1))
        c = h.extras["boost_scales"]
        F0 = net.predict(X)
        assert c[0] == pytest.approx(np.mean(np.abs(y - F0)), rel=1e-12)  # 1 / mean|r|, not the RMS
        g1 = h.path.prefix(h.path.widths[1])
        assert c[1] == pytest.approx(np.mean(np.abs(y - g1.predict(X))), rel=1e-9)
        st = h.extras["stage_losses"]
        assert len(st) == 3 and st[2] < st[1] < st[0]
        assert 0.5 * np.mean((h.net.predict(X) - y) ** 2) == pytest.approx(st[-1], rel=1e-9)
        assert h.path.widths == [6, 12, 18] and h.net.sizes == [1, 18, 18, 1]
        # the stages' hidden layers are kept apart: the sum counts the stages' own parameters
        assert h.net.n_trainable == 3 * net.n_params - 2
        assert h.loss[-1] == pytest.approx(st[-1], rel=1e-9)  # the history shows the whole model's loss


def test_bfgs_reaches_far_below_lbfgs_on_a_small_teacher():
    X, y = _teacher_data(1000)
    Xt, yt = _teacher_data(1000, seed=1)
    out = {}
    for trainer, steps in (("lbfgs", 600), ("bfgs", 600)):
        net = MLP([1, 8, 8, 1], "tanh", rng=np.random.default_rng(3))
        h = fit(net, X, y, trainer=trainer, max_steps=steps, boost=1, rng=np.random.default_rng(4))
        out[trainer] = np.sqrt(np.mean((h.net.predict(Xt) - yt) ** 2))
    assert out["bfgs"] < 1e-8 and out["bfgs"] < out["lbfgs"]


def test_bfgs_stops_when_float64_cannot_go_further():
    X = np.linspace(-1, 1, 64)[:, None]
    y = 0.3 * X[:, 0] + 0.1
    net = MLP([1, 1], "identity", rng=np.random.default_rng(0))  # a linear model: exact fit
    h = fit(net, X, y, trainer="bfgs", max_steps=500)
    assert h.stop_reason == "converged" and h.steps < 500 and h.final_loss < 1e-28


def test_bfgs_refuses_what_it_cannot_do_in_one_line():
    X, y = _teacher_data(64)
    big = MLP([1, 80, 80, 1], "tanh")  # 6721 parameters: a dense H of 360 MB
    cases = [
        (big, dict(), "at most 5000"),
        (MLP([1, 4, 1]), dict(gtol=-1.0), "gtol=-1.0"),
        (MLP([1, 4, 1]), dict(init="lecun"), "init='lecun' is not known"),
        (MLP([1, 4, 1]), dict(maxcor=5), r"unknown options \['maxcor'\]"),
        (MLP([1, 4, 1], "tanh", "sigmoid"), dict(boost=1, loss="logistic"), "boost=1 needs"),
        (MLP([1, 4, 1]), dict(polish_steps=10), "polish_steps=10 is not used"),
        (MLP([1, 4, 1]), dict(warm_rows=64), "warm_rows=64 must be below data.N=64"),
    ]
    for net, opts, match in cases:
        yy = (y > 0).astype(float) if opts.get("loss") == "logistic" else y
        with pytest.raises(ValueError, match=match) as e:
            fit(net, X, yy, trainer="bfgs", max_steps=5, **opts)
        assert "\n" not in str(e.value)
    with pytest.raises(ConfigError, match="at most 5000"):
        canonical(
            plain_config(
                **{
                    "trainer": {"name": "bfgs"},
                    "model.width": 80,
                    "model.depth": 2,
                    "target.name": "teacher",
                    "target.d": 1,
                }
            )
        )


def test_teacher_target_is_the_stated_network():
    t = get_target("teacher", widths=[3, 3], seed=0)
    W, b = teacher_params(1, [3, 3], 0)
    assert [w.shape for w in W] == [(3, 1), (3, 3), (1, 3)]
    assert np.all(np.abs(W[0]) <= 1) and np.all(np.abs(W[1]) <= 3**-0.5) and np.all(np.abs(b[2]) <= 3**-0.5)
    net = MLP.from_params(W, b, "tanh")
    X = np.linspace(-1, 1, 101)[:, None]
    np.testing.assert_allclose(t(X), net.predict(X), rtol=0, atol=1e-15)
    assert t.kind == "depth" and t.c_f is None and t.domain.kind == "cube"
    assert get_target(t.name, **t.params)(X).tolist() == t(X).tolist()
    with pytest.raises(ValueError, match="widths"):
        get_target("teacher", widths=[3, 0])


# ---------------------------------------------------------------------------
# restarts and stages drawn like the first network (issue 24, repros 13 and 14)
# ---------------------------------------------------------------------------


def test_build_draws_the_first_network_exactly_as_before():
    """The job's first network: the same streams as the code it replaced (records stay reproducible)."""
    X = np.random.default_rng(0).uniform(size=(50, 4))
    for init, rest in [
        (Init("xavier"), None),
        (Init("he", biases="normal", bias_std=0.5), "normal"),
        (Init("he", biases="data"), "data"),
        (Init("rai", biases=None), "rai"),
    ]:
        ss = np.random.SeedSequence([3, 1]).spawn(3)[1]
        new = build([4, 8, 4, 1], "relu", init=init, rng=np.random.default_rng(ss), X=X, mask=tree_mask(4, 4))
        ss = np.random.SeedSequence([3, 1]).spawn(3)[1]
        old = MLP(
            [4, 8, 4, 1],
            "relu",
            rng=np.random.default_rng(ss),
            init="he" if rest == "rai" else init.weights,
            bias_init="zero",
            mask=tree_mask(4, 4),
        )
        child = np.random.default_rng(ss.spawn(1)[0])
        if rest == "rai":
            draw_rai(old, child)
        elif rest == "data":
            place_kinks_at_data(old, X, child)
        elif rest == "normal":
            draw_normal_biases(old, child, 0.5)
        np.testing.assert_array_equal(new.theta, old.theta)


def test_fresh_keeps_mask_recipe_and_data_biases():
    X = np.random.default_rng(0).uniform(-1, 1, size=(100, 4))
    net = build(
        tree_sizes(4, 3),
        "tanh",
        init=Init("normal", std=7.0, biases="uniform"),
        rng=np.random.default_rng(1),
        X=X,
        mask=tree_mask(4, 3),
    )
    g = fresh(net, np.random.default_rng(2), X)
    assert g.init_spec == net.init_spec and np.array_equal(g.mask, net.mask)
    assert np.all(g.theta[net.mask == 0] == 0) and not np.array_equal(g.theta, net.theta)
    hidden = np.concatenate([W.ravel() for W in g.weights[:-1]])
    assert np.std(hidden[hidden != 0]) > 3  # N(0, 7²), not Xavier
    assert np.all(np.abs(g.biases[0]) <= 2**-0.5) and np.any(g.biases[0] != 0)
    with pytest.raises(ValueError, match="mask"):
        fresh(net, np.random.default_rng(2), X, sizes=[4, 4, 2, 1])


def _single_job(tmp_path, name, ok=True, **over):
    cfg = plain_config(study="t", **over)
    out = tmp_path / name
    recs = run_job(cfg, out)
    assert not ok or all(r["status"] == "ok" for r in recs), recs[0].get("error")
    return out, recs


def test_repro_13_tree_structure_survives_restarts_and_boosting(tmp_path):
    """/work/shared/repros/13.sh in-process: masked connections stay zero in every saved network."""
    base = {
        "target.name": "gaussian",
        "target.d": 4,
        "model.structure": "tree",
        "model.depth": 2,
        "model.width": 4,
        "data.N": 200,
        "data.N_test": 200,
        "trainer.max_steps": 20,
    }
    mask = tree_mask(4, 4)
    for name, extra in (("restarts", {"trainer.restarts": 3}), ("boost", {"trainer.boost": 1})):
        out, recs = _single_job(tmp_path, name, **base, **extra)
        first = load_params(out, recs[0]["params_key"])
        assert recs[0]["model.structure"] == "tree" and first.sizes == tree_sizes(4, 4)
        assert float(np.abs(first.theta[mask == 0]).max()) == 0.0
        assert recs[0]["n_params"] == int(mask.sum())
        for r in recs:  # the boosted model: a sum of trees, its cross-stage and off-tree connections masked
            net = load_params(out, r["params_key"])
            assert r["n_params"] == (1 + r.get("extra.stage", 0)) * int(mask.sum()) - r.get("extra.stage", 0)
            canon = canonical(plain_config(study="t", **base, **extra))
            s = setup(canon, 0)
            assert net.mask is None or np.all(net.theta[net.mask == 0] == 0)
            assert np.isfinite(net.predict(s.data.X_test)).all()
    assert [r["extra.stage"] for r in recs] == [0, 1]


def test_repro_14_restarts_follow_model_init_and_record_the_winner(tmp_path):
    """/work/shared/repros/14.sh in-process: model.init=normal, init_std=50 for every restart."""
    # N(0, 50²) weights and 3 iterations: the run "blows up" (status diverged), as in the script
    out, recs = _single_job(
        tmp_path,
        "r14",
        ok=False,
        **{
            "target.name": "sin",
            "target.d": 1,
            "data.N": 200,
            "data.N_test": 200,
            "model.width": 16,
            "model.init": "normal",
            "model.init_std": 50.0,
            "trainer.restarts": 2,
            "trainer.max_steps": 3,
        },
    )
    r = recs[0]
    net = load_params(out, r["params_key"])
    assert r["model.init_std"] == 50 and np.std(net.weights[0]) > 5
    losses = json.loads(r["extra.restart_losses"])
    assert len(losses) == 2 and r["extra.restart_best"] == int(np.nanargmin(losses))


def test_only_declared_list_extras_enter_the_records(tmp_path):
    """Restart losses and stage lists are recorded (JSON text); other trainers' lists stay in the History."""
    _, recs = _single_job(
        tmp_path,
        "rf",
        **{
            "target.name": "sin",
            "target.d": 1,
            "data.N": 200,
            "data.N_test": 100,
            "model.width": 8,
            "trainer": {"name": "random_features"},
        },
    )
    assert "extra.scales" not in recs[0] and "extra.val_mse" not in recs[0] and "extra.scale" in recs[0]
    _, recs = _single_job(
        tmp_path,
        "lb",
        **{
            "target.name": "sin",
            "target.d": 1,
            "data.N": 200,
            "data.N_test": 100,
            "model.width": 8,
            "trainer.restarts": 2,
            "trainer.max_steps": 20,
        },
    )
    assert len(json.loads(recs[0]["extra.restart_losses"])) == 2 and recs[0]["extra.restart_best"] in (0, 1)
