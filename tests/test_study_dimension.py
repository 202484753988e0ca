"""Tests of the ``dimension`` study plug-in on fabricated runs (fast, no training, no files written)."""
import math

import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure

from nnapprox.report.study import StudyContext, StudyResult
from nnapprox.report.verdicts import CONSISTENT, CONTRADICTS, NOT_TESTED, to_json
from nnapprox.studies import dimension, get_plugin

PATH_WIDTHS = (4, 16, 64)  # oga and greedy record a path of widths
RF_WIDTHS = (16, 64, 128)  # random features record a wider one: the common n_max is 64
TARGETS = {"cosine_ridge": dict(omega=10.0, c_f=10.0, var_f=0.5),
           "gaussian": dict(omega=None, c_f=1.3, var_f=0.01),
           "cosine_product": dict(omega=None, c_f=2.0, var_f=0.02)}


def rf_factor(target, d, ridge_high):
    """Random features' MSE / oga's MSE in the fabricated runs."""
    if target == "cosine_ridge":
        return ridge_high[d] if d >= 8 else 3.0
    if target == "gaussian":
        return 0.1  # random features win on the smooth targets
    return 2.0 if d >= 8 else 0.5


def fabricate(ridge_high, ds=(2, 8, 16), replicas=2):
    """A runs table like the collector's: targets x d x trainers x widths x seeds.

    oga's test MSE at width n and seed s is ``var_f * 0.5 / n * (1 + 0.1 s)``; greedy's is twice
    oga's; random features' is :func:`rf_factor` times oga's at the same n and seed.
    """
    rows = []
    for target, t in TARGETS.items():
        for d in ds:
            for trainer in dimension.METHODS:
                widths = RF_WIDTHS if trainer == "random_features" else PATH_WIDTHS
                for n in widths:
                    for seed in range(replicas):
                        oga = t["var_f"] * 0.5 / n * (1 + 0.1 * seed)
                        mse = {"oga": oga, "greedy": 2 * oga,
                               "random_features": rf_factor(target, d, ridge_high) * oga}[trainer]
                        bound = (2 * t["c_f"]) ** 2 / n
                        rows.append({"activation.name": "sigmoid", "model.depth": 1, "model.width": 64,
                                     "target.d": d, "target.name": target, "target.omega": t["omega"],
                                     "trainer.name": trainer, "seed": seed, "replica": 0, "status": "ok",
                                     "n": n, "n_params": (d + 2) * n + 1, "test_mse": mse,
                                     "test_mse_se": 0.01 * mse, "rel_mse": mse / t["var_f"], "var_f": t["var_f"],
                                     "train_mse": 0.9 * mse, "c_f": t["c_f"], "radius": 1.0, "bound": bound,
                                     "bound_ratio": mse / bound, "study": "dimension",
                                     "run_dir": f"{target}_{d}_{trainer}_{seed}", "params_key": f"n{n}"})
    return pd.DataFrame(rows)


@pytest.fixture
def ctx(tmp_path):
    return StudyContext(name="dimension", sweep_dir=tmp_path, n_boot=200)


def ridge_rows(table):
    return table[table["hf_ridge"]].set_index("d")


def test_plugin_is_found():
    assert get_plugin("dimension") is dimension


