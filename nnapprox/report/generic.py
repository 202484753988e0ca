"""The generic analysis of a sweep, as pieces study plug-ins call (and the default plug-in).

:func:`analyse` reads the design back from the records (:func:`~nnapprox.report.collect.swept_variables`),
counts run statuses, fits one rate per group on every scaling axis (descriptions, with CIs that
resample whole paths), draws one figure per axis, tabulates Barron's bound per target, units and
trainer, and judges the bound where a trainer meets it constructively (:mod:`nnapprox.report.judge`).
Each piece is also a function of its own (:func:`design_section`, :func:`status_section`,
:func:`axis_analysis`, :func:`bound_section`) so a plug-in can use it on a subset of its runs.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from nnapprox.report import judge
from nnapprox.report.collect import (  # noqa: F401
    column_kind,
    format_value,
    iter_groups,
    status_counts,
    swept_variables,
    varying_columns,
)
from nnapprox.report.fit import FIT_COLUMNS, fit_rates, fmt_slope, point_summary, usable_mask, width_column
from nnapprox.report.plots import facet_column, label_of, plot_axis_report, plot_faceted_report
from nnapprox.report.study import Section, StudyResult
from nnapprox.report.tables import fmt_num, md_table

__all__ = [
    "analyse",
    "design_section",
    "status_section",
    "axis_analysis",
    "bound_section",
    "means_section",
    "RATES_COLUMNS",
    "FIT_RULES",
    "usable",
    "slug",
]

#: Columns of a study's ``rates`` table.
RATES_COLUMNS = ("study",) + FIT_COLUMNS + ("outcome",)
MAX_VALUES_SHOWN = 12

FIT_RULES = [
    "**Exclusions.** Runs whose `status` is not `ok` (diverged, failed) and runs without a finite test MSE "
    "are counted in the Runs tables and left out of every plot and fit.",
    "**Points.** Mean over seeds/replicas at each x; error bars are 95% percentile bootstrap intervals of "
    "that mean (none with a single replicate).",
    "**Rates (descriptions).** Least squares of log(test MSE) on log(x), so that MSE ≈ exp(intercept) x^slope. "
    "Runs that share a seed and replica share their data (a path trainer gives every width in one run), so "
    "each replica is one draw: the slope is fitted per replica over the x values every replica has, and the "
    "95% CI is the t-interval of the mean of those slopes (`t-paths`); with a single replica the residuals are "
    "resampled (`bootstrap-residuals`). A slope describes a curve; an upper bound predicts no slope, so no "
    "verdict is drawn from these.",
]


def slug(text) -> str:
    """A file-name-safe version of ``text``."""
    return "".join(c if c.isalnum() or c in "._-" else "_" for c in str(text)) or "_"


def usable(df, y="test_mse"):
    """The ok rows with a finite, positive ``y``."""
    if df.empty or y not in df.columns:
        return df.iloc[:0]
    return df[usable_mask(df, y, y)]


def design_section(df, swept=None) -> Section:
    """What varied (axes, categories, their values), the fixed settings and the seeds."""
    swept = swept or swept_variables(df)
    rows = []
    for col, vals in swept.values.items():
        if col in swept.axes:
            role = "scaling axis (fits, log-log)"
            if swept.aliases.get(col):
                role += "; moves with " + ", ".join(f"`{a}`" for a in swept.aliases[col])
        elif any(col in al for al in swept.aliases.values()):
            continue
        else:
            role = "category (one line per value)"
        shown = ", ".join(format_value(v) for v in vals[:MAX_VALUES_SHOWN])
        if len(vals) > MAX_VALUES_SHOWN:
            shown += f", ... ({len(vals)} values)"
        rows.append([f"`{col}`", role, shown])
    lines = [md_table(rows, ["variable", "role", "values"]) if rows else "Nothing varies apart from seeds.", ""]
    varying = set(varying_columns(df))
    fixed = []
    for col in df.columns:
        if column_kind(col) != "config" or col in varying or col in ("seed", "replica"):
            continue
        vals = {format_value(v) for v in df[col].astype(object)}
        vals.discard("-")
        if vals:
            fixed.append(f"`{col}={sorted(vals)[0]}`")
    if "seed" in df:
        seeds = sorted({format_value(v) for v in df["seed"].astype(object)} - {"-"})
        reps = int(df["replica"].max()) + 1 if "replica" in df and df["replica"].notna().any() else 1
        lines += [f"Seeds: {len(seeds)} ({', '.join(seeds[:MAX_VALUES_SHOWN])}); replicas per job: up to {reps}.", ""]
    lines += _c_f_lines(df)
    if fixed:
        lines += ["<details><summary>Fixed settings</summary>", "", ", ".join(fixed), "", "</details>", ""]
    return Section("Design", "\n".join(lines))


def _c_f_lines(df) -> list:
    """Where each target's Barron constant comes from, when it is not a closed form."""
    if "c_f_method" not in df.columns or "target.name" not in df.columns:
        return []
    out = []
    for (name, method), g in df.groupby(["target.name", "c_f_method"], dropna=True, sort=True):
        if method == "closed form":
            continue
        c = pd.to_numeric(g.get("c_f"), errors="coerce")
        value = f"C_f = {fmt_num(float(c.dropna().iloc[0]))}: " if c is not None and c.notna().any() else ""
        out.append(f"- target `{name}`: {value}{method}")
    return (["Barron constants not in closed form:", "", *out, ""]) if out else []


