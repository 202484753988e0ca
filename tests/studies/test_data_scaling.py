"""Tests of the ``data_scaling`` study plug-in on fabricated runs (fast, nothing trained); the rules' failing and
holding inputs are in tests/report/test_judge.py."""

import io
import math
from pathlib import Path

import numpy as np
import pytest
from helpers import NS, scaling_runs
from matplotlib.figure import Figure

from nnapprox.report.study import StudyContext, StudyResult, resolve_windows
from nnapprox.studies import data_scaling
from nnapprox.theory.bounds import least_squares_variance, least_squares_variance_slopes, risk_local_slope

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def ctx(**judge):
    return StudyContext(
        name="data_scaling", sweep_dir=Path("."), judge=resolve_windows(data_scaling.JUDGE, judge, "data_scaling")
    )


def test_the_least_squares_variance_and_its_slopes():
    assert least_squares_variance(9, 1000, 0.1) == pytest.approx(0.01 * 10 / 989)
    assert math.isnan(least_squares_variance(10, 12, 0.1))
    sn, sN = least_squares_variance_slopes(np.array([10.0]), np.array([1e6]))
    assert sn[0] == pytest.approx(10 / 11, rel=1e-4) and sN[0] == pytest.approx(-1, rel=1e-4)
    h = 1e-6  # the slopes are the derivatives of the log
    num = (
        np.log(least_squares_variance(10 * (1 + h), 500, 1)) - np.log(least_squares_variance(10, 500, 1))
    ) / np.log1p(h)
    assert num == pytest.approx(least_squares_variance_slopes(10, 500)[0], rel=1e-4)
    # the risk's local slope: 0 at its minimum, towards +1 far above it
    assert risk_local_slope(32, 32, 2.0) == pytest.approx(0) and 0.99 < risk_local_slope(32 * 64, 32, 1.0) < 1


def test_the_decomposition_recovers_the_terms_it_was_built_from():
    runs = scaling_runs()
    noisy, clean = data_scaling.split(runs)
    approx = data_scaling.approximation_exponent(clean, ctx().judge)
    assert approx["a_low"] <= 2.0 <= approx["a_high"] and approx["N"] == max(NS)
    est = data_scaling.estimation_table(noisy, clean)
    assert len(est) == len(NS) * 16 * 5  # paired replicas only (the clean paths have 5)
    ratio = (est["E"] / est["ls_variance"]).median()
    assert ratio == pytest.approx(1.0, rel=0.1)
    table = data_scaling.nbest_table(noisy, 5)
    assert (table["n_best"].diff().dropna() >= 0).all()  # the minimum moves right with N


def test_analyse_returns_the_named_outputs_and_is_deterministic():
    runs = scaling_runs()
    res = data_scaling.analyse(runs, ctx())
    assert isinstance(res, StudyResult)
    assert {"nbest", "ucurve", "estimation", "estimation_N"} <= set(res.tables)
    assert {"data_scaling_nbest", "data_scaling_estimation", "data_scaling_decomposition"} <= set(res.figures)
    for fig in res.figures.values():
        assert isinstance(fig, Figure)
    buf = io.BytesIO()
    res.figures["data_scaling_estimation"].savefig(buf, format="png")
    assert buf.getvalue()[:8] == PNG_MAGIC
    kinds = {v.kind for v in res.verdicts}
    assert {"estimation_n", "estimation_N", "u_rise", "nbest_balance"} <= kinds
    again = data_scaling.analyse(runs, ctx())
    assert [(v.group, v.outcome, v.measured) for v in res.verdicts] == [
        (v.group, v.outcome, v.measured) for v in again.verdicts
    ]


def test_windows_change_the_verdicts_and_are_recorded_with_them():
    runs = scaling_runs()
    wide = data_scaling.judge(runs, ctx(slope_tol=10.0))
    assert all(v.outcome != "contradicts" for v in wide)  # a tolerance this wide accepts everything
    v = next(v for v in data_scaling.judge(runs, ctx()) if v.kind == "u_rise")
    assert v.windows == {"heldout_from": 5, "rise_from": 2, "slope_tol": 0.25}


def test_no_noisy_runs_gives_no_verdicts():
    runs = scaling_runs()
    res = data_scaling.analyse(runs[runs["data.noise"] == 0], ctx())
    assert not [v for v in res.verdicts if v.kind in ("estimation_n", "u_rise")]


def test_compact_tick_labels_keep_three_significant_figures():
    from nnapprox.report.ticks import compact_label as compact

    assert [compact(v) for v in (8, 215, 4642, 21544, 46416, 100000, 1.2e6)] == [
        "8",
        "215",
        "4.64k",
        "21.5k",
        "46.4k",
        "100k",
        "1.2M",
    ]


def test_the_estimation_figure_cuts_bars_below_zero_and_leaves_out_widths_with_nothing_to_draw():
    import pandas as pd

    from nnapprox.studies.data_scaling_figures import plot_estimation

    rows = []
    for N in (100, 1000, 10000):
        for r, e in enumerate((2e-3, -1e-3, 5e-4)):  # n = 8: positive mean, a minimum below 0
            rows.append({"n": 8, "N": N, "E": e * 100 / N, "replica": r})
        for r, e in enumerate((-1e-3, -2e-3)):  # n = 4: every mean negative
            rows.append({"n": 4, "N": N, "E": e, "replica": r})
    fig = plot_estimation(pd.DataFrame(rows), 1.0, 0.1)
    (ax,) = fig.axes
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert "n = 8: measured E" in labels and "n = 4: measured E" not in labels
    assert any(t.startswith("n = 4: no positive mean") for t in labels)
    assert any("bar cut" in t for t in labels)
    assert any("shape only" in t for t in labels) and not any("upper bound" in t for t in labels)
    # every bar end stays strictly positive, so nothing runs off the log axis
    for coll in ax.collections:
        for seg in coll.get_segments():
            assert (np.asarray(seg)[:, 1] > 0).all()
