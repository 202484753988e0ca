"""The sweep report: runs.csv, rates.csv, figures/*.png and REPORT.md from one sweep directory.

:func:`make_report` is what ``nnapprox-report DIR`` and the Hydra sweep callback call. Records are
split into studies by their ``experiment`` value (the sweep directory's name when there is none);
each study is analysed on its own: its swept variables, run statuses, one figure and one set of
rate fits per scaling axis, the Barron bound table and the verdicts with their rules.
"""
from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd

from ..io import write_text_atomic
from .collect import (STUDY_KEYS, column_kind, collect_records, format_value, iter_groups,
                      status_counts, swept_variables, varying_columns, write_runs_csv)
from .fit import (BOUND_RULE, FIT_COLUMNS, RATE_TOL, SAMPLE_AXES, SAMPLE_RULE, WIDTH_AXES,
                  bound_table, estimation_slope, fit_rates, fmt_slope, point_summary,
                  usable_mask, verdict_bound, verdict_sample_rate, verdict_width_rate,
                  width_rule)
from .plots import label_of, plot_axis_report

#: Columns of rates.csv.
RATES_COLUMNS = ("study",) + FIT_COLUMNS + ("theory_slope", "verdict")
BADGE = {"pass": "**PASS**", "fail": "**FAIL**", "na": "n/a"}
MAX_VALUES_SHOWN = 12


def _slug(text):
    return "".join(c if c.isalnum() or c in "._-" else "_" for c in str(text)) or "_"


def _num(v, digits=3):
    """Table cell for a number: ``-`` for missing, ``inf``, integers plainly, else 3 digits."""
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "-"
    if isinstance(v, (int, np.integer)):
        return str(int(v))
    v = float(v)
    if math.isinf(v):
        return "inf" if v > 0 else "-inf"
    if v == int(v) and abs(v) < 1e6:
        return str(int(v))
    return f"{v:.{digits}g}"


def md_table(rows, headers):
    """A Markdown table from a list of row lists (cells are converted with ``str``).

    Parameters
    ----------
    rows : list of list
    headers : list of str

    Returns
    -------
    str
    """
    def cell(c):
        return str(c).replace("|", "\\|").replace("\n", " ")

    lines = ["| " + " | ".join(cell(h) for h in headers) + " |",
             "|" + "|".join("---" for _ in headers) + "|"]
    lines += ["| " + " | ".join(cell(c) for c in r) + " |" for r in rows]
    return "\n".join(lines)


def split_studies(df, default):
    """Split records into studies by ``study`` (else ``experiment``; else ``default``).

    Parameters
    ----------
    df : pandas.DataFrame
    default : str
        Name for records that carry no study name.

    Returns
    -------
    list of (str, pandas.DataFrame)
        Sorted by study name; each frame has a fresh index.
    """
    if df.empty:
        return []
    names = pd.Series(default, index=df.index, dtype=object)
    for key in reversed(STUDY_KEYS):  # the preferred key is applied last and wins
        if key in df.columns:
            vals = df[key].astype(object)
            names = names.where(vals.isna(), vals.astype(str))
    return [(s, df[names == s].reset_index(drop=True)) for s in sorted(set(names))]


def _finite_cf(rows):
    if "c_f" not in rows.columns or rows.empty:
        return False
    v = pd.to_numeric(rows["c_f"], errors="coerce").to_numpy(dtype=float)
    return bool(np.isfinite(v).all())


