"""Sweep reports: collect run records, fit rates with bootstrap CIs, judge them, plot, write the report.

``run_report(sweep_dir)`` does it all (``nnapprox-report``, the Hydra sweep callback and
``make report`` call it); the pieces work on their own from a notebook::

    df = collect_records("results/runs/width_scaling")
    fits = fit_rates(df, "n", "test_mse", hue=["target.d", "trainer.name"])
    fig = plot_scaling(df, "n", hue=["trainer.name"], overlay="barron", save_to="mse.png")

Importing this package loads neither the trainers nor scipy.optimize.
"""
from .collect import collect_records, find_record_files, status_counts, swept_variables, write_runs_csv
from .fit import RateFit, fit_power_law, fit_rates, point_summary
from .judge import bound_table
from .generic import RATES_COLUMNS
from .plots import plot_axis_report, plot_scaling, save_figure
from .runner import run_report
from .study import Section, StudyContext, StudyResult
from .verdicts import Check, Verdict

__all__ = [
    "RATES_COLUMNS", "RateFit", "Section", "StudyContext", "StudyResult", "Verdict", "Check", "bound_table",
    "collect_records", "find_record_files", "fit_power_law", "fit_rates", "plot_axis_report", "plot_scaling",
    "point_summary", "run_report", "save_figure", "status_counts", "swept_variables", "write_runs_csv",
]
