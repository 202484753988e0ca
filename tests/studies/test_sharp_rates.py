"""The sharp-rates plug-in on fabricated OGA paths: exponents, the regime, every outcome."""

import numpy as np
import pandas as pd
import pytest

from nnapprox.report.study import StudyContext
from nnapprox.studies import sharp_rates
from nnapprox.theory.bounds import oga_rate

WIDTHS = (1, 2, 4, 8, 16, 24, 32, 48, 64, 96, 128, 192, 256)


def paths(cases, *, N=16000, seed=0):
    """Records of OGA paths whose training MSE is C n^slope (floored at 1e-14 Var f) times 3% noise."""
    rng = np.random.default_rng(seed)
    rows = []
    for act, d, slope in cases:
        for r in range(3):
            for n in WIDTHS:
                mse = max(0.01 * n**slope, 1e-14 * 0.01) * np.exp(0.03 * rng.normal())
                rows.append(
                    {
                        "target.name": "gaussian",
                        "target.d": d,
                        "activation.name": act,
                        "trainer.name": "oga",
                        "n": n,
                        "replica": r,
                        "seed": 0,
                        "train_mse": mse,
                        "test_mse": mse * 1.05,
                        "rel_mse": mse * 1.05 / 0.01,
                        "var_f": 0.01,
                        "data.N": N,
                        "status": "ok",
                        "model.depth": 1,
                    }
                )
    return pd.DataFrame(rows)


def _ctx(**judge):
    from nnapprox.report.study import resolve_windows

    return StudyContext(
        name="sharp_rates", sweep_dir=".", n_boot=300, judge=resolve_windows(sharp_rates.JUDGE, judge, "sharp_rates")
    )


def _analyse(df, **judge):
    return sharp_rates.analyse(df, _ctx(**judge))


def test_the_sharp_rate_of_each_dictionary_is_recovered_and_judged():
    cases = [
        ("heaviside", 2, oga_rate(0, 2)),
        ("relu", 2, oga_rate(1, 2)),
        ("relu2", 3, -3.4),  # faster
        ("relu3", 3, -2.5),
    ]  # slower than -3.33
    res = _analyse(paths(cases, N=64000))
    tab = res.tables["sharp_rates"].set_index("unit")
    assert tab.loc["heaviside", "predicted"] == -1.5 and tab.loc["relu", "predicted"] == -2.5
    for unit, slope in (("heaviside", -1.5), ("relu", -2.5)):
        assert tab.loc[unit, "ci_low"] <= slope <= tab.loc[unit, "ci_high"] and tab.loc[unit, "ci_contains"]
    by = {v.group.split(", ")[2].split(" ")[0]: v for v in res.verdicts if v.kind == "sharp_rate"}
    assert by["heaviside"].outcome == by["relu"].outcome == "consistent"
    assert by["relu2"].outcome == "consistent" and "faster than the worst case" in by["relu2"].measured
    assert by["relu3"].outcome == "contradicts" and by["relu3"].explanation
    assert "sharp_rates" in res.figures


def test_the_regime_stops_at_the_precision_floor_and_the_sample_size():
    res = _analyse(paths([("relu3", 1, oga_rate(3, 1))], N=2000))
    row = res.tables["sharp_rates"].iloc[0]
    assert "precision floor at n = " in row["stops"] and "sample size" in row["stops"]
    (v,) = [v for v in res.verdicts if v.kind == "sharp_rate"]
    assert v.outcome == "not tested" and v.reason.startswith("precision floor")
    df = paths([("relu", 2, -2.5)], N=20000)
    w = _ctx().judge
    mask, stops = sharp_rates.regime(df, w)
    assert df["n"][mask].max() == 192 <= 20000 * w["sample_fraction"]
    assert df["n"][mask].min() == w["n_min"] == 32
    mask, _ = sharp_rates.regime(df, {**w, "n_min": 64, "sample_fraction": 0.005})  # the windows decide
    assert df["n"][mask].min() == 64 and df["n"][mask].max() == 96


@pytest.mark.parametrize("k,d,alpha", [(0, 1, -2.0), (1, 1, -4.0), (0, 2, -1.5), (1, 2, -2.5), (3, 3, -1 - 7 / 3)])
def test_oga_rate(k, d, alpha):
    assert oga_rate(k, d) == pytest.approx(alpha)


def test_the_figure_legend_sits_below_the_axes_and_the_sharp_rates_are_black_dashes():
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    res = _analyse(paths([("heaviside", 2, oga_rate(0, 2)), ("relu", 2, oga_rate(1, 2))], N=64000))
    fig = res.figures["sharp_rates"]
    FigureCanvasAgg(fig).draw()
    (ax,) = fig.axes
    leg = ax.get_legend()
    assert leg.get_window_extent().y1 < ax.get_window_extent().y0  # not over the data or the floor line
    assert leg.handlelength >= 3
    black = [ln for ln in ax.get_lines() if ln.get_color() == "k"]
    assert black and all(ln.get_linestyle() == "--" and ln.get_linewidth() >= 1.2 for ln in black)
