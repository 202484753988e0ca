"""Fast tests of the study scripts' analysis functions on fabricated runs.csv data.

The scripts live in ``experiments/<study>/run.py`` (not a package); they are loaded by path.
End-to-end runs of ``main`` that train networks are marked slow.
"""
import importlib.util
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from nnapprox import MLP
from nnapprox.report.sections import (fmt_num, group_stats, load_runs, markdown_table,
                                      replace_section, section_markers)

ROOT = Path(__file__).resolve().parents[1]


def load_study(study):
    """Import ``experiments/<study>/run.py`` as a module."""
    path = ROOT / "experiments" / study / "run.py"
    spec = importlib.util.spec_from_file_location(f"study_{study}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def backprop():
    return load_study("backprop")


@pytest.fixture(scope="module")
def ua():
    return load_study("universal_approximation")


@pytest.fixture(scope="module")
def scaling():
    return load_study("data_scaling")


@pytest.fixture(scope="module")
def acts():
    return load_study("activations")


@pytest.fixture(scope="module")
def depth():
    return load_study("depth")


GENERIC_REPORT = ("# Sweep report\n\n## Study `x`\n\nbody\n\n## How to read this report\n\n"
                  "- rules\n\n## Provenance\n\n- commit\n")


# ---------------------------------------------------------------------------
# nnapprox.report.sections
# ---------------------------------------------------------------------------

def test_replace_section_is_idempotent_and_sits_before_the_rules(tmp_path):
    path = tmp_path / "REPORT.md"
    path.write_text(GENERIC_REPORT)
    replace_section(path, "Study-specific analysis", "first body\n\n| a |\n|---|\n| 1 |")
    once = path.read_text()
    replace_section(path, "Study-specific analysis", "first body\n\n| a |\n|---|\n| 1 |")
    assert path.read_text() == once
    begin, end = section_markers("Study-specific analysis")
    assert once.count(begin) == once.count(end) == 1
    assert once.index("## Study `x`") < once.index(begin) < once.index("## How to read")
    assert "## Study-specific analysis\n\nfirst body" in once


def test_replace_section_replaces_the_body_and_keeps_the_rest(tmp_path):
    path = tmp_path / "REPORT.md"
    path.write_text(GENERIC_REPORT)
    replace_section(path, "Study-specific analysis", "old")
    replace_section(path, "Another section", "other")
    replace_section(path, "Study-specific analysis", "new")
    text = path.read_text()
    assert "old" not in text and "new" in text and "other" in text
    assert text.replace(text[text.index("<!-- nnapprox-section: study"):
                             text.index("<!-- /nnapprox-section: study-specific-analysis -->")],
                        "").count("## Provenance") == 1
    assert text.endswith("- commit\n")


def test_replace_section_after_regenerating_the_report_gives_the_same_file(tmp_path):
    path = tmp_path / "REPORT.md"
    path.write_text(GENERIC_REPORT)
    replace_section(path, "Study-specific analysis", "body")
    first = path.read_text()
    path.write_text(GENERIC_REPORT)  # nnapprox-report rewrites the generic report
    replace_section(path, "Study-specific analysis", "body")
    assert path.read_text() == first


def test_replace_section_creates_a_missing_file_and_appends_without_trailing_sections(tmp_path):
    path = tmp_path / "sub" / "REPORT.md"
    replace_section(path, "Extra", "x = 1")
    assert path.read_text() == ("<!-- nnapprox-section: extra -->\n## Extra\n\nx = 1\n"
                                "<!-- /nnapprox-section: extra -->\n")
    plain = tmp_path / "plain.md"
    plain.write_text("# Title\n\ntext\n")
    replace_section(plain, "Extra", "x = 1", level=3)
    assert plain.read_text().startswith("# Title\n\ntext\n\n<!-- nnapprox-section: extra -->\n###")


def test_replace_section_rejects_broken_markers_and_bad_arguments(tmp_path):
    path = tmp_path / "REPORT.md"
    begin, _ = section_markers("S")
    path.write_text(f"{begin}\nhalf a section\n")
    with pytest.raises(ValueError, match="markers"):
        replace_section(path, "S", "x")
    with pytest.raises(ValueError, match="level"):
        replace_section(tmp_path / "a.md", "S", "x", level=7)
    with pytest.raises(ValueError, match="letter or digit"):
        replace_section(tmp_path / "a.md", "---", "x")
    with pytest.raises(ValueError, match="single line"):
        replace_section(tmp_path / "a.md", "two\nlines", "x")


def test_markdown_table_formats_numbers_and_escapes_pipes():
    df = pd.DataFrame({"name": ["a|b", "c"], "x": [0.000123456, 2.0], "k": [3, 4],
                       "ok": [True, False], "m": [math.nan, math.inf]})
    text = markdown_table(df, formats={"k": lambda v: f"<{v}>"})
    lines = text.splitlines()
    assert lines[0] == "| name | x | k | ok | m |"
    assert lines[1] == "|---|---|---|---|---|"
    assert lines[2] == "| a\\|b | 0.000123 | <3> | yes | - |"
    assert lines[3] == "| c | 2 | <4> | no | inf |"
    with pytest.raises(ValueError, match="formats"):
        markdown_table(df, formats={"missing": str})
    with pytest.raises(ValueError, match="DataFrame"):
        markdown_table([[1, 2]])
    assert fmt_num(None) == "-" and fmt_num(12345.678, 4) == "1.235e+04"


def test_load_runs_filters_ok_rows_and_names_the_sweep(tmp_path):
    with pytest.raises(ValueError, match="experiment=depth"):
        load_runs(tmp_path, study="depth")
    pd.DataFrame({"a": [1, 2, 3], "status": ["ok", "diverged", "ok"]}).to_csv(
        tmp_path / "runs.csv", index=False)
    assert load_runs(tmp_path)["a"].tolist() == [1, 3]
    assert len(load_runs(tmp_path, ok_only=False)) == 3
    with pytest.raises(ValueError, match="lacks the columns"):
        load_runs(tmp_path, ["b"])


def test_group_stats():
    df = pd.DataFrame({"g": ["a", "a", "b"], "v": [1.0, 3.0, 5.0]})
    st = group_stats(df, "g", "v")
    assert st["mean"].tolist() == [2.0, 5.0]
    assert st["se"].iloc[0] == pytest.approx(math.sqrt(2) / math.sqrt(2))
    assert math.isnan(st["se"].iloc[1]) and st["count"].tolist() == [2, 1]


# ---------------------------------------------------------------------------
# backprop
# ---------------------------------------------------------------------------

def test_gradcheck_table_passes_for_a_subset(backprop):
    tab = backprop.gradcheck_table(["tanh", "relu"], depths=(1, 3), losses=("mse", "logistic"),
                                   n_samples=6, width=3)
    assert len(tab) == 8 and tab["passed"].all()
    assert (tab["rel_error"] < backprop.GRADCHECK_TOL).all()
    assert (tab["min_abs_z"] > 100 * backprop.FD_STEP).all()


def test_kink_demo_shows_the_relu_convention(backprop):
    res = backprop.kink_demo()
    assert res["on_kink"] > 0 and res["rel_error"] > backprop.GRADCHECK_TOL


def test_logistic_regression_matches_scipy(backprop):
    X, y = backprop.two_blobs(60, seed=3)
    assert X.shape == (120, 2) and set(np.unique(y)) == {0.0, 1.0}
    res = backprop.logistic_regression(X, y)
    assert res["param_rel_diff"] < backprop.PARAM_TOL
    assert res["loss_engine"] == pytest.approx(res["loss_scipy"], rel=1e-9)
    assert 0.7 < res["accuracy"] < 1.0


def test_logistic_loss_gradient_is_consistent(backprop):
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(20, 2)), (rng.random(20) < 0.5).astype(float)
    theta = rng.normal(size=3)
    _, g = backprop.logistic_loss(theta, X, y)
    h = 1e-6
    num = [(backprop.logistic_loss(theta + h * e, X, y)[0]
            - backprop.logistic_loss(theta - h * e, X, y)[0]) / (2 * h) for e in np.eye(3)]
    assert np.allclose(g, num, atol=1e-8)