def status_section(df, by=()) -> Section:
    """Run statuses per group (ok, diverged, failed, ok without a test MSE)."""
    tab = status_counts(df, list(by))
    rows = [
        [r.group, r.total, r.ok, r.diverged, r.failed, r.other, r.missing_metric] for r in tab.itertuples(index=False)
    ]
    excluded = int(tab["total"].iloc[-1] - tab["ok"].iloc[-1]) if len(tab) else 0
    body = "\n".join(
        [
            md_table(rows, ["group", "total", "ok", "diverged", "failed", "other status", "ok but no test MSE"]),
            "",
            f"{excluded} run(s) excluded from fits and plots (not ok or without a test MSE).",
        ]
    )
    return Section("Runs", body)


def axis_analysis(df, axis, hue, ctx, *, name=None, judge_axis=True, fig_name=None, title=None):
    """Rate fits (descriptions), one figure and Barron's bound verdicts for one scaling axis.

    Returns
    -------
    StudyResult
        One section (the figure and the fits table), the figure, a ``rates`` table (columns
        :data:`RATES_COLUMNS`; ``outcome`` is the group's bound verdict where one is drawn) and, on a
        width axis, the :func:`~nnapprox.report.judge.judge_bound` verdicts of the constructive trainers.
    """
    name = name or ctx.name
    lo, hi = ctx.fit_range.get(axis, (None, None))
    fits = fit_rates(df, axis, "test_mse", hue, x_min=lo, x_max=hi, n_boot=ctx.n_boot, seed=ctx.seed)
    verdicts, outcomes = [], []
    mask = usable_mask(df, axis, "test_mse")
    for (_, _fit), (label, _, g) in zip(fits.iterrows(), iter_groups(df, hue), strict=True):
        rows = g[mask[df.index.get_indexer(g.index)]]
        outcome = ""
        if judge_axis and not rows.empty and axis == width_column(df):  # the recorded width, not a path's n_max
            vb = judge.judge_bound(rows, label, axis)
            if vb is not None:
                verdicts.append(vb)
                outcome = vb.outcome
        outcomes.append(outcome)
    fits = fits.assign(study=name, outcome=outcomes)[list(RATES_COLUMNS)]
    fig_name = fig_name or f"{slug(name)}__{slug(axis)}"
    title = title or f"{name}: test error vs {label_of(axis).split(' (')[0]}"
    facet = facet_column(df, list(hue))
    if facet:
        fig = plot_faceted_report(
            df, axis, list(hue), facet, x_min=lo, x_max=hi, n_boot=ctx.n_boot, seed=ctx.seed, title=title
        )
    else:
        fig = plot_axis_report(df, axis, hue, x_min=lo, x_max=hi, n_boot=ctx.n_boot, seed=ctx.seed, title=title)
    rows = []
    for f in fits.itertuples(index=False):
        rng = f"[{fmt_num(f.x_min)}, {fmt_num(f.x_max)}]" if np.isfinite(f.x_min) else "-"
        rows.append([f.group, fmt_slope(f.slope, f.ci_low, f.ci_high), f.ci_method, rng, f.n_points, f.n_seeds])
    where = (
        f"One line per value of {', '.join(f'`{h}`' for h in hue)}"
        if hue
        else "One line (width and depth enter through the parameter count; markers not joined)"
        if axis == "n_params"
        else "One line (no other variable varies)"
    )
    picture = (
        f"![{name}: test MSE vs {axis}](figures/{fig_name}.png)"
        if fig is not None
        else f"No figure: no value of `{facet}` has usable runs at two or more values of `{axis}`."
    )
    body = "\n".join(
        [
            picture,
            "",
            where + "; points are means over seeds/replicas with 95% bootstrap CIs. The fitted slopes "
            "describe the curves over the whole swept range (an upper bound predicts no slope); the bound "
            "verdicts test Barron's bound only where it speaks (n ≥ n_0) and only for trainers that meet "
            "it constructively.",
            "",
            md_table(rows, ["group", "slope [95% CI]", "CI method", "fit range", "points", "seeds (min)"]),
        ]
    )
    return StudyResult(
        sections=[Section(f"Test MSE vs `{axis}`", body)],
        figures={fig_name: fig} if fig is not None else {},
        tables={"rates": fits},
        verdicts=verdicts,
    )


