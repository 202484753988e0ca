"""Tests of nnapprox.report on fabricated sweeps (fast, no display needed)."""

import json
import math

import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure

from nnapprox.cli.report import main
from nnapprox.report import (
    RATES_COLUMNS,
    bound_table,
    collect_records,
    fit_power_law,
    fit_rates,
    plot_scaling,
    status_counts,
    swept_variables,
    write_runs_csv,
)
from nnapprox.report.fit import point_summary
from nnapprox.report.judge import judge_bound
from nnapprox.runner.report import run_report as make_report
from nnapprox.theory.bounds import estimation_slope, informative_width

WIDTHS = (4, 8, 16, 32, 64, 128, 256, 512)
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def power_law_records(rng, *, prefactor=3.0, slope=-1.3, sigma=0.2, seeds=5, widths=WIDTHS, extra=None):
    """Records of y = prefactor * n**slope * lognormal noise, one per (width, seed)."""
    recs = []
    for n in widths:
        for seed in range(seeds):
            mse = prefactor * n**slope * math.exp(sigma * rng.normal())
            recs.append(
                {
                    "model.width": n,
                    "seed": seed,
                    "replica": 0,
                    "n": n,
                    "n_params": 4 * n + 1,
                    "test_mse": mse,
                    "var_f": 0.5,
                    "rel_mse": mse / 0.5,
                    "status": "ok",
                    **(extra or {}),
                }
            )
    return recs


def write_sweep(root, records, study="toy"):
    """One job directory (nested two levels deep) per record, like a Hydra multirun."""
    for i, rec in enumerate(records):
        job = root / study / f"group{i % 3}" / f"job{i:04d}"
        job.mkdir(parents=True)
        (job / "record.json").write_text(json.dumps([rec]))
    return root


@pytest.fixture
def rng():
    return np.random.default_rng(12345)


@pytest.fixture
def two_category_records(rng):
    """activation x target.name x n; the relu_abs target has an infinite Barron constant."""
    recs = []
    slopes = {("relu", "gaussian"): -1.2, ("relu", "abs"): -0.5, ("tanh", "gaussian"): -1.1, ("tanh", "abs"): -0.6}
    for (act, target), s in slopes.items():
        c_f = 1.0 if target == "gaussian" else math.inf
        for rec in power_law_records(rng, prefactor=0.1, slope=s, seeds=3, widths=WIDTHS[:6]):
            bound = (2 * c_f) ** 2 / rec["n"] if math.isfinite(c_f) else None
            rec.update(
                {
                    "activation.name": act,
                    "target.name": target,
                    "target.d": 2,
                    "trainer.name": "oga",
                    "train_mse": rec["test_mse"],
                    "c_f": c_f,
                    "radius": 1.0,
                    "bound": bound,
                    "bound_ratio": rec["test_mse"] / bound if bound else None,
                    "study": "width_study",
                    "git_commit": "deadbeef",
                    "versions.numpy": np.__version__,
                    "wall_time": 0.1,
                }
            )
            recs.append(rec)
    return recs


# --------------------------------------------------------------------------- fits


def test_power_law_exponent_recovered_inside_ci(rng):
    recs = power_law_records(rng)
    df = pd.DataFrame(recs)
    fit = fit_power_law(df["n"], df["test_mse"])
    assert fit.ci_low <= -1.3 <= fit.ci_high
    assert abs(fit.slope + 1.3) < 0.1
    assert fit.ci_method == "bootstrap-replicates"
    assert (fit.n_points, fit.n_seeds, fit.n_runs) == (len(WIDTHS), 5, 5 * len(WIDTHS))
    assert abs(math.exp(fit.intercept) - 3.0 * math.exp(0.02)) < 1.0
    assert fit_power_law(df["n"], df["test_mse"]) == fit  # seeded: deterministic


