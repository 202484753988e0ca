"""The width-scaling plug-in on fabricated greedy paths: K per d, its trend in d, exponents, the contrast."""

from pathlib import Path

import numpy as np
import pytest
from helpers import ridge_paths

from nnapprox.report.study import StudyContext, resolve_windows
from nnapprox.studies import width_scaling as ws


def ctx(**judge):
    return StudyContext(name="width_scaling", sweep_dir=Path("."), judge=resolve_windows(ws.JUDGE, judge, "ws"))


def test_k_per_dimension_is_read_over_n_at_least_n0():
    table = ws.k_table(ridge_paths(lambda d: 0.01))
    assert list(table["d"]) == [2, 4, 8, 16]
    assert np.allclose(table["n_0"], 22.5 * (table["d"] + 2))
    assert np.allclose(table["K_train"], 0.01, rtol=0.1) and (table["K_train_low"] < table["K_train"]).all()
    assert np.allclose(table["test_over_train_at_n_max"], 1.2) and (table["judged"] == "verdict").all()


def test_the_d_trend_holds_when_k_is_flat_and_contradicts_when_it_grows():
    flat = [v for v in ws.judge(ridge_paths(lambda d: 0.01), ctx()) if v.kind == "barron_d_trend"]
    assert [v.outcome for v in flat] == ["consistent"]
    grows = [v for v in ws.judge(ridge_paths(lambda d: 0.002 * d), ctx()) if v.kind == "barron_d_trend"]
    assert [v.outcome for v in grows] == ["contradicts"] and grows[0].ci_low > 0.1 and grows[0].explanation


def test_bound_verdicts_and_exponents_per_dimension_and_unit():
    runs = ridge_paths(lambda d: 0.01, units=("sigmoid", "relu"), slope=-1.6)
    vs = ws.judge(runs, ctx())
    bound = [v for v in vs if v.kind == "barron_bound"]
    assert len(bound) == 8 and {v.outcome for v in bound} == {"consistent"}
    rates = ws.rate_rows(runs, ctx().windows(ws.JUDGE)).set_index(["d", "unit"])
    assert rates.loc[(2, "sigmoid"), "predicted"] == pytest.approx(-1.5)  # n^(-1 - 1/d)
    assert rates.loc[(2, "relu"), "predicted"] == pytest.approx(-2.5)  # n^(-1 - 3/d)
    sharp = {v.group: v.outcome for v in vs if v.kind == "sharp_rate"}
    assert sharp["1 ridge, oga, d=16, sigmoid (k=0)"] == "consistent"  # -1.6 is faster than -1.06
    assert sharp["1 ridge, oga, d=2, relu (k=1)"] == "contradicts"  # -1.6 is slower than -2.5


def test_trained_networks_are_described_not_judged_and_the_fixed_basis_is_a_contrast():
    runs = ridge_paths(lambda d: 0.01, trainers=("oga", "lbfgs", "random_features"))
    vs = ws.judge(runs, ctx())
    assert {v.group.split(", ")[2] for v in vs if v.kind == "barron_bound"} == {"oga"}
    table = ws.k_table(runs)
    assert set(table.loc[table["trainer"] != "oga", "judged"]) == {"description"}
    res = ws.analyse(runs, ctx())
    assert "width_scaling_k" in res.figures and "k_by_dimension" in res.tables
    contrast = res.tables["fixed_basis_contrast"]
    assert list(contrast["d"]) == [2, 4, 8, 16] and np.allclose(contrast["random_features_over_oga"], 1.0, rtol=0.15)


def test_plot_k_gives_each_target_and_trainer_one_colour_in_both_panels():
    import pandas as pd
    from matplotlib.colors import to_hex

    from nnapprox.studies import width_scaling

    rows = [
        {"unit": unit, "m": m, "trainer": trainer, "d": d, "K_train": 1e-3, "K_train_low": 5e-4,
         "K_train_high": 2e-3, "K_test": 2e-3, "widths_above_n_0": 3, "judged": "verdict"}
        for unit, m, trainer in (("sigmoid", 2, "greedy"), ("sigmoid", 2, "oga"), ("relu", 1, "oga"))
        for d in (2, 4, 8)
    ]  # fmt: skip
    fig = width_scaling.plot_k(pd.DataFrame(rows))
    colours = {}
    for ax in fig.axes:
        for line in ax.get_lines():
            if line.get_label().startswith("_") or "Barron" in line.get_label():
                continue
            key = line.get_label().rsplit(":", 1)[0]
            colours.setdefault(key, set()).add(to_hex(line.get_color()))
    assert set(colours) == {"2 ridges, greedy", "2 ridges, oga", "1 ridge, oga"}
    assert all(len(c) == 1 for c in colours.values())
    assert len({next(iter(c)) for c in colours.values()}) == 3  # three series, three colours
