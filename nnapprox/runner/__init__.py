"""The report runner (records -> study plug-in -> REPORT.md, tables, figures, verdicts.json) and the one-call
:func:`~nnapprox.runner.sweep.sweep` of a grid of jobs.
"""
