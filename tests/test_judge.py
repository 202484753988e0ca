"""The judgement layer on synthetic curves: each regime rule gives its outcome and reason.

C_f = 1, r = 1, Var f = 0.04, so Barron's bound is 4/n and n_0 = 100 sigmoidal units.
"""
import math

import numpy as np
import pandas as pd
import pytest

from nnapprox.report import judge
from nnapprox.report.verdicts import Verdict, collapse

WIDTHS = (2, 4, 8, 16, 32, 64, 128, 256, 512, 1024)


def curve(test, train=None, *, widths=WIDTHS, seeds=3, trainer="oga", activation="sigmoid", c_f=1.0,
          depth=1, noise=0.0, sigma=0.02, seed=0):
    """Records with test MSE ``test(n)`` (and train MSE ``train(n)``) times small lognormal noise."""
    rng = np.random.default_rng(seed)
    train = train or test
    rows = []
    for n in widths:
        for s in range(seeds):
            e = math.exp(sigma * rng.normal())
            bound = 4.0 / n if activation == "sigmoid" else 4.0 / (n // 2)
            rows.append({"n": n, "seed": s, "replica": 0, "test_mse": test(n) * e, "test_mse_se": 0.0,
                         "train_mse": train(n) * e, "rel_mse": test(n) * e / 0.04, "var_f": 0.04, "c_f": c_f,
                         "radius": 1.0, "bound": bound if math.isfinite(c_f) else None, "status": "ok",
                         "trainer.name": trainer, "activation.name": activation, "model.depth": depth,
                         "data.noise": noise, "c_f_infinite": not math.isfinite(c_f)})
    return pd.DataFrame(rows)


def test_pre_asymptotic_below_n0():
    rows = curve(lambda n: 1e-3 / n ** 3, widths=(2, 4, 8, 16, 32, 64))
    b, r = judge.judge_bound(rows), judge.judge_width_rate(rows)
    assert b.outcome == r.outcome == "not tested"
    assert b.reason.startswith("pre-asymptotic") and "n_0 = 100" in b.reason
    assert r.reason.startswith("pre-asymptotic") and math.isfinite(r.value)  # the slope is still described


def test_consistent_rate_and_bound_inside_the_regime():
    rows = curve(lambda n: 0.5 / n ** 1.3)
    b, r = judge.judge_bound(rows), judge.judge_width_rate(rows)
    assert b.outcome == "consistent" and "n ≥ n_0 = 100" in b.regime
    assert r.outcome == "consistent" and r.ci_low <= -1.3 <= r.ci_high and "[128, 1024]" in r.regime


def test_precision_floor_excludes_the_widths_at_the_floor():
    rows = curve(lambda n: max(1e-13, 1e3 * n ** -8.0))  # at 4e-14 relative from n = 128 on
    r = judge.judge_width_rate(rows)
    assert r.outcome == "not tested" and r.reason.startswith("precision floor")


def test_estimation_dominated_when_the_test_error_is_far_above_the_training_error():
    rows = curve(lambda n: 0.01, lambda n: 0.3 / n ** 1.5)
    assert judge.judge_width_rate(rows).reason.startswith("estimation-dominated")
    noisy = curve(lambda n: 1e-3 * (100 / n + n / 100), noise=0.3)  # a U-curve with its minimum at n = 100
    mask, excluded = judge.width_regime(noisy)
    assert excluded["estimation-dominated"] > 0 and noisy["n"][mask].max() <= 128


def test_optimizer_floor_when_the_training_error_stops_falling():
    rows = curve(lambda n: 1e-4 * n ** 0.1, trainer="adam")
    r = judge.judge_width_rate(rows)
    assert r.outcome == "not tested" and r.reason.startswith("optimizer floor") and "nested" in r.reason


def test_optimizer_floor_from_a_stronger_reference_at_the_same_widths():
    rows = curve(lambda n: 3e-4 / n ** 0.5, trainer="adam")
    reference = pd.Series({n: 1e-6 / n for n in WIDTHS})
    r = judge.judge_width_rate(rows, reference=reference)
    assert r.outcome == "not tested" and "stronger optimizer" in r.reason
    assert judge.judge_width_rate(rows).outcome == "contradicts"  # without the reference: nothing explains it


def test_a_rate_slower_than_proven_inside_the_regime_contradicts_with_an_explanation():
    rows = curve(lambda n: 2e-3 / n ** 0.5)
    r = judge.judge_width_rate(rows)
    assert r.outcome == "contradicts" and r.explanation and r.ci_high < -1 + judge.RATE_TOL + 1


def test_a_true_violation_of_the_constructive_bound_contradicts():
    rows = curve(lambda n: 8.0 / n, trainer="greedy")  # twice the bound, training error too
    b = judge.judge_bound(rows)
    assert b.outcome == "contradicts" and "dictionary" in b.explanation
    trained = curve(lambda n: 8.0 / n, trainer="lbfgs")  # the bound is on the best network: optimizer floor
    assert judge.judge_bound(trained).reason.startswith("optimizer floor")


def test_outside_the_hypotheses():
    for kw, needle in ((dict(trainer="random_features"), "fixed random basis"), (dict(c_f=math.inf), "infinite"),
                       (dict(depth=2), "hidden layers"), (dict(activation="identity"), "neither")):
        rows = curve(lambda n: 1 / n, **kw)
        for v in (judge.judge_bound(rows), judge.judge_width_rate(rows)):
            assert v.outcome == "not tested" and v.reason.startswith("outside the hypotheses") and needle in v.reason


def test_relu_units_count_in_pairs():
    rows = curve(lambda n: 0.5 / n ** 1.3, activation="relu")
    assert "n_0 = 200" in judge.judge_bound(rows).regime  # twice the sigmoidal n_0


def test_sample_size_rule():
    rows = pd.DataFrame({"data.N": np.repeat([100, 1000, 10000, 100000], 3), "status": "ok",
                         "test_mse": np.repeat([1e-1, 1.2e-2, 1.5e-3, 1.4e-3], 3)
                         * np.tile([1.0, 1.02, 0.98], 4)})
    v = judge.judge_sample_rate(rows)
    assert v.outcome == "consistent" and -1 < float(v.predicted.split(": ")[1].rstrip(")")) < -0.8
    rising = rows.assign(test_mse=rows["test_mse"].to_numpy()[::-1])
    assert judge.judge_sample_rate(rising).outcome == "contradicts"


def test_verdicts_refuse_an_unexplained_outcome_and_collapse_duplicates():
    with pytest.raises(ValueError, match="reason"):
        Verdict(claim="c", theorem="t", outcome="not tested")
    with pytest.raises(ValueError, match="explanation"):
        Verdict(claim="c", theorem="t", outcome="contradicts")
    vs = [Verdict(claim="c", theorem="t", group=g, outcome="not tested", reason="no data: x") for g in "abcd"]
    (one,) = collapse(vs)
    assert one.group == "4 groups: a; b; c; d"


def test_a_flat_training_error_is_an_optimizer_floor_even_with_a_wide_ci():
    rows = curve(lambda n: 3e-9, sigma=1.0, seeds=2)  # flat at the greedy search's floor, replicas far apart
    r = judge.judge_width_rate(rows)
    assert r.outcome == "not tested" and r.reason.startswith("optimizer floor")


def test_a_ci_too_wide_to_decide_is_not_tested():
    rows = curve(lambda n: 0.3 / n ** 0.7, sigma=1.5, seeds=2)
    rows["train_mse"] = 0.3 / rows["n"] ** 0.7  # the training error falls: no optimizer floor
    r = judge.judge_width_rate(rows)
    assert r.outcome == "not tested" and r.reason.startswith("too few points") and r.ci_high - r.ci_low > 1


def test_a_u_curve_in_n_is_judged_on_both_sides_of_its_minimum():
    """The risk decomposition at fixed N: approximation 4/n falling, estimation n log N / N rising."""
    from nnapprox.studies.data_scaling import u_curve_table, u_verdict

    N = 10_000

    def risk(n):
        return 4.0 / n + n * math.log(N) / N

    df = curve(risk).assign(**{"data.N": N, "replica": lambda t: t["seed"], "seed": 0})
    (row,) = u_curve_table(df, "n", n_boot=300).to_dict("records")
    assert row["n_best"] == 64  # the minimiser sqrt(4 N / log N) = 65.9
    v = u_verdict(row)
    assert v.outcome == "consistent" and v.kind == "u_curve"
    assert 0.6 < row["above_slope"] < 1.1  # the rise tends to the estimation term's +1
    # a curve that only falls (the grid stops before the minimum) is not a U-curve test
    (row,) = u_curve_table(df[df["n"] <= 32], "n", n_boot=300).to_dict("records")
    assert u_verdict(row).outcome == "not tested" and "too few points" in u_verdict(row).reason