def _judge(fits, df, axis, hue, tol):
    """Add theory slope and verdict to the fits of one axis; return the verdicts too."""
    verdicts = []
    theory, status = [], []
    mask = usable_mask(df, axis, "test_mse")
    for (_, fit), (_, _, g) in zip(fits.iterrows(), iter_groups(df, hue)):
        if axis in WIDTH_AXES:
            finite = _finite_cf(g)
            rel = g["rel_mse"].to_numpy(dtype=float) if "rel_mse" in g else np.array([])
            rel = rel[np.isfinite(rel)]
            v = verdict_width_rate(fit, finite, tol, max_rel_mse=rel.max() if rel.size else None)
            theory.append(-1.0 if finite else math.nan)
        elif axis in SAMPLE_AXES:
            xs = g[axis].to_numpy(dtype=float)[mask[g.index.to_numpy()]]
            lo, hi = fit["x_min"], fit["x_max"]
            xs = xs[(xs >= lo) & (xs <= hi) & (xs > 1)] if np.isfinite(lo) else xs[:0]
            ts = estimation_slope(xs) if xs.size else math.nan
            v = verdict_sample_rate(fit, ts)
            theory.append(ts)
        else:
            v = None
            theory.append(math.nan)
        status.append(v.status if v else "na")
        if v is not None:
            verdicts.append((fit["group"], v))
    fits = fits.assign(theory_slope=theory, verdict=status)
    return fits, verdicts


def _design_section(df, swept):
    lines = []
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
    if rows:
        lines += [md_table(rows, ["variable", "role", "values"]), ""]
    else:
        lines += ["Nothing varies in this study apart from seeds.", ""]
    varying = set(varying_columns(df))
    fixed = []
    for col in df.columns:
        if column_kind(col) != "config" or col in varying or col in ("seed", "replica",
                                                                     "seed_effective"):
            continue
        vals = {format_value(v) for v in df[col].astype(object)}
        vals.discard("-")
        if vals:
            fixed.append(f"`{col}={sorted(vals)[0]}`")
    seeds = sorted({format_value(v) for v in df["seed"].astype(object)}) if "seed" in df else []
    if seeds:
        lines += [f"Seeds: {len(seeds)} ({', '.join(seeds[:MAX_VALUES_SHOWN])}"
                  f"{', ...' if len(seeds) > MAX_VALUES_SHOWN else ''})."
                  + (f" Replicas per job: up to {int(df['replica'].max()) + 1}."
                     if "replica" in df and df["replica"].max() > 0 else ""), ""]
    if fixed:
        lines += ["<details><summary>Fixed settings</summary>", "", ", ".join(fixed), "",
                  "</details>", ""]
    return lines


def _status_section(df, by):
    tab = status_counts(df, by)
    rows = [[r.group, r.total, r.ok, r.diverged, r.failed, r.other, r.missing_metric]
            for r in tab.itertuples(index=False)]
    excluded = int(tab["total"].iloc[-1] - tab["ok"].iloc[-1]) if len(tab) else 0
    return [md_table(rows, ["group", "total", "ok", "diverged", "failed", "other status",
                            "ok but no test MSE"]), "",
            f"{excluded} run(s) excluded from fits and plots (not ok or without a test MSE).", ""]


def _rates_rows(fits):
    rows = []
    for f in fits.itertuples(index=False):
        rng = f"[{_num(f.x_min)}, {_num(f.x_max)}]" if np.isfinite(f.x_min) else "-"
        rows.append([f.group, fmt_slope(f.slope, f.ci_low, f.ci_high), f.ci_method, rng,
                     f.n_points, f.n_seeds, _num(f.theory_slope, 2), BADGE[f.verdict]])
    return rows


def _means_section(df, by):
    rows = []
    mask = usable_mask(df, "test_mse", "test_mse") if "test_mse" in df else None
    for label, _, g in iter_groups(df, by):
        if mask is None:
            break
        v = g["test_mse"].to_numpy(dtype=float)[mask[g.index.to_numpy()]]
        if v.size == 0:
            rows.append([label, 0, "-", "-"])
            continue
        p = point_summary(np.zeros_like(v), v).iloc[0]
        ci = f" [{_num(p.ci_low)}, {_num(p.ci_high)}]" if np.isfinite(p.ci_low) else ""
        rel = "-"
        if "rel_mse" in g:
            r = g["rel_mse"].to_numpy(dtype=float)[mask[g.index.to_numpy()]]
            r = r[np.isfinite(r)]
            rel = _num(r.mean()) if r.size else "-"
        rows.append([label, v.size, _num(p["mean"]) + ci, rel])
    if not rows:
        return []
    return ["### Test MSE by group", "",
            md_table(rows, ["group", "ok runs", "mean test MSE [95% CI]", "mean MSE / Var f"]),
            ""]


