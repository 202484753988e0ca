"""The one report runner: records -> study plug-in -> REPORT.md, CSV tables, figures, verdicts.json.

A sweep's end (the Hydra callback), ``nnapprox-report DIR`` and ``make report`` all call
:func:`run_report`. It collects the records below a sweep folder, splits them by study, hands
each study's runs to its plug-in (:func:`nnapprox.studies.get_plugin`: ``nnapprox/studies/<study>.py``,
or the generic analysis) and writes what the plug-in returns:

``runs.csv``        every record, one row each
``<table>.csv``     each named table of the study (``rates.csv``, ...)
``figures/*.png``   each named figure (and ``.svg`` on request)
``verdicts.json``   the verdicts and checks as data, with the judgement windows and their sensitivity
``REPORT.md``       the verdicts table, the checks, the plug-in's sections, the failed and missing
                    jobs, the rules behind the verdicts, how the verdicts move when a window shifts,
                    and the provenance

Judgement windows
-----------------
A plug-in declares its windows (fit ranges, regime cut-offs, tolerances) in ``JUDGE`` (name ->
:class:`~nnapprox.report.study.Window`); the study's YAML fixes their values in a ``judge:`` block
before the sweep, and the sweep's manifest keeps them, so a report redrawn later uses the same
values. A plug-in that also defines ``judge(runs, ctx) -> list of Verdict`` gets a sensitivity
table: each window moved one step either way, and every verdict whose outcome then changes.
"""

from __future__ import annotations

import json
import traceback
from dataclasses import replace
from pathlib import Path

import pandas as pd

from nnapprox.base.io import write_text_atomic
from nnapprox.experiment.records import MANIFEST_FILE, read_manifest, read_manifest_judge
from nnapprox.report.collect import STUDY_KEYS, collect_records, write_runs_csv
from nnapprox.report.plots import save_figure
from nnapprox.report.study import StudyContext, resolve_windows, shift_window
from nnapprox.report.tables import md_table
from nnapprox.report.verdicts import (
    CONTRADICTS,
    check_counts,
    check_rows,
    collapse,
    counts,
    rule_of,
    to_json,
    verdict_rows,
)

__all__ = ["run_report", "split_studies", "render", "check_judge", "sensitivity", "windows_of"]


def windows_of(plugin) -> dict:
    """The judgement windows a plug-in declares (``JUDGE``; empty when it declares none)."""
    return dict(getattr(plugin, "JUDGE", {}) or {})


def check_judge(study: str, plugin_name, judge) -> dict:
    """Resolve a sweep's ``judge:`` block against the plug-in of its study (before any job runs).

    Raises
    ------
    ValueError
        One line naming an unknown window or a non-numeric value.
    """
    from nnapprox.studies import get_plugin

    return resolve_windows(windows_of(get_plugin(study, plugin_name)), judge, study)


def sensitivity(plugin, runs, ctx) -> list[dict]:
    """How the verdicts move when each judgement window shifts one step either way.

    Returns
    -------
    list of dict
        One row per (window, direction) with ``window``, ``value``, ``shifted`` (None: no step that
        way), ``changed`` (how many verdicts changed outcome) and ``changes`` (text, one per verdict:
        ``group: old -> new``).
    """
    judge_fn = getattr(plugin, "judge", None)
    declared = windows_of(plugin)
    if judge_fn is None or not declared:
        return []
    base = {(v.kind, v.claim, v.group): v.outcome for v in judge_fn(runs, ctx)}
    rows = []
    for name, window in declared.items():
        for direction in (-1, +1):
            new = shift_window(window, ctx.judge[name], runs, direction)
            row = {
                "window": name,
                "value": ctx.judge[name],
                "direction": "down" if direction < 0 else "up",
                "shifted": new,
                "changed": 0,
                "changes": "",
            }
            if new is not None:
                moved = judge_fn(runs, replace(ctx, judge={**ctx.judge, name: new}))
                diffs = [
                    f"{v.kind} ({v.group}): {base[(v.kind, v.claim, v.group)]} → {v.outcome}"
                    for v in moved
                    if (v.kind, v.claim, v.group) in base and base[(v.kind, v.claim, v.group)] != v.outcome
                ]
                row.update(changed=len(diffs), changes="; ".join(diffs))
            rows.append(row)
    return rows


