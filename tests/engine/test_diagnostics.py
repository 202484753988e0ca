"""nnapprox.engine.diagnostics: the born-dead probe."""

import numpy as np

from nnapprox import MLP
from nnapprox.engine.diagnostics import born_dead


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