def _bound_section(df, by):
    tab = bound_table(df, by)
    if tab.empty or not np.isfinite(tab["c_f"]).any():
        return []
    rows = [[r.group, _num(r.c_f), _num(r.radius), _num(r.var_f), _num(r.n_0),
             _num(r.first_n_above_n_0), r.runs, _num(r.holds_pct), r.runs_above_n_0,
             _num(r.holds_above_n_0_pct), _num(r.median_ratio), _num(r.max_ratio)]
            for r in tab.itertuples(index=False)]
    return ["### Barron bound", "",
            "n_0 = (2 r C_f)² / Var f is the width where the bound drops below Var f; below it the "
            "bound says nothing a constant predictor cannot. Ratios are test MSE / bound.", "",
            md_table(rows, ["group", "C_f", "r", "Var f", "n_0", "first swept n ≥ n_0",
                            "runs", "holds %", "runs n ≥ n_0", "holds % (n ≥ n_0)",
                            "median ratio", "max ratio"]), ""]


def analyse_study(df, name, out_dir, *, fit_range=None, n_boot=2000, seed=0, svg=False,
                  tol=RATE_TOL):
    """Fits, figures and Markdown section of one study.

    Parameters
    ----------
    df : pandas.DataFrame
        Records of the study.
    name : str
        Study name (used in headings and figure names).
    out_dir : Path
        Report directory; figures go to ``out_dir / "figures"``.
    fit_range : dict, optional
        Axis column -> ``(x_min, x_max)`` (either may be None).
    n_boot, seed : int
        Bootstrap settings.
    svg : bool
        Also write SVG figures.
    tol : float
        Slack of the 1/n rate rule.

    Returns
    -------
    dict
        ``lines`` (Markdown), ``rates`` (DataFrame, :data:`RATES_COLUMNS`), ``verdicts`` (list of
        ``(what, group, Verdict)``) and ``figures`` (list of Path).
    """
    fit_range = fit_range or {}
    swept = swept_variables(df)
    by = swept.groups()
    lines = [f"## Study `{name}`", "", f"{len(df)} records.", "", "### Design", ""]
    lines += _design_section(df, swept)
    lines += ["### Runs", ""] + _status_section(df, by)
    verdicts, rates, figures, axis_lines = [], [], [], []
    has_mse = "test_mse" in df.columns
    for axis in swept.axes if has_mse else []:
        hue = swept.hue_for(axis)
        lo, hi = fit_range.get(axis, (None, None))
        fits = fit_rates(df, axis, "test_mse", hue, x_min=lo, x_max=hi, n_boot=n_boot, seed=seed)
        fits, vs = _judge(fits, df, axis, hue, tol)
        what = ("width rate" if axis in WIDTH_AXES else "sample-size rate"
                if axis in SAMPLE_AXES else f"rate in {axis}")
        verdicts += [(what, g, v) for g, v in vs]
        rates.append(fits.assign(study=name))
        stem = f"{_slug(name)}__{_slug(axis)}"
        targets = [out_dir / "figures" / f"{stem}.png"]
        if svg:
            targets.append(out_dir / "figures" / f"{stem}.svg")
        title = f"{name}: test error vs {label_of(axis).split(' (')[0]}"
        plot_axis_report(df, axis, hue, x_min=lo, x_max=hi, title=title, n_boot=n_boot,
                         seed=seed, save_to=targets)  # same bootstrap as the table
        figures += targets
        lines_axis = [f"### Test MSE vs `{axis}`", "",
                      f"![{name}: test MSE vs {axis}](figures/{stem}.png)", "",
                      (f"One line per value of {', '.join(f'`{h}`' for h in hue)}"
                       if hue else "One line (width and depth enter through the parameter "
                       "count; markers not joined)" if axis == "n_params"
                       else "One line (no other variable varies)")
                      + "; points are means over seeds/replicas with 95% bootstrap CIs.", "",
                      md_table(_rates_rows(fits), ["group", "slope [95% CI]", "CI method",
                                                   "fit range", "points", "seeds (min)",
                                                   "theory slope", "verdict"]), ""]
        axis_lines += lines_axis
    bound = verdict_bound(df) if has_mse else None
    if bound is not None and bound.status != "na":
        verdicts.insert(0, ("Barron bound", "all", bound))
    lines += ["### Verdicts", ""]
    if verdicts:
        lines += [f"- {BADGE[v.status]} {what} ({g}): {v.sentence}" for what, g, v in verdicts]
    else:
        lines += ["- n/a: no theory applies to this study's axes (no finite C_f, no width or "
                  "sample-size sweep)."]
    lines += [""] + axis_lines
    if not swept.axes:
        lines += _means_section(df, [c for c in swept.values])
    lines += _bound_section(df, by)
    rates = pd.concat(rates, ignore_index=True) if rates else pd.DataFrame(
        columns=list(RATES_COLUMNS))
    return {"lines": lines, "rates": rates[list(RATES_COLUMNS)], "verdicts": verdicts,
            "figures": figures}


