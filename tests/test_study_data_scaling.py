"""Tests of the ``data_scaling`` study plug-in on fabricated runs (fast, nothing trained)."""
import io
import math

import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure

from nnapprox.report.study import StudyContext, StudyResult
from nnapprox.report.verdicts import CONSISTENT, CONTRADICTS, NOT_TESTED
from nnapprox.studies import data_scaling
from nnapprox.studies.data_scaling import NBEST_COLUMNS, analyse, best_widths, exponent_verdict
from nnapprox.theory import optimal_width

WIDTHS = (2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096)
NS = (100, 1000, 10_000, 100_000, 1_000_000)  # n* = 26 .. 1522 with C_f = 8, d = 2
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def scaling_runs(rng, Ns=NS, widths=WIDTHS, c=8.0, seeds=3, d=2, sigma=0.03, extra=None):
    """Records with test MSE = c²/n + (n d / N) log N times lognormal noise: minimiser c (N / (d log N))^½."""
    rows = []
    for N in Ns:
        for n in widths:
            for s in range(seeds):
                mse = (c * c / n + n * d * math.log(N) / N) * math.exp(sigma * rng.normal())
                rows.append({"data.N": N, "model.width": n, "n": n, "seed": 0, "replica": s, "test_mse": mse,
                             "train_mse": mse, "c_f": c, "target.d": d, "data.noise": 0.3, "var_f": 0.5,
                             "radius": 1.0, "rel_mse": mse / 0.5, "status": "ok", **(extra or {})})
    return pd.DataFrame(rows)


def ctx(tmp_path, **kw):
    return StudyContext(name="data_scaling", sweep_dir=tmp_path, **kw)


def exponent(res):
    """The n_best exponent verdict of a result (the first verdict)."""
    v = res.verdicts[0]
    assert v.claim == data_scaling.CLAIM
    return v


def test_best_widths_recover_the_square_root_law(tmp_path):
    res = analyse(scaling_runs(np.random.default_rng(0)), ctx(tmp_path))
    table = res.tables["nbest"]
    star = 8.0 * np.sqrt(table["N"] / (2 * np.log(table["N"])))
    assert np.all(np.abs(np.log2(table["n_best"] / star)) <= 1.0)  # within one grid step
    assert table["n_star"].to_numpy() == pytest.approx(star.to_numpy())
    assert table["n_star"].to_numpy() == pytest.approx(optimal_width(8.0, table["N"].to_numpy(float), 2))
    assert (table["capped"] == "").all()
    assert table["boot_freq"].between(0, 1).all()
    v = exponent(res)
    assert v.value == pytest.approx(0.5, abs=0.12)
    assert v.ci_low <= v.value <= v.ci_high
    assert v.ci_low <= 0.5 <= v.ci_high  # the CI contains the truth
    assert v.outcome == CONSISTENT
    assert v.predicted == "exponent 1/2" and "exponent 0.5" in v.measured
    assert "100, 1000, 10000, 100000, 1000000" in v.regime


@pytest.mark.parametrize("sigma", [0.2, 0.5])
def test_exponent_ci_covers_the_truth_with_noisy_replicas(sigma):
    covered = 0
    for k in range(10):
        _, fits = best_widths(scaling_runs(np.random.default_rng(k), sigma=sigma), n_boot=300, seed=0)
        f = fits["uncapped"]
        assert f["n_points"] == len(NS)
        covered += f["ci_low"] <= 0.5 <= f["ci_high"]
    assert covered >= 9


def test_best_widths_flag_the_grid_edge(tmp_path):
    res = analyse(scaling_runs(np.random.default_rng(1), widths=(2, 4, 8)), ctx(tmp_path, n_boot=300))
    table = res.tables["nbest"]
    assert table["capped"].iloc[-1] == "max"
    assert (table["n_best"] == 8).all() and (table["capped"] == "max").all()
    v = exponent(res)
    assert v.outcome == NOT_TESTED and v.reason.startswith("too few points")
    assert "only 0 of 5" in v.reason and "N = 100 (max)" in v.reason and "1000000 (max)" in v.reason
    # a CI that misses 1/2 is censored while the grid caps n_best ...
    forced = {"slope": 0.05, "ci_low": 0.0, "ci_high": 0.1}
    assert exponent_verdict(table, forced).outcome == NOT_TESTED
    # ... and contradicts once n_best is inside the grid
    v = exponent_verdict(table.assign(capped=""), forced)
    assert v.outcome == CONTRADICTS
    assert "upper bound" in v.explanation and "slower" in v.explanation
    assert (v.value, v.ci_low, v.ci_high) == (0.05, 0.0, 0.1)


def test_the_smallest_width_is_a_grid_edge_too():
    table, fits = best_widths(scaling_runs(np.random.default_rng(2), widths=(64, 128, 256, 512)), n_boot=200,
                              c_f=8.0, d=2)
    assert table["capped"].iloc[0] == "min"  # n* = 26 at N = 100, below the grid
    assert table["capped"].iloc[-1] == "max"  # n* = 1522 at N = 10^6, above it
    assert fits["uncapped"]["n_points"] == int((table["capped"] == "").sum())
    assert fits["all"]["n_points"] == len(NS)


