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

from nnapprox.report import generic
from nnapprox.report.plots import RC
from nnapprox.report.study import Section, Window
from nnapprox.report.tables import markdown_table
from nnapprox.report.verdicts import Check
from nnapprox.studies.sharp_rates import JUDGE as SHARP_RATES_JUDGE

__all__ = ["analyse", "method_of", "stage_table", "floor_table", "checks", "PUBLISHED", "PUBLISHED_N", "JUDGE"]

#: Michaud et al.'s teacher-student run (notebook ``boosting-replication``): test RMSE and BFGS
#: iterations of stage 1 and stage 2, N = 100 000 training points.
PUBLISHED = {1: (4.10e-8, 2454), 2: (3.17e-13, 12177)}
PUBLISHED_N = 100_000
#: Where sharp_rates' OGA path on the d = 1 Gaussian with ReLU² units first falls below its floor.
SHARP_RATES_FLOOR_N = 64
#: The checks' thresholds (values in ``conf/experiment/precision.yaml``'s ``judge:`` block).
JUDGE = {
    "stage1_max": Window(4.1e-8, "largest stage-1 test RMSE that reproduces Michaud et al.'s 4.10e-8 (N = 100 000)"),
    "stage2_max": Window(
        1e-12, "largest stage-2 (boosted) test RMSE that reproduces their stage 2 (published 3.17e-13, the aim)"
    ),
    "floor": Window(
        SHARP_RATES_JUDGE["floor"].default,
        "sharp_rates' precision floor (relative training MSE where "
        "OGA's float64 Gram–Schmidt is taken to set the error)",
    ),
}
INTRO = (
    "How close to float64's limit do the trainers get? Michaud, Liu & Tegmark (2023) fit a tanh 1-3-3-1 teacher "
    "with a 1-20-20-1 student by BFGS to a test RMSE of 4.10e-8, and a boosting stage (a second network fitted to "
    "the residual scaled by 1/mean|r|) brings it to 3.17e-13. This study runs their setup at their sizes, "
    "compares the optimizers on the same teacher, and measures the precision floor trained networks reach on "
    "the d = 1 ReLU² target where sharp_rates stops at its floor."
)


def method_of(runs) -> pd.Series:
    """A label per row: the trainer and the options that distinguish it (``lbfgs (maxcor 200)``); the
    boosting stage is a column of its own."""

    def label(r):
        name = str(r["trainer.name"])
        parts = []
        if name == "lbfgs" and pd.notna(r.get("trainer.maxcor")):
            parts.append(f"maxcor {int(r['trainer.maxcor'])}")
        if pd.notna(r.get("trainer.warm_rows")):
            parts.append(f"warm-up on {int(r['trainer.warm_rows'])} rows")
        if pd.notna(r.get("trainer.restarts")) and int(r["trainer.restarts"]) > 1:
            parts.append(f"best of {int(r['trainer.restarts'])}")
        return name + (" (" + ", ".join(parts) + ")" if parts else "")

    return runs.apply(label, axis=1) if len(runs) else pd.Series(dtype=str)


def _stage(runs) -> pd.Series:
    if "extra.stage" not in runs:
        return pd.Series(1, index=runs.index)
    return pd.to_numeric(runs["extra.stage"], errors="coerce").fillna(0).astype(int) + 1


def stage_table(teacher) -> pd.DataFrame:
    """One row per job and stage: test and train RMSE, the stage's iterations and scale, cumulative seconds."""
    cols = [
        "N",
        "method",
        "stage",
        "test_rmse",
        "train_rmse",
        "published_test_rmse",
        "ratio_to_published",
        "iterations",
        "published_iterations",
        "scale",
        "seconds",
        "stop",
    ]
    if teacher.empty:
        return pd.DataFrame(columns=cols)
    t = teacher.assign(method=method_of(teacher), stage=_stage(teacher))
    rows = []
    for _, r in t.sort_values(["data.N", "method", "stage"], ascending=[False, True, True]).iterrows():
        pub = PUBLISHED.get(int(r["stage"]), (np.nan, np.nan))
        test = float(np.sqrt(r["test_mse"]))
        it = r.get("extra.stage_iterations", np.nan)
        rows.append(
            {
                "N": int(r["data.N"]),
                "method": r["method"],
                "stage": int(r["stage"]),
                "test_rmse": test,
                "train_rmse": float(np.sqrt(r["train_mse"])),
                "published_test_rmse": pub[0],
                "ratio_to_published": test / pub[0],
                "iterations": int(it) if pd.notna(it) else int(r["steps"]),
                "published_iterations": pub[1],
                "scale": r.get("extra.stage_scale", 1.0),
                "seconds": float(r["train_time"]),
                "stop": r.get("extra.stage_reason", r.get("stop_reason")),
            }
        )
    return pd.DataFrame(rows, columns=cols)


