"""The Python API keeps its objects consistent (issue 24).

* ``theta``, ``weights`` and ``biases`` are one buffer seen through views: assigning any of them copies into
  the buffer after checks (or is refused in one line), never silently ignored; masked (tree) networks keep
  their masked entries at zero; the architecture is read-only.
* ``fit`` runs the same model checks as the config (:mod:`nnapprox.trainers.checks`), with the same line.
* Every object the API returns pickles.

Repros 25 and 27 of ``shared/repros`` are replayed in-process here.
"""

from __future__ import annotations

import copy
import dataclasses
import pickle

import numpy as np
import pytest
from helpers import plain_config

from nnapprox import MLP, fit
from nnapprox.engine.structure import tree_mask, tree_sizes
from nnapprox.experiment.errors import ConfigError
from nnapprox.experiment.records import load_params, save_params
from nnapprox.experiment.validation import canonical
from nnapprox.targets.builtin import get_target, list_targets
from nnapprox.trainers import TRAINERS

RNG = np.random.default_rng


def _one_line(e) -> str:
    text = str(e.value if hasattr(e, "value") else e)
    assert text and "\n" not in text, f"not one line: {text!r}"
    return text


def _tree(d=4, width=2, rng=0):
    return MLP(tree_sizes(d, width), "tanh", mask=tree_mask(d, width), rng=RNG(rng))


# ---------------------------------------------------------------------------
# repro 25: theta, weights and biases are one buffer
# ---------------------------------------------------------------------------


def test_repro_25_theta_assignment_is_seen_by_the_views_from_params_and_forward():
    X = RNG(0).uniform(-1, 1, (8, 2))
    net = MLP([2, 3, 1], activation="tanh", rng=RNG(0))
    net.theta = np.ones(net.n_params)
    copy_ = MLP.from_params(net.weights, net.biases, activation="tanh")
    np.testing.assert_array_equal(net.forward(X), copy_.forward(X))
    np.testing.assert_array_equal(net.weights[0], np.ones((3, 2)))
    net2 = MLP([2, 3, 1], activation="tanh", rng=RNG(0))
    f0 = net2.forward(X).copy()
    net2.weights[0] = np.zeros((3, 2))
    np.testing.assert_array_equal(net2.theta[:6], 0.0)
    assert not np.allclose(f0, net2.forward(X))
    np.testing.assert_array_equal(net2.forward(X), MLP.from_params(net2.weights, net2.biases).forward(X))


def test_views_stay_views_of_theta_after_every_assignment():
    net = MLP([2, 4, 3, 1], "relu", rng=RNG(1))
    buf = net.theta
    net.theta = RNG(2).normal(size=net.n_params)
    net.weights[1] = RNG(3).normal(size=(3, 4))
    net.biases[0] = RNG(4).normal(size=4)
    net.weights = [RNG(5).normal(size=W.shape) for W in net.weights]
    net.biases = [np.zeros(b.shape) for b in net.biases]
    assert net.theta is buf
    for W, b in zip(net.weights, net.biases, strict=True):
        assert np.shares_memory(W, buf) and np.shares_memory(b, buf)
    np.testing.assert_array_equal(net.theta, MLP.from_params(net.weights, net.biases, "relu").theta)


def test_saved_params_agree_with_an_assigned_theta(tmp_path):
    X = RNG(0).uniform(-1, 1, (16, 2))
    net = MLP([2, 5, 1], "sigmoid", rng=RNG(0))
    net.theta = RNG(9).normal(size=net.n_params)
    save_params(tmp_path, {"r0_n5": net})
    back = load_params(tmp_path, "r0_n5")
    np.testing.assert_array_equal(back.theta, net.theta)
    np.testing.assert_array_equal(back.forward(X), net.forward(X))


def test_replica_theta_takes_its_shape_or_the_flat_vector_of_its_size():
    net = MLP([1, 3, 1], "tanh", rng=[RNG(0), RNG(1)])
    v = RNG(2).normal(size=net.theta.shape)
    net.theta = v.ravel()
    np.testing.assert_array_equal(net.theta, v)
    np.testing.assert_array_equal(net.weights[0], v[:, :3].reshape(2, 3, 1))