def test_exponent_verdict_outcomes():
    table = pd.DataFrame({"N": [100, 1000, 10_000, 100_000], "capped": ["", "", "", "max"]})
    v = exponent_verdict(table, {"slope": 0.52, "ci_low": 0.4, "ci_high": 0.6}, "d=2")
    assert v.outcome == CONSISTENT and v.group == "d=2" and "capped: 100000 (max)" in v.regime
    v = exponent_verdict(table, {"slope": 0.8, "ci_low": 0.7, "ci_high": 0.9})
    assert v.outcome == CONTRADICTS and "faster" in v.explanation
    v = exponent_verdict(table.assign(capped=["min", "", "", "max"]), {"slope": 0.5, "ci_low": 0.4, "ci_high": 0.6})
    assert v.outcome == NOT_TESTED and v.reason.startswith("too few points: only 2 of 4")
    assert "100 (min), 100000 (max)" in v.reason


def test_analyse_returns_the_named_outputs_and_is_deterministic(tmp_path):
    df = scaling_runs(np.random.default_rng(2), Ns=(100, 1000, 10_000), widths=(2, 8, 32, 128))
    first, second = analyse(df, ctx(tmp_path)), analyse(df, ctx(tmp_path))
    assert isinstance(first, StudyResult)
    assert {"data_scaling_nbest", "data_scaling_estimation"} <= set(first.figures)
    for fig in first.figures.values():
        assert isinstance(fig, Figure)
    for name in ("data_scaling_nbest", "data_scaling_estimation"):
        buf = io.BytesIO()
        first.figures[name].savefig(buf, format="png")
        assert buf.getvalue().startswith(PNG_MAGIC)
    assert list(first.tables["nbest"].columns) == list(NBEST_COLUMNS)
    assert "rates" in first.tables  # the generic analysis is kept
    pd.testing.assert_frame_equal(first.tables["nbest"], second.tables["nbest"])
    headings = [s.heading for s in first.sections]
    assert headings.count("Best width vs N") == 1
    body = next(s.body for s in first.sections if s.heading == "Best width vs N")
    assert "figures/data_scaling_nbest.png" in body and "figures/data_scaling_estimation.png" in body
    assert body == next(s.body for s in second.sections if s.heading == "Best width vs N")
    assert [v.as_dict() for v in first.verdicts] == [v.as_dict() for v in second.verdicts]
    assert first.intro == data_scaling.INTRO and "(N / log N)^s" in first.intro
    assert any(r.startswith("**Best width.**") for r in first.rules)


def test_failed_runs_do_not_move_n_best(tmp_path):
    df = scaling_runs(np.random.default_rng(3))
    bad = df[(df["data.N"] == 1000) & (df["model.width"] == 2)].assign(test_mse=1e-9, status="diverged")
    res = analyse(pd.concat([df, bad], ignore_index=True), ctx(tmp_path, n_boot=300))
    assert res.tables["nbest"].set_index("N").loc[1000, "n_best"] == 64


def test_one_verdict_and_figure_pair_per_group(tmp_path):
    df = pd.concat([scaling_runs(np.random.default_rng(4), d=2, Ns=NS[:3]),
                    scaling_runs(np.random.default_rng(5), d=8, Ns=NS[:3])], ignore_index=True)
    res = analyse(df, ctx(tmp_path, n_boot=300))
    mine = [v for v in res.verdicts if v.claim == data_scaling.CLAIM]
    assert sorted(v.group for v in mine) == ["d=2", "d=8"]
    assert {"data_scaling_nbest__d_2", "data_scaling_estimation__d_8"} <= set(res.figures)
    nbest = res.tables["nbest"]
    assert sorted(nbest["group"].unique()) == ["d=2", "d=8"]
    # n* = C_f (N / (d log N))^½ uses each group's own d
    d8 = nbest[nbest["group"] == "d=8"]
    assert d8["n_star"].to_numpy() == pytest.approx(optimal_width(8.0, d8["N"].to_numpy(float), 8))


def test_no_usable_runs_gives_an_empty_table(tmp_path):
    df = scaling_runs(np.random.default_rng(6), Ns=NS[:3], widths=(2, 8, 32)).assign(status="failed")
    res = analyse(df, ctx(tmp_path, n_boot=300))
    assert res.tables["nbest"].empty and not any(v.claim == data_scaling.CLAIM for v in res.verdicts)
    assert any(s.heading == "Best width vs N" for s in res.sections)


# --- the U-curve and the balance of the measured terms ------------------------

FINE = tuple(int(round(2 ** (k / 2))) for k in range(0, 25))  # 1, 1, 2, 3, 4, 6, 8, 11, 16, ... 4096
FINE = tuple(sorted(set(FINE)))


