"""One declaration per option, everywhere (issue 23): every parameter settable from the command line,
every default the same through ``--cfg job``, ``--list``, ``fit()``, ``MLP()`` and the one-call sweep, and
the same records through the Python API and through the CLI."""

import dataclasses
import json
from pathlib import Path

import numpy as np
import pytest
import yaml
from helpers import nnrun
from hydra import compose, initialize_config_dir

from nnapprox.base.options import Bool, Choice, FloatOrList, Int, IntList, Text
from nnapprox.cli.compose import to_plain
from nnapprox.cli.run import CONF_DIR
from nnapprox.experiment.schema import DEFAULT_TARGET, TARGET_SCHEMAS, TRAINER_SCHEMAS, target_keys
from nnapprox.experiment.validation import canonical
from nnapprox.trainers import TRAINERS


def _compose(overrides):
    with initialize_config_dir(config_dir=CONF_DIR, version_base="1.3"):
        return compose(config_name="config", overrides=list(overrides), return_hydra_config=True)


def _choice(group, name):
    """The group option of a trainer or target: its preset if there is one, else its bare schema."""
    return name if (Path(CONF_DIR) / group / f"{name}.yaml").exists() else f"schema_{name}"


def _cli(value) -> str:
    """A value as a command-line override writes it."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, (list, tuple)):
        return "[" + ",".join(_cli(v) for v in value) + "]"
    return str(value)


def _another(option):
    """A value of a declared option other than its default (what setting it from the command line proves)."""
    c, d = option.constraint, option.default
    if isinstance(c, Bool):
        return not d
    if isinstance(c, Choice):
        return next(x for x in c.choices if x != d)
    if isinstance(c, IntList):
        return [c.low, c.low + 1]
    if isinstance(c, Int):
        return (d if d is not None else max(c.low or 1, 16)) + 1
    if isinstance(c, FloatOrList):
        return 0.25
    if isinstance(c, Text):
        return "x"
    return 0.375 if d in (None, 0, 0.0) else float(d) / 2


_TARGET_VALUES = {int: 3, float: 0.375, str: "cube"}
_TARGET_SPECIAL = {
    "domain": "cube",
    "fn": "math:cos",
    "path": "data.csv",
    "label": "z",
    "columns": ["a", "b"],
    "omegas": [[2.0, 0.0], [0.0, 3.0]],
    "amplitudes": [1.0, 0.5],
    "phases": [0.0, 0.25],
    "widths": [4, 2],
    "omega": 2.5,
    "a": 1.5,
    "fn_sha256": "abc",
    "sha256": "abc",
}


def _target_value(f):
    if f.name in _TARGET_SPECIAL:
        return _TARGET_SPECIAL[f.name]
    t = f.type
    for base in (int, float, str):
        if t is base or t == (base | None) or str(t) == f"typing.Optional[{base.__name__}]":
            return _TARGET_VALUES[base]
    return 0.375


@pytest.mark.parametrize("name", sorted(TRAINERS))
def test_every_trainer_option_is_settable_from_the_command_line(name):
    group = _choice("trainer", name)
    options = [o for o in TRAINERS[name].options if o.config]
    for o in options:
        value = _another(o)
        plain = to_plain(_compose([f"trainer={group}", f"trainer.{o.name}={_cli(value)}"]))
        got = plain["trainer"][o.name]
        assert got == value, (o.name, got, value)
    # every declared option (and nothing else) is a key of the trainer's schema
    assert [f.name for f in dataclasses.fields(TRAINER_SCHEMAS[name])][2:] == [o.name for o in options]


@pytest.mark.parametrize("name", sorted(TARGET_SCHEMAS))
def test_every_target_parameter_is_settable_from_the_command_line(name):
    group = _choice("target", name)
    for f in dataclasses.fields(TARGET_SCHEMAS[name])[1:]:
        value = _target_value(f)
        plain = to_plain(_compose([f"target={group}", f"target.{f.name}={_cli(value)}"]))
        assert plain["target"][f.name] == value, (f.name, plain["target"][f.name], value)
    import inspect

    from nnapprox.targets.builtin import TARGETS

    assert target_keys(name)[1:] == list(inspect.signature(TARGETS[name]).parameters)


def test_cosine_sum_amplitudes_are_settable_end_to_end(tmp_path):
    args = [
        "target=cosine_sum",
        "target.omegas=[[2.0,0.0],[0.0,3.0]]",
        "target.amplitudes=[1.0,0.5]",
        "target.phases=[0.0,0.25]",
        "data.N=100",
        "data.N_test=128",
        "model.width=3",
        "trainer.max_steps=5",
        f"out_root={tmp_path}",
    ]
    proc = nnrun(*args, cwd=tmp_path, timeout=300)
    assert proc.returncode == 0, proc.stderr
    (rec,) = json.loads(next(tmp_path.rglob("record.json")).read_text())
    assert json.loads(rec["target.amplitudes"]) == [1.0, 0.5] and json.loads(rec["target.phases"]) == [0.0, 0.25]
    assert rec["c_f"] == pytest.approx(1.0 * 2.0 + 0.5 * 3.0)
    one = canonical(to_plain(_compose(["target=cosine_sum", "target.omegas=[[2.0,0.0]]", "target.amplitudes=[1.0]"])))
    assert one.target.params["amplitudes"] == [1.0]


#: Options a trainer refuses to run without (fit checks them as the config does); left out of the comparison.
_FIT_GIVEN = {"construct": {"construction": "staircase"}}


def _fit_options(name):
    """The options ``fit()`` hands the trainer when none is given."""
    from nnapprox import MLP, fit
    from nnapprox.targets.builtin import get_target

    seen = {}

    def capture(net, X, y, loss, rng, **opts):
        seen.update(opts)
        raise StopIteration

    spec = TRAINERS[name]
    extra = {"target": get_target("sin")} if spec.needs_target else {}
    extra.update(_FIT_GIVEN.get(name, {}))  # what fit's model checks (the config's) require of this trainer
    sizes, act = ([1, 1] if name == "glm_bfgs" else [1, 4, 1]), "tanh"  # glm_bfgs: no hidden layers
    if name == "construct":  # the network the construction builds
        from nnapprox.trainers.construct import architecture

        hidden, act = architecture(extra["construction"], extra["target"], sizes)
        sizes = [1, *hidden, 1]
    X = np.linspace(-1, 1, 16)[:, None]
    orig = TRAINERS[name]
    TRAINERS[name] = dataclasses.replace(spec, fn=capture)
    try:
        with pytest.raises(StopIteration):
            fit(MLP(sizes, act), X, np.sin(X[:, 0]), trainer=name, **extra)
    finally:
        TRAINERS[name] = orig
    return seen


@pytest.mark.parametrize("name", sorted(TRAINERS))
def test_cfg_job_list_and_fit_agree_on_every_trainer_default(name):
    from nnapprox.cli.catalog import trainer_table

    composed = (
        to_plain(_compose([f"trainer={_choice('trainer', name)}"]))["trainer"]
        if name != "lbfgs"
        else to_plain(_compose([]))["trainer"]
    )  # lbfgs: the default trainer, no override at all
    fit_opts = _fit_options(name)
    table = trainer_table().split(f"**`trainer={name}`**")[1].split("**`trainer=")[0]
    for o in TRAINERS[name].options:
        if not o.config:
            continue
        assert composed[o.name] == o.default, (name, o.name, composed[o.name], o.default)  # --cfg job
        assert o.name in _FIT_GIVEN.get(name, {}) or fit_opts[o.name] == o.default, (name, o.name)  # fit()
        listed = "(none)" if o.default is None else f"`{o.default!r}`"
        assert f"| `trainer.{o.name}` | {listed} |" in table, (name, o.name)  # --list and the README
    assert TRAINERS[name].option("max_steps").default == 2000 if name in ("gd", "momentum", "adam", "lbfgs") else True


def test_trainer_gd_cfg_job_shows_the_declared_defaults(tmp_path):
    proc = nnrun("trainer=gd", "--cfg", "job", cwd=tmp_path, timeout=300)
    assert proc.returncode == 0, proc.stderr
    shown = yaml.safe_load(proc.stdout)["trainer"]
    assert shown == {"name": "gd", "loss": "mse", **{o.name: o.default for o in TRAINERS["gd"].options if o.config}}
    assert shown["max_steps"] == 2000 and shown["lr"] == 0.1


@pytest.mark.parametrize("activation", ["tanh", "sigmoid", "relu", "leaky_relu", "relu2"])
def test_mlp_and_the_cli_resolve_the_same_initialisation(activation):
    from nnapprox import MLP

    canon = canonical(to_plain(_compose([f"activation={activation}"])))
    m = canon.config["model"]
    net = MLP([2, 4, 1], activation=activation)
    spec = net.init_spec
    assert (spec.weights, spec.biases) == (m["init"], m["bias_init"])
    assert m["bias_std"] in (None, spec.bias_std) and m["init_std"] in (None, spec.std)
    assert m["bias_init"] == ("normal" if activation in ("relu", "leaky_relu") else spec.biases)  # issue 23: relu API


def test_the_generic_config_has_the_clis_default_target():
    default = to_plain(_compose([]))["target"]
    assert {k: default[k] for k in DEFAULT_TARGET} == DEFAULT_TARGET


@pytest.mark.parametrize("trainer,activation", [("lbfgs", "relu"), ("gd", "tanh")])
def test_the_api_and_the_cli_give_the_same_records(tmp_path, trainer, activation):
    """MLP + fit with their defaults, on the job's data and seeds, train exactly what nnapprox-run trains."""
    from nnapprox import MLP, fit
    from nnapprox.experiment.metrics import evaluate
    from nnapprox.targets.builtin import get_target
    from nnapprox.targets.sampling import make_dataset

    args = [
        "target=sin",
        f"trainer={trainer}",
        f"activation={activation}",
        "model.width=8",
        "data.N=200",
        "data.N_test=256",
        f"out_root={tmp_path}",
    ]
    proc = nnrun(*args, cwd=tmp_path, timeout=300)
    assert proc.returncode == 0, proc.stderr
    (rec,) = json.loads(next(tmp_path.rglob("record.json")).read_text())

    target = get_target("sin", freq=3.0)  # the preset conf/target/sin.yaml
    ss_data, ss_init, ss_train = np.random.SeedSequence([0, 0]).spawn(3)
    ds = make_dataset(target, 200, 256, 0.0, seed=ss_data)
    net = MLP([1, 8, 1], activation=activation, rng=np.random.default_rng(ss_init), X=ds.X)
    hist = fit(net, ds.X, ds.y, trainer=trainer, rng=np.random.default_rng(ss_train))
    m = evaluate(net.predict(ds.X_test), ds.y_test, net.predict(ds.X), ds.y)
    assert (hist.steps, hist.stop_reason) == (rec["steps"], rec["stop_reason"])
    for key in ("test_mse", "train_mse", "sup_err"):
        assert m[key] == rec[key], key  # bit-identical