@pytest.mark.parametrize(
    "value, match",
    [
        (np.ones(5), r"theta must have shape \(13,\) \(13 parameters\); got shape \(5,\)"),
        (np.ones((13, 1)), r"theta must have shape \(13,\)"),
        (np.full(13, np.nan), "theta contains NaN or inf"),
        (np.full(13, np.inf), "theta contains NaN or inf"),
        (np.array(["a"] * 13), "theta must be a numeric array"),
        (np.full(13, 1e300), "beyond the range of float32"),
    ],
)
def test_a_wrong_theta_is_refused_in_one_line_and_changes_nothing(value, match):
    net = MLP([2, 3, 1], "tanh", rng=RNG(0), dtype=np.float64 if "float32" not in match else np.float32)
    before = net.theta.copy()
    with pytest.raises(ValueError, match=match) as e:
        net.theta = value
    _one_line(e)
    np.testing.assert_array_equal(net.theta, before)


def test_layer_assignment_is_checked_and_the_layer_list_is_fixed():
    net = MLP([2, 3, 1], "tanh", rng=RNG(0))
    before = net.theta.copy()
    for bad, match in [
        (np.zeros((2, 3)), r"weights\[0\] has shape \(3, 2\); got an array of shape \(2, 3\)"),
        (np.zeros(3), r"weights\[0\] has shape"),
        (np.full((3, 2), np.nan), "NaN or inf"),
    ]:
        with pytest.raises(ValueError, match=match) as e:
            net.weights[0] = bad
        _one_line(e)
    with pytest.raises(ValueError, match=r"biases\[1\] has shape \(1,\)"):
        net.biases[-1] = np.zeros(2)
    with pytest.raises(IndexError):
        net.weights[5] = np.zeros((3, 2))
    for op in (
        lambda: net.weights.append(np.zeros((1, 1))),
        lambda: net.biases.pop(),
        lambda: net.weights.__delitem__(0),
        lambda: net.weights.insert(0, 1),
        lambda: net.weights.clear(),
        lambda: net.weights.__setitem__(slice(0, 2), [np.zeros((3, 2))]),
    ):
        with pytest.raises(ValueError, match="one array per layer") as e:
            op()
        _one_line(e)
    with pytest.raises(ValueError, match="takes one array per layer"):
        net.weights = [np.zeros((3, 2))]
    np.testing.assert_array_equal(net.theta, before)
    assert len(net.weights) == 2 and len(net.biases) == 2


@pytest.mark.parametrize("name", ["sizes", "activation_name", "output_activation_name", "slope", "act", "out_act"])
def test_the_architecture_is_read_only(name):
    net = MLP([2, 3, 1], "tanh")
    with pytest.raises(AttributeError, match=f"net.{name} is fixed when the network is built") as e:
        setattr(net, name, getattr(net, name))
    _one_line(e)
    net.sizes.append(7)  # a copy
    assert net.sizes == [2, 3, 1]


def test_a_masked_network_keeps_its_masked_entries_at_zero():
    net = _tree()
    off = net.mask == 0
    assert off.any() and not net.theta[off].any()
    before = net.theta.copy()
    bad = RNG(1).normal(size=net.n_params)
    with pytest.raises(ValueError, match="mask") as e:
        net.theta = bad
    _one_line(e)
    np.testing.assert_array_equal(net.theta, before)
    W = np.ones(net.weights[0].shape)
    with pytest.raises(ValueError, match=r"weights\[0\] is non-zero on connections the network's mask"):
        net.weights[0] = W
    good = bad * net.mask
    net.theta = good
    np.testing.assert_array_equal(net.theta, good)
    with pytest.raises(ValueError, match="reset to 0"):
        net.theta += 1.0  # in place: the buffer was written; the masked entries are put back to zero
    assert not net.theta[off].any()
    with pytest.raises(ValueError, match="not 0"):
        MLP(net.sizes, "tanh", _theta=np.ones(net.n_params), mask=net.mask)
    X, y = RNG(0).uniform(-1, 1, (32, 4)), RNG(1).normal(size=32)
    fit(net, X, y, trainer="lbfgs", max_steps=5)
    assert not net.theta[off].any()
    assert not pickle.loads(pickle.dumps(net)).theta[off].any()


