"""The report library the study plug-ins call: collect run records, fit rates with bootstrap CIs, judge, plot.

The runner above the plug-ins, :func:`nnapprox.runner.report.run_report`, writes a sweep's whole
report (``nnapprox-report``, the Hydra sweep callback and ``make report`` call it); the pieces
work on their own from a notebook::

    df = collect_records("results/runs/width_scaling")
    fits = fit_rates(df, "n", "test_mse", hue=["target.d", "trainer.name"])
    fig = plot_scaling(df, "n", hue=["trainer.name"], overlay="barron", save_to="mse.png")

Importing this package loads neither the trainers nor scipy.optimize.
"""

from nnapprox.report.collect import collect_records, find_record_files, status_counts, swept_variables, write_runs_csv
from nnapprox.report.fit import RateFit, fit_power_law, fit_rates, point_summary
from nnapprox.report.generic import RATES_COLUMNS
from nnapprox.report.judge import bound_table
from nnapprox.report.plots import plot_axis_report, plot_scaling, save_figure
from nnapprox.report.study import Section, StudyContext, StudyResult
from nnapprox.report.verdicts import Check, Verdict

__all__ = [
    "RATES_COLUMNS",
    "RateFit",
    "Section",
    "StudyContext",
    "StudyResult",
    "Verdict",
    "Check",
    "bound_table",
    "collect_records",
    "find_record_files",
    "fit_power_law",
    "fit_rates",
    "plot_axis_report",
    "plot_scaling",
    "point_summary",
    "save_figure",
    "status_counts",
    "swept_variables",
    "write_runs_csv",
]
