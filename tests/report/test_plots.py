"""nnapprox.report.plots: legends agree with the rates table, tick labels, bound notes, faceted figures."""

import numpy as np
import pandas as pd
import pytest

from nnapprox.report.fit import fit_power_law, fit_rates
from nnapprox.report.plots import legend_slope, plot_scaling
from nnapprox.report.ticks import compact_label, tick_at_values


def _paths_frame():
    """Two groups, three seed paths each, whose per-path slopes differ a lot from the slope of the mean's log."""
    rows = []
    for g, shift in (("a", 0.0), ("b", 0.5)):
        for seed, (amp, rate) in enumerate(((1.0, 1.0), (100.0, 2.0), (10.0, 1.5))):
            for n in (2, 4, 8, 16, 32, 64):
                rows.append({"g": g, "seed": seed, "n": n, "status": "ok", "test_mse": amp * n ** -(rate + shift)})
    return pd.DataFrame(rows)


def _legend_slopes(fig):
    texts = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    return {t.split("\n")[0]: t.split("\nslope ")[1] for t in texts if "\nslope " in t}


def test_the_legend_slope_is_the_rates_table_slope_of_the_group():
    df = _paths_frame()
    for window in ((None, None), (4, 32)):
        fig = plot_scaling(df, "n", "test_mse", hue="g", x_min=window[0], x_max=window[1], n_boot=200)
        table = fit_rates(df, "n", "test_mse", ["g"], x_min=window[0], x_max=window[1], n_boot=200)
        shown = _legend_slopes(fig)
        assert set(shown) == set(table["group"]) and len(shown) == 2
        for row in table.itertuples(index=False):
            assert row.ci_method == "t-paths"
            assert shown[row.group] == legend_slope(row.slope, row.ci_low, row.ci_high)
    # the fit of the replica means' log (the old legend) tells a different story on these data
    a = df[df["g"] == "a"]
    old = fit_power_law(a["n"], a["test_mse"], n_boot=200)
    assert legend_slope(old.slope, old.ci_low, old.ci_high) != shown[table["group"].iloc[0]]


@pytest.mark.parametrize(
    "value,text",
    [
        (250, "250"),
        (1000, "1k"),
        (2154.43, "2.15k"),
        (21544.3, "21.5k"),
        (46415.9, "46.4k"),
        (100000, "100k"),
        (999.7, "1k"),
        (2.5e6, "2.5M"),
        (0.01, "0.01"),
        (16, "16"),
    ],
)
def test_compact_labels_have_three_significant_figures(value, text):
    assert compact_label(value) == text


def _drawn_x_labels(values, width=3.0):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, 2.5))
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    ax.set_xscale("log")
    ax.plot(values, np.ones_like(values), "o")
    tick_at_values(ax.xaxis, values)
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    ticks = [t for t in ax.xaxis.get_major_ticks() if t.get_visible() and t.label1.get_visible()]
    return ax, [(t.get_loc(), t.label1.get_text(), t.label1.get_window_extent(renderer)) for t in ticks]


def test_crowded_tick_labels_are_thinned_never_overlapping():
    values = np.geomspace(1000, 100000, 12)  # 1k, 1.52k, 2.31k, ...: too close to all be labelled in 3 inches
    ax, drawn = _drawn_x_labels(values)
    locs = [loc for loc, _, _ in drawn]
    assert np.allclose(np.sort(ax.xaxis.get_majorticklocs()), values)  # every swept value keeps its tick
    shown = [(text, box) for _, text, box in drawn if text]
    assert 2 <= len(shown) < len(values) and len(locs) >= len(values)
    for (_, a), (_, b) in zip(shown, shown[1:], strict=False):
        assert a.x1 < b.x0  # labels never overlap
    assert all(t == compact_label(v) for v, t, _ in drawn if t)


def test_many_values_get_log_ticks_at_one_two_five():
    values = np.geomspace(10, 100000, 30)
    ax, drawn = _drawn_x_labels(values, width=6.0)
    shown = [t for _, t, _ in drawn if t]
    assert {"100", "1k", "10k"} <= set(shown) and len(shown) > 3
    assert any(t.startswith(("2", "5")) for t in shown)  # 1, 2, 5 per decade


def _bound_frame(c_fs):
    rows = []
    for act, c_f in c_fs.items():
        for seed in (0, 1):
            for n in (2, 4, 8, 16):
                rows.append(
                    {
                        "activation.name": act,
                        "seed": seed,
                        "n": n,
                        "status": "ok",
                        "test_mse": (1 + seed) * 0.01 / n,
                        "c_f": c_f,
                        "radius": 1.0,
                        "var_f": 1.0,
                    }
                )
    return pd.DataFrame(rows)


def _bound_notes(df):
    fig = plot_scaling(df, "n", "test_mse", hue="activation.name", overlay="barron", n_boot=100)
    ax = fig.axes[0]
    dashed = [ln for ln in ax.get_lines() if ln.get_linestyle() == "--" and len(ln.get_xdata()) > 2]
    return len(dashed), sorted(t.get_text() for t in ax.texts)