# ---------------------------------------------------------------------------
# repro 27 and its class: fit refuses what the config refuses, in the same line
# ---------------------------------------------------------------------------


def test_repro_27_glm_bfgs_refuses_a_hidden_layer():
    X = RNG(0).uniform(-1, 1, (64, 1))
    y = np.sin(3 * X[:, 0])
    net = MLP([1, 8, 1], activation="sigmoid", rng=RNG(0))
    before = net.theta.copy()
    with pytest.raises(ValueError, match=r"model.depth=1 is not supported by trainer 'glm_bfgs'") as e:
        fit(net, X, y, trainer="glm_bfgs")
    _one_line(e)
    np.testing.assert_array_equal(net.theta, before)
    h = fit(MLP([1, 1], "sigmoid"), X, y, trainer="glm_bfgs")  # no hidden layer: its loss is the network's
    assert h.status == "ok" and abs(float(h.net.loss_and_grad(X, y)[0]) - h.final_loss) < 1e-12


# Models to put before every trainer: (config overrides, MLP keywords, fit loss)
_MODELS = {
    "dense": ({}, {}),
    "depth0": ({"model.depth": 0, "activation.name": "tanh"}, {"depth": 0}),
    "depth2": ({"model.depth": 2}, {"depth": 2}),
    "depth0_sigmoid_out": (
        {"model.depth": 0, "model.output_activation": "sigmoid"},
        {"depth": 0, "output_activation": "sigmoid"},
    ),
    "float32": ({"model.dtype": "float32"}, {"dtype": np.float32}),
    "heaviside": ({"activation.name": "heaviside"}, {"activation": "heaviside"}),
    "relu": ({"activation.name": "relu"}, {"activation": "relu"}),
    "sigmoid_out": ({"model.output_activation": "sigmoid"}, {"output_activation": "sigmoid"}),
    "logistic": (
        {"model.output_activation": "sigmoid", "trainer.loss": "logistic"},
        {"output_activation": "sigmoid", "loss": "logistic"},
    ),
    "tree": ({"model.structure": "tree", "model.depth": 2, "model.width": 2}, {"tree": True, "depth": 2}),
    "widths": ({"trainer.record_widths": [2, 9]}, {"record_widths": [2, 9]}),
}


def _config_message(trainer, over):
    trainer_group = {"name": trainer}
    dotted = {}
    for k, v in over.items():
        if k.startswith("trainer."):
            trainer_group[k.split(".", 1)[1]] = v
        else:
            dotted[k] = v
    width = {} if dotted.get("model.depth") == 0 else {"model.width": 4}
    cfg = plain_config(
        **{"target.name": "gaussian", "target.d": 4, **width, "data.N": 64, "data.N_test": 64, **dotted},
        trainer=trainer_group,
    )
    if trainer == "construct":
        cfg["trainer"]["construction"] = "staircase"
    try:
        canonical(cfg)
    except ConfigError as e:
        text = _one_line(e)
        assert text.startswith("Invalid config: ")
        return text[len("Invalid config: ") :]
    return None


def _fit_message(trainer, kw, monkeypatch):
    sizes = tree_sizes(4, 2) if kw.get("tree") else [4] + [4] * kw.get("depth", 1) + [1]
    net = MLP(
        sizes,
        kw.get("activation", "tanh"),
        kw.get("output_activation", "identity"),
        dtype=kw.get("dtype", np.float64),
        mask=tree_mask(4, 2) if kw.get("tree") else None,
    )
    X = RNG(0).uniform(-1, 1, (64, 4))
    y = (RNG(1).uniform(size=64) > 0.5).astype(float)
    opts = {"record_widths": kw["record_widths"]} if "record_widths" in kw else {}
    if trainer == "construct":
        opts.update(construction="staircase", target=get_target("gaussian", d=4))

    class Called(Exception):
        pass

    def reached(*a, **k):
        raise Called

    spec = TRAINERS[trainer]
    monkeypatch.setitem(TRAINERS, trainer, dataclasses.replace(spec, fn=reached))
    try:
        fit(net, X, y, trainer=trainer, loss=kw.get("loss", "mse"), **opts)
    except ValueError as e:
        return _one_line(e)
    except Called:  # fit accepted the model and called the trainer
        return None
    raise AssertionError("fit accepted the model but did not call the trainer")


