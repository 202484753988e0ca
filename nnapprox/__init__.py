"""nnapprox: the approximation theory of neural networks, put to the test.

>>> import numpy as np
>>> from nnapprox import MLP, fit
>>> net = MLP([1, 16, 1], activation="tanh", rng=np.random.default_rng(0))
"""
from .network import MLP
from .trainers import Diverged, History, fit

__version__ = "0.1.0"
__all__ = ["MLP", "fit", "History", "Diverged", "__version__"]