def test_bound_notes_name_the_unit_count():
    """One C_f, two unit counts: two different lines, and their notes say which is which."""
    lines, notes = _bound_notes(_bound_frame({"sigmoid": 3.0, "relu": 3.0}))
    assert lines == 2 and notes == ["C_f=3 (m=n)", "C_f=3, ReLU pairs (m=n/2)"]


def test_a_merged_bound_line_lists_every_c_f():
    """Sigmoid C_f = 3√2 with m = n and ReLU C_f = 3 with m = n/2 give one line: its note names both."""
    lines, notes = _bound_notes(_bound_frame({"sigmoid": 3.0 * np.sqrt(2), "relu": 3.0}))
    assert lines == 1 and len(notes) == 1
    assert "C_f=4.24 (m=n)" in notes[0] and "C_f=3, ReLU pairs (m=n/2)" in notes[0]


def _facet_frame():
    """d=2: two trainers at four widths; d=4: ten trainers, every run failed; d=8: one width only."""
    rows = []
    for d, trainers, widths, status in (
        (2, ["a", "b"], (2, 4, 8, 16), "ok"),
        (4, [f"t{i}" for i in range(10)], (2, 4, 8, 16), "failed"),
        (8, ["a", "b", "c"], (4,), "ok"),
    ):
        for trainer in trainers:
            for seed in (0, 1):
                for n in widths:
                    mse = (1 + seed) * 0.1 / n if status == "ok" else float("nan")
                    rows.append(
                        {"target.d": d, "trainer": trainer, "seed": seed, "n": n, "status": status, "test_mse": mse}
                    )
    return pd.DataFrame(rows)


def test_facets_without_a_drawable_curve_get_no_panel():
    from nnapprox.report.plots import plot_faceted_report

    df = _facet_frame()
    fig = plot_faceted_report(df, "n", ["trainer", "target.d"], "target.d", n_boot=100)
    titles = {ax.get_title() for ax in fig.axes if ax.get_title()}
    assert titles == {"d = 2"}
    alone = plot_faceted_report(df[df["target.d"] == 2], "n", ["trainer", "target.d"], "target.d", n_boot=100)
    # the dropped facets leave no trace: neither blank canvas nor legend room for their ten groups
    assert np.allclose(fig.get_size_inches(), alone.get_size_inches())
    assert plot_faceted_report(df[df["target.d"] != 2], "n", ["trainer"], "target.d", n_boot=100) is None


def test_a_line_keeps_its_colour_and_marker_in_every_panel():
    """Trainer b is the second line at d=2 and the first at d=4, and its width moves with d: one colour, one marker."""
    from nnapprox.report.plots import _identity_columns, plot_faceted_report

    rows = []
    for d, trainers, width in ((2, ["a", "b"], 64), (4, ["b", "c"], 128)):
        for trainer in trainers:
            for seed in (0, 1):
                for n in (2, 4, 8):
                    rows.append(
                        {
                            "target.d": d,
                            "trainer": trainer,
                            "width": width if trainer != "a" else 32,
                            "seed": seed,
                            "n": n,
                            "status": "ok",
                            "test_mse": (1 + seed) * 0.1 / n,
                        }
                    )
    df = pd.DataFrame(rows)
    fig = plot_faceted_report(df, "n", ["trainer", "width", "target.d"], "target.d", n_boot=100)
    style = {}
    for ax in fig.axes:
        for h, lab in zip(*ax.get_legend_handles_labels(), strict=True):
            if hasattr(h, "lines"):
                line = h.lines[0]
                style.setdefault(lab.split(",")[0].split("\n")[0], set()).add(
                    (
                        tuple(np.round(line.get_color(), 6))
                        if not isinstance(line.get_color(), str)
                        else line.get_color(),
                        line.get_marker(),
                    )
                )
    assert set(style) == {"trainer=a", "trainer=b", "trainer=c"}
    assert all(len(s) == 1 for s in style.values())
    assert len({next(iter(s)) for s in style.values()}) == 3  # three lines, three styles
    subs = [df[df["target.d"] == d] for d in (2, 4)]
    assert _identity_columns(subs, [["trainer", "width"]] * 2) == ["trainer"]


def test_categorical_lines_beyond_ten_get_distinct_qualitative_colours():
    from nnapprox.report.plots import _colors

    cols = _colors(14, categorical=True)
    assert len({tuple(c) for c in cols}) == 14
    dist = min(np.abs(np.subtract(a[:3], b[:3])).sum() for i, a in enumerate(cols) for b in cols[i + 1 :])
    ordered = _colors(14)
    assert dist > min(np.abs(np.subtract(a[:3], b[:3])).sum() for a, b in zip(ordered, ordered[1:], strict=False))
