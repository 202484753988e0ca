"""The one report runner: records -> study plug-in -> REPORT.md, CSV tables, figures, verdicts.json.

A sweep's end (the Hydra callback), ``nnapprox-report DIR`` and ``make report`` all call
:func:`run_report`. It collects the records below a sweep folder, splits them by study, hands
each study's runs to its plug-in (:func:`nnapprox.studies.get_plugin`: ``nnapprox/studies/<study>.py``,
or the generic analysis) and writes what the plug-in returns:

``runs.csv``        every record, one row each
``<table>.csv``     each named table of the study (``rates.csv``, ...)
``figures/*.png``   each named figure (and ``.svg`` on request)
``verdicts.json``   the verdicts as data
``REPORT.md``       the verdicts table, the plug-in's sections, the failed and missing jobs, the
                    rules behind the verdicts and the provenance
"""
from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from ..io import write_text_atomic
from ..records import MANIFEST_FILE, read_manifest
from .collect import STUDY_KEYS, collect_records, write_runs_csv
from .plots import save_figure
from .study import StudyContext
from .tables import md_table
from .verdicts import CONTRADICTS, collapse, counts, to_json, verdict_rows

__all__ = ["run_report", "split_studies", "render"]


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
        lines += [f"{len(missing)} job folder(s) hold no record (killed or still running; rerun the sweep to finish "
                  "them):", ""]
        lines += [f"- `{m}`" for m in missing[:50]] + ([f"- ... ({len(missing) - 50} more)"] if len(missing) > 50
                                                       else []) + [""]
    return lines


def _provenance(df) -> list[str]:
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


def _verdict_lines(verdicts) -> list[str]:
    if not verdicts:
        return ["No claim of a theorem applies to these runs.", ""]
    c = counts(verdicts)
    lines = [f"{c['consistent']} consistent, {c['contradicts']} contradicted, {c['not tested']} not tested. "
             "Each claim is judged only inside the regime where its theorem says something; outside it the "
             "verdict is *not tested*, with the reason.", "",
             md_table(verdict_rows(verdicts), ["outcome", "claim", "group", "predicted", "measured",
                                               "regime / reason"]), ""]
    contra = [v for v in verdicts if v.outcome == CONTRADICTS]
    if contra:
        lines += ["Contradictions, explained:", ""]
        lines += [f"- {v.claim} ({v.group}): {v.explanation}" for v in contra] + [""]
    return lines


def render(title, blocks, df, *, intro_files, missing) -> str:
    """REPORT.md text. ``blocks``: list of (study name, StudyResult, nested: bool)."""
    lines = [f"# {title}", ""]
    for name, res, nested in blocks:
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
        for sec in res.sections:
            lines += [f"{h} {sec.heading}", "", sec.body.rstrip(), ""]
        rules += [r for r in res.rules if r not in rules]
    if rules:
        lines += ["## How to read this report", ""] + [f"- {r}" for r in rules] + [""]
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
        path = (out / rel)
        if path.is_file() and out.resolve() in path.resolve().parents:
            path.unlink()
    write_text_atomic(listing, json.dumps(sorted(set(written)), indent=0) + "\n")


def run_report(sweep_dir, out_dir=None, *, study=None, plugin=None, title=None, n_boot=2000, seed=0,
               fit_range=None, tol=0.1, svg=False, all_jobs=False) -> Path:
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
    tol : float
        Slack of the rate rules.
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
        found, or ``fit_range`` names an axis the records do not have.
    """
    from ..studies import get_plugin

    sweep_dir = Path(sweep_dir)
    if not sweep_dir.exists():
        raise ValueError(f"sweep_dir={str(sweep_dir)!r} does not exist")
    root = sweep_dir if sweep_dir.is_dir() else sweep_dir.parent.parent
    only = read_manifest(root) if (sweep_dir.is_dir() and not all_jobs) else None
    df = collect_records(sweep_dir, only=only)
    missing = df.attrs.get("missing_jobs", [])
    if df.empty:
        raise ValueError(f"no records under {str(sweep_dir)!r}" + (f" ({len(missing)} job folders without a record: "
                         "killed or still running)" if missing else "") + ": nothing to report")
    fit_range = dict(fit_range or {})
    for axis, rng in fit_range.items():
        if not (isinstance(rng, (tuple, list)) and len(rng) == 2):
            raise ValueError(f"fit_range[{axis!r}]={rng!r} must be a pair (x_min, x_max)")
        if axis not in df.columns:
            raise ValueError(f"fit_range axis {axis!r} is not a column of the records; numeric columns: "
                             f"{', '.join(c for c in df.columns if pd.api.types.is_numeric_dtype(df[c]))}")
    studies = split_studies(df, root.resolve().name or "sweep")
    if study is not None:
        names = [s for s, _ in studies]
        if study not in names:
            raise ValueError(f"study={study!r} is not in {str(sweep_dir)!r}; studies: {names}")
        studies = [(s, d) for s, d in studies if s == study]
        df = studies[0][1]
    out = Path(out_dir) if out_dir is not None else root
    nested = len(studies) > 1
    blocks, verdicts_all = [], []
    for name, sdf in studies:
        ctx = StudyContext(name=name, sweep_dir=root, n_boot=n_boot, seed=seed, fit_range=fit_range, tol=tol)
        res = get_plugin(name, plugin or _recorded_plugin(sdf)).analyse(sdf, ctx)
        res.verdicts = collapse(res.verdicts)
        blocks.append((name, res, nested))
        verdicts_all.append((name, res.verdicts))
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
    if nested:
        data = {"study": ",".join(n for n, _ in verdicts_all),
                "counts": counts([v for _, vs in verdicts_all for v in vs]),
                "studies": [json.loads(to_json(vs, n)) for n, vs in verdicts_all]}
        write_text_atomic(out / "verdicts.json", json.dumps(data, indent=1) + "\n")
    else:
        write_text_atomic(out / "verdicts.json", to_json(verdicts_all[0][1], verdicts_all[0][0]) + "\n")
    intro = ((f"Study `{studies[0][0]}`: " if not nested else f"Studies {', '.join(f'`{n}`' for n, _ in studies)}: ")
             + f"{len(df)} records from {df.attrs.get('n_files', 0)} job folders. Data: [runs.csv](runs.csv) (one row "
             f"per record)" + "".join(f", [{f}]({f})" for f in sorted(set(files))) +
             "; verdicts as data: [verdicts.json](verdicts.json); figures in `figures/`.")
    if df.attrs.get("ignored_jobs"):
        intro += (f" {df.attrs['ignored_jobs']} job folder(s) of earlier, different sweeps in this folder are not part of "
                  f"this sweep ({MANIFEST_FILE}) and left out (`nnapprox-report --all` reports every record).")
    if df.attrs.get("skipped_files"):
        intro += f" {len(df.attrs['skipped_files'])} unreadable record file(s) skipped: " + ", ".join(
            f"`{p}`" for p in df.attrs["skipped_files"]) + "."
    title = title or (f"Study `{studies[0][0]}`" if not nested else f"Sweep report: {root.resolve().name}")
    text = render(title, blocks, df, intro_files=intro, missing=missing)
    return write_text_atomic(out / "REPORT.md", text)

