"""The width-scaling plug-in: where Barron's bound is informative, per dimension."""
import pandas as pd

from nnapprox.report.study import StudyContext
from nnapprox.studies import width_scaling
from nnapprox.theory import informative_width


def test_the_regime_table_names_n_0_per_dimension():
    rows = []
    for d, c_f, var_f in ((1, 0.8, 0.0155), (8, 2.7, 0.003)):
        for n in (1, 2, 4, 8, 16, 32, 64, 128, 256):
            mse = 0.01 / n
            rows.append({"target.name": "gaussian", "target.d": d, "trainer.name": "oga", "n": n, "seed": 0,
                         "replica": 0, "test_mse": mse, "train_mse": mse, "rel_mse": mse / var_f, "var_f": var_f,
                         "c_f": c_f, "radius": 1.0, "bound": (2 * c_f) ** 2 / n, "activation.name": "sigmoid",
                         "model.depth": 1, "status": "ok", "n_params": n * (d + 2) + 1})
    res = width_scaling.analyse(pd.DataFrame(rows), StudyContext(name="width_scaling", sweep_dir=".", n_boot=200))
    sec = next(s for s in res.sections if s.heading == "Where the bound is informative")
    n0_1 = informative_width(0.8, 0.0155, 1.0)
    assert f"{n0_1:.3g}" in sec.body and "| 1 |" in sec.body
    by_d = {v.group: v for v in res.verdicts if v.kind == "barron_bound"}
    assert by_d["d=1"].outcome == "consistent"  # 256 >= n_0 = 165
    assert by_d["d=8"].outcome == "not tested" and by_d["d=8"].reason.startswith("pre-asymptotic")
