"""nnapprox.trainers.construct: hand-built networks as jobs (no training; the template only gives the sizes)."""

import numpy as np
import pytest

from nnapprox import MLP, fit
from nnapprox.targets.builtin import get_target
from nnapprox.trainers import TRAINERS


def _grid(n=257):
    return np.linspace(0, 1, n)[:, None]


@pytest.mark.parametrize("construction,width,depth", [("telgarsky", 2, 3), ("shallow_sawtooth", 8, 1)])
def test_the_sawtooth_constructions_are_exact(construction, width, depth):
    target = get_target("sawtooth", k=3)
    X = _grid()
    template = MLP([1] + [width] * depth + [1], "relu")
    hist = fit(template, X, target(X), trainer="construct", target=target, construction=construction)
    assert hist.stop_reason == "constructed" and hist.extras["construction"] == construction
    assert hist.net.sizes == template.sizes and hist.loss[0] < 1e-20
    np.testing.assert_allclose(hist.net.predict(X).ravel(), target(X), atol=1e-12)


@pytest.mark.parametrize("m", [1, 2, 3])
def test_yarotsky_meets_its_sup_error(m):
    target = get_target("square")
    X = _grid(2 ** (m + 4) + 1)
    hist = fit(
        MLP([1] + [3] * m + [1], "relu"), X, target(X), trainer="construct", target=target, construction="yarotsky"
    )
    err = np.max(np.abs(hist.net.predict(X).ravel() - target(X)))
    assert err == pytest.approx(2.0 ** (-2 * m - 2), rel=1e-9)


def test_the_staircase_improves_with_its_width():
    target = get_target("sin", d=1, freq=3.0)
    X = np.linspace(-1, 1, 401)[:, None]
    losses = [
        fit(MLP([1, n, 1], "sigmoid"), X, target(X), trainer="construct", target=target, construction="staircase").loss[
            0
        ]
        for n in (4, 16, 64)
    ]
    assert losses[0] > losses[1] > losses[2]


def test_a_construction_the_config_does_not_match_is_refused_in_one_line():
    check = TRAINERS["construct"].check_model
    saw = get_target("sawtooth", k=2)
    cases = [
        (
            ([1, 3, 3, 1], "relu", "identity", "mse", {"construction": "telgarsky"}, saw),
            "model.width=3, model.depth=2 do not match construction 'telgarsky' for this target; allowed: "
            "model.width=2, model.depth=2",
        ),
        (
            ([1, 2, 2, 1], "tanh", "identity", "mse", {"construction": "telgarsky"}, saw),
            "activation.name='tanh' does not match construction 'telgarsky'; allowed: relu",
        ),
        (
            ([1, 3, 1], "relu", "identity", "mse", {"construction": "yarotsky"}, saw),
            "trainer.construction='yarotsky' builds a network for target 'square'; got target 'sawtooth'",
        ),
        (([1, 3, 1], "relu", "identity", "mse", {"construction": None}, saw), "trainer.construction is not set"),
        (([1, 2, 2, 1], "relu", "identity", "logistic", {"construction": "telgarsky"}, saw), "trainer.loss mse"),
    ]
    for args, needle in cases:
        with pytest.raises(ValueError) as err:
            check(*args)
        assert needle in str(err.value) and "\n" not in str(err.value), str(err.value)


def test_construct_needs_the_target():
    with pytest.raises(ValueError, match="builds its network from the target: pass target="):
        fit(MLP([1, 2, 1], "relu"), _grid(), np.zeros(257), trainer="construct", construction="telgarsky")
