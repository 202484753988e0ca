"""The sawtooth plug-in on small real jobs: tables, verdicts, figures."""

import pytest

from nnapprox.theory.bounds import telgarsky_params

SAW = {"target": {"name": "sawtooth", "d": 1, "k": 3}, "data.N": 256, "data.N_test": 256, "activation.name": "relu"}


@pytest.fixture(scope="module")
def sawtooth_result(tmp_path_factory):
    from helpers import run_study

    from nnapprox.studies import sawtooth

    jobs = [
        {**SAW, "trainer": {"name": "construct", "construction": "telgarsky"}, "model.width": 2, "model.depth": 3},
        {**SAW, "trainer": {"name": "construct", "construction": "shallow_sawtooth"}, "model.width": 8},
        {**SAW, "trainer": {"name": "oga"}, "model.width": 8, "replicas": 2},
        *(
            {
                **SAW,
                "trainer": {"name": "lbfgs", "max_steps": 200},
                "model.width": w,
                "model.bias_init": "data",
                "replicas": 2,
            }
            for w in (2, 4)
        ),
        {
            **SAW,
            "trainer": {"name": "adam", "lr": 0.01, "max_steps": 300},
            "model.width": 2,
            "model.depth": 3,
            "model.bias_init": "data",
            "replicas": 4,
        },
        {
            **SAW,
            "trainer": {"name": "lbfgs", "max_steps": 200},
            "model.width": 6,
            "model.bias_init": "data",
            "replicas": 2,
        },
    ]
    runs, ctx = run_study(tmp_path_factory.mktemp("saw"), "sawtooth", jobs)
    return runs, sawtooth.analyse(runs, ctx)


def test_sawtooth_plugin_tables_verdicts_and_figures(sawtooth_result):
    _, res = sawtooth_result
    nets = res.tables["sawtooth_nets"]
    assert set(nets["kind"]) == {"telgarsky", "shallow_sawtooth", "greedy", "shallow", "deep"}
    tel = nets[nets["kind"] == "telgarsky"].iloc[0]
    assert tel["n_params"] == telgarsky_params(3) and tel["best_mse"] < 1e-24
    # every shallow net (trained, greedy, hand-built) at or above its bound
    sh = nets[nets["kind"].isin(["shallow", "greedy"])]
    assert (sh["best_mse"] >= sh["bound_eq"] - 1e-12).all()
    checks = {c.kind: c for c in res.checks}  # deterministic: checks, not verdicts
    assert checks["telgarsky_exact"].passed and checks["shallow_bound"].passed
    assert checks["depth_separation"].passed and "contain a net better" in checks["depth_separation"].name  # k = 3
    arch = res.tables["sawtooth_telgarsky_arch"].iloc[0]  # the theorem's architecture, not the best one found
    assert (arch["depth"], arch["width"], arch["restarts"]) == (3, 2, 4)
    assert arch["p_low"] <= arch["below_bound"] / 4 <= arch["p_high"]  # an exact binomial interval
    (comp,) = res.tables["sawtooth_comparison"].to_dict("records")  # against shallow width 2k = 6
    assert comp["shallow"] == "1 hidden layer (width 6)" and comp["deep_params"] == comp["shallow_params"] == 19
    (v,) = res.verdicts
    assert v.kind == "matched_depth" and v.outcome == "not tested" and v.reason.startswith("too few points")
    assert {"sawtooth_k3", "sawtooth_summary"} <= set(res.figures)


def test_values_below_the_floor_are_flagged_and_the_legend_says_so(sawtooth_result):
    import numpy as np

    from nnapprox.studies import sawtooth

    y, below = sawtooth._at_floor([0.0, 7.9e-7, 1e-6, 0.5])
    assert y.tolist() == [1e-6, 1e-6, 1e-6, 0.5]
    assert below.tolist() == [True, True, False, False]
    # k = 3: the hand-built nets are exact, so the figure carries the below-floor key; no width-3/4 deep nets ran,
    # so the legend has no key for them
    _, res = sawtooth_result
    labels = [t.get_text() for t in res.figures["sawtooth_k3"].legends[0].get_texts()]
    assert sawtooth.BELOW_FLOOR_LABEL in labels
    assert not [t for t in labels if t.startswith(("deep, width 3", "deep, width 4"))]
    assert any(t.startswith("deep, width 2") for t in labels)
    assert np.isfinite(y).all()


def test_depth_labels_near_each_other_are_stacked_apart():
    from nnapprox.studies import sawtooth

    # two labels at the same spot and a third far away: the pair gets two levels, the loner level 0
    levels = sawtooth._label_levels([(1.0, 0.0), (1.01, 0.0), (3.0, 0.0)], x_tol=0.1, y_tol=0.1)
    assert levels == [0, 1, 0]
    # same x but far apart in y: no stacking needed
    assert sawtooth._label_levels([(1.0, 0.0), (1.0, 3.0)], x_tol=0.1, y_tol=0.1) == [0, 0]
