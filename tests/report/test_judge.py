"""Every judgement rule is a test that can fail: for each registered rule, one synthetic input on which the
theorem holds (the rule says *consistent*) and one on which it is violated (the rule says *contradicts*).

Also: the CI method the verdicts use covers at its nominal level on simulated power laws, and the
verdict / check data model refuses what it must.
"""

import importlib
import math
import pkgutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from helpers import ridge_paths, scaling_runs

import nnapprox.studies
from nnapprox.report import judge
from nnapprox.report.fit import fit_power_law, slope_over_paths
from nnapprox.report.study import StudyContext, resolve_windows
from nnapprox.report.verdicts import RULES, Check, Verdict, collapse

for _m in pkgutil.iter_modules(nnapprox.studies.__path__):  # every plug-in registers its rules at import
    importlib.import_module(f"nnapprox.studies.{_m.name}")

WIDTHS = (2, 4, 8, 16, 32, 64, 128, 256, 512, 1024)


def ctx_for(module, **judge_values):
    """A study context with the plug-in's declared windows (some replaced)."""
    mod = importlib.import_module(f"nnapprox.studies.{module}")
    return StudyContext(name=module, sweep_dir=Path("."), judge=resolve_windows(mod.JUDGE, judge_values, module))


# --------------------------------------------------------------------------- Barron's bound


