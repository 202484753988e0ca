"""Issue 13's machinery: tree-structured networks, RAI, the born-dead probe, the certified shallow bound,
the radial target, and the sawtooth / born_dead / radial / compositional plug-ins on small real jobs."""
import itertools
import math

import numpy as np
import pytest

from nnapprox import MLP, fit
from nnapprox.engine.gradcheck import numerical_gradient, relative_error
from nnapprox.engine.init import RAI_SIGMA, draw_rai
from nnapprox.engine.structure import tree_mask, tree_sizes
from nnapprox.targets.builtin import get_target, iterated_tent
from nnapprox.theory.bounds import piecewise_linear_lower_bound, shallow_relu_lower_bound, telgarsky_params
from nnapprox.engine.diagnostics import born_dead


# --------------------------------------------------------------------------- tree networks

def test_tree_sizes_and_mask_connect_each_node_to_its_two_children_only():
    assert tree_sizes(8, 2) == [8, 8, 4, 2, 1]
    net = MLP(tree_sizes(8, 2), "relu", rng=np.random.default_rng(0), mask=tree_mask(8, 2))
    W1, W2, W3 = net.weights[:3]
    # level 1: node j (units 2j, 2j+1) sees inputs 2j, 2j+1 only
    for node in range(4):
        rows = W1[2 * node:2 * node + 2]
        assert np.all(rows[:, 2 * node:2 * node + 2] != 0)
        assert np.count_nonzero(rows) == 4
    # level 2: node j sees the 4 units of child nodes 2j and 2j+1
    assert np.count_nonzero(W2[:2, 4:]) == 0 and np.count_nonzero(W2[2:, :4]) == 0
    assert np.count_nonzero(W3) == W3.size  # the root sees both children
    assert net.n_trainable == int(tree_mask(8, 2).sum()) < net.n_params
    # the first half of the inputs reaches only the first root child: the second subtree's output moves alone
    x = np.random.default_rng(1).uniform(size=(5, 8))
    a = x.copy()
    a[:, 4:] += 0.3
    z_left = lambda X: np.maximum(X @ W1.T + net.biases[0], 0)[:, :4]
    assert np.array_equal(z_left(x), z_left(a))


@pytest.mark.parametrize("d,w", [(4, 2), (8, 3)])
def test_tree_gradient_matches_finite_differences_and_is_zero_off_the_tree(d, w):
    rng = np.random.default_rng(d + w)
    net = MLP(tree_sizes(d, w), "tanh", rng=rng, mask=tree_mask(d, w))
    X = rng.uniform(-1, 1, size=(40, d))
    y = np.sin(X.sum(axis=1))
    keep = tree_mask(d, w) == 1
    X, y = net.check_data(X, y)
    theta0 = net.theta.copy()
    _, g = net.loss_and_grad_flat(theta0, X, y)
    g = g.copy()
    assert np.all(g[~keep] == 0.0)  # the structure leaves these connections out: no gradient
    num = numerical_gradient(lambda t: net.loss_and_grad_flat(t, X, y)[0], theta0)
    assert relative_error(g[keep], num[keep]) < 1e-7
    assert np.abs(num[~keep]).max() > 1e-6  # the masked entries would matter, were they free


def test_training_a_tree_keeps_the_left_out_connections_at_zero():
    d, w = 8, 2
    rng = np.random.default_rng(3)
    net = MLP(tree_sizes(d, w), "relu", rng=rng, mask=tree_mask(d, w))
    X = rng.uniform(0, 1, size=(200, d))
    y = np.prod(X[:, :2], axis=1) + X[:, 7]
    theta0 = net.theta.copy()
    fit(net, X, y, trainer="adam", lr=1e-2, max_steps=200, progress_every=0)
    keep = tree_mask(d, w) == 1
    assert np.all(net.theta[~keep] == 0.0)
    assert np.mean(net.theta[keep] != theta0[keep]) > 0.5  # the tree's own connections did train


def test_tree_sizes_refuse_a_dimension_that_is_not_a_power_of_two():
    with pytest.raises(ValueError, match="power of 2"):
        tree_sizes(6, 2)


# --------------------------------------------------------------------------- RAI and born dead

def test_rai_puts_one_beta_draw_per_unit_and_keeps_the_rest_gaussian():
    net = MLP([1, 400, 400, 1], "relu", rng=np.random.default_rng(0))
    draw_rai(net, np.random.default_rng(1))
    W, b = net.weights[1], net.biases[1]
    V = np.concatenate([W, b[:, None]], axis=1)  # (400, 401): fan_in + 1 numbers per unit
    # each unit has its Beta(2,1) entry (in (0, 1), mean 2/3) among N(0, sigma^2/fan_in) entries (sd 0.03)
    big = np.abs(V) > 0.2
    assert 0.9 * 400 < big.sum() < 1.1 * 400  # ~one per unit: Beta(2,1) > 0.2 with probability 0.96
    rest = V[~big]
    assert np.std(rest) == pytest.approx(RAI_SIGMA / math.sqrt(400), rel=0.05)
    assert np.mean(V.max(axis=1)) == pytest.approx(2 / 3, abs=0.03)


