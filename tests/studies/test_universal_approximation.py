"""The universal-approximation plug-in: staircase jobs, their rate, the unit decomposition, the comparison."""

import math

import numpy as np
import pandas as pd
import pytest

from nnapprox import MLP
from nnapprox.studies import universal_approximation as ua

SIN4 = {"target": {"name": "sin", "d": 1, "freq": 4.0}, "data.N": 400, "data.N_test": 1024}


@pytest.fixture(scope="module")
def result(tmp_path_factory):
    from helpers import run_study

    jobs = [
        {
            **SIN4,
            "trainer": {"name": "construct", "construction": "staircase"},
            "activation.name": "sigmoid",
            "model.width": n,
        }
        for n in (2, 4, 8, 16, 32, 64, 128)
    ]
    jobs += [
        {
            **SIN4,
            "trainer": {"name": "lbfgs", "max_steps": 200},
            "activation.name": "sigmoid",
            "model.width": n,
            "replicas": 2,
        }
        for n in (2, 4, 8)
    ]
    runs, ctx = run_study(tmp_path_factory.mktemp("ua"), "universal_approximation", jobs)
    return runs, ua.analyse(runs, ctx)


def test_staircase_errors_fall_like_one_over_n(result):
    _, res = result
    stairs = res.tables["staircase_errors"]
    assert stairs["n"].tolist() == [2, 4, 8, 16, 32, 64, 128]
    assert stairs["steepness"].tolist() == pytest.approx([10 * n / 2 for n in stairs["n"]])
    keep = stairs["n"] >= ua.FIT_MIN_N
    slope = np.polyfit(np.log(stairs.loc[keep, "n"]), np.log(stairs.loc[keep, "sup_err"]), 1)[0]
    assert slope == pytest.approx(-1.0, abs=0.1)
    assert (stairs["mse"] <= stairs["sup_err"] ** 2).all()
    assert (stairs["sup_err"] < 4.0 / stairs["n"] + 0.05).all()
    c = next(c for c in res.checks if c.kind == "staircase_rate")
    assert c.passed and res.verdicts == []  # a construction is a check; the trained nets test no bound


def test_figures_and_the_trained_units_of_the_saved_network(result):
    runs, res = result
    assert {"ua_staircase", "ua_rates", "ua_trained_units"} <= set(res.figures)
    units = res.tables["trained_units"]
    assert len(units) == ua.UNIT_WIDTH and np.all(np.diff(units["centre −b_j/w_j"]) >= 0)
    comp = res.tables["width_comparison"]
    assert comp["n"].tolist() == [2, 4, 8] and "sigmoid_gain" in comp


def test_trained_units_decompose_any_shallow_net():
    net = MLP([1, 5, 1], "sigmoid", rng=np.random.default_rng(1))
    net.biases[1][...] = 0.3
    grid = np.linspace(-1, 1, 33)
    const, units = ua.trained_units(net, grid)
    assert const == pytest.approx(0.3)
    assert np.allclose(const + units.sum(axis=0), net.predict(grid[:, None]))
    with pytest.raises(ValueError, match="expected"):
        ua.trained_units(MLP([1, 3, 3, 1], rng=np.random.default_rng(0)), grid)


def test_width_comparison():
    stairs = pd.DataFrame({"n": [2, 4, 8], "mse": [1.0, 0.1, 0.01]})
    trained = pd.DataFrame(
        {"activation": ["relu"] * 2 + ["sigmoid"] * 2, "n": [4, 8, 4, 8], "mean": [0.01, 0.02, 0.001, 0.0001]}
    )
    comp = ua.width_comparison(stairs, trained)
    assert comp["n"].tolist() == [4, 8]
    assert comp["relu_gain"].tolist() == pytest.approx([10.0, 0.5])
    assert comp["sigmoid_gain"].tolist() == pytest.approx([100.0, 100.0])
    assert math.isfinite(comp["relu_mse"].iloc[0])
