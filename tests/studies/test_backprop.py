"""The backprop study's plug-in on real (tiny) jobs: gradient checks, the kink, logistic regression, Adam."""

import numpy as np
import pandas as pd
import pytest

from nnapprox.studies import backprop

GRAD = {
    "trainer": {"name": "gradcheck", "loss": "mse"},
    "target": {"name": "sigmoid_ridge", "d": 3},
    "data.N": 16,
    "data.N_test": 16,
    "model.width": 5,
    "model.bias_init": "normal",
}


def _jobs():
    jobs = []
    for act in ("tanh", "relu"):
        for depth in (1, 3):
            for loss in ("mse", "logistic"):
                jobs.append(
                    {
                        **GRAD,
                        "trainer": {"name": "gradcheck", "loss": loss},
                        "activation.name": act,
                        "model.depth": depth,
                    }
                )
    jobs.append({**GRAD, "model.bias_init": "zero", "activation.name": "relu", "model.depth": 3, "data.N": 64})
    lr = {
        "target": {"name": "sigmoid_ridge", "d": 2, "a": 4.0, "b": 0.5},
        "data.labels": "bernoulli",
        "data.N": 300,
        "data.N_test": 512,
        "model.depth": 0,
        "model.output_activation": "sigmoid",
        "save_data": True,
    }
    jobs += [
        {**lr, "trainer": {"name": "lbfgs", "loss": "logistic"}},
        {**lr, "trainer": {"name": "glm_bfgs", "loss": "logistic"}},
    ]
    for act in ("tanh", "relu"):
        jobs.append(
            {
                "target": {"name": "sin", "d": 1, "freq": 3.0},
                "trainer": {"name": "adam", "lr": 0.01, "max_steps": 300},
                "data.N": 200,
                "data.N_test": 512,
                "model.width": 16,
                "replicas": 2,
                "activation.name": act,
            }
        )
    return jobs


@pytest.fixture(scope="module")
def result(tmp_path_factory):
    from helpers import run_study

    runs, ctx = run_study(tmp_path_factory.mktemp("bp"), "backprop", _jobs())
    return runs, backprop.analyse(runs, ctx)


def test_gradient_checks_are_checks_that_pass_off_the_kink_and_show_the_kink(result):
    runs, res = result
    grad = res.tables["gradcheck"]
    assert len(grad) == 8 and grad["passed"].all() and (grad["rel_error"] < backprop.GRADCHECK_TOL).all()
    assert (grad["min_abs_z"] > 100 * 1e-6).all()
    assert res.verdicts == []  # deterministic identities are checks, not evidence
    by = {c.kind: c for c in res.checks}
    assert by["gradcheck"].passed and "8 of 8 below" in by["gradcheck"].measured
    kink = by["gradcheck_kink"]  # relu'(0) = 1 against the average 1/2 of central differences
    assert kink.passed and float(kink.measured.split()[2]) > 1e3 * backprop.GRADCHECK_TOL


def test_logistic_regression_agrees_with_scipy_from_the_saved_parameters(result):
    _, res = result
    tab = res.tables["logistic_regression"].set_index("solver")
    eng, ref = tab.iloc[0], tab.iloc[1]
    theta = np.array([eng["w1"], eng["w2"], eng["b"]])
    assert np.linalg.norm(theta - [ref["w1"], ref["w2"], ref["b"]]) / np.linalg.norm(theta) < backprop.PARAM_TOL
    c = next(c for c in res.checks if c.kind == "logistic_agreement")
    assert c.passed and float(c.measured.split()[-1]) < backprop.PARAM_TOL
    assert "backprop_logistic_boundary" in res.figures


def test_adam_summary_applies_the_rule():
    rows = []
    for act, rel in (("tanh", 1e-4), ("sigmoid", 0.2)):
        for depth in (1, 2):
            for seed in range(3):
                rows.append(
                    {
                        "trainer.name": "adam",
                        "activation.name": act,
                        "model.depth": depth,
                        "seed": seed,
                        "test_mse": rel * 0.5 * (1 + 0.1 * seed),
                        "rel_mse": rel * (1 + 0.1 * seed),
                        "n_params": 49 * depth,
                        "status": "ok",
                    }
                )
    summary = backprop.adam_summary(pd.DataFrame(rows))
    assert summary["activation"].tolist() == ["sigmoid", "sigmoid", "tanh", "tanh"]
    assert summary["passed"].tolist() == [False, False, True, True]
    assert summary["runs"].tolist() == [3, 3, 3, 3]
    assert (summary["test_mse_min"] <= summary["test_mse"]).all()


def test_the_adam_jobs_train_and_feed_the_generic_analysis(result):
    _, res = result
    summary = res.tables["adam_summary"]
    assert set(summary["activation"]) == {"tanh", "relu"} and (summary["runs"] == 2).all()
    assert "backprop_adam_mse" in res.figures
    assert any(s.heading == "Adam trains every activation × depth" for s in res.sections)


def test_the_logistic_figure_title_fits_inside_the_figure(result):
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    _, res = result
    fig = res.figures["backprop_logistic_boundary"]
    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    title = fig.get_suptitle()
    assert "training accuracy" in title
    box = fig._suptitle.get_window_extent(canvas.get_renderer())
    assert box.y1 <= fig.bbox.y1 and box.x0 >= 0 and box.x1 <= fig.bbox.x1
