"""Study ``precision``: how far float64 training gets, against Michaud, Liu & Tegmark (2023).

Two groups of jobs (``conf/experiment/precision.yaml``):

* **teacher**: a tanh 1-3-3-1 teacher, a 1-20-20-1 tanh student, x uniform in [−1, 1]; the dense
  BFGS trainer with one boosting stage at the published sizes (N = 100 000 training, 10 000 test
  points), and the three optimizers (L-BFGS with 20 and 200 correction pairs, dense BFGS) side by
  side at N = 20 000. Every job records one row per stage: stage 1 the first network, stage 2 the
  boosted model f_1 + mean|r| f_2.
* **floor**: the d = 1 ReLU² target of ``sharp_rates`` (a Gaussian on [−1, 1], N = 16 000) fitted
  by trained ReLU² networks of widths 8, 16, 32 (L-BFGS, dense BFGS, dense BFGS + boosting) and
  by OGA (the sharp_rates trainer), against the floor sharp_rates declares (relative training
  MSE 1e-11, :data:`nnapprox.studies.sharp_rates.FLOOR`).

No theorem is judged here: the published numbers are reproduction *checks* (pass/fail), reported
apart from verdicts.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib import rc_context
from matplotlib.figure import Figure

from ..report import generic
from ..report.plots import RC
from ..report.study import Section
from ..report.tables import markdown_table
from .sharp_rates import FLOOR

__all__ = ["analyse", "method_of", "stage_table", "floor_table", "checks_table", "PUBLISHED", "PUBLISHED_N",
           "STAGE1_MAX", "STAGE2_MAX"]

#: Michaud et al.'s teacher-student run (notebook ``boosting-replication``): test RMSE and BFGS
#: iterations of stage 1 and stage 2, N = 100 000 training points.
PUBLISHED = {1: (4.10e-8, 2454), 2: (3.17e-13, 12177)}
PUBLISHED_N = 100_000
#: The checks: stage 1 at most the published test RMSE, stage 2 at most 1e-12 (3.17e-13 the aim).
STAGE1_MAX = 4.1e-8
STAGE2_MAX = 1e-12
INTRO = ("How close to float64's limit do the trainers get? Michaud, Liu & Tegmark (2023) fit a tanh 1-3-3-1 teacher "
         "with a 1-20-20-1 student by BFGS to a test RMSE of 4.10e-8, and a boosting stage (a second network fitted to "
         "the residual scaled by 1/mean|r|) brings it to 3.17e-13. This study runs their setup at their sizes, "
         "compares the optimizers on the same teacher, and measures the precision floor trained networks reach on "
         "the d = 1 ReLU² target where sharp_rates stops at its floor.")


def method_of(runs) -> pd.Series:
    """A label per row: the trainer and the options that distinguish it (``lbfgs, maxcor 200``)."""
    def label(r):
        name = str(r["trainer.name"])
        parts = []
        if name == "lbfgs" and pd.notna(r.get("trainer.maxcor")):
            parts.append(f"maxcor {int(r['trainer.maxcor'])}")
        if pd.notna(r.get("trainer.warm_rows")):
            parts.append(f"warm-up on {int(r['trainer.warm_rows'])} rows")
        if pd.notna(r.get("trainer.restarts")) and int(r["trainer.restarts"]) > 1:
            parts.append(f"best of {int(r['trainer.restarts'])}")
        if pd.notna(r.get("trainer.boost")) and int(r["trainer.boost"]) > 0:
            parts.append(f"boost {int(r['trainer.boost'])}")
        return name + (" (" + ", ".join(parts) + ")" if parts else "")
    return runs.apply(label, axis=1) if len(runs) else pd.Series(dtype=str)


def _stage(runs) -> pd.Series:
    if "extra.stage" not in runs:
        return pd.Series(1, index=runs.index)
    return pd.to_numeric(runs["extra.stage"], errors="coerce").fillna(0).astype(int) + 1


def stage_table(teacher) -> pd.DataFrame:
    """One row per job and stage: test and train RMSE, the stage's iterations and scale, cumulative seconds."""
    cols = ["N", "method", "stage", "test_rmse", "train_rmse", "published_test_rmse", "ratio_to_published",
            "iterations", "published_iterations", "scale", "seconds", "stop"]
    if teacher.empty:
        return pd.DataFrame(columns=cols)
    t = teacher.assign(method=method_of(teacher), stage=_stage(teacher))
    rows = []
    for _, r in t.sort_values(["data.N", "method", "stage"], ascending=[False, True, True]).iterrows():
        pub = PUBLISHED.get(int(r["stage"]), (np.nan, np.nan))
        test = float(np.sqrt(r["test_mse"]))
        it = r.get("extra.stage_iterations", np.nan)
        rows.append({"N": int(r["data.N"]), "method": r["method"], "stage": int(r["stage"]), "test_rmse": test,
                     "train_rmse": float(np.sqrt(r["train_mse"])), "published_test_rmse": pub[0],
                     "ratio_to_published": test / pub[0], "iterations": int(it) if pd.notna(it) else int(r["steps"]),
                     "published_iterations": pub[1], "scale": r.get("extra.stage_scale", 1.0),
                     "seconds": float(r["train_time"]), "stop": r.get("extra.stage_reason", r.get("stop_reason"))})
    return pd.DataFrame(rows, columns=cols)


