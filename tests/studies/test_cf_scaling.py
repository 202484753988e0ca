"""The C_f-scaling plug-in on fabricated OGA paths: K over n ≥ n_0 per target and its verdict, the family trends."""

import numpy as np
import pandas as pd

from nnapprox.report.study import StudyContext
from nnapprox.studies import cf_scaling


def runs(K_of, seed=0):
    """Paths with test MSE = K (2 C_f)²/n · (n/256)^0 ... shaped so that max_n n·MSE/(2 C_f)² = K(C_f)."""
    rng = np.random.default_rng(seed)
    rows = []
    for name, col, values, cf in (
        ("cosine_ridge", "target.omega", (1.0, 2.0, 4.0, 8.0), lambda v: v),
        ("gaussian", "target.s", (1.0, 0.5, 0.25), lambda v: 1.2533 / v),
    ):
        for v in values:
            c_f = cf(v)
            for r in range(3):
                for n in (1, 2, 4, 8, 16, 32, 64, 128, 256):
                    K = K_of(name, c_f) * np.exp(0.02 * rng.normal())
                    mse = K * (2 * c_f) ** 2 / n * (n / 256) ** 0.5  # n·MSE peaks at n = 256, where it is K
                    rows.append(
                        {
                            "target.name": name,
                            col: v,
                            "target.d": 2,
                            "c_f": c_f,
                            "radius": 1.0,
                            "var_f": 1.0,
                            "n": n,
                            "replica": r,
                            "seed": 0,
                            "test_mse": mse,
                            "train_mse": mse,
                            "rel_mse": mse,
                            "status": "ok",
                            "trainer.name": "oga",
                            "activation.name": "sigmoid",
                            "model.depth": 1,
                            "bound": (2 * c_f) ** 2 / n,
                        }
                    )
    return pd.DataFrame(rows)


def _analyse(df, **judge):
    from nnapprox.report.study import resolve_windows

    return cf_scaling.analyse(
        df,
        StudyContext(
            name="cf_scaling", sweep_dir=".", n_boot=300, judge=resolve_windows(cf_scaling.JUDGE, judge, "cf_scaling")
        ),
    )


def test_k_per_target_and_the_trend_of_each_family():
    res = _analyse(runs(lambda name, c_f: 0.01 if name == "cosine_ridge" else 0.05 / c_f))
    tab = res.tables["cf_constants"]
    ridge = tab[tab["target"] == "cosine_ridge"]
    assert np.allclose(ridge["K_train"], 0.01, rtol=0.1)  # n·MSE peaks at n = 256 >= n_0 = 4 C_f² / Var f
    assert (tab["n_0"] == 4 * tab["c_f"] ** 2).all() and (tab["widths_above_n_0"] >= 1).all()
    trend = res.tables["cf_trends"].set_index("family")
    assert (
        "constant" in trend.loc["ridge cos(ω·x)", "reading"] and trend.loc["ridge cos(ω·x)", "ci_method"] == "t-paths"
    )
    g = trend.loc["Gaussian of width s"]
    assert g["K_slope_high"] < 0 and "falls" in g["reading"]
    assert {v.outcome for v in res.verdicts} == {"consistent"} and {v.kind for v in res.verdicts} == {"barron_bound"}
    assert "Closest to the bound" in res.sections[0].body and "cf_scaling" in res.figures
    # the reading needs a CI that can tell: with a tolerance of 0.001 the ridge's flat K is undetermined
    tight = _analyse(runs(lambda name, c_f: 0.01 if name == "cosine_ridge" else 0.05 / c_f), k_slope_tol=0.001)
    assert tight.tables["cf_trends"].set_index("family").loc["ridge cos(ω·x)", "reading"].startswith("undetermined")


def test_k_above_one_on_the_training_sample_contradicts():
    res = _analyse(runs(lambda name, c_f: 3.0 if c_f > 7 else 0.1))
    out = {v.group: v.outcome for v in res.verdicts}
    assert out["ridge cos(ω·x), omega = 8 (C_f = 8)"] == "contradicts"
    assert list(out.values()).count("contradicts") == 1


def test_the_figure_leaves_out_families_without_k_and_keeps_their_colours():
    import numpy as np
    import pandas as pd
    from matplotlib.colors import to_hex

    from nnapprox.studies import cf_scaling

    nan = float("nan")
    table = pd.DataFrame(
        {
            "family": ["A"] * 2 + ["B"] * 2,
            "c_f": [1.0, 2.0, 1.5, 3.0],
            "K_train": [nan, nan, 1e-6, 2e-6],
            "K_test": [nan, nan, 1e-6, 2e-6],
            f"mse_at_{cf_scaling.AT_WIDTH}": [1e-6, 2e-6, 1e-6, 3e-6],
        }
    )
    fig = cf_scaling._plot(table, None)
    ax1, ax2 = fig.axes[:2]
    labels1 = [t.get_text() for t in ax1.get_legend().get_texts()]
    assert not [t for t in labels1 if t.startswith("A")] and "B: K_train" in labels1
    colour = {ln.get_label(): to_hex(ln.get_color()) for ax in (ax1, ax2) for ln in ax.get_lines()}
    assert colour["B: K_train"] == colour["B"] != colour["A"]
    assert "_{" not in ax1.get_ylabel()
    assert np.allclose(ax1.get_xticks(), [1.5, 3.0])
    assert [t.get_text() for t in ax1.get_xticklabels()] == ["1.5", "3"]