_PAIRS = [
    (t, m)
    for t in sorted(set(TRAINERS) - {"gradcheck", "init_probe"})
    for m in sorted(_MODELS)
    if "record_widths" not in _MODELS[m][1] or any(o.name == "record_widths" for o in TRAINERS[t].options)
]


@pytest.mark.parametrize("trainer, model", _PAIRS)
def test_fit_refuses_what_the_config_refuses_with_the_same_line(trainer, model, monkeypatch):
    over, kw = _MODELS[model]
    by_config = _config_message(trainer, over)
    by_fit = _fit_message(trainer, kw, monkeypatch)
    if (
        by_config is None
        or by_fit is None
        or "model." in by_config
        or "activation." in by_config
        or "trainer.loss" in by_config
        or "trainer.record_widths" in by_config
    ):
        assert by_fit == by_config, f"config: {by_config!r}\nfit: {by_fit!r}"


def test_fit_refuses_a_warm_up_as_large_as_the_data_like_the_config():
    X, y = RNG(0).uniform(-1, 1, (16, 1)), RNG(1).normal(size=16)
    with pytest.raises(ValueError, match=r"trainer.warm_rows=16 must be below data.N=16"):
        fit(MLP([1, 3, 1]), X, y, trainer="lbfgs", warm_rows=16, max_steps=2)


# ---------------------------------------------------------------------------
# every object the API returns pickles
# ---------------------------------------------------------------------------


def _same(a, b, path="obj"):
    """Structural equality of two unpickled API objects (arrays exactly, MLPs by architecture and theta)."""
    if isinstance(a, MLP):
        assert isinstance(b, MLP) and a.sizes == b.sizes and a.activation_name == b.activation_name
        assert a.output_activation_name == b.output_activation_name and a.slope == b.slope and a.dtype == b.dtype
        np.testing.assert_array_equal(a.theta, b.theta, err_msg=path)
        assert (a.mask is None) == (b.mask is None) and (a.mask is None or np.array_equal(a.mask, b.mask))
        assert a.init_spec == b.init_spec
        for W, bb in zip(b.weights, b.biases, strict=True):  # the views of the loaded network are views of its theta
            assert np.shares_memory(W, b.theta) and np.shares_memory(bb, b.theta)
        return
    if isinstance(a, np.ndarray):
        np.testing.assert_array_equal(a, b, err_msg=path)
        return
    if isinstance(a, dict):
        assert a.keys() == b.keys(), path
        for k in a:
            _same(a[k], b[k], f"{path}[{k!r}]")
        return
    if isinstance(a, (list, tuple)):
        assert len(a) == len(b), path
        for i, (x, z) in enumerate(zip(a, b, strict=True)):
            _same(x, z, f"{path}[{i}]")
        return
    if dataclasses.is_dataclass(a) or hasattr(a, "__dict__"):
        assert type(a) is type(b), path
        fields = [f.name for f in dataclasses.fields(a)] if dataclasses.is_dataclass(a) else list(vars(a))
        for f in fields:
            if f == "fn":
                continue
            _same(getattr(a, f), getattr(b, f), f"{path}.{f}")
        return
    if isinstance(a, float) and np.isnan(a):
        assert np.isnan(b), path
        return
    assert a == b, f"{path}: {a!r} != {b!r}"


def _roundtrip(obj):
    back = pickle.loads(pickle.dumps(obj))
    _same(obj, back)
    _same(obj, copy.deepcopy(obj))
    return back


_FITS = {  # case: (trainer, options)
    "gd": ("gd", dict(max_steps=3)),
    "momentum": ("momentum", dict(max_steps=3)),
    "adam": ("adam", dict(max_steps=3)),
    "lbfgs": ("lbfgs", dict(max_steps=3)),
    "bfgs": ("bfgs", dict(max_steps=3)),
    "greedy": ("greedy", dict(n_max=3)),
    "oga": ("oga", dict(n_max=3)),
    "random_features": ("random_features", dict(n=3)),
    "gradcheck": ("gradcheck", {}),
    "init_probe": ("init_probe", {}),
    "lbfgs_path": ("lbfgs", dict(max_steps=3, record_widths=[1, 2])),
    "lbfgs_boost": ("lbfgs", dict(max_steps=3, boost=1)),
    "lbfgs_restarts": ("lbfgs", dict(max_steps=3, restarts=2)),
}


