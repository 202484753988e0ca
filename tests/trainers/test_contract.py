"""The trainer contract: every registered trainer through the same checks, on tiny problems.

Which check applies to which trainer is read from its declaration (:class:`nnapprox.trainers.Trainer`),
never listed by name, so a new trainer is checked as soon as it is registered. The table of checks
(trainer x check, with the reason of each "n.a.") is docs/contract.md; ``test_the_contract_table_is_current``
fails when it is stale. Regenerate it with ``.venv/bin/python tests/trainers/test_contract.py``.
"""

from __future__ import annotations

import pickle
import sys
from pathlib import Path

import numpy as np
import pytest

from nnapprox import MLP, fit
from nnapprox.targets.builtin import get_target
from nnapprox.trainers import TRAINERS, Diverged

TABLE = Path(__file__).resolve().parents[2] / "docs" / "contract.md"
CHECKS = {
    "unknown_options": "an unknown option is refused in one line naming it",
    "max_steps": "max_steps=3 is honoured: at most 3 steps, 3 exactly when it says it stopped at max_steps",
    "divergence": "a fit whose loss overflows (targets of size 1e300) returns status 'diverged' and raises Diverged "
    "with raise_on_diverge",
    "replica": "replica r of a replica batch equals the solo run of replica r",
    "template": "the template network is left untouched; history.net is a new network",
    "pickle": "the returned History (network included) pickles and predicts the same after loading",
}
#: Small options that keep every run tiny (each trainer's width option set to 4).
SMALL = {"n_max": 4, "n": 4, "directions": 64, "screen_samples": 32, "max_steps": 5}


def _options(spec, **extra):
    names = {o.name for o in spec.options}
    opts = {k: v for k, v in SMALL.items() if k in names}
    if spec.needs_target:
        opts.update(construction="telgarsky")
    return {**opts, **extra}


def _problem(spec, *, replicas=0, scale=1.0):
    """(template net, X, y, fit kwargs) of a tiny problem the trainer accepts."""
    rng = np.random.default_rng(0)
    kw = {}
    if spec.needs_target:  # construct: Telgarsky's sawtooth needs relu, width 2, depth k
        target = get_target("sawtooth", k=2)
        X = rng.uniform(0, 1, (32, 1))
        sizes, act, kw["target"] = [1, 2, 2, 1], "relu", target
        y = target(X)
    else:
        X = rng.uniform(-1, 1, (32, 1))
        y = np.sin(3 * X[:, 0])
        act = "tanh"
        sizes = next(s for s in ([1, 4, 1], [1, 1]) if _model_ok(spec, s, act))  # glm_bfgs: no hidden layer
    seeds = [np.random.default_rng(s) for s in range(1, 1 + replicas)] if replicas else np.random.default_rng(1)
    net = MLP(sizes, act, rng=seeds)
    return net, X, scale * y, kw


def _model_ok(spec, sizes, act) -> bool:
    if spec.check_model is None:
        return True
    try:
        spec.check_model(sizes, act, "identity", "mse", _options(spec), None)
    except ValueError:
        return False
    return True


def _iterates(spec) -> bool:
    return any(o.name == "max_steps" for o in spec.options)


def _trains_given(spec) -> bool:
    """It changes the network it is given (gradient trainers, L-BFGS, BFGS, the GLM reference)."""
    return not (spec.builds_own or spec.needs_target) and _iterates(spec)


def _accepts_replicas(spec) -> bool:
    """It takes a replica batch (checked: the GLM reference refuses one, see its test)."""
    net, X, y, kw = _problem(spec, replicas=2)
    try:
        fit(net, X, y, trainer=spec.name, **kw, **_options(spec))
    except ValueError:
        return False
    return True


def applies(spec, check) -> str | None:
    """None when ``check`` applies to trainer ``spec``, else why not (the table's n.a. reason)."""
    if check == "max_steps" and not _iterates(spec):
        return (
            f"no max_steps: its length is the path width ({spec.width_option})"
            if spec.width_option
            else "no max_steps: it does not iterate"
        )
    if check == "divergence" and not (_iterates(spec) or spec.builds_own):
        return "does not fit the data (it measures or builds a network): nothing can diverge"
    if check == "replica":
        if spec.builds_own or spec.needs_target:
            return "builds one new network from the template (replicas are separate jobs)"
        if not _accepts_replicas(spec):
            return "refuses a replica batch in one line (one network on one data set)"
    if check == "template" and not (spec.builds_own or spec.needs_target):
        return "trains the network it is given, in place (history.net is that network)"
    return None


def _cases():
    return [
        pytest.param(name, check, id=f"{name}-{check}")
        for name in sorted(TRAINERS)
        for check in CHECKS
        if applies(TRAINERS[name], check) is None
    ]


@pytest.mark.parametrize("name,check", _cases())
def test_contract(name, check):
    spec = TRAINERS[name]
    globals()[f"_check_{check}"](spec)


