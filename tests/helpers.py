"""Builders of fabricated records shared by several test modules (import them from here, never from a test module)."""
import math

import numpy as np
import pandas as pd

__all__ = ["NS", "PATH", "scaling_runs", "ridge_paths"]

NS = (1000, 2154, 4642, 10000, 21544, 46416, 100000)
PATH = (1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 48, 64, 96, 128, 192, 256)


def scaling_runs(approx=lambda n: 0.05 * n ** -2.0, est=None, *, sigma=0.1, noisy_reps=8, clean_reps=5, seed=0,
                 jitter=0.03):
    """Noisy and clean OGA paths: clean = approx(n) and noisy = approx(n) + est(n, N), times replica noise.

    The default estimation term is the least-squares variance σ² (n + 1)/(N − n − 2).
    """
    est = est or (lambda n, N: sigma ** 2 * (n + 1) / (N - n - 2))
    rng = np.random.default_rng(seed)
    rows = []
    for N in NS:
        for r in range(noisy_reps):
            shift = jitter * rng.normal()
            for n in PATH:
                a = approx(n) * math.exp(shift + 0.01 * rng.normal())
                e = est(n, N) * math.exp(jitter * rng.normal())
                base = {"data.N": N, "n": n, "seed": 0, "replica": r, "status": "ok", "target.d": 2, "c_f": 1.0,
                        "radius": 1.0, "var_f": 0.04, "trainer.name": "oga", "activation.name": "sigmoid",
                        "model.depth": 1}
                rows.append({**base, "data.noise": sigma, "test_mse": a + e, "train_mse": a})
                if r < clean_reps:
                    rows.append({**base, "data.noise": 0.0, "test_mse": a, "train_mse": a})
    return pd.DataFrame(rows)



def ridge_paths(K_of_d, *, slope=-1.5, ds=(2, 4, 8, 16), trainers=("oga",), units=("sigmoid",), reps=5, seed=0):
    """ridge_sum paths with C_f = 1.5 sqrt(d + 2), Var f = 0.4, r = 1 (n_0 = 22.5 (d + 2)), training MSE shaped so
    that max over n ≥ n_0 of n · MSE / (2 C_f)² is K_of_d(d) (reached at n_0's first recorded width)."""
    rng = np.random.default_rng(seed)
    rows = []
    for d in ds:
        c_f = 1.5 * math.sqrt(d + 2)
        B, n0 = (2 * c_f) ** 2, (2 * c_f) ** 2 / 0.4
        for trainer in trainers:
            for act in units:
                m_of = (lambda n: n // 2) if act == "relu" else (lambda n: n)
                for r in range(reps):
                    K = K_of_d(d) * math.exp(0.05 * rng.normal())
                    for n in (8, 16, 32, 64, 128, 256, 384, 512, 768, 1024, 1536, 2048):
                        n_first = 2 ** math.ceil(math.log2(n0 * (2 if act == "relu" else 1)))
                        mse = K * B / m_of(n_first) * (n / n_first) ** slope
                        rows.append({"target.name": "ridge_sum", "target.m": 1, "target.d": d, "c_f": c_f,
                                     "var_f": 0.4, "radius": 1.0, "trainer.name": trainer, "activation.name": act,
                                     "n": n, "replica": r, "seed": 0, "train_mse": mse, "test_mse": 1.2 * mse,
                                     "test_mse_se": 0.0, "rel_mse": mse / 0.4, "data.N": 40000, "status": "ok",
                                     "model.depth": 1, "bound": B / max(1, m_of(n))})
    return pd.DataFrame(rows)