def bound_section(df, by=None) -> Section | None:
    """Barron's bound per target, units and trainer: C_f, r, Var f, n_0 and K over the widths n ≥ n_0."""
    tab = judge.bound_table(df, by)
    if tab.empty or not np.isfinite(tab["c_f"]).any():
        return None
    rows = [
        [
            r.group,
            r.c_f,
            r.radius,
            r.var_f,
            r.n_0,
            r.widths_above_n_0,
            r.replicas,
            r.K_train,
            r.K_test,
            r.n_at_K,
            r.judged,
        ]
        for r in tab.itertuples(index=False)
    ]
    body = "\n".join(
        [
            "One row per target (every column that changes C_f, Var f or r), units and trainer. n_0 = (2 r C_f)²/Var f "
            "sigmoidal units (twice that for ReLU networks) is the width where the bound drops below Var f; below it a "
            "constant predictor meets the bound. K = max over n ≥ n_0 of m(n)·MSE/(2 r C_f)² (largest over replicas; "
            "m = n, or ⌊n/2⌋ ReLU pairs): the bound holds where K ≤ 1. K_train of relaxed greedy and OGA is a verdict "
            "(they construct the bound's network on the training sample); every other K is a description.",
            "",
            md_table(
                rows,
                [
                    "group",
                    "C_f",
                    "r",
                    "Var f",
                    "n_0",
                    "widths ≥ n_0",
                    "replicas",
                    "K_train",
                    "K_test",
                    "n at K_train",
                    "K_train is",
                ],
            ),
        ]
    )
    return Section("Barron bound", body)


def means_section(df, by) -> Section | None:
    """Mean test MSE per group with a bootstrap CI (studies without a scaling axis)."""
    rows = []
    ok = usable(df)
    for label, _, g in iter_groups(ok, list(by)):
        v = g["test_mse"].to_numpy(dtype=float)
        if v.size == 0:
            continue
        p = point_summary(np.zeros_like(v), v).iloc[0]
        ci = f" [{fmt_num(p.ci_low)}, {fmt_num(p.ci_high)}]" if np.isfinite(p.ci_low) else ""
        rel = g["rel_mse"].to_numpy(dtype=float) if "rel_mse" in g else np.array([])
        rel = rel[np.isfinite(rel)]
        rows.append([label, v.size, fmt_num(p["mean"]) + ci, fmt_num(rel.mean()) if rel.size else "-"])
    if not rows:
        return None
    return Section(
        "Test MSE by group", md_table(rows, ["group", "ok runs", "mean test MSE [95% CI]", "mean MSE / Var f"])
    )


def base_result(runs, intro: str = "", rules=()) -> StudyResult:
    """A result with only the design and status sections of ``runs`` (no per-axis fits or verdicts).

    For plug-ins whose own analysis replaces the per-axis one: the exclusions and points rules come
    first, then ``rules``.
    """
    res = StudyResult(intro=intro, rules=list(FIT_RULES[:2]) + list(rules))
    if len(runs):
        swept = swept_variables(runs)
        res.sections += [design_section(runs, swept), status_section(runs, swept.groups())]
    return res


def analyse(runs, ctx, *, judge_axes=True) -> StudyResult:
    """The generic plug-in: design, statuses, one analysis per scaling axis, Barron's bound.

    Parameters
    ----------
    runs : pandas.DataFrame
        The study's records (:func:`~nnapprox.report.collect.collect_records`).
    ctx : StudyContext
    judge_axes : bool
        Judge Barron's bound on width axes.

    Returns
    -------
    StudyResult
    """
    res = StudyResult(rules=list(FIT_RULES) + [judge.bound_rule()])
    if runs.empty:
        return res
    swept = swept_variables(runs)
    by = swept.groups()
    res.sections += [design_section(runs, swept), status_section(runs, by)]
    rates = []
    if "test_mse" in runs.columns:
        for axis in swept.axes:
            part = axis_analysis(runs, axis, swept.hue_for(axis), ctx, judge_axis=judge_axes)
            rates.append(part.tables.pop("rates"))
            res.add(part)
        if not swept.axes:
            sec = means_section(runs, list(swept.values))
            if sec:
                res.sections.append(sec)
    sec = bound_section(runs)
    if sec:
        res.sections.append(sec)
    res.tables["rates"] = pd.concat(rates, ignore_index=True) if rates else pd.DataFrame(columns=list(RATES_COLUMNS))
    return res


def nan_to_none(x):
    """A float or None (for tables)."""
    return None if x is None or (isinstance(x, float) and math.isnan(x)) else x