def test_born_dead_detects_a_layer_off_on_every_input():
    X = np.linspace(0, 1, 50)[:, None]
    net = MLP([1, 2, 2, 1], "relu", rng=np.random.default_rng(0))
    net.weights[1][...] = -1.0
    net.biases[1][...] = -0.1  # layer 2: z <= 0 wherever layer 1 is >= 0
    r = born_dead(net, X)
    assert r == {"born_dead": 1.0, "dead_layers": 1, "first_dead_layer": 2, "dead_unit_frac": r["dead_unit_frac"]}
    assert r["dead_unit_frac"] >= 0.5
    net.weights[1][...] = 1.0
    net.weights[0][...] = 1.0
    net.biases[0][...] = -0.5
    assert born_dead(net, X)["born_dead"] == 0.0


def test_rai_is_born_dead_less_often_than_he_with_zero_biases_at_depth_six():
    X = np.linspace(0, 1, 256)[:, None]
    dead = {"he": 0, "rai": 0}
    for s in range(150):
        he = MLP([1] + [2] * 6 + [1], "relu", init="he", rng=np.random.default_rng(s))
        for b in he.biases:
            b[...] = 0.0
        dead["he"] += born_dead(he, X)["born_dead"]
        dead["rai"] += born_dead(draw_rai(MLP([1] + [2] * 6 + [1], "relu", rng=np.random.default_rng(s)),
                                          np.random.default_rng(10_000 + s)), X)["born_dead"]
    assert dead["he"] > 0.5 * 150  # He/zero at depth 6 width 2: most initialisations constant
    assert dead["rai"] < 0.5 * dead["he"]


# --------------------------------------------------------------------------- the certified bound

def _brute_force(x, y, m):
    """Least MSE over every split of the sorted points into at most m contiguous runs, a line on each."""
    G = x.size
    best = math.inf
    for k in range(1, m + 1):
        for cuts in itertools.combinations(range(1, G), k - 1):
            edges = (0,) + cuts + (G,)
            rss = 0.0
            for a, b in zip(edges[:-1], edges[1:]):
                xs, ys = x[a:b], y[a:b]
                if b - a >= 2:
                    A = np.stack([xs, np.ones_like(xs)], axis=1)
                    coef, *_ = np.linalg.lstsq(A, ys, rcond=None)
                    rss += float(np.sum((A @ coef - ys) ** 2))
            best = min(best, rss)
    return best / G


def test_piecewise_linear_bound_equals_brute_force_on_small_data():
    rng = np.random.default_rng(0)
    x = np.sort(rng.uniform(size=9))
    y = rng.normal(size=9)
    lb = piecewise_linear_lower_bound(x, y, 4)
    assert lb == pytest.approx([_brute_force(x, y, m) for m in range(1, 5)], rel=1e-9, abs=1e-12)  # prefix sums: ~1e-14 absolute
    assert np.all(np.diff(lb) <= 1e-15)


def test_bound_vanishes_exactly_at_the_sawtooth_piece_count():
    for k in (2, 3, 4):
        x = np.linspace(0, 1, 8 * 2 ** k + 1)
        y = iterated_tent(x, k)
        lb = piecewise_linear_lower_bound(x, y, 2 ** k)
        assert lb[-1] == 0.0 and lb[-2] > 1e-4  # 2^k pieces exact, 2^k - 1 not
        sh = shallow_relu_lower_bound(x, y, [2 ** k - 1, 2 ** k - 2])
        assert sh[0] == 0.0 and sh[1] > 0  # n units: n + 1 pieces


def test_every_trained_shallow_net_lies_above_the_bound():
    k = 3
    x = np.linspace(0, 1, 8 * 2 ** k + 1)
    y = iterated_tent(x, k)
    for n in (2, 3, 5):
        lb = shallow_relu_lower_bound(x, y, [n])[0]
        for s in range(3):
            net = MLP([1, n, 1], "relu", rng=np.random.default_rng(s))
            fit(net, x[:, None], y, trainer="lbfgs", max_steps=300, progress_every=0)
            mse = float(np.mean((net.predict(x[:, None]).ravel() - y) ** 2))
            assert mse >= lb - 1e-12
    assert telgarsky_params(5) == 31


# --------------------------------------------------------------------------- radial target