def split_studies(df, default):
    """Split records into studies by their ``study`` value (``default`` where there is none).

    Returns
    -------
    list of (str, pandas.DataFrame)
        Sorted by study name; each frame has a fresh index.
    """
    if df.empty:
        return []
    names = pd.Series(default, index=df.index, dtype=object)
    for key in STUDY_KEYS:
        if key in df.columns:
            vals = df[key].astype(object)
            names = names.where(vals.isna(), vals.astype(str))
    return [(s, df[names == s].reset_index(drop=True)) for s in sorted(set(names))]


def _recorded_plugin(sdf):
    if "plugin" not in sdf.columns:
        return None
    vals = sdf["plugin"].dropna().unique()
    return str(vals[0]) if len(vals) == 1 else None


def _problems(df, missing) -> list[str]:
    """Lines listing failed and diverged runs (with their messages) and job folders without a record."""
    lines = []
    if "status" in df.columns:
        bad = df[df["status"].astype(str) != "ok"]
        if len(bad):
            lines += [f"{len(bad)} record(s) are not ok (left out of every fit and figure):", ""]
            seen = set()
            for r in bad.itertuples(index=False):
                d = r._asdict()
                err = str(d.get("error") or "").splitlines()[0] if d.get("error") else "(no message)"
                key = (d.get("run_dir"), d.get("status"), err)
                if key in seen:
                    continue
                seen.add(key)
                lines.append(f"- `{d.get('run_dir')}`: **{d.get('status')}**: {err}")
            lines.append("")
    if missing:
        lines += [
            f"{len(missing)} job folder(s) hold no record (killed or still running; rerun the sweep to finish them):",
            "",
        ]
        lines += (
            [f"- `{m}`" for m in missing[:50]]
            + ([f"- ... ({len(missing) - 50} more)"] if len(missing) > 50 else [])
            + [""]
        )
    return lines


def _provenance(df) -> list[str]:
    lines = []
    if "git_commit" in df.columns:
        commits = sorted({str(v) for v in df["git_commit"].dropna()})
        if commits:
            lines.append(
                f"- git commit(s): {', '.join(f'`{c}`' for c in commits[:5])}{' ...' if len(commits) > 5 else ''}"
            )
    for col in [c for c in df.columns if c.startswith("versions.")]:
        vals = sorted({str(v) for v in df[col].dropna()})
        if vals:
            lines.append(f"- {col[len('versions.') :]}: {', '.join(vals)}")
    return (["## Provenance", ""] + lines + [""]) if lines else []


def _verdict_lines(verdicts) -> list[str]:
    if not verdicts:
        return ["No falsifiable claim of a theorem is tested by these runs (checks, if any, are listed below).", ""]
    c = counts(verdicts)
    lines = [
        f"{c['consistent']} consistent, {c['contradicts']} contradicted, {c['not tested']} not tested. "
        "Each verdict is a test that could have failed: its rule states the null and the alternative (below, "
        '"How to read this report"), and it is judged only inside the regime where its theorem says '
        "something; outside it the verdict is *not tested*, with the reason.",
        "",
        md_table(verdict_rows(verdicts), ["outcome", "claim", "group", "predicted", "measured", "regime / reason"]),
        "",
    ]
    contra = [v for v in verdicts if v.outcome == CONTRADICTS]
    if contra:
        lines += ["Contradictions, explained:", ""]
        lines += [f"- {v.claim} ({v.group}): {v.explanation}" for v in contra] + [""]
    return lines


def _check_lines(checks) -> list[str]:
    c = check_counts(checks)
    return [
        f"{c['passed']} passed, {c['failed']} failed. Checks are deterministic identities (a construction is "
        "exact, a count, a closed form, gradients against finite differences, a published number reproduced): "
        "they find bugs and are not evidence for a theorem, so they are not counted among the verdicts.",
        "",
        md_table(check_rows(checks), ["result", "check", "group", "expected", "measured"]),
        "",
    ]


def _rule_lines(verdicts) -> list[str]:
    """The null and alternative of every rule the verdicts use."""
    lines = []
    for kind in dict.fromkeys(v.kind for v in verdicts):
        r = rule_of(kind)
        lines.append(
            f"- `{kind}`: {r.claim}. Null (consistent): {r.null}. Alternative (contradicts): "
            f"{r.alternative}." + (f" Windows: {', '.join(f'`{w}`' for w in r.windows)}." if r.windows else "")
        )
    return (["## Rules: what each verdict tests and how it can fail", ""] + lines + [""]) if lines else []