def test_ratio_table_values_at_the_largest_common_width():
    table = dimension.ratio_table(fabricate({8: 8.0, 16: 20.0}), n_boot=200)
    assert list(table.columns) == list(dimension.RATIO_COLUMNS)
    assert len(table) == 3 * 3  # one row per target and d
    assert (table["n"] == 64).all()  # oga stops at 64, random features go on to 128
    ridge = ridge_rows(table)
    assert list(ridge.index) == [2, 8, 16]
    assert set(ridge["target"]) == {"cosine_ridge |ω|=10"}
    oga = 0.5 * 0.5 / 64 * (1 + 0.05)  # mean over the two seeds
    assert ridge.loc[8, "mse_oga"] == pytest.approx(oga)
    assert ridge.loc[8, "mse_greedy"] == pytest.approx(2 * oga)
    assert ridge.loc[8, "rel_oga"] == pytest.approx(oga / 0.5)
    assert ridge.loc[8, "rf_over_oga"] == pytest.approx(8.0)
    assert ridge.loc[16, "rf_over_oga"] == pytest.approx(20.0)
    assert ridge.loc[2, "rf_over_oga"] == pytest.approx(3.0)
    assert (ridge["replicas"] == 2).all()
    # each method's replicates are resampled on their own: the ratio of means lies in [8 / 1.1, 8 * 1.1]
    lo, hi = ridge.loc[8, "rf_over_oga_ci_low"], ridge.loc[8, "rf_over_oga_ci_high"]
    assert 8.0 / 1.1 - 1e-9 <= lo <= 8.0 <= hi <= 8.0 * 1.1 + 1e-9
    assert (ridge["winner"] == "oga").all()
    gauss = table[table["target"] == "gaussian"]
    assert not gauss["hf_ridge"].any()
    assert gauss["rf_over_oga"].to_numpy() == pytest.approx([0.1, 0.1, 0.1])
    assert (gauss["winner"] == "random_features").all()


def test_ratio_table_leaves_out_failed_runs_and_has_no_ci_with_one_replica():
    runs = fabricate({8: 8.0, 16: 20.0}, replicas=1)
    bad = runs.iloc[[0]].assign(status="failed", test_mse=1e6, n=512)
    table = dimension.ratio_table(pd.concat([runs, bad], ignore_index=True), n_boot=200)
    assert (table["n"] == 64).all()
    assert table["rf_over_oga"].max() < 1e3
    assert table["rf_over_oga_ci_low"].isna().all()


def test_the_ridge_claim_is_a_description_because_a_worst_case_cannot_fail_on_one_target(ctx):
    for high in ({8: 8.0, 16: 20.0}, {8: 8.0, 16: 2.0}):
        res = dimension.analyse(fabricate(high), ctx)
        assert isinstance(res, StudyResult) and not [v for v in res.verdicts if v.claim == dimension.CLAIM]
        v = dimension.ridge_verdict(res.tables["dimension_ratios"])
        assert v.value == pytest.approx(min(high.values()))
        body = next(s.body for s in res.sections if s.heading.startswith("The high-frequency ridge"))
        assert "reported, not judged" in body and f"d = {min(high, key=high.get)}" in body
    to_json(res.verdicts, "dimension")  # JSON-safe (NaN CIs become null)
    empty = dimension.analyse(fabricate({8: 8.0, 16: 20.0}).iloc[:0], ctx)
    assert "dimension_ratios" not in empty.tables and not empty.figures


def test_figure_table_and_sections(ctx):
    res = dimension.analyse(fabricate({8: 8.0, 16: 20.0}), ctx)
    assert isinstance(res.figures["dimension_ratio"], Figure)
    fig = res.figures["dimension_ratio"]
    assert len([ax for ax in fig.axes if ax.has_data()]) == 3  # one panel per target
    assert all(ax.get_yscale() == "log" for ax in fig.axes)
    assert "dimension_ratios" in res.tables
    heads = [s.heading for s in res.sections]
    assert heads[:2] == ["Design", "Runs"]
    assert heads[2:5] == ["Fixed basis vs adaptive units across d", "Where random features win",
                          "The high-frequency ridge (a description)"]
    body = res.sections[2].body
    assert "figures/dimension_ratio.png" in body and "dimension_ratios.csv" in body
    for fig_name in res.figures:
        assert any(f"figures/{fig_name}.png" in s.body for s in res.sections)
    wins = res.sections[3].body
    assert "not a verdict" in wins
    assert "random features beat oga in 4 of 6 cases" in wins  # gaussian at every d, cosine_product at d = 2
    assert "gaussian d=16" in wins
    assert dimension.smooth_wins(res.tables["dimension_ratios"])["target"].tolist().count("gaussian") == 3


def test_panels_do_not_draw_a_bound_without_its_constant():
    table = dimension.ratio_table(fabricate({8: 8.0, 16: 20.0}), n_boot=200)
    fig = dimension.plot_ratios(table)
    ridge_ax = next(ax for ax in fig.axes if ax.get_title().startswith("cosine_ridge"))
    assert not [line for line in ridge_ax.get_lines() if line.get_linestyle() == ":"]