def test_adam_summary_applies_the_rule(backprop):
    rows = []
    for act, rel in (("tanh", 1e-4), ("sigmoid", 0.2)):
        for depth in (1, 2):
            for seed in range(3):
                rows.append({"activation.name": act, "model.depth": depth, "seed": seed,
                             "test_mse": rel * 0.5 * (1 + 0.1 * seed),
                             "rel_mse": rel * (1 + 0.1 * seed),
                             "n_params": 49 * depth})
    summary = backprop.adam_summary(pd.DataFrame(rows))
    assert summary["activation"].tolist() == ["sigmoid", "sigmoid", "tanh", "tanh"]
    assert summary["passed"].tolist() == [False, False, True, True]
    assert summary["runs"].tolist() == [3, 3, 3, 3]
    assert (summary["test_mse_min"] <= summary["test_mse"]).all()


# ---------------------------------------------------------------------------
# universal approximation
# ---------------------------------------------------------------------------

def test_target_and_interval_match_the_experiment(ua):
    target = ua.sin_target()
    assert ua.domain_interval(target) == (-1.0, 1.0)
    assert target.c_f == pytest.approx(4.0)
    assert target(np.array([[0.25]]))[0] == pytest.approx(math.sin(1.0))


def test_staircase_errors_fall_like_one_over_n(ua):
    stairs = ua.staircase_errors(ua.sin_target(), levels=range(3, 8),
                                 grid=np.linspace(-1, 1, 4001))
    slope = np.polyfit(np.log(stairs["n"]), np.log(stairs["sup_err"]), 1)[0]
    assert slope == pytest.approx(-1.0, abs=0.1)
    assert (stairs["mse"] <= stairs["sup_err"] ** 2).all()
    assert (stairs["sup_err"] < 4.0 / stairs["n"] + 0.05).all()


