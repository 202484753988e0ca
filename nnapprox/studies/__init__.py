"""Study plug-ins: one module per study, ``analyse(runs, ctx) -> StudyResult``.

A study is one YAML (``conf/experiment/<study>.yaml``: the grid), one module here
(``nnapprox/studies/<study>.py``: what to compute from the runs and how to judge it) and one
README (``experiments/<study>/README.md``). The report runner finds the module by the study's
name (or by the config's ``plugin``, which may also name a module outside this package);
without one, the generic analysis (:mod:`nnapprox.report.generic`) reports the study. Plug-ins
read records and the networks the jobs saved; they never train.
"""

from __future__ import annotations

import importlib

__all__ = ["get_plugin", "GenericPlugin"]


class GenericPlugin:
    """The default plug-in: :func:`nnapprox.report.generic.analyse`."""

    @staticmethod
    def analyse(runs, ctx):
        from nnapprox.report.generic import analyse

        return analyse(runs, ctx)


def get_plugin(study: str, plugin: str | None = None):
    """The plug-in module of a study.

    ``plugin`` (a name in this package, or any importable module path) wins; else
    ``nnapprox.studies.<study>`` if it exists; else :class:`GenericPlugin`.

    Raises
    ------
    ValueError
        If ``plugin`` names no importable module with an ``analyse`` function.
    """
    names = [plugin] if plugin else [study]
    for name in names:
        for mod in (f"{__name__}.{name}", name if plugin else None):
            if not mod or not all(part.isidentifier() for part in mod.split(".")):
                continue
            try:
                module = importlib.import_module(mod)
            except ModuleNotFoundError as e:
                if e.name and (mod == e.name or mod.startswith(e.name + ".")):
                    continue
                raise
            if hasattr(module, "analyse"):
                return module
    if plugin:
        raise ValueError(
            f"plugin={plugin!r}: no module nnapprox.studies.{plugin} or {plugin} with an analyse(runs, ctx) function"
        )
    return GenericPlugin
