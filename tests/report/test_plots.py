"""nnapprox.report.plots: legends agree with the rates table, tick labels, bound notes, faceted figures."""

import pandas as pd

from nnapprox.report.fit import fit_power_law, fit_rates
from nnapprox.report.plots import legend_slope, plot_scaling


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
