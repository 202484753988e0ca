"""The ``activations`` plug-in on fabricated runs with known slopes, constants and unit fractions."""

import io
import math

import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure

from nnapprox.report.study import StudyContext
from nnapprox.studies import activations as acts
from nnapprox.studies import get_plugin
from nnapprox.theory.bounds import barron_bound

SLOPES = {"sigmoid": -1.0, "tanh": -1.2, "relu": -0.8, "leaky_relu": -0.8}
C_F = {"gaussian": 1.25, "cosine_ridge": 3.0}
WIDTHS = (4, 8, 16, 32, 64)
REPS = 5


def activation_runs(rng, var_f=None):
    """Runs with test MSE = 0.02 n^s (5% log-noise), REPS replicas; saturated 0.01 n/64, relu dead 10%.

    ``var_f`` (target -> Var f) sets n_0 = (2 r C_f)²/Var f; the default 10 puts every width in the
    regime of the theorem.
    """
    var_f = var_f or {}
    rows = []
    for act, s in SLOPES.items():
        for tgt, c_f in C_F.items():
            v = var_f.get(tgt, 10.0)
            for n in WIDTHS:
                for rep in range(REPS):
                    mse = 0.02 * n**s * math.exp(0.05 * rng.normal())
                    bound = barron_bound(c_f, n, 1.0, act)
                    rows.append(
                        {
                            "activation.name": act,
                            "target.name": tgt,
                            "model.width": n,
                            "model.depth": 1,
                            "trainer.name": "lbfgs",
                            "seed": 0,
                            "replica": rep,
                            "status": "ok",
                            "n": n,
                            "test_mse": mse,
                            "test_mse_se": 0.01 * mse,
                            "train_mse": 0.9 * mse,
                            "rel_mse": mse / v,
                            "var_f": v,
                            "c_f": c_f,
                            "radius": 1.0,
                            "bound": bound,
                            "bound_ratio": mse / bound,
                            "saturated_frac": 0.01 * n / 64 if act in ("sigmoid", "tanh") else None,
                            "dead_frac": (0.1 if act == "relu" else 0.0) if act in ("relu", "leaky_relu") else None,
                            "run_dir": f"{act}_{tgt}_{n}",
                            "params_key": f"r{rep}_n{n}",
                        }
                    )
    return pd.DataFrame(rows)


@pytest.fixture(scope="module")
def runs():
    return activation_runs(np.random.default_rng(0))


@pytest.fixture()
def ctx(tmp_path):
    return StudyContext(name="activations", sweep_dir=tmp_path, n_boot=200)


@pytest.fixture()
def result(runs, ctx):
    return acts.analyse(runs, ctx)


def row(tab, act, tgt):
    return tab[(tab["activation"] == act) & (tab["target"] == tgt)].iloc[0]


def test_the_runner_finds_the_plugin():
    assert get_plugin("activations") is acts


def test_rate_table_recovers_slopes_and_constants(result):
    rates = result.tables["activation_rates"]
    generic_fits = result.tables["rates"].set_index("group")
    assert list(rates.columns) == list(acts.RATE_COLUMNS)
    assert len(rates) == 8
    covered = 0
    for act, s in SLOPES.items():
        for tgt, c_f in C_F.items():
            r = row(rates, act, tgt)
            assert r["slope"] == pytest.approx(s, abs=0.1)
            assert r["ci_low"] < r["slope"] < r["ci_high"] and r["ci_high"] - r["ci_low"] < 0.3
            covered += r["ci_low"] <= s <= r["ci_high"]
            # the same fit as the generic analysis's rate of the group
            assert r["slope"] == pytest.approx(generic_fits.loc[f"activation={act}, target={tgt}", "slope"])
            assert r["C"] == pytest.approx(0.02, rel=0.3)
            k = (2 * c_f) ** 2 * (2 if act in ("relu", "leaky_relu") else 1)  # two ReLU units per ramp
            assert r["barron_C"] == pytest.approx(k)
            assert r["C_over_barron"] == pytest.approx(r["C"] / k)
            assert r["n_max"] == 64
            assert r["mse_at_max_n"] == pytest.approx(0.02 * 64**s, rel=0.15)
    assert covered >= 6  # 95% intervals: one or two of eight may miss by chance


def test_barron_constant_comes_from_the_theory():
    assert acts.barron_constant(1.25, 1.0, "sigmoid") == pytest.approx(6.25)
    assert acts.barron_constant(1.25, 2.0, "tanh") == pytest.approx(25.0)
    assert acts.barron_constant(1.25, 1.0, "leaky_relu") == pytest.approx(12.5)
    assert math.isnan(acts.barron_constant(1.25, 1.0, "identity"))
    assert math.isnan(acts.barron_constant(math.inf, 1.0, "relu"))