def test_staircase_units_sum_to_the_network(ua):
    target = ua.sin_target()
    grid = np.linspace(-1, 1, 101)
    const, units, centres = ua.staircase_units(target, 8, grid=grid)
    assert units.shape == (8, 101) and centres.shape == (8,)
    assert np.all(np.diff(centres) > 0) and centres[0] == pytest.approx(-1 + 1 / 8)
    assert const == pytest.approx(math.sin(-4.0))


def test_trained_units_decompose_any_shallow_net(ua):
    net = MLP([1, 5, 1], "sigmoid", rng=np.random.default_rng(1))
    net.biases[1][...] = 0.3
    grid = np.linspace(-1, 1, 33)
    const, units = ua.trained_units(net, grid)
    assert const == pytest.approx(0.3)
    assert np.allclose(const + units.sum(axis=0), net.predict(grid[:, None]))
    with pytest.raises(ValueError, match="expected"):
        ua.trained_units(MLP([1, 3, 3, 1], rng=np.random.default_rng(0)), grid)


def test_width_comparison(ua):
    stairs = pd.DataFrame({"n": [2, 4, 8], "mse": [1.0, 0.1, 0.01]})
    trained = pd.DataFrame({"activation": ["relu"] * 2 + ["sigmoid"] * 2, "n": [4, 8, 4, 8],
                            "mean": [0.01, 0.02, 0.001, 0.0001]})
    comp = ua.width_comparison(stairs, trained)
    assert comp["n"].tolist() == [4, 8]
    assert comp["relu_gain"].tolist() == pytest.approx([10.0, 0.5])
    assert comp["sigmoid_gain"].tolist() == pytest.approx([100.0, 100.0])


# ---------------------------------------------------------------------------
# data scaling
# ---------------------------------------------------------------------------

def scaling_runs(rng, Ns=(100, 1000, 10_000, 100_000, 1_000_000),  # n* = 26 .. 1522
                 widths=(2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096), c=8.0, seeds=3,
                 d=2):
    """Test MSE = c²/n + (n d / N) log N times 3% lognormal noise: minimiser c (N / (d log N))^½."""
    rows = []
    for N in Ns:
        for n in widths:
            for s in range(seeds):
                mse = (c * c / n + n * d * math.log(N) / N) * math.exp(0.03 * rng.normal())
                rows.append({"data.N": N, "model.width": n, "seed": 0, "replica": s,
                             "test_mse": mse, "c_f": c, "target.d": d, "data.noise": 0.3,
                             "status": "ok"})
    return pd.DataFrame(rows)


def test_best_widths_recover_the_square_root_law(scaling):
    df = scaling_runs(np.random.default_rng(0))
    table, fit = scaling.best_widths(df, n_boot=300)
    star = 8.0 * np.sqrt(table["N"] / (2 * np.log(table["N"])))
    assert np.all(np.abs(np.log2(table["n_best"] / star)) <= 1.0)  # within one grid step
    assert (table["capped"] == "").all()
    assert fit["slope"] == pytest.approx(0.5, abs=0.12)
    assert fit["ci_low"] <= fit["slope"] <= fit["ci_high"]
    status, sentence = scaling.verdict(fit, table)
    assert status in ("PASS", "FAIL") and "vs theory 0.5" in sentence


