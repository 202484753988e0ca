"""nnapprox: the approximation theory of neural networks, put to the test.

>>> import numpy as np
>>> from nnapprox import MLP, fit
>>> net = MLP([1, 16, 1], activation="tanh", rng=np.random.default_rng(0))

A grid of jobs in one call (the CLI's job and record code, no Hydra), for a notebook:

>>> from nnapprox import sweep
>>> runs = sweep({"target": "sin", "trainer": "oga", "model.width": [8, 16]}, "results/runs/mine")  # doctest: +SKIP

``MLP``, ``fit``, ``History``, ``Diverged`` and ``sweep`` are loaded on first use, so that importing a
sub-package (``nnapprox.report`` for analysis) does not load the trainers and scipy.optimize.
"""

from nnapprox.base.version import __version__

__all__ = ["MLP", "fit", "History", "Diverged", "sweep", "__version__"]


def __getattr__(name):
    if name == "MLP":
        from nnapprox.engine.network import MLP

        return MLP
    if name in ("fit", "History", "Diverged"):
        from nnapprox import trainers

        return getattr(trainers, name)
    if name == "sweep":
        from nnapprox.runner.sweep import sweep

        return sweep
    raise AttributeError(f"module 'nnapprox' has no attribute {name!r}")