def _window_lines(judge, declared, sens) -> list[str]:
    if not declared:
        return []
    rows = [[f"`{k}`", judge[k], declared[k].doc] for k in declared]
    lines = [
        "## Judgement windows and their sensitivity",
        "",
        "Declared in the study's YAML (`judge:`) before the sweep; the verdicts used these values:",
        "",
        md_table(rows, ["window", "value", "what it decides"]),
        "",
    ]
    if sens:
        srows = [
            [
                f"`{r['window']}`",
                r["direction"],
                r["value"],
                "-" if r["shifted"] is None else r["shifted"],
                r["changed"],
                r["changes"] or "-",
            ]
            for r in sens
        ]
        lines += [
            "Each window moved one step (the neighbouring swept value, or a factor) either way, every verdict "
            "judged again:",
            "",
            md_table(srows, ["window", "shift", "value", "shifted to", "verdicts changed", "which"]),
            "",
        ]
    return lines


def render(title, blocks, df, *, intro_files, missing) -> str:
    """REPORT.md text. ``blocks``: list of (study name, StudyResult, nested: bool)."""
    lines = [f"# {title}", ""]
    for _name, res, nested in blocks:
        if res.intro and not nested:
            lines += [res.intro, ""]
    lines += [intro_files, ""]
    problems = _problems(df, missing)
    if problems:
        lines += ["## Failed and missing jobs", ""] + problems
    rules = []
    for name, res, nested in blocks:
        h = "###" if nested else "##"
        if nested:
            lines += [f"## Study `{name}`", ""] + ([res.intro, ""] if res.intro else [])
        lines += [f"{h} Verdicts", ""] + _verdict_lines(res.verdicts)
        if res.checks:
            lines += [f"{h} Checks", ""] + _check_lines(res.checks)
        for sec in res.sections:
            lines += [f"{h} {sec.heading}", "", sec.body.rstrip(), ""]
        rules += [r for r in res.rules if r not in rules]
    if rules:
        lines += ["## How to read this report", ""] + [f"- {r}" for r in rules] + [""]
    for _name, res, _nested in blocks:
        lines += _rule_lines(res.verdicts)
        lines += _window_lines(getattr(res, "judge", {}), getattr(res, "declared", {}), getattr(res, "sensitivity", []))
    lines += _provenance(df)
    return "\n".join(lines).rstrip() + "\n"


#: The files the last report wrote into its folder (so that a rerun removes the ones it no longer writes).
OUTPUTS_FILE = ".report_outputs.json"


def _forget_stale_outputs(out: Path, written: list) -> None:
    """Remove the files an earlier report wrote here and this one did not (a table or figure since renamed
    or dropped), then record this report's files. Files the runner never wrote are left alone."""
    listing = out / OUTPUTS_FILE
    try:
        before = set(json.loads(listing.read_text())) if listing.exists() else set()
    except (OSError, ValueError):
        before = set()
    for rel in sorted(before - set(written)):
        path = out / rel
        if path.is_file() and out.resolve() in path.resolve().parents:
            path.unlink()
    write_text_atomic(listing, json.dumps(sorted(set(written)), indent=0) + "\n")


def _out_folder(source: Path, out_dir) -> Path:
    """Where a report of ``source`` goes: ``out_dir``, else a sweep folder's own folder, else (one job: its
    folder or its ``record.json``) the job's folder, never the sweep's around it. A folder that holds another
    sweep's manifest is refused: its report would be replaced by one of other records.

    Raises
    ------
    ValueError
        One line naming the folder.
    """
    from nnapprox.experiment.records import RECORD_FILE
    from nnapprox.runner.folders import check_writable

    job = source.parent if source.is_file() else source if (source / RECORD_FILE).exists() else None
    out = Path(out_dir) if out_dir is not None else (job if job is not None else source)
    if (out / MANIFEST_FILE).exists() and out.resolve() != source.resolve():
        raise ValueError(
            f"out_dir={str(out)!r} is the folder of another sweep ({MANIFEST_FILE}); its report would be "
            f"replaced by a report of {str(source)!r}; choose another output folder"
        )
    problem = check_writable(out, "out_dir")
    if problem:
        raise ValueError(problem)
    return out


