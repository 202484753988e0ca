"""`make demo`: a small network fitted to a 1-D target, with a plot.

(Replaced by a reduced width-scaling study once the Hydra app lands.)
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np


def main(out_dir: str = "results/demo") -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from nnapprox import MLP, fit

    rng = np.random.default_rng(0)
    X = rng.uniform(-1, 1, size=(256, 1))
    y = np.sin(3 * X[:, 0])
    grid = np.linspace(-1, 1, 1001)[:, None]
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 4))
    ax1.plot(grid[:, 0], np.sin(3 * grid[:, 0]), "k-", lw=3, alpha=0.3, label="target sin(3x)")
    for width in (2, 4, 16):
        net = MLP([1, width, 1], "tanh", rng=np.random.default_rng(width))
        t = time.perf_counter()
        h = fit(net, X, y, trainer="lbfgs", max_steps=2000)
        err = np.mean((net.predict(grid) - np.sin(3 * grid[:, 0])) ** 2)
        print(f"width {width:3d}: test MSE {err:.2e} after {h.steps} L-BFGS steps ({time.perf_counter() - t:.2f} s)")
        ax1.plot(grid[:, 0], net.predict(grid), label=f"tanh net, width {width} (MSE {err:.1e})")
        ax2.semilogy(h.step, 2 * np.asarray(h.loss), label=f"width {width}")
    ax1.set(xlabel="x", ylabel="f(x)", title="1-hidden-layer tanh networks fitted by L-BFGS")
    ax1.legend(fontsize=8)
    ax2.set(xlabel="L-BFGS iteration", ylabel="training MSE", title="training curves")
    ax2.legend(fontsize=8)
    fig.tight_layout()
    path = out / "fit.png"
    fig.savefig(path, dpi=120)
    print(f"wrote {path}")
    return path


if __name__ == "__main__":
    main(*sys.argv[1:])
