"""Sweep reports: collect run records, fit rates with bootstrap CIs, plot, write REPORT.md.

``make_report(sweep_dir)`` does it all (the ``nnapprox-report`` command and the Hydra sweep
callback call it); the pieces work on their own from a notebook::

    df = collect_records("results/runs/barron_width")
    fits = fit_rates(df, "n", "test_mse", hue=["target.name"])
    fig = plot_scaling(df, "n", hue=["target.name"], overlay="barron", save_to="mse.png")
"""
from .collect import collect_records, find_record_files, status_counts, swept_variables, \
    write_runs_csv
from .fit import (RateFit, Verdict, bound_table, estimation_slope, fit_power_law, fit_rates,
                  informative_width, point_summary, verdict_bound, verdict_sample_rate,
                  verdict_width_rate)
from .markdown import RATES_COLUMNS, make_report
from .plots import plot_axis_report, plot_scaling

__all__ = [
    "RATES_COLUMNS", "RateFit", "Verdict", "bound_table", "collect_records", "estimation_slope",
    "find_record_files", "fit_power_law", "fit_rates", "informative_width", "make_report",
    "plot_axis_report", "plot_scaling", "point_summary", "status_counts", "swept_variables",
    "verdict_bound", "verdict_sample_rate", "verdict_width_rate", "write_runs_csv",
]