def _analyse(name, sdf, chosen, judge, context):
    """One study's :class:`StudyResult`, by the plug-in ``chosen`` (by the records or the caller), else the one
    named like the study, else the generic analysis.

    A plug-in found by the study's name only, which cannot read these records (it raises), gives way to the
    generic analysis, with a warning in the log and in the report. A plug-in the records or the caller chose
    that raises is an error.

    Raises
    ------
    ValueError
        One line naming the study, the plug-in and its error.
    """
    import logging

    from nnapprox.studies import GenericPlugin, get_plugin

    module = get_plugin(name, chosen)
    windows = resolve_windows(windows_of(module), judge, name)  # an unknown window: the caller's error
    try:
        return _analyse_with(module, sdf, windows, context)
    except Exception as e:  # noqa: BLE001 - a plug-in's error, whatever it is, becomes one line
        error = e
    label = getattr(module, "__name__", str(module))
    where = traceback.extract_tb(error.__traceback__)[-1] if error.__traceback__ else None
    at = f" (at {Path(where.filename).name}:{where.lineno})" if where else ""
    first = f"{type(error).__name__}: {str(error).splitlines()[0] if str(error) else ''}{at}"
    if chosen or module is GenericPlugin:
        raise ValueError(f"study {name!r}: plug-in {label} failed on its records: {first}") from None
    warning = (
        f"study {name!r}: these records are not those the plug-in {label} (chosen by the study's name) "
        f"reads ({first}); reported with the generic analysis"
    )
    logging.getLogger("nnapprox.report").warning(warning)
    try:
        res = _analyse_with(GenericPlugin, sdf, {}, context)
    except Exception as e:  # noqa: BLE001
        raise ValueError(
            f"study {name!r}: the generic analysis failed on its records: {type(e).__name__}: "
            f"{str(e).splitlines()[0] if str(e) else ''}"
        ) from None
    res.intro = f"**Warning:** {warning}.\n\n" + (res.intro or "")
    return res


def _analyse_with(module, sdf, windows, context):
    """``module.analyse`` of one study's records, its verdicts checked and collapsed, its windows' sensitivity."""
    ctx = StudyContext(judge=windows, **context)
    res = module.analyse(sdf, ctx)
    for v in res.verdicts:
        rule_of(v.kind)  # every verdict names a registered rule (its null and alternative)
    res.verdicts = collapse(res.verdicts)
    res.judge, res.declared, res.sensitivity = windows, windows_of(module), sensitivity(module, sdf, ctx)
    return res


