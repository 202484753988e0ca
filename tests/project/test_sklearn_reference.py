"""The scikit-learn reference: its table arithmetic, its grid, and the committed table's claim."""

import numpy as np
import pandas as pd
from helpers import ROOT

from tools import sklearn_reference as ref

COMMITTED = ROOT / "results" / "bench" / "sklearn_reference.csv"


def test_the_grid_is_the_activations_studys():
    g = ref.grid()
    assert g["activation"] == ["sigmoid", "tanh", "relu", "leaky_relu"]
    assert set(g) == {"target", "activation", "model.width"}
    assert set(ref.SKLEARN_ACTIVATION) == set(g["activation"])


def test_summary_is_medians_and_their_ratio():
    rows = [
        {
            "target": "t",
            "activation": "relu",
            "width": 4,
            "seed": s,
            "nnapprox_mse": v,
            "sklearn_mse": w,
            "nnapprox_time": 1.0,
            "sklearn_time": 2.0,
            "init": "he",
            "bias_init": "normal",
            "max_iter": 10,
        }
        for s, (v, w) in enumerate([(1.0, 2.0), (3.0, 1.0), (2.0, 8.0)])
    ]
    tab = ref.summarise(rows)
    assert len(tab) == 1
    r = tab.iloc[0]
    assert (r.nnapprox_median, r.sklearn_median, r.ratio, r.seeds) == (2.0, 2.0, 1.0, 3)
    assert r.nnapprox_q1 == 1.5 and r.sklearn_q3 == 5.0
    md = ref.markdown(
        tab,
        {
            "grid": "g",
            "N": 1,
            "N_test": 1,
            "d": 1,
            "max_iter": 10,
            "seeds": 3,
            "extra": [],
            "elapsed": 1.0,
            "when": "today",
            "sklearn": "x",
        },
    )
    assert "**Every ratio ≤ 1**: 1 of 1 cells" in md
    worse = ref.summarise([dict(r, nnapprox_mse=r["nnapprox_mse"] * 3) for r in rows])
    assert "**Not every ratio ≤ 1**" in ref.markdown(
        worse,
        {
            "grid": "g",
            "N": 1,
            "N_test": 1,
            "d": 1,
            "max_iter": 10,
            "seeds": 3,
            "extra": [],
            "elapsed": 1.0,
            "when": "today",
            "sklearn": "x",
        },
    )


def test_the_config_is_the_studys_own():
    cfg = ref.compose(["experiment=activations", "target=gaussian", "activation=relu", "model.width=8", "replicas=3"])
    assert cfg["trainer"]["name"] == "lbfgs" and cfg["trainer"]["max_steps"] == 1000
    assert cfg["data"]["N"] == 5000 and cfg["model"]["width"] == 8


def test_the_committed_table_covers_the_grid_with_enough_seeds_and_every_ratio_is_at_most_one():
    tab = pd.read_csv(COMMITTED)
    g = ref.grid()
    cells = {(t, a, int(w)) for t in g["target"] for a in g["activation"] for w in g["model.width"]}
    assert set(zip(tab["target"], tab["activation"], tab["width"], strict=True)) == cells
    assert (tab["seeds"] >= 3).all()
    np.testing.assert_allclose(tab["ratio"], tab["nnapprox_median"] / tab["sklearn_median"])
    seeds = pd.read_csv(COMMITTED.with_name("sklearn_reference_seeds.csv"))
    med = seeds.groupby(["target", "activation", "width"])[["nnapprox_mse", "sklearn_mse"]].median()
    both = tab.set_index(["target", "activation", "width"]).join(med)
    np.testing.assert_allclose(both["nnapprox_median"], both["nnapprox_mse"])
    assert (tab["ratio"] <= 1).all(), tab[tab["ratio"] > 1]