def curve(
    train,
    test=None,
    *,
    widths=WIDTHS,
    seeds=3,
    trainer="oga",
    activation="sigmoid",
    c_f=1.0,
    depth=1,
    sigma=0.02,
    seed=0,
):
    """Records of a path per replica: training MSE ``train(n)`` (test ``test(n)``) times lognormal noise.

    C_f = 1, r = 1, Var f = 0.04: Barron's bound is 4/n and n_0 = 100 sigmoidal units.
    """
    rng = np.random.default_rng(seed)
    test = test or train
    rows = []
    for s in range(seeds):
        for n in widths:
            e = math.exp(sigma * rng.normal())
            bound = 4.0 / n if activation == "sigmoid" else 4.0 / (n // 2)
            rows.append(
                {
                    "n": n,
                    "seed": 0,
                    "replica": s,
                    "test_mse": test(n) * e,
                    "test_mse_se": 0.0,
                    "train_mse": train(n) * e,
                    "var_f": 0.04,
                    "c_f": c_f,
                    "radius": 1.0,
                    "bound": bound if math.isfinite(c_f) else None,
                    "status": "ok",
                    "trainer.name": trainer,
                    "activation.name": activation,
                    "model.depth": depth,
                    "c_f_infinite": not math.isfinite(c_f),
                }
            )
    return pd.DataFrame(rows)


def bound_consistent():
    return judge.judge_bound(curve(lambda n: 0.5 / n**1.3))


def bound_contradicts():
    return judge.judge_bound(curve(lambda n: 8.0 / n, trainer="greedy"))  # twice the bound on the training sample


def test_a_curve_far_below_the_bound_falling_like_n_to_the_minus_half_is_not_a_contradiction():
    v = judge.judge_bound(curve(lambda n: 4e-4 / n**0.5))  # 10^3 below the bound at n_0, slope -1/2
    assert v.outcome == "consistent" and v.value < 1e-2


def test_the_bound_is_judged_only_above_n0_and_only_for_constructive_trainers():
    v = judge.judge_bound(curve(lambda n: 1e-3 / n**3, widths=(2, 4, 8, 16, 32, 64)))
    assert v.outcome == "not tested" and v.reason.startswith("pre-asymptotic") and "n_0 = 100" in v.reason
    for trainer in ("lbfgs", "adam", "random_features"):  # a trained net or a fixed basis tests nothing here
        assert judge.judge_bound(curve(lambda n: 8.0 / n, trainer=trainer)) is None
    # above the bound below n_0 does not count: only n >= n_0 does
    assert judge.judge_bound(curve(lambda n: 8.0 / n if n < 100 else 1.0 / n)).outcome == "consistent"


def test_the_bound_outside_its_hypotheses():
    for kw, needle in (
        (dict(c_f=math.inf), "infinite"),
        (dict(depth=2), "hidden layers"),
        (dict(activation="identity"), "neither"),
    ):
        v = judge.judge_bound(curve(lambda n: 1 / n, **kw))
        assert v.outcome == "not tested" and v.reason.startswith("outside the hypotheses") and needle in v.reason
    noisy = curve(lambda n: 1 / n).assign(**{"data.noise": 0.1})
    assert "noisy" in judge.judge_bound(noisy).reason


def test_relu_units_count_in_pairs():
    assert "n_0 = 200" in judge.judge_bound(curve(lambda n: 0.5 / n**1.3, activation="relu")).regime


def test_the_bound_table_has_one_row_per_target_not_a_median_over_them():
    a = curve(lambda n: 0.5 / n**1.3).assign(**{"target.d": 2})
    b = curve(lambda n: 0.5 / n**1.3, c_f=2.0).assign(**{"target.d": 4})
    tab = judge.bound_table(pd.concat([a, b], ignore_index=True))
    assert len(tab) == 2 and sorted(tab["n_0"]) == [100.0, 400.0]
    assert set(tab["judged"]) == {"verdict"} and sorted(tab["widths_above_n_0"]) == [2, 4]


# --------------------------------------------------------------------------- sharp rates (one-sided)


def sharp_runs(slope, *, seeds=3, d=2, activation="relu", sigma=0.02, seed=0):
    """OGA training errors ∝ n^slope on a relu dictionary (k = 1) in d = 2: the sharp exponent is -2.5."""
    rng = np.random.default_rng(seed)
    rows = []
    for s in range(seeds):
        for n in (8, 16, 32, 64, 96, 128, 192, 256, 384, 512):
            e = math.exp(sigma * rng.normal())
            rows.append(
                {
                    "target.name": "gaussian",
                    "target.d": d,
                    "activation.name": activation,
                    "n": n,
                    "replica": s,
                    "seed": 0,
                    "train_mse": 0.1 * n**slope * e,
                    "test_mse": 0.1 * n**slope * e,
                    "var_f": 0.04,
                    "data.N": 64000,
                    "status": "ok",
                }
            )
    return pd.DataFrame(rows)


def sharp_consistent():
    from nnapprox.studies import sharp_rates

    return sharp_rates.judge(sharp_runs(-2.5), ctx_for("sharp_rates"))[0]


def sharp_contradicts():
    from nnapprox.studies import sharp_rates

    return sharp_rates.judge(sharp_runs(-1.8), ctx_for("sharp_rates"))[0]


def test_faster_than_the_worst_case_rate_is_consistent_and_said_so():
    from nnapprox.studies import sharp_rates

    v = sharp_rates.judge(sharp_runs(-3.5), ctx_for("sharp_rates"))[0]
    assert v.outcome == "consistent" and "faster than the worst case" in v.measured


# --------------------------------------------------------------------------- depth: trained comparisons


def matched_runs(deep_over_shallow, *, replicas=8, seed=0):
    """Radial-study records at one budget: shallow width 20 vs 2 hidden layers of width 8 (matched counts)."""
    rng = np.random.default_rng(seed)
    rows = []
    for depth, width, params, scale in ((1, 20, 121, 1.0), (2, 8, 121, deep_over_shallow)):
        for r in range(replicas):
            rows.append(
                {
                    "target.d": 4,
                    "model.depth": depth,
                    "model.width": width,
                    "n_params": params,
                    "trainer.name": "lbfgs",
                    "test_mse": 0.1 * scale * math.exp(0.1 * rng.normal()),
                    "rel_mse": 0.5,
                    "status": "ok",
                    "replica": r,
                    "seed": 0,
                }
            )
    return pd.DataFrame(rows)


def matched_consistent():
    from nnapprox.studies import radial

    return radial.judge(matched_runs(0.5), ctx_for("radial"))[0]


def matched_contradicts():
    from nnapprox.studies import radial

    return radial.judge(matched_runs(2.0), ctx_for("radial"))[0]


def test_matched_comparisons_are_undecided_without_a_significant_difference_and_need_replicas():
    from nnapprox.studies import radial

    assert radial.judge(matched_runs(1.0, seed=3), ctx_for("radial"))[0].reason.startswith("undecided")
    few = radial.judge(matched_runs(0.2, replicas=3), ctx_for("radial"))[0]
    assert few.outcome == "not tested" and few.reason.startswith("too few points")


def test_an_optimizer_floor_reason_only_where_the_architecture_contains_the_hand_built_net():
    from nnapprox.studies import matched

    table = matched.compare(matched.assign_budgets(matched_runs(2.0), ["target.d"], matched.dense_arch), ["target.d"])
    kw = dict(theorem="t", hypotheses="h", claim="c")
    assert matched.verdicts(table, ["target.d"], **kw)[0].outcome == "contradicts"
    v = matched.verdicts(table, ["target.d"], contains=lambda r: "it contains X", **kw)[0]
    assert v.outcome == "not tested" and v.reason == "optimizer floor: it contains X"


def test_x2_depth_studies_never_cite_a_hand_built_net_the_architecture_does_not_contain():
    from nnapprox.studies.depth import contains_separating_net, yarotsky_separates

    assert [m for m in range(1, 9) if yarotsky_separates(m)] == [5, 6, 7, 8]
    ex = pd.DataFrame(
        {
            "m": [5, 8],
            "n_params": [58, 94],
            "separated": [True, True],
            "hand_mse": [3e-8, 8e-12],
            "bound": [3.5e-8, 5e-9],
        }
    )
    reason = contains_separating_net(ex)
    assert reason({"budget": 97, "deep_depth": 4, "deep_width": 10}) is None  # depth 4 < 5: no Yarotsky net inside
    assert "depth-8" in reason({"budget": 97, "deep_depth": 8, "deep_width": 3})


# --------------------------------------------------------------------------- born dead


def dead_tab(fractions_by_depth, rai=None, n=64):
    rows = []
    for depth, f in fractions_by_depth.items():
        rows.append(
            {
                "init": "he, zero biases",
                "depth": depth,
                "width": 2,
                "n": n,
                "dead": round(f * n),
                "fraction": round(f * n) / n,
            }
        )
        if rai is not None:
            rows.append(
                {
                    "init": "rai",
                    "depth": depth,
                    "width": 2,
                    "n": n,
                    "dead": round(rai[depth] * n),
                    "fraction": round(rai[depth] * n) / n,
                }
            )
    return pd.DataFrame(rows)


def born_dead_consistent():
    from nnapprox.studies.born_dead import _verdicts

    return _verdicts(dead_tab({1: 0.25, 2: 0.45, 4: 0.7, 8: 0.9}), 0.05)[0]


def born_dead_contradicts():
    from nnapprox.studies.born_dead import _verdicts

    return _verdicts(dead_tab({1: 0.9, 2: 0.7, 4: 0.45, 8: 0.25}), 0.05)[0]


def rai_consistent():
    from nnapprox.studies.born_dead import _verdicts

    he = {1: 0.3, 4: 0.7, 8: 0.9}
    return [v for v in _verdicts(dead_tab(he, {1: 0.02, 4: 0.05, 8: 0.1}), 0.05) if v.kind == "rai_remedy"][0]


def rai_contradicts():
    from nnapprox.studies.born_dead import _verdicts

    he = {1: 0.3, 4: 0.4, 8: 0.5}
    return [v for v in _verdicts(dead_tab(he, {1: 0.3, 4: 0.9, 8: 0.95}), 0.05) if v.kind == "rai_remedy"][0]


# --------------------------------------------------------------------------- data scaling


def _ds(kind, runs):
    from nnapprox.studies import data_scaling

    vs = [v for v in data_scaling.judge(runs, ctx_for("data_scaling")) if v.kind == kind]
    assert vs, kind
    return vs


def _one_outcome(vs, outcome):
    """The first verdict with ``outcome`` (the family is judged per N or per width)."""
    return next(v for v in vs if v.outcome == outcome)


def estimation_n_consistent():
    return _one_outcome(_ds("estimation_n", scaling_runs()), "consistent")


def estimation_n_contradicts():
    vs = _ds("estimation_n", scaling_runs(est=lambda n, N: 1e-4 * n**2 / N))
    return _one_outcome(vs, "contradicts")


def estimation_N_consistent():
    return _one_outcome(_ds("estimation_N", scaling_runs()), "consistent")


def estimation_N_contradicts():
    return _one_outcome(_ds("estimation_N", scaling_runs(est=lambda n, N: 1e-3 * (n + 1) / N**0.3)), "contradicts")


def rise_consistent():
    return _one_outcome(_ds("u_rise", scaling_runs()), "consistent")


def rise_contradicts():
    # the error stops rising above its minimum: approximation n^-2 plus an estimation term that saturates
    return _one_outcome(
        _ds("u_rise", scaling_runs(est=lambda n, N: 0.01 * (1 - math.exp(-n * 50 / N)) * 0.2)), "contradicts"
    )


def balance_consistent():
    return _ds("nbest_balance", scaling_runs())[0]


def balance_contradicts():
    # the minimum does not move with N: an estimation term that does not fall with N
    return _ds("nbest_balance", scaling_runs(est=lambda n, N: 2e-6 * n))[0]


# --------------------------------------------------------------------------- Barron's constant across d


def d_trend_consistent():
    from nnapprox.studies import width_scaling as ws

    return next(
        v for v in ws.judge(ridge_paths(lambda d: 0.01), ctx_for("width_scaling")) if v.kind == "barron_d_trend"
    )


def d_trend_contradicts():
    from nnapprox.studies import width_scaling as ws

    return next(
        v for v in ws.judge(ridge_paths(lambda d: 0.002 * d), ctx_for("width_scaling")) if v.kind == "barron_d_trend"
    )


# --------------------------------------------------------------------------- every rule: a pair

CASES = {
    "barron_bound": (bound_consistent, bound_contradicts),
    "sharp_rate": (sharp_consistent, sharp_contradicts),
    "matched_depth": (matched_consistent, matched_contradicts),
    "born_dead_depth": (born_dead_consistent, born_dead_contradicts),
    "rai_remedy": (rai_consistent, rai_contradicts),
    "estimation_n": (estimation_n_consistent, estimation_n_contradicts),
    "estimation_N": (estimation_N_consistent, estimation_N_contradicts),
    "u_rise": (rise_consistent, rise_contradicts),
    "nbest_balance": (balance_consistent, balance_contradicts),
    "barron_d_trend": (d_trend_consistent, d_trend_contradicts),
}


def test_every_registered_rule_has_a_failing_and_a_holding_input():
    assert set(RULES) == set(CASES), "a judgement rule without its pair of synthetic tests is not a verdict"
    for kind, rule in RULES.items():
        assert rule.null and rule.alternative, kind


@pytest.mark.parametrize("kind", sorted(CASES))
def test_the_rule_says_consistent_where_the_theorem_holds(kind):
    v = CASES[kind][0]()
    assert v.kind == kind and v.outcome == "consistent", (v.measured, v.reason, v.explanation)


@pytest.mark.parametrize("kind", sorted(CASES))
def test_the_rule_says_contradicts_where_the_theorem_is_violated(kind):
    v = CASES[kind][1]()
    assert v.kind == kind and v.outcome == "contradicts" and v.explanation, (v.measured, v.reason)


# --------------------------------------------------------------------------- the CI method: coverage


def _simulated_paths(rng, k, slope=-1.0, widths=(8, 16, 32, 64, 128, 256)):
    """k replica paths of a power law with a random level and slope per replica and point noise."""
    ns = np.array(widths, dtype=float)
    lvl = 0.3 * rng.normal(size=(k, 1))
    tilt = 0.08 * rng.normal(size=(k, 1))
    return ns, np.exp(np.log(0.5) + lvl + (slope + tilt) * np.log(ns) + 0.05 * rng.normal(size=(k, ns.size)))


@pytest.mark.parametrize("k", [3, 5, 8])
def test_the_path_ci_covers_the_true_slope_at_its_nominal_level(k):
    """The t-interval over per-replica slopes (the suite's CI for every fitted exponent a verdict uses) covers the
    true slope in at least 93% of simulated studies at nominal 95%, for the replica counts the studies use."""
    rng = np.random.default_rng(k)
    hits = 0
    reps = 1500
    for _ in range(reps):
        ns, M = _simulated_paths(rng, k)
        _, lo, hi = slope_over_paths(ns, M)
        hits += lo <= -1.0 <= hi
    assert hits / reps >= 0.93


def test_fit_power_law_uses_whole_paths_when_it_is_given_them():
    rng = np.random.default_rng(1)
    ns, M = _simulated_paths(rng, 5)
    x = np.tile(ns, 5)
    fit = fit_power_law(x, M.ravel(), paths=np.repeat(np.arange(5), ns.size))
    assert fit.ci_method == "t-paths" and fit.n_seeds == 5
    s, lo, hi = slope_over_paths(ns, M)
    assert math.isclose(fit.slope, s) and math.isclose(fit.ci_low, lo) and math.isclose(fit.ci_high, hi)


# --------------------------------------------------------------------------- the data model


def test_verdicts_refuse_an_unexplained_outcome_and_collapse_duplicates():
    with pytest.raises(ValueError, match="reason"):
        Verdict(claim="c", theorem="t", outcome="not tested")
    with pytest.raises(ValueError, match="explanation"):
        Verdict(claim="c", theorem="t", outcome="contradicts")
    vs = [Verdict(claim="c", theorem="t", group=g, outcome="not tested", reason="no data: x") for g in "abcd"]
    (one,) = collapse(vs)
    assert one.group == "4 groups: a; b; c; d"
    assert Check(name="x", passed=np.True_).passed is True


def test_windows_are_declared_and_refuse_what_the_plug_in_does_not_declare():
    from nnapprox.studies import sharp_rates

    with pytest.raises(ValueError, match="judge.n_mni=.*not a judgement window.*n_min"):
        resolve_windows(sharp_rates.JUDGE, {"n_mni": 16}, "sharp_rates")
    with pytest.raises(ValueError, match="finite number"):
        resolve_windows(sharp_rates.JUDGE, {"tol": float("nan")}, "sharp_rates")


def test_a_comparison_where_both_sides_stay_at_the_constant_predictor_is_an_optimizer_floor():
    from nnapprox.studies import radial

    runs = matched_runs(0.5).assign(rel_mse=0.99)  # deep significantly lower, but neither has learnt anything
    v = radial.judge(runs, ctx_for("radial"))[0]
    assert v.outcome == "not tested" and v.reason.startswith("optimizer floor: both sides end at the constant")
