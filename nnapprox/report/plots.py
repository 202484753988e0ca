"""Scaling plots from tidy records: mean and 95% CI over seeds, one line per group, fitted slopes.

:func:`plot_scaling` draws one panel from column names (like mup's ``plot_coord_data``) and returns
the figure; :func:`plot_axis_report` puts test MSE, relative MSE and measured/bound side by side for
the report. Figures are built with :class:`matplotlib.figure.Figure` directly, never through
pyplot, so no display or GUI backend is involved and nothing is left open in a global registry.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib import rc_context
from matplotlib.container import ErrorbarContainer
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from nnapprox.report.collect import iter_groups
from nnapprox.report.fit import WIDTH_AXES, fit_rates, fmt_slope, point_summary, usable_mask
from nnapprox.report.ticks import tick_at_values
from nnapprox.theory.bounds import RELU_FAMILY, barron_curve

#: Axis labels with units for known columns; other columns are labelled by name.
LABELS = {
    "n": "hidden width n (neurons)",
    "model.width": "hidden width (neurons)",
    "model.depth": "depth (hidden layers)",
    "n_params": "trainable parameters (count)",
    "data.N": "training set size N (samples)",
    "data.N_test": "test set size (samples)",
    "target.d": "input dimension d",
    "test_mse": "test MSE (units of f²)",
    "train_mse": "train MSE (units of f²)",
    "rel_mse": "relative test MSE = MSE / Var f",
    "bound_ratio": "test MSE / Barron bound",
    "sup_err": "sup error (units of f)",
}
RC = {
    "font.size": 10,
    "axes.titlesize": 10,
    "axes.labelsize": 10,
    "legend.fontsize": 8.5,
    "xtick.labelsize": 9,
    "ytick.labelsize": 9,
    "lines.linewidth": 1.4,
    "savefig.dpi": 180,
}
MARKERS = ("o", "s", "^", "D", "v", "P", "X", "<", ">", "*")
OVERLAY_LABELS = {
    "barron": "Barron's bound (2 r C_f)²/m, m = n (ReLU: ⌊n/2⌋), dashed",
    "estimation": "∝ (log N)/N through the first point, dashed",
}
#: Hue columns a many-line figure is faceted by (one panel column per value), in order of preference.
FACET_COLUMNS = ("target.d", "target.name")
#: Most lines one panel holds before the figure is faceted.
MAX_LINES_PER_PANEL = 6


def label_of(col):
    """Axis label with units for a column name."""
    return LABELS.get(col, col)


def _colors(k, categorical=False):
    """``k`` line colours: tab10 up to 10; beyond, viridis (ordered values), or for ``categorical`` lines
    up to 20 the dark then the light tab20 colours (unordered names stay far apart)."""
    from matplotlib import colormaps

    if k <= 10:
        return [colormaps["tab10"](i) for i in range(k)]
    if categorical and k <= 20:
        return [colormaps["tab20"](i) for i in [*range(0, 20, 2), *range(1, 20, 2)][:k]]
    return [colormaps["viridis"](v) for v in np.linspace(0, 0.92, k)]


def _median(rows, col):
    if col not in rows.columns:
        return math.nan
    v = rows[col].to_numpy(dtype=float)
    v = v[~np.isnan(v)]
    return float(np.median(v)) if v.size else math.nan


def _bound_activation(rows):
    """The activation whose unit count the bound of a group uses (sigmoid unless one activation is recorded)."""
    acts = rows["activation.name"].dropna().unique() if "activation.name" in rows.columns else []
    return acts[0] if len(acts) == 1 else "sigmoid"


def barron_overlay(rows, xs, points, y="test_mse"):
    """Barron's bound ``(2 r C_f)^2 / n`` for one group (divided by Var f when ``y`` is relative).

    Parameters
    ----------
    rows : pandas.DataFrame
        Usable records of the group (``c_f``, ``radius``, ``var_f`` columns).
    xs : numpy.ndarray
        Widths at which to evaluate.
    points : pandas.DataFrame
        Point summary of the group (unused; same signature as other overlays).
    y : str
        Plotted quantity: ``test_mse`` or ``rel_mse``; anything else gives None.

    Returns
    -------
    numpy.ndarray or None
        None when C_f is not finite or unknown.
    """
    c_f, r = _median(rows, "c_f"), _median(rows, "radius")
    if not (np.isfinite(c_f) and np.isfinite(r)):
        return None
    curve = barron_curve(c_f, np.asarray(xs, dtype=float), r, _bound_activation(rows))
    if y == "test_mse":
        return curve
    if y == "rel_mse":
        var_f = _median(rows, "var_f")
        return curve / var_f if np.isfinite(var_f) and var_f > 0 else None
    return None


def estimation_overlay(rows, xs, points, y="test_mse"):
    """Shape of the estimation term, ``∝ (log N) / N``, through the group's first mean point.

    The constant of Barron's estimation term is not known, so the curve only shows the predicted
    decay; ``n d`` is absorbed in the anchoring.

    Parameters
    ----------
    rows : pandas.DataFrame
        Usable records of the group (unused).
    xs : numpy.ndarray
        Training-set sizes (> 1).
    points : pandas.DataFrame
        Point summary of the group (``x``, ``mean``).
    y : str
        Plotted quantity; ``bound_ratio`` gives None.

    Returns
    -------
    numpy.ndarray or None
    """
    if y == "bound_ratio" or points.empty or points["x"].iloc[0] <= 1:
        return None
    x0, y0 = points["x"].iloc[0], points["mean"].iloc[0]
    xs = np.asarray(xs, dtype=float)
    return y0 * (np.log(xs) / xs) / (np.log(x0) / x0)


def _barron_note(rows, xs, ys, y):
    """C_f and the unit count m the bound uses, at its right end (absolute MSE); n_0 where it crosses 1 (relative MSE).

    The unit count tells apart lines of one C_f: sigmoidal units (m = n) or ReLU pairs (m = n/2).
    """
    if y == "rel_mse":
        n0 = float(ys[0] * xs[0])  # the curve is n_0 / n
        if xs[0] <= n0 <= xs[-1]:
            return f"n_0={n0:.3g}", (n0, 1.0), ("left", "bottom")
        return None
    c_f = _median(rows, "c_f")
    if not np.isfinite(c_f):
        return None
    units = ", ReLU pairs (m=n/2)" if _bound_activation(rows) in RELU_FAMILY else " (m=n)"
    return f"C_f={c_f:.3g}{units}", (xs[-1], ys[-1]), ("right", "bottom")


def _resolve_overlay(overlay, x, y):
    """(curve function, legend label, note function) for an ``overlay`` argument."""
    if overlay is None:
        return None, None, None
    if callable(overlay):
        return overlay, getattr(overlay, "label", "theory (dashed)"), None
    if overlay == "auto":  # only theory drawn at its true level: Barron's bound (the estimation term has no constant)
        overlay = "barron" if x in WIDTH_AXES else None
        if overlay is None:
            return None, None, None
    table = {"barron": barron_overlay, "estimation": estimation_overlay}
    if overlay not in table:
        raise ValueError(
            f"overlay={overlay!r} is not allowed; use None, 'auto', 'barron', "
            f"'estimation' or a callable(rows, xs, points)"
        )
    fn = table[overlay]
    note = (lambda rows, xs, ys: _barron_note(rows, xs, ys, y)) if overlay == "barron" else None
    return (lambda rows, xs, points: fn(rows, xs, points, y=y)), OVERLAY_LABELS[overlay], note


def save_figure(fig, save_to):
    """Save ``fig`` at the report's resolution (format from the suffix), creating the folder.

    A failure is raised as :class:`nnapprox.base.io.WriteError`: one line naming the path.
    """
    from nnapprox.base.io import WriteError

    path = Path(save_to)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(path, dpi=RC["savefig.dpi"])
    except OSError as e:
        raise WriteError(f"cannot write {path}: {e.strerror or e}") from None
    return path


_save = save_figure


def _draw_overlays(ax, curves):
    """Draw theory curves; a curve shared by several groups is drawn once, in grey.

    The note of a shared curve lists the distinct notes of every group it stands for (say two C_f
    values whose bounds coincide because their unit counts differ), one a line, joined by "=".
    """
    distinct = []
    for xs, ys, color, note in curves:
        for item in distinct:
            if item[0].shape == xs.shape and np.allclose(item[0], xs) and np.allclose(item[1], ys):
                item[2].append(color)
                item[3].append(note)
                break
        else:
            distinct.append([xs, ys, [color], [note]])
    notes = []
    for xs, ys, colors, group_notes in distinct:
        color = colors[0] if len(colors) == 1 else "0.35"
        ax.plot(xs, ys, ls="--", lw=1.1, color=color, alpha=0.9)
        present = [n for n in group_notes if n]
        if present:
            texts = list(dict.fromkeys(n[0] for n in present))
            notes.append(("\n= ".join(texts), *present[0][1:], color))
    return notes


#: Vertical room of one overlay note (points): its font size plus a little air.
NOTE_GAP_PT = 10.0


def _place_notes(ax, notes):
    """Write the overlay notes (text at a point of a theory curve, with a tick there).

    Notes anchored at the same x (the right ends of several bound lines) are stacked
    from the top down, each at least :data:`NOTE_GAP_PT` a line below the previous one, so
    they never print over each other however close the curves are. Call after the
    axes' scales are set (the spacing is worked out in display coordinates).
    """
    ax.get_xlim(), ax.get_ylim()  # settle the autoscaled limits
    to_pt = ax.transData.transform
    pt_per_px = 72.0 / ax.figure.dpi
    by_x = {}
    for text, where, (ha, _), color in notes:
        by_x.setdefault((round(float(where[0]), 9), ha), []).append((text, where, color))
    for (_, ha), group in by_x.items():
        group.sort(key=lambda n: -to_pt(n[1])[1])  # top first
        floor = None
        for text, where, color in group:
            y = to_pt(where)[1] * pt_per_px
            height = NOTE_GAP_PT * (text.count("\n") + 1)  # a note of several lines grows upwards
            bottom = y + 2.0 if floor is None else min(y + 2.0, floor - height)
            floor = bottom
            ax.plot(*where, marker="|", ms=7, mew=1.2, color=color)
            ax.annotate(
                text,
                where,
                xytext=(-2 if ha == "right" else 2, bottom - y),
                textcoords="offset points",
                fontsize=7.5,
                color=color,
                ha=ha,
                va="bottom",
                bbox=dict(boxstyle="square,pad=0.1", fc="white", ec="none", alpha=0.85),
            )


def legend_slope(slope, lo, hi):
    """The slope text of a legend entry: :func:`~nnapprox.report.fit.fmt_slope` with true minus signs."""
    return fmt_slope(slope, lo, hi).replace("-", "\u2212")


def plot_scaling(
    df,
    x,
    y="test_mse",
    hue=None,
    logx=True,
    logy=True,
    overlay=None,
    save_to=None,
    ax=None,
    *,
    fit=True,
    x_min=None,
    x_max=None,
    hline=None,
    hline_label=None,
    connect=True,
    legend=True,
    title=None,
    n_boot=1000,
    seed=0,
    colors=None,
    markers=None,
):
    """Plot ``y`` against ``x``: mean and 95% CI over seeds, one line per ``hue`` group.

    Only usable rows are drawn (status ``ok``, finite values, positive on log axes). With
    ``fit`` on log-log axes each legend entry carries the group's row of
    :func:`~nnapprox.report.fit.fit_rates` (the slope and CI the rates table reports: per-path
    slopes with a t-interval where the rows carry seed/replica labels).

    Parameters
    ----------
    df : pandas.DataFrame
        Tidy records, one row per run.
    x, y : str
        Column names.
    hue : str or sequence of str, optional
        Grouping columns; one line per combination of values.
    logx, logy : bool
        Log scale on each axis.
    overlay : None, "auto", "barron", "estimation" or callable
        Theory curve drawn dashed in each group's colour (grey when several groups share it).
        ``"barron"``: ``(2 r C_f)^2 / n`` where C_f is finite, annotated with C_f;
        ``"estimation"``: ``∝ (log N)/N`` through the first point; ``"auto"`` picks by ``x``.
        A callable gets ``(rows, xs, points)`` and returns y values or None.
    save_to : str or Path, optional
        Save the figure there (format from the suffix).
    ax : matplotlib.axes.Axes, optional
        Draw into this axes instead of a new figure.
    fit : bool
        Fit and show slopes (log-log only).
    x_min, x_max : float, optional
        Fit range.
    hline : float, optional
        Horizontal reference line (dotted) with ``hline_label``.
    connect : bool
        Join the means of a group by lines (off for scatter-like axes such as ``n_params``).
    legend : bool
        Draw the legend in the axes.
    title : str, optional
    n_boot, seed : int
        Bootstrap resamples and seed, for the point CIs and the slope CIs.
    colors : dict, optional
        Group label -> colour (so that several panels colour a group alike).
    markers : dict, optional
        Group label -> marker, likewise.

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    ValueError
        If a column is missing or ``overlay`` is not allowed.
    """
    hue = [hue] if isinstance(hue, str) else list(hue or [])
    df = df.reset_index(drop=True)
    mask = usable_mask(df, x, y, logx, logy)
    draw_overlay, overlay_label, note = _resolve_overlay(overlay, x, y)
    groups = list(iter_groups(df, hue))  # validates hue
    with rc_context(RC):
        if ax is None:
            fig = Figure(figsize=(5.6, 4.0), layout="constrained")
            ax = fig.add_subplot()
        else:
            fig = ax.figure
        palette = _colors(len(groups))
        colors = [colors.get(lab, palette[k]) if colors else palette[k] for k, (lab, _, _) in enumerate(groups)]
        curves = []
        # the legend's slopes are the rates table's rows (same estimator, paths and fit window): one code path
        fits = (
            fit_rates(df, x, y, hue, x_min=x_min, x_max=x_max, n_boot=max(n_boot, 100), seed=seed)
            if fit and logx and logy
            else None
        )
        x_all = df.loc[mask, x].to_numpy(dtype=float)  # theory curves span the whole axis: one per function
        for k, (label, _, g) in enumerate(groups):
            rows = g[mask[g.index.to_numpy()]]
            if rows.empty:
                continue
            xv, yv = rows[x].to_numpy(dtype=float), rows[y].to_numpy(dtype=float)
            pts = point_summary(xv, yv, n_boot=n_boot, seed=seed)
            text = label if hue else "mean over seeds, 95% CI"
            if fits is not None:
                res = fits.iloc[k]
                if np.isfinite(res.slope):
                    text += f"\nslope {legend_slope(res.slope, res.ci_low, res.ci_high)}"
            err = np.vstack([pts["mean"] - pts["ci_low"], pts["ci_high"] - pts["mean"]])
            ax.errorbar(
                pts["x"],
                pts["mean"],
                yerr=np.nan_to_num(err),
                color=colors[k],
                marker=(markers or {}).get(label, MARKERS[k % len(MARKERS)]),
                ms=4.5,
                capsize=2.5,
                elinewidth=1.0,
                ls="-" if connect else "none",
                label=text,
            )
            if draw_overlay is not None:
                lo, hi = x_all.min(), x_all.max()
                xs = np.geomspace(lo, hi, 60) if logx and lo > 0 else np.linspace(lo, hi, 60)
                curve = draw_overlay(rows, xs, pts)
                if curve is not None:
                    curve = np.asarray(curve, dtype=float)
                    curves.append((xs, curve, colors[k], note(rows, xs, curve) if note else None))
        notes = _draw_overlays(ax, curves)
        if curves:
            ax.add_line(Line2D([], [], color="0.3", ls="--", lw=1.1, label=overlay_label))
        if hline is not None:
            ax.axhline(hline, color="0.3", ls=":", lw=1.2, label=hline_label)
        if not mask.any():
            ax.text(0.5, 0.5, "no usable runs", transform=ax.transAxes, ha="center")
        if logx:
            from matplotlib.ticker import NullFormatter

            ax.set_xscale("log")
            ax.xaxis.set_minor_formatter(NullFormatter())  # labelled minor ticks collide on a short log axis
            tick_at_values(ax.xaxis, x_all)
        if logy:
            ax.set_yscale("log")
        _place_notes(ax, notes)
        ax.set_xlabel(label_of(x))
        ax.set_ylabel(label_of(y))
        ax.grid(True, which="major", alpha=0.3)
        if title:
            ax.set_title(title)
        if legend and ax.get_legend_handles_labels()[0]:
            ax.legend(loc="best", framealpha=0.85)
        if save_to is not None:
            _save(fig, save_to)
    return fig


#: Groups whose legend still fits in a cell of the panel grid; more go below the panels.
LEGEND_CELL_MAX = 12
#: Most lines a per-axis figure draws; beyond, numeric hue columns are thinned (every fit stays in rates.csv).
MAX_LINES = 24
#: Values kept of a thinned numeric hue column.
THIN_TO = 4


def _thin_hue(df, hue):
    """Keep at most :data:`THIN_TO` values (spread evenly in rank) of the numeric hue columns with the most
    values until the figure has at most :data:`MAX_LINES` lines; returns the rows and a note (or "")."""
    notes = []
    while hue and sum(1 for _ in iter_groups(df, hue)) > MAX_LINES:
        numeric = [
            h for h in hue if h in df.columns and pd.api.types.is_numeric_dtype(df[h]) and df[h].nunique() > THIN_TO
        ]
        if not numeric:
            break
        col = max(numeric, key=lambda h: df[h].nunique())
        vals = np.sort(df[col].dropna().unique())
        keep = vals[np.unique(np.round(np.linspace(0, len(vals) - 1, THIN_TO)).astype(int))]
        df = df[df[col].isin(keep) | df[col].isna()]
        notes.append(
            f"lines for {col} ∈ {{{', '.join(f'{v:g}' for v in keep)}}} of {len(vals)} values; every fit "
            "is in rates.csv"
        )
    return df, "; ".join(notes)


def plot_axis_report(df, x, hue=(), *, x_min=None, x_max=None, title=None, n_boot=1000, seed=0, save_to=None):
    """Report figure for one scaling axis: test MSE, relative MSE, measured / bound.

    Panels appear when their column has usable values. The legend (groups with the fitted slopes
    of the test MSE, theory curves, reference lines) sits in the first panel for a single group
    and in a cell of its own otherwise. ``n_params`` is drawn as points without joining lines
    (several architectures share one axis).

    Parameters
    ----------
    df : pandas.DataFrame
        Records of one study.
    x : str
        Scaling axis column.
    hue : sequence of str
        Grouping columns.
    x_min, x_max : float, optional
        Fit range of the slopes.
    title : str, optional
        Figure title.
    n_boot, seed : int
        Bootstrap settings.
    save_to : str, Path or sequence of them, optional
        File(s) to write (e.g. PNG and SVG).

    Returns
    -------
    matplotlib.figure.Figure
    """
    df, thinned = _thin_hue(df, list(hue))
    if thinned:
        title = f"{title}\n({thinned})" if title else thinned
    panels = [("test_mse", {"overlay": "auto", "fit": True})]
    if "rel_mse" in df.columns and usable_mask(df, x, "rel_mse").any():
        panels.append(
            (
                "rel_mse",
                {"overlay": "auto", "fit": False, "hline": 1.0, "hline_label": "Var f: error of the best constant"},
            )
        )
    if x in WIDTH_AXES and "bound_ratio" in df.columns and usable_mask(df, x, "bound_ratio").any():
        panels.append(("bound_ratio", {"overlay": None, "fit": False, "hline": 1.0, "hline_label": "measured = bound"}))
    n_groups = sum(1 for _ in iter_groups(df, hue))
    # many groups: the legend goes below the panels, in rows, and the figure grows to hold it (a
    # legend of 20+ entries in one cell of the grid squeezes the panels to nothing)
    below = n_groups > LEGEND_CELL_MAX
    own_cell = not below and (n_groups > 1 or len(panels) == 3)
    cells = len(panels) + own_cell
    nrows, ncols = (2, 2) if cells == 4 else (1, cells)
    width, height = {1: (5.2, 3.9), 2: (9.0, 3.7), 3: (11.0, 3.7), 4: (9.0, 7.0)}[cells]
    legend_cols = 3 if width >= 11 else 2
    if below:
        height += 0.3 + 0.32 * math.ceil((n_groups + 4) / legend_cols)  # two text lines an entry
    with rc_context(RC):
        fig = Figure(figsize=(width, height), layout="constrained")
        axes = fig.subplots(nrows, ncols, squeeze=False).ravel()
        handles = {}
        # a grid may have more axes than panels (the spare ones are hidden below)
        for i, (ax, (y, opts)) in enumerate(zip(axes, panels, strict=False)):
            plot_scaling(
                df,
                x,
                y,
                hue,
                ax=ax,
                legend=False,
                x_min=x_min,
                x_max=x_max,
                connect=x != "n_params",
                n_boot=n_boot,
                seed=seed,
                **opts,
            )
            for h, lab in zip(*ax.get_legend_handles_labels(), strict=True):
                if i == 0 or not isinstance(h, ErrorbarContainer):
                    handles.setdefault(lab, h)
        for ax in axes[len(panels) :]:
            ax.axis("off")
        if handles and below:
            fig.legend(
                list(handles.values()),
                list(handles.keys()),
                loc="outside lower center",
                ncols=legend_cols,
                frameon=False,
                fontsize=7,
            )
        elif handles:
            many = len(handles) > 12
            where = axes[len(panels)] if own_cell else axes[0]
            where.legend(
                list(handles.values()),
                list(handles.keys()),
                loc="center" if own_cell else "best",
                frameon=not own_cell,
                framealpha=0.85,
                ncols=2 if many else 1,
                fontsize=7 if many else RC["legend.fontsize"],
            )
        if title:
            fig.suptitle(title)
        for target in [save_to] if isinstance(save_to, (str, Path)) else save_to or []:
            _save(fig, target)
    return fig


def facet_column(df, hue):
    """The column to facet a many-line figure by (one panel column per value), or None when one panel is readable.

    A target's dimension or name with 2..6 values, whether or not it is a hue column itself (a target's
    parameters often determine its name).
    """
    n_groups = sum(1 for _ in iter_groups(df, hue))
    if n_groups <= MAX_LINES_PER_PANEL:
        return None
    for col in FACET_COLUMNS:
        if col in df.columns and 2 <= df[col].nunique() <= 6:
            return col
    return None


#: Height of a two-line legend entry at font size 7 (inches), and of a one-line entry.
LEGEND_ENTRY_IN = 0.29
LEGEND_LINE_IN = 0.17


def _drawable_facets(df, x, hue, facet):
    """``(value, rows, rest)`` of each facet worth a panel column: its usable rows (status ok, positive test MSE
    and ``x``) at two or more distinct ``x``, and the hue columns that vary among those rows."""
    out = []
    for v in sorted(df[facet].dropna().unique()):
        sub = df[df[facet] == v]
        sub = sub[usable_mask(sub, x, "test_mse")]
        if sub[x].nunique() < 2:
            continue
        out.append((v, sub, [h for h in hue if h != facet and sub[h].nunique(dropna=True) > 1]))
    return out


def _identity_columns(subs, rests):
    """The hue columns that name a line across panels: those varying in some panel, less the ones fixed by
    the panel and the others (a width tied to the dimension), tried from the most distinct values down."""
    cols = list(dict.fromkeys(h for rest in rests for h in rest))

    def determined(col, others):
        for sub in subs:
            seen = {}
            for key, value in zip(
                sub[others].astype(str).itertuples(index=False, name=None) if others else [()] * len(sub),
                sub[col].astype(str),
                strict=True,
            ):
                if seen.setdefault(key, value) != value:
                    return False
        return True

    for col in sorted(cols, key=lambda c: -max(sub[c].nunique() for sub in subs)):
        others = [c for c in cols if c != col]
        if determined(col, others):
            cols = others
    return cols


def _facet_styles(subs, rests):
    """Per panel, ``(colors, markers)`` keyed by the panel's group labels, one colour and marker per line
    identity (see :func:`_identity_columns`) across all panels."""
    ident = _identity_columns(subs, rests)
    rows = pd.concat(subs)
    which = pd.Series(0, index=rows.index)
    identities = list(iter_groups(rows, ident))
    for k, (_, _, g) in enumerate(identities):
        which[g.index] = k
    palette = _colors(len(identities), categorical=len(ident) > 1)
    styles = []
    for sub, rest in zip(subs, rests, strict=True):
        ks = {label: int(which[g.index[0]]) for label, _, g in iter_groups(sub, rest)}
        styles.append(
            (
                {label: palette[k] for label, k in ks.items()},
                {label: MARKERS[k % len(MARKERS)] for label, k in ks.items()},
            )
        )
    return styles


def plot_faceted_report(df, x, hue, facet, *, x_min=None, x_max=None, title=None, n_boot=1000, seed=0):
    """One column of panels per value of ``facet`` (test MSE above, measured / bound below when recorded), one
    line per group of the hue columns that vary inside the panel, each column with its own legend below it; the
    bound drawn per panel at its true level.

    A facet without usable runs (status ok, positive test MSE) at two or more distinct ``x`` gets no panel,
    and the legend row is as tall as the longest legend drawn. A line keeps its colour and marker in every
    panel (keyed on the hue values that name it, see :func:`_identity_columns`).

    Returns
    -------
    matplotlib.figure.Figure or None
        None when no facet has usable runs at two or more ``x`` values.
    """
    rows = [("test_mse", {"overlay": "auto", "fit": True})]
    if x in WIDTH_AXES and "bound_ratio" in df.columns and usable_mask(df, x, "bound_ratio").any():
        rows.append(("bound_ratio", {"overlay": None, "fit": False, "hline": 1.0, "hline_label": "measured = bound"}))
    facets = _drawable_facets(df.reset_index(drop=True), x, hue, facet)
    if not facets:
        return None
    values, subs, rests = (list(t) for t in zip(*facets, strict=True))
    styles = _facet_styles(subs, rests)
    n_legend = max(sum(1 for _ in iter_groups(sub, rest)) if rest else 1 for sub, rest in zip(subs, rests, strict=True))
    # a group's entry is two text lines (label, slope), a theory curve's or reference line's one
    legend_in = LEGEND_ENTRY_IN * n_legend + LEGEND_LINE_IN * len(rows) + 0.15
    with rc_context(RC):
        fig = Figure(figsize=(max(6.0, 4.4 * len(values)), 3.3 * len(rows) + 0.6 + legend_in), layout="constrained")
        grid = fig.add_gridspec(len(rows) + 1, len(values), height_ratios=[3.3] * len(rows) + [legend_in])
        for j, (v, sub, rest, (colors, markers)) in enumerate(zip(values, subs, rests, styles, strict=True)):
            handles = {}
            for i, (y, opts) in enumerate(rows):
                ax = fig.add_subplot(grid[i, j])
                plot_scaling(
                    sub,
                    x,
                    y,
                    rest,
                    ax=ax,
                    legend=False,
                    x_min=x_min,
                    x_max=x_max,
                    connect=x != "n_params",
                    n_boot=n_boot,
                    seed=seed,
                    colors=colors,
                    markers=markers,
                    **opts,
                )
                for h, lab in zip(*ax.get_legend_handles_labels(), strict=True):
                    if i == 0 or not isinstance(h, ErrorbarContainer):
                        handles.setdefault(lab, h)
                name = {"target.name": "target", "target.d": "d"}.get(facet, facet.split(".")[-1])
                ax.set_title(f"{name} = {v:g}" if isinstance(v, (int, float, np.number)) else f"{name} = {v}")
                if j:
                    ax.set_ylabel("")
            lax = fig.add_subplot(grid[len(rows), j])
            lax.axis("off")
            lax.legend(list(handles.values()), list(handles.keys()), loc="upper left", frameon=False, fontsize=7)
        if title:
            fig.suptitle(title)
    return fig


def minmax_yerr(mean, low, high):
    """Error-bar lengths ``(2, k)`` from a mean to its min and max, clipped at 0.

    Rounding can put a mean of equal values a hair outside [min, max]; matplotlib rejects the
    resulting negative lengths.

    Parameters
    ----------
    mean, low, high : array_like, shape (k,)

    Returns
    -------
    numpy.ndarray, shape (2, k)
    """
    mean, low, high = (np.asarray(a, dtype=float) for a in (mean, low, high))
    return np.clip(np.vstack([mean - low, high - mean]), 0.0, None)