def run_report(
    sweep_dir,
    out_dir=None,
    *,
    study=None,
    plugin=None,
    title=None,
    n_boot=2000,
    seed=0,
    fit_range=None,
    judge=None,
    svg=False,
    all_jobs=False,
) -> Path:
    """Collect a sweep, analyse each study with its plug-in and write the report files.

    Parameters
    ----------
    sweep_dir : str or Path
        A sweep folder (job folders at any depth), a job folder, or a ``record.json``.
    out_dir : str or Path, optional
        Where to write (default: the sweep folder).
    study : str, optional
        Report only this study.
    plugin : str, optional
        The plug-in to use (default: the one the records name, else ``nnapprox.studies.<study>``,
        else the generic analysis).
    title : str, optional
    n_boot, seed : int
        Bootstrap settings of every CI.
    fit_range : dict, optional
        Axis -> ``(x_min, x_max)`` of the rate fits.
    judge : dict, optional
        Judgement windows that replace the sweep's declared ones (name -> value; checked against the
        plug-in's ``JUDGE``). Default: the values in the sweep's manifest, else the plug-in's defaults.
    svg : bool
        Also write SVG figures.
    all_jobs : bool
        Report every record below the folder; by default a sweep folder's report covers the jobs
        of its latest sweep (its manifest ``sweep.json``), not those of earlier, different sweeps.

    Returns
    -------
    Path
        The written ``REPORT.md``.

    Raises
    ------
    ValueError
        If the folder does not exist or holds no records, ``study`` is not among the studies
        found, ``fit_range`` names an axis the records do not have, a judgement window is unknown or
        not a finite number, or a verdict names no registered rule.
    """

    sweep_dir = Path(sweep_dir)
    if not sweep_dir.exists():
        raise ValueError(f"sweep_dir={str(sweep_dir)!r} does not exist")
    root = sweep_dir if sweep_dir.is_dir() else sweep_dir.parent.parent
    out = _out_folder(sweep_dir, out_dir)
    only = read_manifest(root) if (sweep_dir.is_dir() and not all_jobs) else None
    df = collect_records(sweep_dir, only=only)
    missing = df.attrs.get("missing_jobs", [])
    if df.empty:
        raise ValueError(
            f"no records under {str(sweep_dir)!r}"
            + (f" ({len(missing)} job folders without a record: killed or still running)" if missing else "")
            + ": nothing to report"
        )
    fit_range = dict(fit_range or {})
    for axis, rng in fit_range.items():
        if not (isinstance(rng, (tuple, list)) and len(rng) == 2):
            raise ValueError(f"fit_range[{axis!r}]={rng!r} must be a pair (x_min, x_max)")
        if axis not in df.columns:
            raise ValueError(
                f"fit_range axis {axis!r} is not a column of the records; numeric columns: "
                f"{', '.join(c for c in df.columns if pd.api.types.is_numeric_dtype(df[c]))}"
            )
    studies = split_studies(df, root.resolve().name or "sweep")
    if study is not None:
        names = [s for s, _ in studies]
        if study not in names:
            raise ValueError(f"study={study!r} is not in {str(sweep_dir)!r}; studies: {names}")
        studies = [(s, d) for s, d in studies if s == study]
        df = studies[0][1]
    nested = len(studies) > 1
    blocks, verdicts_all = [], []
    declared_judge = read_manifest_judge(root) if sweep_dir.is_dir() else None
    for name, sdf in studies:
        res = _analyse(
            name,
            sdf,
            plugin or _recorded_plugin(sdf),
            {**(declared_judge or {}), **(judge or {})},
            dict(name=name, sweep_dir=root, n_boot=n_boot, seed=seed, fit_range=fit_range),
        )
        blocks.append((name, res, nested))
        verdicts_all.append((name, res))
    write_runs_csv(df, out / "runs.csv")
    files, written = [], ["runs.csv", "verdicts.json", "REPORT.md"]
    for name, res, _ in blocks:
        for tname, table in res.tables.items():
            fname = f"{name}__{tname}.csv" if nested else f"{tname}.csv"
            write_runs_csv(table, out / fname)
            files.append(fname)
        for fname, fig in res.figures.items():
            save_figure(fig, out / "figures" / f"{fname}.png")
            written.append(f"figures/{fname}.png")
            if svg:
                save_figure(fig, out / "figures" / f"{fname}.svg")
                written.append(f"figures/{fname}.svg")
    _forget_stale_outputs(out, written + files)

    def as_json(n, r):
        return to_json(r.verdicts, n, r.checks, r.judge, r.sensitivity)

    if nested:
        data = {
            "study": ",".join(n for n, _ in verdicts_all),
            "counts": counts([v for _, r in verdicts_all for v in r.verdicts]),
            "checks_counts": check_counts([c for _, r in verdicts_all for c in r.checks]),
            "studies": [json.loads(as_json(n, r)) for n, r in verdicts_all],
        }
        write_text_atomic(out / "verdicts.json", json.dumps(data, indent=1) + "\n")
    else:
        write_text_atomic(out / "verdicts.json", as_json(*verdicts_all[0]) + "\n")
    intro = (
        (f"Study `{studies[0][0]}`: " if not nested else f"Studies {', '.join(f'`{n}`' for n, _ in studies)}: ")
        + f"{len(df)} records from {df.attrs.get('n_files', 0)} job folders. Data: [runs.csv](runs.csv) (one row "
        f"per record)"
        + "".join(f", [{f}]({f})" for f in sorted(set(files)))
        + "; verdicts as data: [verdicts.json](verdicts.json); figures in `figures/`."
    )
    if df.attrs.get("ignored_jobs"):
        intro += (
            f" {df.attrs['ignored_jobs']} job folder(s) of earlier, different sweeps in this folder are not part of "
            f"this sweep ({MANIFEST_FILE}) and left out (`nnapprox-report --all` reports every record)."
        )
    if df.attrs.get("skipped_files"):
        intro += (
            f" {len(df.attrs['skipped_files'])} unreadable record file(s) skipped: "
            + ", ".join(f"`{p}`" for p in df.attrs["skipped_files"])
            + "."
        )
    title = title or (f"Study `{studies[0][0]}`" if not nested else f"Sweep report: {root.resolve().name}")
    text = render(title, blocks, df, intro_files=intro, missing=missing)
    return write_text_atomic(out / "REPORT.md", text)