def _check_unknown_options(spec):
    net, X, y, kw = _problem(spec)
    with pytest.raises(ValueError) as err:
        fit(net, X, y, trainer=spec.name, **kw, **_options(spec), no_such_option=1)
    msg = str(err.value)
    assert "\n" not in msg and "no_such_option" in msg and spec.name in msg, msg
    for o in spec.options:  # and it says which options exist
        assert o.name in msg, (o.name, msg)


def _check_max_steps(spec):
    net, X, y, kw = _problem(spec)
    hist = fit(net, X, y, trainer=spec.name, **kw, **_options(spec, max_steps=3))
    assert hist.status == "ok" and 1 <= hist.steps <= 3, (hist.steps, hist.stop_reason)
    assert hist.stop_reason != "max_steps" or hist.steps == 3
    assert np.max(hist.step) <= 3


def _check_divergence(spec):
    net, X, y, kw = _problem(spec, scale=1e300)
    hist = fit(net, X, y, trainer=spec.name, **kw, **_options(spec))
    assert hist.status == "diverged" and hist.diverged and hist.message, (hist.status, hist.loss)
    assert set(hist.replica_status) == {"diverged"}
    net, X, y, kw = _problem(spec, scale=1e300)
    with pytest.raises(Diverged):
        fit(net, X, y, trainer=spec.name, raise_on_diverge=True, **kw, **_options(spec))


def _check_replica(spec):
    net, X, y, kw = _problem(spec, replicas=3)
    hist = fit(net, X, y, trainer=spec.name, rng=np.random.default_rng(7), **kw, **_options(spec))
    for r in range(3):
        solo = net.__class__(net.sizes, net.activation_name, rng=np.random.default_rng(1 + r))
        solo_hist = fit(solo, X, y, trainer=spec.name, rng=np.random.default_rng(7), **kw, **_options(spec))
        np.testing.assert_allclose(hist.net.replica(r).theta, solo_hist.net.theta, rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(np.asarray(hist.loss)[-1][r], np.asarray(solo_hist.loss)[-1], rtol=1e-12)
        assert hist.replica_status[r] == solo_hist.status


def _check_template(spec):
    net, X, y, kw = _problem(spec)
    before = net.theta.copy()
    hist = fit(net, X, y, trainer=spec.name, **kw, **_options(spec))
    np.testing.assert_array_equal(net.theta, before)
    assert hist.net is not None and hist.net is not net and hist.status == "ok"


def _check_pickle(spec):
    net, X, y, kw = _problem(spec)
    hist = fit(net, X, y, trainer=spec.name, **kw, **_options(spec))
    back = pickle.loads(pickle.dumps(hist))
    np.testing.assert_array_equal(np.asarray(back.loss), np.asarray(hist.loss))
    assert (back.status, back.steps, back.stop_reason) == (hist.status, hist.steps, hist.stop_reason)
    np.testing.assert_array_equal(back.net.predict(X), hist.net.predict(X))
    if hist.path is not None:
        assert list(back.path.widths) == list(hist.path.widths)


def test_the_glm_reference_refuses_a_replica_batch_in_one_line():
    spec = TRAINERS["glm_bfgs"]
    net, X, y, kw = _problem(spec, replicas=2)
    with pytest.raises(ValueError, match="no replica axes") as err:
        fit(net, X, y, trainer="glm_bfgs", **_options(spec))
    assert "\n" not in str(err.value)


def render() -> str:
    """docs/contract.md: the trainer x check table."""
    lines = [
        "# The trainer contract",
        "",
        "Generated by `.venv/bin/python tests/trainers/test_contract.py` from the trainers' declarations; "
        "`tests/trainers/test_contract.py` runs every *pass* cell (one test each, in `make test-fast`) and fails "
        "when this table is stale.",
        "",
        "Checks:",
        "",
    ]
    lines += [f"- **{c}**: {doc}" for c, doc in CHECKS.items()]
    lines += ["", "| trainer | " + " | ".join(CHECKS) + " |", "|---" * (len(CHECKS) + 1) + "|"]
    notes = []
    for name in sorted(TRAINERS):
        cells = []
        for check in CHECKS:
            why = applies(TRAINERS[name], check)
            if why is None:
                cells.append("pass")
            else:
                if why not in notes:
                    notes.append(why)
                cells.append(f"n.a.<sup>{notes.index(why) + 1}</sup>")
        lines.append(f"| `{name}` | " + " | ".join(cells) + " |")
    lines += ["", "n.a.:", ""] + [f"{k}. {why}" for k, why in enumerate(notes, 1)]
    return "\n".join(lines) + "\n"


def test_the_contract_table_is_current():
    assert TABLE.exists() and TABLE.read_text() == render(), (
        "docs/contract.md is stale: run .venv/bin/python tests/trainers/test_contract.py"
    )


if __name__ == "__main__":
    TABLE.write_text(render())
    sys.stdout.write(render())
