"""The depth plug-in: hand-built networks as jobs (exact), the matched-parameter comparison, the gap."""

import math

import pandas as pd
import pytest

from nnapprox.studies import depth

SAW = {"target": {"name": "sawtooth", "d": 1, "k": 3}, "data.N": 300, "data.N_test": 512, "activation.name": "relu"}
SQ = {"target": {"name": "square", "d": 1}, "data.N": 300, "data.N_test": 512, "activation.name": "relu"}


@pytest.fixture(scope="module")
def result(tmp_path_factory):
    from helpers import run_study

    jobs = [
        {**SAW, "trainer": {"name": "construct", "construction": "telgarsky"}, "model.width": 2, "model.depth": 3},
        {**SAW, "trainer": {"name": "construct", "construction": "shallow_sawtooth"}, "model.width": 8},
        *(
            {**SQ, "trainer": {"name": "construct", "construction": "yarotsky"}, "model.width": 3, "model.depth": m}
            for m in (1, 2, 3)
        ),
        {
            **SAW,
            "trainer": {"name": "lbfgs", "max_steps": 50},
            "model.width": 2,
            "model.depth": 3,
            "model.bias_init": "data",
            "replicas": 2,
        },
        {
            **SQ,
            "trainer": {"name": "lbfgs", "max_steps": 50},
            "model.width": 3,
            "model.depth": 3,
            "model.bias_init": "data",
            "replicas": 2,
        },
        *(
            {**SAW, "trainer": {"name": "lbfgs", "max_steps": 50}, "model.width": w, "model.bias_init": "data"}
            for w in (4, 8)
        ),
    ]
    runs, ctx = run_study(tmp_path_factory.mktemp("depth"), "depth", jobs)
    return runs, depth.analyse(runs, ctx)


def test_shallow_and_deep_sawtooth_and_yarotsky_are_exact(result):
    _, res = result
    refs = res.tables["reference_nets"]
    saw = refs[refs["target"] == "sawtooth"]
    assert saw["sup_err"].max() < 1e-12
    assert saw["pieces"].tolist() == [8, 8]
    assert sorted(saw["n_params"]) == [6 * 3 + 1, 3 * 8 + 1]
    sq = refs[refs["target"] == "square"]
    assert sq["sup_err"].to_numpy() == pytest.approx(sq["sup_theory"].to_numpy(), rel=1e-9)
    assert sq["mse"].to_numpy() == pytest.approx(sq["mse_theory"].to_numpy(), rel=1e-3)
    assert sq["n_params"].tolist() == [10, 22, 34]
    checks = {c.kind: c for c in res.checks}
    assert checks["telgarsky_exact"].passed and checks["yarotsky_error"].passed
    assert not [v for v in res.verdicts if v.kind in ("telgarsky_exact", "pieces", "yarotsky_error")]


def test_the_piece_count_of_every_shallow_net_respects_n_plus_one(result):
    runs, res = result
    c = next(c for c in res.checks if c.kind == "pieces")
    assert c.passed
    shallow = runs[(runs["model.depth"] == 1) & runs["pieces"].notna()]
    assert (shallow["pieces"] <= shallow["n"] + 1).all()


def test_the_gap_table_holds_the_hand_built_architectures_trained(result):
    _, res = result
    gap = res.tables["optimization_gap"]
    assert set(gap["target"]) == {"sawtooth", "square"}
    assert (gap.loc[gap["target"] == "sawtooth", "hand_built_mse"] < 1e-20).all()
    assert gap["architecture"].tolist()[0] == "[1, 2, 2, 2, 1]" and len(gap) == 4
    assert "depth_params" in res.figures


def depth_means():
    rows = []
    for tgt, deep_better in (("sawtooth", True), ("square", False)):
        for d, w, p in ((1, 4, 13), (1, 8, 25), (1, 32, 97), (2, 4, 33), (2, 8, 97), (4, 8, 241)):
            for s in range(2):
                base = 1e-2 * (p / 13) ** -0.5
                if d > 1:
                    base = base / 10 if deep_better else base * 10
                rows.append(
                    {
                        "target.name": tgt,
                        "model.depth": d,
                        "model.width": w,
                        "trainer.name": "lbfgs",
                        "n_params": p,
                        "test_mse": base * (1 + 0.05 * s),
                        "seed": s,
                        "status": "ok",
                        "var_f": 0.08,
                    }
                )
    return pd.DataFrame(rows)


def test_matched_params_interpolate_the_shallow_curve():
    df = depth_means()
    means = depth.config_means(df)
    matched = depth.matched_params(means)
    assert set(matched["n_params"]) == {33, 97}  # 241 lies outside the shallow range
    assert (matched[matched["target"] == "sawtooth"]["ratio"] > 1).all()
    assert (matched[matched["target"] == "square"]["ratio"] < 1).all()


def test_interp_loglog():
    assert depth.interp_loglog(20, [10, 40], [1.0, 0.25]) == pytest.approx(0.5)
    assert math.isnan(depth.interp_loglog(50, [10, 40], [1.0, 0.25]))


def test_yarotsky_beats_the_certified_shallow_bound_only_from_larger_m(tmp_path):
    """m = 2 (22 parameters): 7 shallow units fit x² better than Yarotsky's net; m = 7 (82): no shallow net
    of 27 units can reach its error (bound ~ 1/(180 · 28^4) against 2^(−28)/30)."""
    from helpers import run_study

    jobs = [
        {**SQ, "trainer": {"name": "construct", "construction": "yarotsky"}, "model.width": 3, "model.depth": m}
        for m in (2, 7)
    ]
    runs, ctx = run_study(tmp_path, "depth", jobs)
    ex = depth.square_existence(runs, ctx).set_index("m")
    assert ex.loc[2, "shallow_width_eq"] == 7 and not ex.loc[2, "separated"]
    assert ex.loc[7, "shallow_width_eq"] == 27 and ex.loc[7, "separated"]
    assert ex.loc[7, "bound"] == pytest.approx(1 / (180 * 28**4), rel=0.1)
    assert ex.loc[7, "hand_mse"] == pytest.approx(2.0**-28 / 30, rel=0.01)
    res = depth.analyse(runs, ctx)
    checks = {c.group: c for c in res.checks if c.kind == "square_existence"}
    assert checks["m = 2"].passed and checks["m = 7"].passed  # both as the closed forms predict
    assert "does not beat" in checks["m = 2"].name and "beats" in checks["m = 7"].name
