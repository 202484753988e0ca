"""The matched-parameter plug-ins (radial, compositional) and their budgets (nnapprox.studies.matched)."""

import pytest


@pytest.mark.parametrize("study", ["radial", "compositional"])
def test_matched_parameter_plugins_compare_deep_with_shallow(tmp_path, study):
    from helpers import run_study

    from nnapprox.studies import compositional, radial

    if study == "radial":
        base = {
            "target": {"name": "radial", "d": 4},
            "data.N": 300,
            "data.N_test": 512,
            "activation.name": "relu",
            "trainer": {"name": "lbfgs", "max_steps": 40},
            "replicas": 5,
        }
        archs = [{"model.depth": 1, "model.width": 20}, {"model.depth": 2, "model.width": 8}]
        mod = radial
    else:
        base = {
            "target": {"name": "compositional", "d": 8},
            "data.N": 300,
            "data.N_test": 512,
            "activation.name": "relu",
            "trainer": {"name": "lbfgs", "max_steps": 40},
            "replicas": 5,
        }
        archs = [
            {"model.depth": 1, "model.width": 6},
            {"model.depth": 3, "model.width": 2, "model.structure": "tree"},
            {"model.depth": 3, "model.width": 3},
        ]
        mod = compositional
    runs, ctx = run_study(tmp_path, study, [{**base, **a} for a in archs])
    res = mod.analyse(runs, ctx)
    table = next(t for name, t in res.tables.items() if name.endswith("comparison"))
    assert len(table) == len(archs) - 1
    for r in table.itertuples():
        assert r.ci_low <= r.ratio <= r.ci_high and r.p_holm >= r.p
        assert r.label == (
            "depth better"
            if r.p_holm <= 0.05 and r.deep_median < r.shallow_median
            else "shallow better"
            if r.p_holm <= 0.05
            else "no significant difference"
        )
    assert len(res.verdicts) == len(table)
    for v, r in zip(res.verdicts, table.itertuples(), strict=True):
        assert v.kind == "matched_depth"
        assert (
            v.outcome
            == {
                "depth better": "consistent",
                "shallow better": "contradicts",
                "no significant difference": "not tested",
            }[r.label]
        )


def test_a_deeper_net_joins_a_budget_only_within_the_parameter_factor():
    import pandas as pd

    from nnapprox.studies import matched

    rows = [
        {"model.depth": d, "model.width": w, "n_params": p, "test_mse": 1.0, "trainer.name": "lbfgs"}
        for d, w, p in ((1, 8, 25), (1, 32, 97), (2, 4, 33), (2, 8, 97), (4, 32, 3000), (2, 5, 30))
    ]
    out = matched.assign_budgets(pd.DataFrame(rows), [], matched.dense_arch)
    got = dict(zip(out["n_params"], out["budget"], strict=True))
    assert got == {25: 25, 97: 97, 30: 25}  # 33 is 1.32x from 25 and 2.9x from 97; 3000 matches nothing


def test_plot_ticks_sit_at_the_budgets_with_plain_labels():
    import pandas as pd
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    from nnapprox.studies import matched

    ok = pd.DataFrame(
        [
            {"arch": arch, "trainer.name": "lbfgs", "n_params": p, "budget": b, "rel_mse": 0.1 + 0.01 * r}
            for b in (61, 481)
            for arch, p in (("1 hidden layer (width 6)", b), ("3 hidden layers (width 3)", b - 4))
            for r in range(2)
        ]
    )
    fig = matched.plot(ok, None, "t")
    FigureCanvasAgg(fig).draw()
    ax = fig.axes[0]
    assert list(ax.get_xticks()) == [61.0, 481.0]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["61", "481"]
