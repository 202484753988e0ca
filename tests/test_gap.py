"""The optimization-gap diagnostic: tables, the gap ratio, bad arguments."""
import math

import numpy as np
import pytest

from nnapprox.gap import SUMMARY_COLUMNS, TABLE_COLUMNS, optimization_gap
from nnapprox.targets import get_target


@pytest.fixture(scope="module")
def small_gap():
    target = get_target("gaussian", d=2)
    return optimization_gap(target, 300, [2, 6], N_test=2000, seed=1, gradient_options={"max_steps": 100},
                            options={"lbfgs": {"max_steps": 100, "restarts": 2}})


def test_table_has_every_method_and_width(small_gap):
    t = small_gap.table
    assert list(t.columns) == list(TABLE_COLUMNS)
    assert sorted(t.method.unique()) == ["adam", "greedy", "lbfgs", "oga"]
    assert len(t) == 8 and set(t.n) == {2, 6} and (t.status == "ok").all()
    np.testing.assert_allclose(t.rel_mse, t.test_mse / small_gap.info["var_f"], rtol=1e-12)
    np.testing.assert_allclose(t.bound, (2 * 1.0 * small_gap.info["c_f"]) ** 2 / t.n, rtol=1e-12)
    np.testing.assert_allclose(t.bound_ratio, t.test_mse / t.bound, rtol=1e-12)
    assert (t.wall_time > 0).all() and (t.role == "gradient").sum() == 2


def test_summary_gap_is_gradient_over_best_reference(small_gap):
    s, t = small_gap.summary, small_gap.table
    assert list(s.columns) == list(SUMMARY_COLUMNS) and list(s.n) == [2, 6]
    for _, row in s.iterrows():
        ref = t[(t.n == row.n) & (t.role == "reference")]
        grad = t[(t.n == row.n) & (t.role == "gradient")].iloc[0]
        assert row.best_test_mse == ref.test_mse.min()
        assert row.best_method == ref.loc[ref.test_mse.idxmin(), "method"]
        assert row.gap == pytest.approx(grad.test_mse / row.best_test_mse)
        assert row.gradient_train_test == pytest.approx(grad.test_mse / grad.train_mse)
        assert math.isfinite(row.best_train_test)
    # 100 Adam steps are far from the best width-6 network
    assert s.gap.iloc[-1] > 1


def test_bad_arguments_raise():
    target = get_target("gaussian", d=2)
    with pytest.raises(ValueError, match="widths=0 is invalid"):
        optimization_gap(target, 100, 0)
    with pytest.raises(ValueError, match="gradient='lbfgs' is invalid"):
        optimization_gap(target, 100, 4, gradient="lbfgs")
    with pytest.raises(ValueError, match=r"references=\['sgd'\] is invalid"):
        optimization_gap(target, 100, 4, references=["sgd"])
    with pytest.raises(ValueError, match=r"options has keys \['random_features'\]"):
        optimization_gap(target, 100, 4, options={"random_features": {"ridge": 0.0}})
    with pytest.raises(ValueError, match="ridge=-1"):
        optimization_gap(target, 100, 4, references=["random_features"],
                         options={"random_features": {"ridge": -1.0}}, gradient_options={"max_steps": 1})