def test_bootstrap_ci_coverage_is_near_nominal():
    rng = np.random.default_rng(7)
    x = np.repeat(np.asarray(WIDTHS, float), 4)
    hits = 0
    for t in range(120):
        y = 2.0 * x**-1.0 * np.exp(0.3 * rng.normal(size=x.size))
        fit = fit_power_law(x, y, n_boot=400, seed=t)
        hits += fit.ci_low <= -1.0 <= fit.ci_high
    assert hits / 120 >= 0.85


def test_single_seed_uses_residual_bootstrap(rng):
    df = pd.DataFrame(power_law_records(rng, seeds=1, sigma=0.05))
    fit = fit_power_law(df["n"], df["test_mse"])
    assert fit.ci_method == "bootstrap-residuals"
    assert fit.ci_low <= -1.3 <= fit.ci_high


def test_fit_range_and_too_few_points(rng):
    df = pd.DataFrame(power_law_records(rng))
    fit = fit_power_law(df["n"], df["test_mse"], x_min=16, x_max=128)
    assert (fit.x_min, fit.x_max, fit.n_points) == (16, 128, 4)
    few = fit_power_law(df["n"], df["test_mse"], x_max=8)
    assert math.isnan(few.slope) and few.ci_method == "too-few-points"


def test_point_summary_means_and_intervals():
    pts = point_summary([1, 1, 1, 2], [1.0, 2.0, 3.0, 5.0])
    assert list(pts["mean"]) == [2.0, 5.0]
    assert 1.0 <= pts["ci_low"][0] < 2.0 < pts["ci_high"][0] <= 3.0
    assert math.isnan(pts["ci_low"][1]) and list(pts["count"]) == [3, 1]


def test_estimation_slope_and_informative_width():
    s = estimation_slope([1e3, 1e4, 1e5])
    assert -1 < s < -0.8
    assert informative_width(1.0, 0.5, 1.0) == pytest.approx(8.0)  # (2 r C_f)^2 / Var f sigmoidal units
    assert informative_width(1.0, 0.5, 1.0, "relu") == pytest.approx(16.0)  # two ReLU units per ramp
    assert informative_width(math.inf, 0.5, 1.0) == math.inf
    assert math.isnan(informative_width(float("nan"), 0.5, 1.0))


# --------------------------------------------------------------------------- collect


def test_collect_orders_columns_and_rows(tmp_path, rng):
    recs = power_law_records(rng, seeds=2, widths=(64, 4, 16), extra={"git_commit": "abc", "activation.name": "relu"})
    for r in recs:
        r["versions.numpy"] = "2"
    write_sweep(tmp_path, recs[::-1])
    df = collect_records(tmp_path)
    cols = list(df.columns)
    assert (
        cols.index("model.width")
        < cols.index("seed")
        < cols.index("status")
        < cols.index("test_mse")
        < cols.index("git_commit")
        < cols.index("versions.numpy")
    )
    assert cols[:2] == ["activation.name", "model.width"]
    assert list(df["n"]) == [4, 4, 16, 16, 64, 64] and list(df["seed"]) == [0, 1] * 3
    assert df["run_dir"].str.startswith("toy/").all()
    out = write_runs_csv(df, tmp_path / "out" / "runs.csv")
    back = pd.read_csv(out)
    assert list(back.columns) == cols and len(back) == 6


def test_collect_skips_unreadable_files(tmp_path, rng):
    write_sweep(tmp_path, power_law_records(rng, seeds=1, widths=(4, 8, 16)))
    bad = tmp_path / "broken"
    bad.mkdir()
    (bad / "record.json").write_text("{not json")
    with pytest.warns(UserWarning, match="skipping"):
        df = collect_records(tmp_path)
    assert len(df) == 3 and df.attrs["skipped_files"] == [str(bad / "record.json")]


def test_collect_rejects_missing_dir(tmp_path):
    with pytest.raises(ValueError, match="sweep_dir"):
        collect_records(tmp_path / "nope")