def test_trained_networks_get_no_verdicts_and_their_bound_constant_is_described(runs, ctx, result):
    assert result.verdicts == []  # L-BFGS nets say nothing about a bound on the best network
    rates = result.tables["activation_rates"]
    for r in rates.itertuples(index=False):
        n0 = 4 * C_F[r.target] ** 2 / 10.0 * (2 if r.activation in ("relu", "leaky_relu") else 1)
        assert r.n_0 == pytest.approx(n0)
        g = runs[(runs["activation.name"] == r.activation) & (runs["target.name"] == r.target) & (runs["n"] >= n0)]
        m = g["n"] // 2 if r.activation in ("relu", "leaky_relu") else g["n"]
        assert r.K_train == pytest.approx((m * g["train_mse"] / (2 * C_F[r.target]) ** 2).max())


def test_pre_asymptotic_groups_have_no_bound_constant(ctx):
    runs = activation_runs(np.random.default_rng(1), var_f={"cosine_ridge": 0.5})  # n_0 = 72 (144 relu) > 64
    rates = acts.analyse(runs, ctx).tables["activation_rates"]
    ridge = rates[rates["target"] == "cosine_ridge"]
    assert ridge["K_train"].isna().all() and (ridge["n_0"] > 64).all()
    assert rates.loc[rates["target"] == "gaussian", "K_train"].notna().all()


def test_unit_table_and_pros_cons(result):
    units = result.tables["unit_stats"]
    assert list(units.columns) == list(acts.UNIT_COLUMNS)
    assert set(units["quantity"]) == {"saturated_frac", "dead_frac"}
    assert set(units.loc[units["quantity"] == "dead_frac", "activation"]) == {"relu", "leaky_relu"}
    assert set(units.loc[units["quantity"] == "saturated_frac", "activation"]) == {"sigmoid", "tanh"}
    relu = units[units["activation"] == "relu"]
    assert relu["mean"].tolist() == pytest.approx([0.1] * len(relu))
    sig = units[(units["activation"] == "sigmoid") & (units["target"] == "gaussian")].sort_values("n")
    assert sig["mean"].tolist() == pytest.approx([0.01 * n / 64 for n in WIDTHS])
    assert (units["count"] == REPS).all() and len(units) == 4 * 2 * len(WIDTHS)
    text = next(s.body for s in result.sections if s.heading == "Pros and cons, measured")
    assert "dead units: 10.0%" in text and "all-negative units: 0% in every run" in text
    # saturated pairs: mean over widths of 0.01 n / 64 = 0.384%, max 1.0% at n = 64
    assert "saturated pairs: 0.4% on average over widths and targets, up to 1.0% (n = 64" in text
    tanh = row(result.tables["activation_rates"], "tanh", "gaussian")
    assert f"slope {tanh['slope']:.2f} [{tanh['ci_low']:.2f}, {tanh['ci_high']:.2f}]" in text


def test_failed_runs_are_left_out(runs, ctx):
    bad = runs[(runs["activation.name"] == "relu") & (runs["n"] == 64)].copy()
    bad = bad.assign(status="diverged", test_mse=1e6, dead_frac=1.0, replica=bad["replica"] + REPS)
    res = acts.analyse(pd.concat([runs, bad], ignore_index=True), ctx)
    rates, units = res.tables["activation_rates"], res.tables["unit_stats"]
    assert row(rates, "relu", "gaussian")["slope"] == pytest.approx(-0.8, abs=0.1)
    assert units.loc[units["activation"] == "relu", "mean"].tolist() == pytest.approx([0.1] * 10)


def test_activations_analyse_gives_tables_figure_and_sections(result):
    assert {"activation_rates", "unit_stats", "rates"} <= set(result.tables)
    fig = result.figures["activations_units"]
    assert isinstance(fig, Figure) and len(fig.axes) == 2
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    assert buf.getvalue()[:4] == b"\x89PNG"
    assert "Which activation" in result.intro
    headings = [s.heading for s in result.sections]
    assert headings[:2] == ["Design", "Runs"]
    assert {"Rates and constants per activation", "Saturated and dead units", "Pros and cons, measured"} <= set(
        headings
    )
    units_body = next(s.body for s in result.sections if s.heading == "Saturated and dead units")
    assert "figures/activations_units.png" in units_body
    body = next(s.body for s in result.sections if s.heading == "Rates and constants per activation")
    assert "activation_rates.csv" in body and "| gaussian | tanh |" in body
    assert "gaussian: lowest MSE at the largest width with tanh" in body


def test_records_without_activations_get_the_generic_report(ctx):
    runs = activation_runs(np.random.default_rng(2)).drop(columns=["activation.name"])
    res = acts.analyse(runs, ctx)
    assert "activation_rates" not in res.tables
    assert any("activation.name" in s.body for s in res.sections)


def test_groups_split_by_another_variable_keep_one_rate_row_per_activation_and_target(ctx):
    base = activation_runs(np.random.default_rng(4))
    other = base.assign(
        **{"trainer.name": "adam", "test_mse": base["test_mse"] * 2, "train_mse": base["train_mse"] * 2}
    )
    res = acts.analyse(pd.concat([base, other], ignore_index=True), ctx)
    rates = res.tables["activation_rates"]
    assert len(rates) == len(SLOPES) * len(C_F) and res.verdicts == []