def test_best_widths_flag_the_grid_edge(scaling):
    df = scaling_runs(np.random.default_rng(1), widths=(2, 4, 8))
    table, fit = scaling.best_widths(df, n_boot=200)
    assert table["capped"].iloc[-1] == "max"
    status, sentence = scaling.verdict({**fit, "ci_low": 0.0, "ci_high": 0.1}, table)
    assert status == "INCONCLUSIVE" and "grid caps n_best" in sentence
    status, _ = scaling.verdict({**fit, "ci_low": 0.0, "ci_high": 0.1},
                                table.assign(capped=""))
    assert status == "FAIL"


def test_data_scaling_main_writes_outputs_idempotently(scaling, tmp_path):
    df = scaling_runs(np.random.default_rng(2), Ns=(100, 1000, 10_000), widths=(2, 8, 32, 128))
    df.to_csv(tmp_path / "runs.csv", index=False)
    (tmp_path / "REPORT.md").write_text(GENERIC_REPORT)
    assert scaling.main(["--results", str(tmp_path)]) == 0
    first = (tmp_path / "REPORT.md").read_text()
    assert scaling.main(["--results", str(tmp_path)]) == 0
    assert (tmp_path / "REPORT.md").read_text() == first
    for name in ("nbest.csv", "figures/data_scaling_nbest.png",
                 "figures/data_scaling_estimation.png"):
        assert (tmp_path / name).stat().st_size > 0
    assert first.count("## Study-specific analysis") == 1


# ---------------------------------------------------------------------------
# activations
# ---------------------------------------------------------------------------

def activation_runs(rng):
    rows = []
    slopes = {"sigmoid": -1.0, "tanh": -1.2, "relu": -0.8, "leaky_relu": -0.8}
    for act, s in slopes.items():
        for tgt, c_f in (("gaussian", 1.25), ("cosine_ridge", 3.0)):
            for n in (4, 8, 16, 32, 64):
                for rep in range(3):
                    rows.append({
                        "activation.name": act, "target.name": tgt, "n": n, "model.width": n,
                        "replica": rep, "seed": 0, "status": "ok", "c_f": c_f, "radius": 1.0,
                        "test_mse": 0.02 * n ** s * math.exp(0.05 * rng.normal()),
                        "saturated_frac": 0.01 * n / 64 if act in ("sigmoid", "tanh") else None,
                        "dead_frac": (0.1 if act == "relu" else 0.0)
                        if act in ("relu", "leaky_relu") else None})
    return pd.DataFrame(rows)


def test_rate_table_recovers_slopes_and_constants(acts):
    rates = acts.rate_table(activation_runs(np.random.default_rng(0)), n_boot=200)
    assert len(rates) == 8
    for act, s in (("sigmoid", -1.0), ("tanh", -1.2), ("relu", -0.8)):
        r = rates[(rates["activation"] == act) & (rates["target"] == "gaussian")].iloc[0]
        assert r["slope"] == pytest.approx(s, abs=0.1)
        assert r["C"] == pytest.approx(0.02, rel=0.3)
        assert r["barron_C"] == pytest.approx((2 * 1.25) ** 2)
    assert set(rates["verdict"]) <= {"pass", "fail", "na"}
    tanh = rates[rates["activation"] == "tanh"]
    assert (tanh["verdict"] == "pass").all()


def test_unit_table_and_pros_cons(acts):
    units = acts.unit_table(activation_runs(np.random.default_rng(0)))
    assert set(units["quantity"]) == {"saturated_frac", "dead_frac"}
    assert set(units.loc[units["quantity"] == "dead_frac", "activation"]) == {"relu",
                                                                               "leaky_relu"}
    relu = units[units["activation"] == "relu"]
    assert relu["mean"].tolist() == pytest.approx([0.1] * len(relu))
    text = "\n".join(acts.pros_cons(acts.rate_table(activation_runs(np.random.default_rng(0)),
                                                    n_boot=200), units))
    assert "dead units: 10.0%" in text and "all-negative units: 0% in every run" in text