def floor_table(floor, floor_value=JUDGE["floor"].default) -> pd.DataFrame:
    """Per method and width on the ReLU² target: relative training and test MSE (MSE / Var f).

    ``n`` counts the model's hidden units: a boosted model's are its stages' together (2 x the width
    after one boosting stage), so that methods are compared at equal numbers of units.
    """
    cols = ["method", "n", "stage", "rel_train_mse", "rel_test_mse", "below_published_floor"]
    if floor.empty:
        return pd.DataFrame(columns=cols)
    f = floor.assign(method=method_of(floor), stage=_stage(floor))
    f = f.assign(width=f["n"])  # hidden units of the model (a boosted model: the stages' units together)
    rows = []
    for _, r in f.sort_values(["method", "width", "stage"]).iterrows():
        rel_train = float(r["train_mse"]) / float(r["var_f"])
        rows.append(
            {
                "method": r["method"] + (f" + boosting, stage {r['stage']}" if r["stage"] > 1 else ""),
                "n": int(r["width"]),
                "stage": int(r["stage"]),
                "rel_train_mse": rel_train,
                "rel_test_mse": float(r["rel_mse"]),
                "below_published_floor": rel_train < floor_value,
            }
        )
    return pd.DataFrame(rows, columns=cols)


def checks(stages, floors, windows) -> list:
    """The reproduction checks (:class:`~nnapprox.report.verdicts.Check`, pass/fail, not verdicts)."""
    out = []
    pub = stages[stages["N"] == PUBLISHED_N]
    for (method, stage), g in pub.groupby(["method", "stage"], sort=True):
        if stage not in (1, 2):
            continue
        bound = windows["stage1_max" if stage == 1 else "stage2_max"]
        r = g.loc[g["test_rmse"].idxmin()]
        out.append(
            Check(
                name=f"stage {stage} test RMSE <= {bound:g} on the teacher-student problem at N = {PUBLISHED_N}",
                passed=bool(r["test_rmse"] <= bound),
                group=method,
                expected=f"<= {bound:g} (Michaud et al.: {PUBLISHED[stage][0]:.3g} after {PUBLISHED[stage][1]} "
                f"iterations)",
                measured=f"{r['test_rmse']:.3g} after {int(r['iterations'])} iterations, {r['seconds']:.0f} s "
                f"cumulative",
                detail="10 000 test points; a different draw of the teacher's distribution (numpy, not PyTorch)",
                kind="published_precision",
            )
        )
    oga = floors[floors["method"].str.startswith("oga")] if len(floors) else floors
    if len(oga):
        below = oga[oga["rel_train_mse"] < windows["floor"]]
        first = int(below["n"].min()) if len(below) else None
        out.append(
            Check(
                name=f"OGA on this target first gets below sharp_rates' floor {windows['floor']:g} at n = "
                f"{SHARP_RATES_FLOOR_N}, as sharp_rates reports",
                passed=first == SHARP_RATES_FLOOR_N,
                group="oga, ReLU², d = 1, gaussian, N = 16000",
                expected=f"n = {SHARP_RATES_FLOOR_N} (results/sharp_rates: 'precision floor at n = "
                f"{SHARP_RATES_FLOOR_N}')",
                measured="never" if first is None else f"n = {first}",
                detail="the same target, data size and trainer as sharp_rates' d = 1 ReLU² job (one replica)",
                kind="published_precision",
            )
        )
    return out


def _check_table(items) -> pd.DataFrame:
    return pd.DataFrame(
        [c.as_dict() for c in items], columns=["name", "passed", "group", "expected", "measured", "detail", "kind"]
    )


def _plot_teacher(stages):
    with rc_context(RC):
        fig = Figure(figsize=(7.5, 4.6), layout="constrained")
        ax = fig.subplots()
        labels = []
        for i, ((N, method), g) in enumerate(stages.groupby(["N", "method"], sort=False)):
            labels.append(f"{method.replace(' (', chr(10) + '(')}\nN = {N}")
            for _, r in g.iterrows():
                ax.scatter(
                    i + (r["stage"] - 1.5) * 0.25,
                    r["test_rmse"],
                    marker="o" if r["stage"] == 1 else "s",
                    color="tab:blue" if r["stage"] == 1 else "tab:orange",
                    zorder=3,
                )
        for stage, (v, _) in PUBLISHED.items():
            ax.axhline(
                v,
                color="tab:blue" if stage == 1 else "tab:orange",
                ls="--",
                lw=1,
                label=f"published stage {stage}: {v:.3g}",
            )
        ax.scatter([], [], marker="o", color="tab:blue", label="stage 1 (first network)")
        ax.scatter([], [], marker="s", color="tab:orange", label="stage 2 (boosted)")
        ax.set(
            yscale="log",
            ylabel="test RMSE",
            xticks=range(len(labels)),
            title="Teacher 1-3-3-1, student 1-20-20-1 (tanh, float64)",
        )
        ax.set_xticklabels(labels, fontsize=7.5)
        ax.grid(True, axis="y", which="major", alpha=0.3)
        handles, labels_ = ax.get_legend_handles_labels()
        fig.legend(handles, labels_, loc="outside lower center", ncols=2, fontsize=7.5, frameon=False)
    return fig