def floor_table(floor) -> pd.DataFrame:
    """Per method and width on the ReLU² target: relative training and test MSE (MSE / Var f)."""
    cols = ["method", "n", "stage", "rel_train_mse", "rel_test_mse", "below_published_floor"]
    if floor.empty:
        return pd.DataFrame(columns=cols)
    f = floor.assign(method=method_of(floor), stage=_stage(floor))
    f = f.assign(width=np.where(f["trainer.name"] == "oga", f["n"], f["model.width"]))
    rows = []
    for _, r in f.sort_values(["method", "width", "stage"]).iterrows():
        rel_train = float(r["train_mse"]) / float(r["var_f"])
        rows.append({"method": r["method"] + (f", stage {r['stage']}" if r["stage"] > 1 else ""),
                     "n": int(r["width"]), "stage": int(r["stage"]), "rel_train_mse": rel_train,
                     "rel_test_mse": float(r["rel_mse"]), "below_published_floor": rel_train < FLOOR})
    return pd.DataFrame(rows, columns=cols)


def checks_table(stages, floors) -> pd.DataFrame:
    """The reproduction checks: pass/fail against the published numbers (not verdicts)."""
    rows = []
    pub = stages[stages["N"] == PUBLISHED_N]
    for (method, stage), g in pub.groupby(["method", "stage"], sort=True):
        if stage not in (1, 2):
            continue
        bound = STAGE1_MAX if stage == 1 else STAGE2_MAX
        m = float(g["test_rmse"].min())
        rows.append({"check": f"stage {stage} test RMSE <= {bound:g} at N = {PUBLISHED_N}",
                     "group": method, "published": f"{PUBLISHED[stage][0]:.3g} ({PUBLISHED[stage][1]} iterations)",
                     "measured": f"{m:.3g} ({int(g['iterations'].iloc[0])} iterations, {g['seconds'].iloc[0]:.0f} s "
                                 "cumulative)", "passed": bool(m <= bound)})
    if len(floors):
        best = floors.groupby("method")["rel_train_mse"].min()
        for method, v in best.items():
            if method.startswith("oga"):
                continue
            rows.append({"check": f"relative training MSE below the sharp_rates floor {FLOOR:g}",
                         "group": f"{method}, ReLU², d = 1", "published": f"{FLOOR:g} (OGA, float64 Gram–Schmidt)",
                         "measured": f"{v:.3g} (best width)", "passed": bool(v < FLOOR)})
    return pd.DataFrame(rows, columns=["check", "group", "published", "measured", "passed"])