def test_swept_variables_folds_aliases(two_category_records):
    df = pd.DataFrame(two_category_records)
    sv = swept_variables(df)
    assert sv.axes == ["n"]
    assert set(sv.aliases["n"]) == {"model.width", "n_params"}
    assert sv.categorical == ["activation.name", "target.name"]
    assert sv.hue_for("n") == ["activation.name", "target.name"]
    with pytest.raises(ValueError, match="axis"):
        sv.hue_for("data.N")


def test_swept_variables_depth_and_width_both_axes(rng):
    recs = []
    for depth in (1, 2, 3):
        for rec in power_law_records(rng, seeds=2, widths=(8, 16, 32)):
            rec.update({"model.depth": depth, "n_params": rec["n"] * rec["n"] * depth})
            recs.append(rec)
    sv = swept_variables(pd.DataFrame(recs))
    assert sv.axes == ["n", "model.depth", "n_params"]
    assert sv.hue_for("n") == ["model.depth"]
    assert sv.hue_for("model.depth") == ["n"]
    assert sv.hue_for("n_params") == ["model.depth"]  # one line per depth, never one slope over depths


# --------------------------------------------------------------------------- failures


def failing_records(rng):
    recs = power_law_records(rng, seeds=4, widths=(4, 8, 16, 32), extra={"activation.name": "relu"})
    recs += power_law_records(rng, seeds=4, widths=(4, 8, 16, 32), extra={"activation.name": "tanh"})
    recs[0].update(status="failed", test_mse=None, rel_mse=None, error="boom")
    recs[1].update(status="diverged", test_mse=float("nan"), error="non-finite loss")
    recs[5].update(status="diverged", test_mse=1e30)
    recs[20]["test_mse"] = None  # ok but metric missing
    del recs[21]["status"]  # missing status counts as ok
    return recs


def test_failed_and_diverged_are_counted_and_excluded(tmp_path, rng):
    write_sweep(tmp_path, failing_records(rng))
    df = collect_records(tmp_path)
    counts = status_counts(df, ["activation.name"]).set_index("group")
    assert counts.loc["activation=relu", ["total", "ok", "diverged", "failed"]].tolist() == [16, 13, 2, 1]
    assert counts.loc["activation=tanh", ["ok", "missing_metric"]].tolist() == [15, 1]
    assert counts.loc["total", "total"] == 32
    fits = fit_rates(df, "n", "test_mse", ["activation.name"]).set_index("group")
    # whole paths: a seed missing a width is left out, a width most seeds lack too (relu: n = 4 failed for 2 of
    # 4 seeds, n = 8 for one more; tanh: one seed lacks n = 8)
    assert fits.loc["activation=relu", "n_runs"] == 9 and fits.loc["activation=relu", "n_seeds"] == 3
    assert fits.loc["activation=tanh", "n_runs"] == 12 and fits.loc["activation=tanh", "ci_method"] == "t-paths"
    assert (fits["ci_low"] <= -1.3).all() and (fits["ci_high"] >= -1.3).all()
    report = make_report(tmp_path, tmp_path / "report")
    text = report.read_text()
    assert "| activation=relu | 16 | 13 | 2 | 1 | 0 | 0 |" in text
    assert "| activation=tanh | 16 | 15 | 0 | 0 | 0 | 1 |" in text
    assert "4 run(s) excluded" in text


def test_all_runs_failed_does_not_crash(tmp_path, rng):
    recs = power_law_records(rng, seeds=2, widths=(4, 8, 16))
    for r in recs:
        r.update(status="failed", test_mse=None, rel_mse=None)
    write_sweep(tmp_path, recs)
    text = make_report(tmp_path, tmp_path / "out").read_text()
    assert "| all | 6 | 0 | 0 | 6 |" in text
    assert pd.read_csv(tmp_path / "out" / "rates.csv")["slope"].isna().all()


def test_empty_sweep_is_an_error(tmp_path, capsys):
    (tmp_path / "empty").mkdir()
    with pytest.raises(ValueError, match="no records"):
        make_report(tmp_path / "empty")
    assert main([str(tmp_path / "empty")]) == 2 and "no records" in capsys.readouterr().err


