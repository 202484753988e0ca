"""nnapprox: the approximation theory of neural networks, put to the test.

>>> import numpy as np
>>> from nnapprox import MLP, fit
>>> net = MLP([1, 16, 1], activation="tanh", rng=np.random.default_rng(0))

``MLP``, ``fit``, ``History`` and ``Diverged`` are loaded on first use, so that importing a
sub-package (``nnapprox.report`` for analysis) does not load the trainers and scipy.optimize.
"""
__version__ = "0.1.0"
__all__ = ["MLP", "fit", "History", "Diverged", "__version__"]


def __getattr__(name):
    if name == "MLP":
        from nnapprox.engine.network import MLP
        return MLP
    if name in ("fit", "History", "Diverged"):
        from nnapprox import trainers

        return getattr(trainers, name)
    raise AttributeError(f"module 'nnapprox' has no attribute {name!r}")