def test_radial_target_is_radial_with_half_the_mass_inside():
    t = get_target("radial", d=8, eps=0.05)
    rng = np.random.default_rng(0)
    X = rng.uniform(-1, 1, size=(20000, 8))
    f = t.fn(X)
    assert 0.45 < np.mean(f > 0.5) < 0.55
    Q, _ = np.linalg.qr(rng.normal(size=(8, 8)))
    Xs = X[:200] * 0.5
    assert t.fn(Xs @ Q.T) == pytest.approx(t.fn(Xs), abs=1e-12)  # depends on |x| only
    assert t.fn(np.zeros((1, 8)))[0] > 0.999
    with pytest.raises(ValueError, match="eps"):
        get_target("radial", d=4, eps=0)


# --------------------------------------------------------------------------- plug-ins on small real jobs

SAW = {"target": {"name": "sawtooth", "d": 1, "k": 3}, "data.N": 256, "data.N_test": 256, "activation.name": "relu"}


@pytest.fixture(scope="module")
def sawtooth_result(tmp_path_factory):
    from helpers import run_study
    from nnapprox.studies import sawtooth

    jobs = [{**SAW, "trainer": {"name": "construct", "construction": "telgarsky"}, "model.width": 2, "model.depth": 3},
            {**SAW, "trainer": {"name": "construct", "construction": "shallow_sawtooth"}, "model.width": 8},
            {**SAW, "trainer": {"name": "oga"}, "model.width": 8, "replicas": 2},
            *({**SAW, "trainer": {"name": "lbfgs", "max_steps": 200}, "model.width": w, "model.bias_init": "data",
               "replicas": 2} for w in (2, 4)),
            {**SAW, "trainer": {"name": "adam", "lr": 0.01, "max_steps": 300}, "model.width": 2, "model.depth": 3,
             "model.bias_init": "data", "replicas": 4},
            {**SAW, "trainer": {"name": "lbfgs", "max_steps": 200}, "model.width": 6, "model.bias_init": "data",
             "replicas": 2}]
    runs, ctx = run_study(tmp_path_factory.mktemp("saw"), "sawtooth", jobs)
    return runs, sawtooth.analyse(runs, ctx)


def test_sawtooth_plugin_tables_verdicts_and_figures(sawtooth_result):
    _, res = sawtooth_result
    nets = res.tables["sawtooth_nets"]
    assert set(nets["kind"]) == {"telgarsky", "shallow_sawtooth", "greedy", "shallow", "deep"}
    tel = nets[nets["kind"] == "telgarsky"].iloc[0]
    assert tel["n_params"] == telgarsky_params(3) and tel["best_mse"] < 1e-24
    # every shallow net (trained, greedy, hand-built) at or above its bound
    sh = nets[nets["kind"].isin(["shallow", "greedy"])]
    assert (sh["best_mse"] >= sh["bound_eq"] - 1e-12).all()
    checks = {c.kind: c for c in res.checks}  # deterministic: checks, not verdicts
    assert checks["telgarsky_exact"].passed and checks["shallow_bound"].passed
    assert checks["depth_separation"].passed and "contain a net better" in checks["depth_separation"].name  # k = 3
    arch = res.tables["sawtooth_telgarsky_arch"].iloc[0]  # the theorem's architecture, not the best one found
    assert (arch["depth"], arch["width"], arch["restarts"]) == (3, 2, 4)
    assert arch["p_low"] <= arch["below_bound"] / 4 <= arch["p_high"]  # an exact binomial interval
    (comp,) = res.tables["sawtooth_comparison"].to_dict("records")  # against shallow width 2k = 6
    assert comp["shallow"] == "1 hidden layer (width 6)" and comp["deep_params"] == comp["shallow_params"] == 19
    (v,) = res.verdicts
    assert v.kind == "matched_depth" and v.outcome == "not tested" and v.reason.startswith("too few points")
    assert {"sawtooth_k3", "sawtooth_summary"} <= set(res.figures)


def test_born_dead_plugin_counts_constant_initialisations(tmp_path):
    from helpers import run_study
    from nnapprox.studies import born_dead as bd

    probe = {**SAW, "trainer": {"name": "init_probe"}, "model.width": 2, "replicas": 24, "data.N_test": 2}
    jobs = [{**probe, "model.depth": L, "model.init": "he", "model.bias_init": "zero", "model.bias_std": None}
            for L in (1, 6)]
    jobs += [{**probe, "model.depth": 6, "model.init": "rai", "model.bias_init": None, "model.bias_std": None}]
    runs, ctx = run_study(tmp_path, "born_dead", jobs)
    res = bd.analyse(runs, ctx)
    tab = res.tables["born_dead"].set_index(["init", "depth"])
    assert set(tab["n"]) == {24}
    he1 = tab.loc[(bd.init_label({"model.init": "he", "model.bias_init": "zero"}), 1)]
    he6 = tab.loc[(bd.init_label({"model.init": "he", "model.bias_init": "zero"}), 6)]
    assert he1["fraction"] < he6["fraction"]
    assert he6["ci_low"] <= he6["fraction"] <= he6["ci_high"]
    assert runs["extra.born_dead"].isin([0.0, 1.0]).all()
    lo, hi = bd.wilson(0, 10)
    assert lo == 0.0 and 0.25 < hi < 0.35