# --------------------------------------------------------------------------- report


def test_two_categories_one_axis_report(tmp_path, two_category_records):
    write_sweep(tmp_path, two_category_records, study="width_study")
    out = tmp_path / "report"
    path = make_report(tmp_path, out, title="Toy report", n_boot=500)
    rates = pd.read_csv(out / "rates.csv")
    assert tuple(rates.columns) == RATES_COLUMNS
    groups = [
        "activation=relu, target=abs",
        "activation=relu, target=gaussian",
        "activation=tanh, target=abs",
        "activation=tanh, target=gaussian",
    ]
    assert rates["group"].tolist() == groups
    assert set(rates["x"]) == {"n"} and set(rates["study"]) == {"width_study"}
    verdict = dict(zip(rates["group"], rates["outcome"], strict=True))
    assert verdict["activation=relu, target=gaussian"] == "consistent"
    assert verdict["activation=relu, target=abs"] == "not tested"  # infinite C_f: no prediction
    for g, s in zip(rates["group"], rates["slope"], strict=True):
        expected = {
            "relu, target=gaussian": -1.2,
            "relu, target=abs": -0.5,
            "tanh, target=gaussian": -1.1,
            "tanh, target=abs": -0.6,
        }[g[11:]]
        assert abs(s - expected) < 0.15
    png = out / "figures" / "width_study__n.png"
    assert png.read_bytes()[:8] == PNG_MAGIC and png.stat().st_size > 10_000
    text = path.read_text()
    assert text.startswith("# Toy report")
    for g in groups:
        assert g in text
    assert "figures/width_study__n.png" in text
    verdicts = json.loads((out / "verdicts.json").read_text())
    bound = [v for v in verdicts["verdicts"] if v["kind"] == "barron_bound" and "gaussian" in v["group"]]
    assert {v["outcome"] for v in bound} == {"consistent"} and all("n ≥ n_0" in v["regime"] for v in bound)
    assert "n_0" in text and "## How to read this report" in text
    runs = pd.read_csv(out / "runs.csv")
    assert len(runs) == len(two_category_records)


def test_cli_writes_all_outputs(tmp_path, rng, capsys):
    recs = []
    for N in (250, 500, 1000, 2000, 4000):
        for seed in range(3):
            mse = 5.0 * math.log(N) / N * math.exp(0.1 * rng.normal())
            recs.append(
                {
                    "data.N": N,
                    "model.width": 32,
                    "target.name": "gaussian",
                    "seed": seed,
                    "n": 32,
                    "test_mse": mse,
                    "var_f": 0.3,
                    "rel_mse": mse / 0.3,
                    "c_f": 1.0,
                    "radius": 1.0,
                    "bound": 4 / 32,
                    "bound_ratio": mse / (4 / 32),
                    "status": "ok",
                    "study": "samples",
                }
            )
    write_sweep(tmp_path / "sweep", recs, study="samples")
    out = tmp_path / "out"
    assert main([str(tmp_path / "sweep"), "--out", str(out), "--title", "CLI", "--svg", "--n-boot", "300"]) == 0
    assert capsys.readouterr().out.strip().endswith("REPORT.md")
    for name in ("runs.csv", "rates.csv", "REPORT.md"):
        assert (out / name).stat().st_size > 0
    pngs = sorted((out / "figures").glob("*.png"))
    assert [p.name for p in pngs] == ["samples__data.N.png"]
    assert all(p.read_bytes()[:8] == PNG_MAGIC for p in pngs)
    assert (out / "figures" / "samples__data.N.svg").stat().st_size > 0
    rates = pd.read_csv(out / "rates.csv")
    assert tuple(rates.columns) == RATES_COLUMNS
    assert rates["outcome"].isna().all()  # a slope in N is a description: no verdict is drawn from it
    assert json.loads((out / "verdicts.json").read_text())["verdicts"] == []
    text = (out / "REPORT.md").read_text()
    assert "No falsifiable claim" in text and "Study `samples`" in text