def _rules_section(tol):
    return ["## How to read this report", "",
            "- **Exclusions.** Runs whose `status` is not `ok` (diverged, failed) and runs without "
            "a finite test MSE are counted in the Runs tables and left out of every plot and fit.",
            "- **Points.** Mean over seeds/replicas at each x; error bars are 95% percentile "
            "bootstrap intervals of that mean (none with a single replicate).",
            "- **Rates.** Least squares of log(mean test MSE) on log(x) per group, so that "
            "MSE ≈ exp(intercept) x^slope. 95% CI: percentile bootstrap resampling the replicates "
            "within each x (`bootstrap-replicates`), widened by sqrt(k/(k-1)) for k replicates "
            "per point; with one replicate per point the residuals are resampled "
            "(`bootstrap-residuals`). The generator is seeded: reruns give the same "
            "numbers. All fits are in `rates.csv`.",
            f"- **Barron bound.** {BOUND_RULE}",
            f"- **Width rate.** {width_rule(tol)}",
            f"- **Sample-size rate.** {SAMPLE_RULE}",
            "- **Other axes** (depth, parameter count, ...) get fitted slopes but no verdict: the "
            "theory tested here predicts no rate for them.", ""]


def _provenance_section(df):
    lines = []
    if "git_commit" in df.columns:
        commits = sorted({str(v) for v in df["git_commit"].dropna()})
        if commits:
            lines.append(f"- git commit(s): {', '.join(f'`{c}`' for c in commits[:5])}"
                         f"{' ...' if len(commits) > 5 else ''}")
    for col in [c for c in df.columns if c.startswith("versions.")]:
        vals = sorted({str(v) for v in df[col].dropna()})
        if vals:
            lines.append(f"- {col[len('versions.'):]}: {', '.join(vals)}")
    return (["## Provenance", ""] + lines + [""]) if lines else []