def test_activations_main(acts, tmp_path):
    activation_runs(np.random.default_rng(3)).to_csv(tmp_path / "runs.csv", index=False)
    assert acts.main(["--results", str(tmp_path)]) == 0
    for name in ("activation_rates.csv", "unit_stats.csv", "figures/activations_units.png",
                 "REPORT.md"):
        assert (tmp_path / name).stat().st_size > 0


# ---------------------------------------------------------------------------
# depth
# ---------------------------------------------------------------------------

def test_shallow_and_deep_sawtooth_are_exact(depth):
    refs = depth.reference_nets(3, ms=(1, 2, 3), grid_size=2 ** 10 + 1)
    saw = refs[refs["target"] == "sawtooth"]
    assert saw["sup_err"].max() < 1e-12
    assert saw["pieces"].tolist() == [8, 8]
    assert saw["n_params"].tolist() == [6 * 3 + 1, 3 * 8 + 1]
    sq = refs[refs["target"] == "square"]
    assert sq["sup_err"].to_numpy() == pytest.approx(sq["sup_theory"].to_numpy(), rel=1e-9)
    assert sq["mse"].to_numpy() == pytest.approx(sq["mse_theory"].to_numpy(), rel=1e-3)
    assert sq["n_params"].tolist() == [10, 22, 34]


def depth_means():
    rows = []
    for tgt, deep_better in (("sawtooth", True), ("square", False)):
        for d, w, p in ((1, 4, 13), (1, 8, 25), (1, 32, 97), (2, 4, 33), (2, 8, 97),
                        (4, 8, 241)):
            for s in range(2):
                base = 1e-2 * (p / 13) ** -0.5
                if d > 1:
                    base = base / 10 if deep_better else base * 10
                rows.append({"target.name": tgt, "model.depth": d, "model.width": w,
                             "n_params": p, "test_mse": base * (1 + 0.05 * s), "seed": s})
    return pd.DataFrame(rows)


def test_depth_verdicts_and_matched_params(depth):
    df = depth_means()
    means = depth.config_means(df)
    verdicts = depth.depth_verdicts(df, means).set_index("target")
    assert verdicts.loc["sawtooth", "winner"] == "depth"
    assert verdicts.loc["square", "winner"] == "shallow"
    assert verdicts.loc["sawtooth", "budget"] == 97
    assert verdicts.loc["sawtooth", "deep_params"] <= 97
    matched = depth.matched_params(means)
    assert set(matched["n_params"]) == {33, 97}  # 241 lies outside the shallow range
    saw = matched[matched["target"] == "sawtooth"]
    assert (saw["ratio"] > 1).all()
    assert (matched[matched["target"] == "square"]["ratio"] < 1).all()


def test_interp_and_floor(depth):
    assert depth._interp_loglog(20, [10, 40], [1.0, 0.25]) == pytest.approx(0.5)
    assert math.isnan(depth._interp_loglog(50, [10, 40], [1.0, 0.25]))
    assert depth.floor_value([3e-3, 0.1, 0.0]) == pytest.approx(1e-5)


@pytest.mark.slow
def test_depth_main_end_to_end(depth, tmp_path):
    df = depth_means().assign(status="ok", var_f=0.08, dead_frac=0.4)
    df.to_csv(tmp_path / "runs.csv", index=False)
    assert depth.main(["--results", str(tmp_path)]) == 0
    gap = pd.read_csv(tmp_path / "optimization_gap.csv")
    assert set(gap["target"]) == {"sawtooth", "square"}
    assert (gap["hand_built_mse"][gap["target"] == "sawtooth"] == 0).all()
    assert "Sawtooth verdict: depth" in (tmp_path / "REPORT.md").read_text()


@pytest.mark.slow
def test_universal_approximation_main_without_sweep(ua, tmp_path):
    assert ua.main(["--results", str(tmp_path)]) == 0
    text = (tmp_path / "REPORT.md").read_text()
    assert "No sweep data" in text and "PASS" in text
    units = pd.read_csv(tmp_path / "trained_units.csv")
    assert len(units) == ua.UNIT_WIDTH


@pytest.mark.slow
def test_backprop_main_without_sweep(backprop, tmp_path):
    assert backprop.main(["--results", str(tmp_path)]) == 0
    grad = pd.read_csv(tmp_path / "gradcheck.csv")
    assert len(grad) == 5 * 4 * 2 and grad["passed"].all()
    assert "No sweep data" in (tmp_path / "REPORT.md").read_text()