def test_cli_study_filter_and_errors(tmp_path, rng, capsys):
    write_sweep(tmp_path, power_law_records(rng, seeds=2, extra={"study": "a"}), study="a")
    write_sweep(tmp_path, power_law_records(rng, seeds=2, extra={"study": "b"}), study="b")
    assert (
        main([str(tmp_path), "--study", "b", "--out", str(tmp_path / "r"), "--fit-range", "n=8:256", "--n-boot", "200"])
        == 0
    )
    rates = pd.read_csv(tmp_path / "r" / "rates.csv")
    assert rates["study"].tolist() == ["b"] and rates.loc[0, "x_min"] == 8
    assert main([str(tmp_path), "--study", "zzz"]) == 2
    assert "study='zzz'" in capsys.readouterr().err
    assert main([str(tmp_path / "missing")]) == 2
    with pytest.raises(SystemExit):
        main([str(tmp_path), "--fit-range", "bad"])


# --------------------------------------------------------------------------- plots


def test_plot_scaling_returns_log_log_figure(tmp_path, two_category_records):
    df = pd.DataFrame(two_category_records)
    fig = plot_scaling(
        df,
        "n",
        "test_mse",
        hue=["activation.name", "target.name"],
        overlay="barron",
        save_to=tmp_path / "f" / "mse.png",
        n_boot=200,
    )
    assert isinstance(fig, Figure)
    ax = fig.axes[0]
    assert ax.get_xscale() == "log" and ax.get_yscale() == "log"
    labels = ax.get_legend().get_texts()
    assert any("slope" in t.get_text() for t in labels)
    assert any("Barron's bound" in t.get_text() for t in labels)
    assert (tmp_path / "f" / "mse.png").stat().st_size > 0
    lin = plot_scaling(df, "n", hue="activation.name", logx=False, logy=False, n_boot=200)
    assert lin.axes[0].get_xscale() == "linear"


def test_plot_scaling_rejects_bad_columns(two_category_records):
    df = pd.DataFrame(two_category_records)
    with pytest.raises(ValueError, match="x='width'"):
        plot_scaling(df, "width")
    with pytest.raises(ValueError, match="hue"):
        plot_scaling(df, "n", hue=["nope"])
    with pytest.raises(ValueError, match="overlay"):
        plot_scaling(df, "n", overlay="magic")


def test_study_key_and_infinite_cf_flag_as_written_by_jobs(tmp_path, rng):
    """Jobs write ``study`` (not ``experiment``) and an infinite C_f as null + ``c_f_infinite``."""
    recs = []
    for study, c_f in (("barron", 1.0), ("rough", None)):
        for rec in power_law_records(rng, seeds=2, widths=(4, 8, 16, 32)):
            bound = (2 * c_f) ** 2 / rec["n"] if c_f else None
            rec.update(
                study=study,
                c_f=c_f,
                c_f_infinite=c_f is None,
                radius=1.0,
                bound=bound,
                train_mse=rec["test_mse"],
                **{"trainer.name": "oga"},
                bound_ratio=rec["test_mse"] / bound if bound else None,
                traceback=None,
                resume=True,
                out_root="results/runs",
            )
            recs.append(rec)
    write_sweep(tmp_path, recs)
    df = collect_records(tmp_path)
    assert df["study"].tolist()[:1] == ["barron"] and df["study"].tolist()[-1] == "rough"
    assert list(df.columns).index("study") > list(df.columns).index("status")  # provenance
    text = make_report(tmp_path, tmp_path / "out", n_boot=300).read_text()
    assert "## Study `barron`" in text and "## Study `rough`" in text
    rates = pd.concat([pd.read_csv(tmp_path / "out" / f"{s}__rates.csv") for s in ("barron", "rough")]).set_index(
        "study"
    )
    assert rates.loc["barron", "outcome"] == "consistent" and rates.loc["rough", "outcome"] == "not tested"
    rough = df[df["study"] == "rough"]
    assert bound_table(rough).loc[0, "c_f"] == math.inf
    assert judge_bound(rough).outcome == "not tested" and "infinite" in judge_bound(rough).reason