def _plot_teacher(stages):
    with rc_context(RC):
        fig = Figure(figsize=(7.5, 4.0), layout="constrained")
        ax = fig.subplots()
        labels = []
        for i, ((N, method), g) in enumerate(stages.groupby(["N", "method"], sort=False)):
            labels.append(f"{method}\nN = {N}")
            for _, r in g.iterrows():
                ax.scatter(i + (r["stage"] - 1.5) * 0.25, r["test_rmse"], marker="o" if r["stage"] == 1 else "s",
                           color="tab:blue" if r["stage"] == 1 else "tab:orange", zorder=3)
        for stage, (v, _) in PUBLISHED.items():
            ax.axhline(v, color="tab:blue" if stage == 1 else "tab:orange", ls="--", lw=1,
                       label=f"published stage {stage}: {v:.3g}")
        ax.scatter([], [], marker="o", color="tab:blue", label="stage 1 (first network)")
        ax.scatter([], [], marker="s", color="tab:orange", label="stage 2 (boosted)")
        ax.set(yscale="log", ylabel="test RMSE", xticks=range(len(labels)),
               title="Teacher 1-3-3-1, student 1-20-20-1 (tanh, float64)")
        ax.set_xticklabels(labels, fontsize=7.5)
        ax.grid(True, axis="y", which="major", alpha=0.3)
        ax.legend(fontsize=7.5, loc="upper right")
    return fig


def _plot_floor(floors):
    with rc_context(RC):
        fig = Figure(figsize=(6.0, 4.0), layout="constrained")
        ax = fig.subplots()
        for method, g in floors.groupby("method", sort=True):
            g = g.sort_values("n")
            ax.plot(g["n"], g["rel_train_mse"], marker="o", ms=3, label=method)
        ax.axhline(FLOOR, color="k", ls=":", lw=1, label=f"sharp_rates floor {FLOOR:g}")
        ax.set(xscale="log", yscale="log", xlabel="hidden width n", ylabel="training MSE / Var f",
               title="ReLU² units on the d = 1 Gaussian (cube, N = 16000)")
        ax.grid(True, which="major", alpha=0.3)
        ax.legend(fontsize=7)
    return fig


def analyse(runs, ctx):
    """The stage and floor tables, the reproduction checks, and two figures."""
    res = generic.base_result(runs, INTRO, [
        f"**Checks, not verdicts.** A reached precision against a published number is a reproduction check "
        f"(pass/fail): stage 1 test RMSE ≤ {STAGE1_MAX:g} and stage 2 ≤ {STAGE2_MAX:g} at N = {PUBLISHED_N} "
        f"(Michaud et al.: {PUBLISHED[1][0]:.3g} and {PUBLISHED[2][0]:.3g}); a trained ReLU² network's relative "
        f"training MSE below sharp_rates' floor {FLOOR:g}. No theorem is judged, so the study has no verdicts."])
    if runs.empty:
        return res
    ok = generic.usable(runs)
    teacher = ok[ok["target.name"] == "teacher"]
    floor = ok[ok["target.name"] != "teacher"]
    stages, floors = stage_table(teacher), floor_table(floor)
    checks = checks_table(stages, floors)
    res.tables.update({"stages": stages, "floors": floors, "checks": checks})
    body = []
    if len(checks):
        passed = int(checks["passed"].sum())
        body += [f"{passed} of {len(checks)} checks pass.", "",
                 markdown_table(checks.assign(passed=checks["passed"].map({True: "**pass**", False: "**FAIL**"}))),
                 ""]
    res.sections.append(Section("Checks against the published numbers", "\n".join(body) or "No runs."))
    if len(stages):
        res.figures["precision_teacher"] = _plot_teacher(stages)
        res.sections.append(Section("Teacher and student: stage 1 and stage 2", "\n".join([
            "![teacher](figures/precision_teacher.png)", "",
            "One row per job and stage (stage 1: the first network; stage 2: f_1 + c f_2 with c = mean|r|, the "
            "second network fitted to r / c). `iterations` are the stage's own (warm-up included), `seconds` the "
            "job's cumulative training time when the stage was done.", "",
            markdown_table(stages, formats={"N": lambda v: f"{int(v)}"})])))
    if len(floors):
        res.figures["precision_floor"] = _plot_floor(floors)
        best = floors.loc[floors.groupby("method")["rel_train_mse"].idxmin(), ["method", "n", "rel_train_mse",
                                                                             "rel_test_mse"]]
        res.sections.append(Section("The precision floor on sharp_rates' ReLU² target (d = 1)", "\n".join([
            "![floor](figures/precision_floor.png)", "",
            f"sharp_rates stops its d = 1 ReLU² rate where OGA's relative training MSE falls below {FLOOR:g} (its "
            "float64 Gram–Schmidt floor, reached at n = 64). The lowest relative MSE each method reaches here:", "",
            markdown_table(best), "", "All widths:", "", markdown_table(floors)])))
    return res
