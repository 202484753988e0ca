"""nnapprox.experiment.job: what a job records (trainable parameters, divergence, the resolved bias initialisation)."""

import numpy as np
import pytest
from helpers import plain_config, run_study, small_sin_cfg

from nnapprox.engine.structure import tree_mask
from nnapprox.experiment.job import run_job
from nnapprox.experiment.validation import ConfigError, canonical


def test_a_tree_job_records_only_its_trainable_parameters(tmp_path):
    runs, _ = run_study(
        tmp_path,
        "tree",
        [
            {
                "target": {"name": "compositional", "d": 8},
                "model.structure": "tree",
                "model.depth": 3,
                "model.width": 2,
                "activation.name": "relu",
                "trainer": {"name": "adam", "max_steps": 20},
                "data.N": 64,
                "data.N_test": 64,
            }
        ],
    )
    assert runs["status"].tolist() == ["ok"]
    assert int(runs["n_params"].iloc[0]) == int(tree_mask(8, 2).sum()) == 57


# a run that blows up but stays finite is diverged, never ok
def test_a_finite_blow_up_is_diverged(tmp_path):
    recs = run_job(small_sin_cfg(trainer={"name": "adam", "lr": 1e6, "max_steps": 100}, replicas=2), tmp_path)
    assert {r["status"] for r in recs} == {"diverged"}
    assert all("rose from" in r["error"] or "Var(y)" in r["error"] for r in recs)
    ok = run_job(small_sin_cfg(trainer={"name": "adam", "lr": 0.01, "max_steps": 100}), tmp_path / "ok")
    assert ok[0]["status"] == "ok"


def test_the_bias_initialisation_default_is_resolved_per_activation_and_recorded(tmp_path):
    """none -> normal (std 0.5) for the ReLU family, zero for smooth units and for depth 0; the record
    states what was used, and the ReLU network really starts with spread kinks."""

    def model(**over):
        return canonical(small_sin_cfg(**over)).config["model"]

    for act in ("relu", "leaky_relu"):
        m = model(**{"activation.name": act})
        assert (m["init"], m["bias_init"], m["bias_std"]) == ("he", "normal", 0.5)
    for act in ("tanh", "sigmoid"):
        m = model(**{"activation.name": act})
        assert (m["init"], m["bias_init"], m["bias_std"]) == ("xavier", "zero", None)
    glm = plain_config(target={"name": "sin", "d": 1, "freq": 3.0}, **{"model.depth": 0, "data.N": 50})
    assert canonical(glm).config["model"]["bias_init"] == "zero"
    assert model(**{"activation.name": "relu", "model.bias_init": "zero"})["bias_init"] == "zero"
    with pytest.raises(ConfigError, match="model.bias_std=0.3 is not used"):
        canonical(small_sin_cfg(**{"activation.name": "tanh", "model.bias_std": 0.3}))
    from nnapprox.experiment.training import setup

    net = setup(canonical(small_sin_cfg(**{"activation.name": "relu", "model.width": 200})), 0).net
    b = net.biases[0]
    assert np.all(b != 0) and 0.4 < float(np.std(b)) < 0.6  # N(0, 0.5²): kinks off the origin
    assert np.all(setup(canonical(small_sin_cfg(**{"model.width": 200})), 0).net.biases[0] == 0)  # tanh: zero
