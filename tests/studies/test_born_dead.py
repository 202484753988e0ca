"""The born_dead plug-in on small real jobs."""

SAW = {"target": {"name": "sawtooth", "d": 1, "k": 3}, "data.N": 256, "data.N_test": 256, "activation.name": "relu"}


def test_born_dead_plugin_counts_constant_initialisations(tmp_path):
    from helpers import run_study

    from nnapprox.studies import born_dead as bd

    probe = {**SAW, "trainer": {"name": "init_probe"}, "model.width": 2, "replicas": 24, "data.N_test": 2}
    jobs = [
        {**probe, "model.depth": L, "model.init": "he", "model.bias_init": "zero", "model.bias_std": None}
        for L in (1, 6)
    ]
    jobs += [{**probe, "model.depth": 6, "model.init": "rai", "model.bias_init": None, "model.bias_std": None}]
    runs, ctx = run_study(tmp_path, "born_dead", jobs)
    res = bd.analyse(runs, ctx)
    tab = res.tables["born_dead"].set_index(["init", "depth"])
    assert set(tab["n"]) == {24}
    he1 = tab.loc[(bd.init_label({"model.init": "he", "model.bias_init": "zero"}), 1)]
    he6 = tab.loc[(bd.init_label({"model.init": "he", "model.bias_init": "zero"}), 6)]
    assert he1["fraction"] < he6["fraction"]
    assert he6["ci_low"] <= he6["fraction"] <= he6["ci_high"]
    assert runs["extra.born_dead"].isin([0.0, 1.0]).all()
    lo, hi = bd.wilson(0, 10)
    assert lo == 0.0 and 0.25 < hi < 0.35