@pytest.mark.parametrize("study", ["radial", "compositional"])
def test_matched_parameter_plugins_compare_deep_with_shallow(tmp_path, study):
    from helpers import run_study
    from nnapprox.studies import compositional, radial

    if study == "radial":
        base = {"target": {"name": "radial", "d": 4}, "data.N": 300, "data.N_test": 512, "activation.name": "relu",
                "trainer": {"name": "lbfgs", "max_steps": 40}, "replicas": 5}
        archs = [{"model.depth": 1, "model.width": 20}, {"model.depth": 2, "model.width": 8}]
        mod = radial
    else:
        base = {"target": {"name": "compositional", "d": 8}, "data.N": 300, "data.N_test": 512,
                "activation.name": "relu", "trainer": {"name": "lbfgs", "max_steps": 40}, "replicas": 5}
        archs = [{"model.depth": 1, "model.width": 6}, {"model.depth": 3, "model.width": 2, "model.structure": "tree"},
                 {"model.depth": 3, "model.width": 3}]
        mod = compositional
    runs, ctx = run_study(tmp_path, study, [{**base, **a} for a in archs])
    res = mod.analyse(runs, ctx)
    table = next(t for name, t in res.tables.items() if name.endswith("comparison"))
    assert len(table) == len(archs) - 1
    for r in table.itertuples():
        assert r.ci_low <= r.ratio <= r.ci_high and r.p_holm >= r.p
        assert r.label == ("depth better" if r.p_holm <= 0.05 and r.deep_median < r.shallow_median else
                           "shallow better" if r.p_holm <= 0.05 else "no significant difference")
    assert len(res.verdicts) == len(table)
    for v, r in zip(res.verdicts, table.itertuples()):
        assert v.kind == "matched_depth"
        assert v.outcome == {"depth better": "consistent", "shallow better": "contradicts",
                             "no significant difference": "not tested"}[r.label]


# --------------------------------------------------------------------------- config: refused before any job

@pytest.mark.parametrize("over,match", [
    ({"target": {"name": "compositional", "d": 8}, "model.structure": "tree", "model.depth": 2, "model.width": 2},
     "model.depth"),
    ({"target": {"name": "radial", "d": 6}, "model.structure": "tree", "model.depth": 3, "model.width": 2},
     "power of 2"),
    ({"target": {"name": "compositional", "d": 8}, "model.structure": "tree", "model.depth": 3, "model.width": 2,
      "trainer": {"name": "oga"}}, "tree"),
    ({"activation.name": "relu", "model.init": "rai", "model.bias_init": "data"}, "model.bias_init"),
])
def test_depth_options_that_cannot_be_honoured_are_refused(over, match):
    from helpers import plain_config
    from nnapprox.experiment.validation import canonical
    with pytest.raises(ValueError, match=match):
        canonical(plain_config(**over))


def test_a_tree_job_records_only_its_trainable_parameters(tmp_path):
    from helpers import run_study

    runs, _ = run_study(tmp_path, "tree", [{"target": {"name": "compositional", "d": 8}, "model.structure": "tree",
                                            "model.depth": 3, "model.width": 2, "activation.name": "relu",
                                            "trainer": {"name": "adam", "max_steps": 20}, "data.N": 64,
                                            "data.N_test": 64}])
    assert runs["status"].tolist() == ["ok"]
    assert int(runs["n_params"].iloc[0]) == int(tree_mask(8, 2).sum()) == 57


def test_a_deeper_net_joins_a_budget_only_within_the_parameter_factor():
    import pandas as pd

    from nnapprox.studies import matched

    rows = [{"model.depth": d, "model.width": w, "n_params": p, "test_mse": 1.0, "trainer.name": "lbfgs"}
            for d, w, p in ((1, 8, 25), (1, 32, 97), (2, 4, 33), (2, 8, 97), (4, 32, 3000), (2, 5, 30))]
    out = matched.assign_budgets(pd.DataFrame(rows), [], matched.dense_arch)
    got = dict(zip(out["n_params"], out["budget"]))
    assert got == {25: 25, 97: 97, 30: 25}  # 33 is 1.32x from 25 and 2.9x from 97; 3000 matches nothing
