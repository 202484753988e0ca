"""The precision plug-in: stage and floor tables, checks that pass and fail, on real small jobs and fabricated ones."""

import numpy as np
import pandas as pd

from nnapprox.studies import precision as pr

WINDOWS = {k: w.default for k, w in pr.JUDGE.items()}


def _stages(stage1, stage2, N=pr.PUBLISHED_N):
    return pd.DataFrame(
        [
            {"N": N, "method": "bfgs", "stage": 1, "test_rmse": stage1, "iterations": 3000, "seconds": 10.0},
            {"N": N, "method": "bfgs", "stage": 2, "test_rmse": stage2, "iterations": 9000, "seconds": 30.0},
        ]
    )


def _floors(values):
    return pd.DataFrame(
        [
            {
                "method": m,
                "n": n,
                "stage": 1,
                "rel_train_mse": v,
                "rel_test_mse": v,
                "below_published_floor": v < WINDOWS["floor"],
            }
            for m, n, v in values
        ]
    )


def test_checks_pass_and_fail_against_the_published_numbers():
    ok = pr.checks(
        _stages(3e-8, 5e-13), _floors([("bfgs", 64, 3e-12), ("oga", 48, 4e-11), ("oga", 64, 4e-12)]), WINDOWS
    )
    assert [c.passed for c in ok] == [True, True, True]  # a trained network's floor is a measurement, not a check
    bad = pr.checks(_stages(5e-8, 2e-12), _floors([("lbfgs", 128, 4e-10), ("oga", 48, 4e-12)]), WINDOWS)
    assert [c.passed for c in bad] == [False, False, False]
    assert bad[2].measured == "n = 48"
    assert "4.1e-08" in bad[0].expected and "2454" in bad[0].expected and bad[0].kind == "published_precision"
    # only the published size is checked
    assert pr.checks(_stages(5e-8, 2e-12, N=20000), _floors([]), WINDOWS) == []
    # the thresholds come from the windows (the study's YAML)
    assert pr.checks(_stages(5e-8, 2e-12), _floors([]), {**WINDOWS, "stage1_max": 1e-7, "stage2_max": 1e-11})[0].passed


def test_the_plug_in_on_real_jobs(study_runner):
    teacher = {
        "target.name": "teacher",
        "target.d": 1,
        "model.depth": 2,
        "model.width": 6,
        "model.init": "uniform",
        "model.bias_init": "uniform",
        "data.N": 400,
        "data.N_test": 400,
    }
    floor = {
        "target.name": "gaussian",
        "target.d": 1,
        "target.domain": "cube",
        "activation.name": "relu2",
        "model.width": 8,
        "model.bias_init": "data",
        "data.N": 400,
        "data.N_test": 200,
    }
    runs, ctx = study_runner(
        "precision",
        [
            {
                **teacher,
                "trainer": {
                    "name": "bfgs",
                    "max_steps": 150,
                    "boost": 1,
                    "restarts": 2,
                    "warm_rows": 100,
                    "polish_steps": 30,
                },
            },
            {**teacher, "trainer": {"name": "lbfgs", "max_steps": 150, "boost": 1, "maxcor": 50}},
            {**floor, "trainer": {"name": "bfgs", "max_steps": 100, "boost": 1}},
            {**floor, "model.bias_init": None, "trainer": {"name": "oga"}},
        ],
    )
    res = pr.analyse(runs, ctx)
    st = res.tables["stages"]
    assert len(st) == 4 and set(st["stage"]) == {1, 2}
    assert set(st["method"]) == {"bfgs (warm-up on 100 rows, best of 2)", "lbfgs (maxcor 50)"}
    s1, s2 = st[st["method"].str.startswith("bfgs")].sort_values("stage")["test_rmse"]
    assert s2 < s1 < 1e-3
    fl = res.tables["floors"]
    assert {"bfgs", "bfgs + boosting, stage 2", "oga"} <= set(fl["method"])
    assert res.verdicts == [] and len(res.checks) == 1  # the jobs are not at N = 100 000: OGA's floor only
    assert {"precision_teacher", "precision_floor"} <= set(res.figures)
    assert np.all(np.isfinite(st["seconds"])) and (st.groupby("method")["seconds"].diff().dropna() > 0).all()