@pytest.mark.parametrize("case", sorted(_FITS))
def test_every_trainer_result_pickles(case):
    X = RNG(0).uniform(-1, 1, (40, 1))
    y = np.sin(3 * X[:, 0])
    trainer, opts = _FITS[case]
    h = fit(MLP([1, 3, 1], "tanh", rng=RNG(0)), X, y, trainer=trainer, **opts)
    back = _roundtrip(h)
    if h.net is not None:
        np.testing.assert_array_equal(back.net.forward(X), h.net.forward(X))
    if h.path is not None:
        _roundtrip(h.path)
        np.testing.assert_array_equal(back.path.predict(X), h.path.predict(X))
        n = h.path.widths[-1]
        np.testing.assert_array_equal(back.path.prefix(n).forward(X), h.path.prefix(n).forward(X))


def test_construct_and_glm_results_pickle():
    t = get_target("sawtooth", k=2)
    X = RNG(0).uniform(0, 1, (32, 1))
    h = fit(MLP([1, 2, 2, 1], "relu"), X, t(X), trainer="construct", construction="telgarsky", target=t)
    assert h.status == "ok"
    _roundtrip(h)
    h = fit(MLP([1, 1], "sigmoid", "sigmoid"), X, (t(X) > 0.5).astype(float), trainer="glm_bfgs", loss="logistic")
    _roundtrip(h)


def test_networks_pickle_with_their_mask_replicas_dtype_and_recipe():
    for net in (
        MLP([2, 3, 1], "leaky_relu", slope=0.2, init="normal", init_std=0.3),
        MLP([2, 3, 1], "tanh", dtype=np.float32),
        MLP([1, 2, 1], rng=[RNG(0), RNG(1)]),
        _tree(),
    ):
        back = _roundtrip(net)
        back.weights[0] = np.zeros(back.weights[0].shape)  # still one buffer after loading
        assert not back.theta[..., : back.weights[0][..., :, :].shape[-1] * back.weights[0].shape[-2]].any()


@pytest.mark.parametrize("name", sorted(set(list_targets()) - {"python", "table"}))
def test_builtin_targets_pickle(name):
    t = get_target(name)
    back = _roundtrip(t)
    X = RNG(0).uniform(-0.5, 0.5, (16, t.dim))
    np.testing.assert_array_equal(back(X), t(X))


def test_user_targets_pickle(tmp_path):
    path = tmp_path / "data.csv"
    path.write_text("x1,x2,y\n" + "\n".join(f"{i / 10},{i % 3},{i * 0.5}" for i in range(12)) + "\n")
    t = get_target("table", path=str(path), label="y")
    back = _roundtrip(t)
    assert back.params == t.params and back.info["rows"] == t.info["rows"]


def test_a_target_of_no_factory_says_so_when_pickled():
    t = dataclasses.replace(get_target("sin"), name="mine")
    with pytest.raises(pickle.PicklingError, match="not a registered factory") as e:
        pickle.dumps(t)
    _one_line(e)


def test_the_other_objects_the_api_returns_pickle():
    from nnapprox.engine.init import Init
    from nnapprox.targets.sampling import make_dataset

    net = MLP([2, 3, 1], "tanh")
    X = RNG(0).uniform(-1, 1, (5, 2))
    for obj in (
        canonical(plain_config()),
        make_dataset(get_target("gaussian"), 10, 10),
        Init.default("relu"),
        net.loss_and_grad(X, np.zeros(5))[1],
    ):
        _roundtrip(obj)


@pytest.mark.parametrize("trainer", ["greedy", "oga", "random_features"])
def test_a_trainer_that_builds_one_network_refuses_a_replica_batch(trainer):
    """It would return one network for R replicas; fit refuses it in one line instead."""
    net = MLP([1, 4, 1], "sigmoid", rng=[RNG(k) for k in range(3)])
    X, y = RNG(0).uniform(-1, 1, (3, 32, 1)), RNG(1).normal(size=(3, 32))
    with pytest.raises(ValueError, match=rf"replica batch .*not supported by trainer '{trainer}'") as e:
        fit(net, X, y, trainer=trainer)
    _one_line(e)