def test_lockstep_categories_and_trainer_extras_are_folded(two_category_records):
    recs = []
    for rec in two_category_records:
        # a preset sets trainer.name and record_widths together; extra.* are trainer measurements
        widths = "[1, 2]" if rec["activation.name"] == "relu" else "[4, 8]"
        recs.append({**rec, "trainer.record_widths": widths, "extra.gram_condition": rec["test_mse"] * 7})
    sv = swept_variables(pd.DataFrame(recs))
    assert sv.categorical == ["activation.name", "target.name"]
    assert "trainer.record_widths" in sv.aliases["activation.name"]
    assert not any(c.startswith("extra.") for c in sv.categorical + sv.axes)


def test_bound_notes_never_overlap_and_one_curve_per_function():
    """Five Barron bounds 0.1 decade apart end at the same width: their C_f notes must be
    stacked at least NOTE_GAP_PT apart; two groups of one target (different width ranges)
    share one dashed curve spanning the whole axis."""
    from nnapprox.report import plots

    rows = []
    for k, c_f in enumerate([1.0, 1.12, 1.26, 1.41, 1.58]):
        for trainer, widths in (("oga", [1, 4, 16, 64, 256]), ("lbfgs", [2, 8, 32])):
            for n in widths:
                rows.append(
                    {
                        "g": k,
                        "trainer": trainer,
                        "n": n,
                        "test_mse": 0.01 / n,
                        "c_f": c_f,
                        "radius": 1.0,
                        "var_f": 1.0,
                        "seed": 0,
                    }
                )
    df = pd.DataFrame(rows)
    fig = plot_scaling(df, "n", "test_mse", hue=["g", "trainer"], overlay="barron", n_boot=20)
    ax = fig.axes[0]
    dashed = [ln for ln in ax.get_lines() if ln.get_linestyle() == "--" and len(ln.get_xdata()) > 2]
    assert len(dashed) == 5
    assert all(np.isclose(ln.get_xdata()[0], 1) and np.isclose(ln.get_xdata()[-1], 256) for ln in dashed)
    notes = [t for t in ax.texts if t.get_text().startswith("C_f=")]
    assert sorted(t.get_text() for t in notes) == sorted(f"C_f={c:.3g} (m=n)" for c in [1.0, 1.12, 1.26, 1.41, 1.58])
    pt_per_px = 72.0 / fig.dpi
    ys = sorted(ax.transData.transform(t.xy)[1] * pt_per_px + t.xyann[1] for t in notes)
    assert np.min(np.diff(ys)) >= plots.NOTE_GAP_PT - 1e-9


def test_a_rerun_report_removes_only_its_own_stale_outputs(tmp_path):
    from nnapprox.runner.report import OUTPUTS_FILE, _forget_stale_outputs

    (tmp_path / "figures").mkdir()
    for rel in ("a.csv", "old.csv", "figures/x.png", "mine.txt"):
        (tmp_path / rel).write_text("x")
    _forget_stale_outputs(tmp_path, ["a.csv", "old.csv", "figures/x.png"])
    _forget_stale_outputs(tmp_path, ["a.csv"])  # the next report no longer writes old.csv and x.png
    assert (tmp_path / "a.csv").exists() and (tmp_path / "mine.txt").exists()  # never the user's own files
    assert not (tmp_path / "old.csv").exists() and not (tmp_path / "figures" / "x.png").exists()
    assert json.loads((tmp_path / OUTPUTS_FILE).read_text()) == ["a.csv"]


# --------------------------------------------------------------------------- windows, checks, sensitivity, index