def make_report(sweep_dir, out_dir=None, title=None, *, study=None, fit_range=None, n_boot=2000,
                seed=0, svg=False, tol=RATE_TOL):
    """Collect a sweep and write ``runs.csv``, ``rates.csv``, ``figures/`` and ``REPORT.md``.

    Parameters
    ----------
    sweep_dir : str or Path
        Directory with job directories (``record.json``) at any depth.
    out_dir : str or Path, optional
        Where to write; defaults to ``sweep_dir``.
    title : str, optional
        Report title; defaults to "Sweep report: <dir name>".
    study : str, optional
        Report only the records of this study (``study`` or ``experiment`` value).
    fit_range : dict, optional
        Axis column -> ``(x_min, x_max)`` fit range (either may be None).
    n_boot : int
        Bootstrap resamples for the slope CIs.
    seed : int
        Seed of every bootstrap generator.
    svg : bool
        Also write SVG figures.
    tol : float
        Slack of the width-rate rule (see :func:`nnapprox.report.fit.width_rule`).

    Returns
    -------
    Path
        The written ``REPORT.md``.

    Raises
    ------
    ValueError
        If ``sweep_dir`` does not exist, ``study`` is not among the studies found, or
        ``fit_range`` is malformed.
    """
    sweep_dir = Path(sweep_dir)
    if not sweep_dir.is_dir():
        raise ValueError(f"sweep_dir={str(sweep_dir)!r} is not an existing directory")
    fit_range = dict(fit_range or {})
    for axis, rng in fit_range.items():
        if not (isinstance(rng, (tuple, list)) and len(rng) == 2):
            raise ValueError(f"fit_range[{axis!r}]={rng!r} must be a pair (x_min, x_max)")
    out = Path(out_dir) if out_dir is not None else sweep_dir
    (out / "figures").mkdir(parents=True, exist_ok=True)
    df = collect_records(sweep_dir)
    skipped, n_files = df.attrs.get("skipped_files", []), df.attrs.get("n_files", 0)
    default = sweep_dir.resolve().name or "sweep"
    studies = split_studies(df, default)
    if study is not None:
        names = [s for s, _ in studies]
        if study not in names:
            raise ValueError(f"study={study!r} is not in {str(sweep_dir)!r}; studies: {names}")
        studies = [(s, d) for s, d in studies if s == study]
        df = studies[0][1]
    write_runs_csv(df, out / "runs.csv")
    title = title or f"Sweep report: {default}"
    lines = [f"# {title}", "",
             f"Sweep directory `{sweep_dir}`: {len(df)} records from {n_files} record files, "
             f"{len(studies)} stud{'y' if len(studies) == 1 else 'ies'}. "
             f"Data: [runs.csv](runs.csv) (one row per record), [rates.csv](rates.csv) (every "
             f"fitted slope), figures in `figures/`.", ""]
    if skipped:
        lines += [f"{len(skipped)} unreadable record file(s) skipped:", ""]
        lines += [f"- `{p}`" for p in skipped] + [""]
    sections, all_rates, summary = [], [], []
    for name, sdf in studies:
        res = analyse_study(sdf, name, out, fit_range=fit_range, n_boot=n_boot, seed=seed,
                            svg=svg, tol=tol)
        sections += res["lines"]
        all_rates.append(res["rates"])
        counts = {k: sum(v.status == k for _, _, v in res["verdicts"]) for k in BADGE}
        ok = int((sdf["status"].astype(str) == "ok").sum()) if "status" in sdf else len(sdf)
        summary.append([f"`{name}`", len(sdf), ok, counts["pass"], counts["fail"], counts["na"]])
    if not studies:
        lines += ["No records found: nothing to report.", ""]
    else:
        lines += ["## Summary", "",
                  md_table(summary, ["study", "records", "ok", "pass", "fail", "n/a"]), "",
                  "Each verdict is stated with its rule below; `n/a` means the theory makes no "
                  "prediction there or the data cannot decide.", ""]
    lines += sections
    if studies:
        lines += _rules_section(tol) + _provenance_section(df)
    rates = pd.concat(all_rates, ignore_index=True) if all_rates else pd.DataFrame(
        columns=list(RATES_COLUMNS))
    write_runs_csv(rates, out / "rates.csv")
    return write_text_atomic(out / "REPORT.md", "\n".join(lines).rstrip() + "\n")