def power_runs(rng, a, Ns=(100, 316, 1000, 3162, 10_000, 31_623, 100_000), c=8.0, sigma=0.03, seeds=3):
    """test MSE = c² n^(−a) + (n d / N) log N: the minimiser grows like (N / log N)^(1/(1+a))."""
    rows = []
    for N in Ns:
        for n in FINE:
            for s in range(seeds):
                mse = (c * c * n ** (-a) + n * 2 * math.log(N) / N) * math.exp(sigma * rng.normal())
                rows.append({"data.N": N, "model.width": max(FINE), "n": n, "seed": 0, "replica": s,
                             "test_mse": mse, "train_mse": mse, "c_f": c, "target.d": 2, "data.noise": 0.3,
                             "var_f": 0.5, "radius": 1.0, "rel_mse": mse / 0.5, "status": "ok"})
    return pd.DataFrame(rows)


def test_a_fast_approximation_rate_moves_the_test_from_one_half_to_the_balance(tmp_path):
    res = analyse(power_runs(np.random.default_rng(7), a=2.0), ctx(tmp_path, n_boot=400))
    half = exponent(res)
    assert half.outcome == NOT_TESTED and half.reason.startswith("outside the hypotheses")
    assert "a = 2.0" in half.reason or "a = 1.9" in half.reason
    (bal,) = [v for v in res.verdicts if v.kind == "nbest_balance"]
    assert bal.outcome == CONSISTENT
    assert bal.value == pytest.approx(1 / 3, abs=0.08)
    assert (bal.ci_high - bal.ci_low) / 2 <= 0.2  # decisive: half-width at most 0.2
    # a = 1: the bound is tight, ½ is tested and holds, and the balance says the same
    res1 = analyse(power_runs(np.random.default_rng(8), a=1.0), ctx(tmp_path, n_boot=400))
    assert exponent(res1).outcome == CONSISTENT
    (bal1,) = [v for v in res1.verdicts if v.kind == "nbest_balance"]
    assert bal1.outcome == CONSISTENT and "0.5" in bal1.predicted


def test_a_best_width_that_does_not_move_contradicts_the_balance():
    table = pd.DataFrame({"N": [100, 1000, 10_000, 100_000], "capped": [""] * 4})
    approx = {"a": 1.0, "a_low": 0.9, "a_high": 1.1, "N": 100_000, "n_min": 8, "n_max": 32, "widths": 5}
    v = data_scaling.balance_verdict(table, {"slope": 0.05, "ci_low": 0.0, "ci_high": 0.1}, approx)
    assert v.outcome == CONTRADICTS and "more slowly" in v.explanation
    assert data_scaling.balance_verdict(table, {"slope": 0.5, "ci_low": 0.45, "ci_high": 0.55}, approx).outcome \
        == CONSISTENT
    nan = dict(approx, a=math.nan, a_low=math.nan, a_high=math.nan, widths=2)
    v = data_scaling.balance_verdict(table, {"slope": 0.5, "ci_low": 0.45, "ci_high": 0.55}, nan)
    assert v.outcome == NOT_TESTED and v.reason.startswith("too few points: 2 widths")


def test_u_curves_are_judged_on_both_sides_of_the_minimum(tmp_path):
    df = power_runs(np.random.default_rng(9), a=2.0)
    u = data_scaling.u_curve_table(df, "n", n_boot=300)
    assert list(u.columns) == list(data_scaling.UCURVE_COLUMNS[1:]) and len(u) == 7
    assert (u["below_high"] < 0).all() and (u["above_low"] > 0).all()
    # far above the minimum the estimation term (slope +1) rules
    assert u["above_slope"].iloc[0] == pytest.approx(1.0, abs=0.25)
    res = analyse(df, ctx(tmp_path, n_boot=300))
    uv = [v for v in res.verdicts if v.kind == "u_curve"]
    assert len(uv) == 7 and all(v.outcome == CONSISTENT for v in uv)
    assert not any(v.kind == "width_rate" for v in res.verdicts)  # the generic 1/n rule is not applied here
    assert len(res.tables["ucurve"]) == 7
    # a grid that stops at the minimum cannot show the rise
    short = df[df["n"] <= 8]
    uv = [data_scaling.u_verdict(r) for r in data_scaling.u_curve_table(short, "n", n_boot=200).to_dict("records")]
    assert all(v.outcome == NOT_TESTED and "fewer than 3 widths above" in v.reason for v in uv[2:])


@pytest.mark.parametrize("below,above,outcome,word", [
    ((-1.0, -1.2, -0.8), (1.0, 0.8, 1.2), CONSISTENT, ""),
    ((0.5, 0.2, 0.8), (1.0, 0.8, 1.2), CONTRADICTS, "rises below"),
    ((-1.0, -1.2, -0.8), (-0.5, -0.8, -0.2), CONTRADICTS, "falls above"),
    ((-1.0, -1.2, -0.8), (0.1, -0.1, 0.3), NOT_TESTED, "flat"),
])
def test_u_verdict_outcomes(below, above, outcome, word):
    row = {"N": 1000, "n_best": 16, "below_slope": below[0], "below_low": below[1], "below_high": below[2],
           "below_widths": 5, "above_slope": above[0], "above_low": above[1], "above_high": above[2],
           "above_widths": 5}
    v = data_scaling.u_verdict(row)
    assert v.outcome == outcome and v.group == "N=1000"
    assert word in (v.explanation or v.reason or "")