def _plot_floor(floors, floor_value):
    with rc_context(RC):
        fig = Figure(figsize=(6.0, 4.0), layout="constrained")
        ax = fig.subplots()
        for method, g in floors.groupby("method", sort=True):
            g = g.sort_values("n")
            ax.plot(g["n"], g["rel_train_mse"], marker="o", ms=3, label=method)
        ax.axhline(floor_value, color="k", ls=":", lw=1, label=f"sharp_rates floor {floor_value:g}")
        ax.set(
            xscale="log",
            yscale="log",
            xlabel="hidden width n",
            ylabel="training MSE / Var f",
            title="ReLU² units on the d = 1 Gaussian (cube, N = 16000)",
        )
        ax.grid(True, which="major", alpha=0.3)
        ax.legend(fontsize=7)
    return fig


def analyse(runs, ctx):
    """The stage and floor tables, the reproduction checks, and two figures."""
    w = ctx.windows(JUDGE)
    res = generic.base_result(
        runs,
        INTRO,
        [
            f"**Checks, not verdicts.** A reached precision against a published number is a reproduction check "
            f"(pass/fail): stage 1 test RMSE ≤ {w['stage1_max']:g} and stage 2 ≤ {w['stage2_max']:g} at N = "
            f"{PUBLISHED_N} (Michaud et al.: {PUBLISHED[1][0]:.3g} and {PUBLISHED[2][0]:.3g}); OGA's path on the "
            f"ReLU² target first below sharp_rates' floor {w['floor']:g} at n = {SHARP_RATES_FLOOR_N}, as sharp_rates "
            "reports. The floors the trained networks reach are measurements, not checks. No theorem is judged, so "
            "the study has no verdicts."
        ],
    )
    if runs.empty:
        return res
    ok = generic.usable(runs)
    teacher = ok[ok["target.name"] == "teacher"]
    floor = ok[ok["target.name"] != "teacher"]
    stages, floors = stage_table(teacher), floor_table(floor, w["floor"])
    res.checks += checks(stages, floors, w)
    res.tables.update({"stages": stages, "floors": floors, "checks": _check_table(res.checks)})
    if len(stages):
        res.figures["precision_teacher"] = _plot_teacher(stages)
        res.sections.append(
            Section(
                "Teacher and student: stage 1 and stage 2",
                "\n".join(
                    [
                        "![teacher](figures/precision_teacher.png)",
                        "",
                        "One row per job and stage (stage 1: the first network; stage 2: f_1 + c f_2 with c = mean|r|, "
                        "the "
                        "second network fitted to r / c). `iterations` are the stage's own (warm-up included), "
                        "`seconds` the "
                        "job's cumulative training time when the stage was done.",
                        "",
                        markdown_table(stages, formats={"N": lambda v: f"{int(v)}"}),
                    ]
                ),
            )
        )
    if len(floors):
        res.figures["precision_floor"] = _plot_floor(floors, w["floor"])
        best = floors.loc[
            floors.groupby("method")["rel_train_mse"].idxmin(), ["method", "n", "rel_train_mse", "rel_test_mse"]
        ]
        best = best.assign(over_floor=best["rel_train_mse"] / w["floor"])
        body = [
            "![floor](figures/precision_floor.png)",
            "",
            f"sharp_rates stops its d = 1 ReLU² rate where OGA's relative training MSE falls below {w['floor']:g} "
            f"(taken as its float64 Gram–Schmidt floor; n = {SHARP_RATES_FLOOR_N} there). The lowest relative "
            "MSE each method reaches here, and its ratio to that floor:",
            "",
            markdown_table(best),
            "",
        ]
        oga = floors[floors["method"].str.startswith("oga") & (floors["n"] >= 32)]
        if len(oga) >= 2:
            slope = float(np.polyfit(np.log(oga["n"]), np.log(oga["rel_train_mse"]), 1)[0])
            body += [
                f"OGA's path over n ∈ [{int(oga['n'].min())}, {int(oga['n'].max())}]: least-squares slope of "
                f"log(relative training MSE) on log n = {slope:.2f} (Siegel & Xu's rate for k = 2, d = 1: −6), "
                f"down to {oga['rel_train_mse'].min():.2g} at n = {int(oga['n'].max())}: one replica, a "
                "description, not a verdict.",
                "",
            ]
        body += ["All widths:", "", markdown_table(floors)]
        res.sections.append(Section("The precision floor on sharp_rates' ReLU² target (d = 1)", "\n".join(body)))
    return res
