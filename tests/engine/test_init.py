"""nnapprox.engine.init: the randomized asymmetric initialisation (RAI)."""

import math

import numpy as np
import pytest

from nnapprox import MLP
from nnapprox.engine.diagnostics import born_dead
from nnapprox.engine.init import RAI_SIGMA, draw_rai


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


def test_rai_is_born_dead_less_often_than_he_with_zero_biases_at_depth_six():
    X = np.linspace(0, 1, 256)[:, None]
    dead = {"he": 0, "rai": 0}
    for s in range(150):
        he = MLP([1] + [2] * 6 + [1], "relu", init="he", rng=np.random.default_rng(s))
        for b in he.biases:
            b[...] = 0.0
        dead["he"] += born_dead(he, X)["born_dead"]
        dead["rai"] += born_dead(
            draw_rai(MLP([1] + [2] * 6 + [1], "relu", rng=np.random.default_rng(s)), np.random.default_rng(10_000 + s)),
            X,
        )["born_dead"]
    assert dead["he"] > 0.5 * 150  # He/zero at depth 6 width 2: most initialisations constant
    assert dead["rai"] < 0.5 * dead["he"]