def test_windows_come_from_the_manifest_and_their_shifts_are_reported(tmp_path, rng):
    """A sweep's declared windows reach the plug-in; each shifted one step re-judges every verdict."""
    import types

    from nnapprox.experiment.records import write_manifest
    from nnapprox.report.study import Window
    from nnapprox.report.verdicts import Check, Rule, Verdict
    from nnapprox.runner.report import sensitivity

    rule = Rule(
        kind="toy_threshold",
        claim="the smallest test MSE is below the threshold",
        theorem="t",
        null="min test MSE < threshold",
        alternative="min test MSE ≥ threshold",
        windows=("threshold",),
    )

    def judge(runs, ctx):
        best = float(runs["test_mse"].min())
        ok = best < ctx.windows(plugin.JUDGE)["threshold"]
        return [
            Verdict(
                claim=rule.claim,
                theorem="t",
                kind=rule.kind,
                outcome="consistent" if ok else "contradicts",
                explanation="" if ok else "above",
                measured=f"{best:.3g}",
            )
        ]

    def analyse(runs, ctx):
        from nnapprox.report.study import StudyResult

        return StudyResult(verdicts=judge(runs, ctx), checks=[Check(name="runs exist", passed=len(runs) > 0)])

    plugin = types.SimpleNamespace(
        JUDGE={"threshold": Window(0.05, "the threshold", 2.0)}, judge=judge, analyse=analyse
    )
    recs = power_law_records(rng, seeds=2, widths=(4, 8, 16, 32), prefactor=3.0, sigma=0.0)
    write_sweep(tmp_path, recs, study="toy")
    df = collect_records(tmp_path)
    from nnapprox.report.study import StudyContext

    assert df["test_mse"].min() == pytest.approx(3.0 * 32**-1.3)  # 0.033: below 0.05, above 0.025
    rows = sensitivity(plugin, df, StudyContext(name="toy", sweep_dir=tmp_path, judge={"threshold": 0.05}))
    assert [(r["direction"], r["shifted"], r["changed"]) for r in rows] == [("down", 0.025, 1), ("up", 0.1, 0)]
    assert rows[0]["changes"] == "toy_threshold (all): consistent → contradicts"
    # a column step moves to the neighbouring swept value
    col = types.SimpleNamespace(JUDGE={"threshold": Window(8, "a width", "n")}, judge=judge, analyse=analyse)
    rows = sensitivity(col, df, StudyContext(name="toy", sweep_dir=tmp_path, judge={"threshold": 8}))
    assert [(r["direction"], r["shifted"]) for r in rows] == [("down", 4), ("up", 16)]
    # the manifest keeps what the sweep declared
    write_manifest(tmp_path / "toy", [], {"threshold": 2.5})
    from nnapprox.experiment.records import read_manifest_judge

    assert read_manifest_judge(tmp_path / "toy") == {"threshold": 2.5}


def test_verdicts_json_holds_checks_windows_and_sensitivity_and_the_index_counts_them_apart(tmp_path, rng):
    from nnapprox.report.index import write_index
    from nnapprox.report.verdicts import Check, Verdict, load_json, to_json
    from nnapprox.studies.sharp_rates import RULE

    v = Verdict(
        claim=RULE.claim, theorem="t", kind=RULE.kind, outcome="consistent", measured="slope -2.6", windows={"tol": 0.1}
    )
    text = to_json(
        [v],
        "sharp_rates",
        [Check(name="exact", passed=True), Check(name="pieces", passed=False)],
        {"tol": 0.1},
        [{"window": "tol", "changed": 0}],
    )
    data = load_json(text)
    assert data["judge"] == {"tol": 0.1} and len(data["checks"]) == 2 and data["verdicts"][0].windows == {"tol": 0.1}
    (tmp_path / "sharp_rates").mkdir()
    (tmp_path / "sharp_rates" / "verdicts.json").write_text(text)
    out = write_index(tmp_path, ["sharp_rates", "missing"]).read_text()
    assert out.index("## The two questions") < out.index("## Studies")
    assert "OGA at least as fast as Siegel & Xu" in out and "1 consistent, 0 contradict, 0 not tested" in out
    assert "| `sharp_rates` |" in out and "| 1 | 0 | 0 | 1 / 1 |" in out and "failed pieces" in out