def test_an_option_of_the_swept_trainers_applies_per_job(tmp_path):
    """Hydra composes a sweep's master config on the default trainer (L-BFGS has no lr): the option goes to each job."""
    from nnapprox.cli.run import per_job

    argv = ["-m", "trainer=gd,adam", "trainer.lr=0.01", "model.width=2,3", "target.freq=2.0"]
    assert per_job(argv) == [
        "-m",
        "trainer=gd,adam",
        "trainer.lr=choice(0.01)",
        "model.width=2,3",
        "target.freq=choice(2.0)",
    ]
    assert per_job(["trainer.lr=0.01"]) == ["trainer.lr=0.01"]  # a single run composes it on its own trainer
    args = [
        "-m",
        "trainer=gd,adam",
        "trainer.lr=0.01",
        "trainer.max_steps=5",
        "target=sin",
        "data.N=100",
        "data.N_test=128",
        "model.width=2",
        f"out_root={tmp_path}",
        "study=two",
    ]
    proc = nnrun(*args, cwd=tmp_path, timeout=300)
    assert proc.returncode == 0, proc.stderr
    recs = [json.loads(p.read_text())[0] for p in (tmp_path / "two").glob("*/record.json")]
    assert sorted((r["trainer.name"], r["trainer.lr"]) for r in recs) == [("adam", 0.01), ("gd", 0.01)]
    assert all("trainer.lr=0.01," in r["run_dir"] for r in recs)  # the folder names as written


def test_renaming_the_trainer_of_a_preset_is_refused_in_one_line():
    from nnapprox.cli.compose import CliConfigError

    with pytest.raises(CliConfigError, match="trainer.name='gd' does not change the trainer of the preset"):
        to_plain(_compose(["trainer.name=gd"]))
