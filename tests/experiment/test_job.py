"""nnapprox.experiment.job: what a job records."""
from nnapprox.engine.structure import tree_mask


def test_a_tree_job_records_only_its_trainable_parameters(tmp_path):
    from helpers import run_study

    runs, _ = run_study(tmp_path, "tree", [{"target": {"name": "compositional", "d": 8}, "model.structure": "tree",
                                            "model.depth": 3, "model.width": 2, "activation.name": "relu",
                                            "trainer": {"name": "adam", "max_steps": 20}, "data.N": 64,
                                            "data.N_test": 64}])
    assert runs["status"].tolist() == ["ok"]
    assert int(runs["n_params"].iloc[0]) == int(tree_mask(8, 2).sum()) == 57
