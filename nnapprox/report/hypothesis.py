"""Small exact tests the verdicts use: two-sided rank comparisons with Holm's correction, binomial
intervals for best-of-k and counting claims, and trend tests for proportions.

Each function is a plain computation on arrays; the rules that turn their numbers into verdicts live
in the study plug-ins. scipy.stats is imported inside the functions (importing it pulls in
scipy.optimize, which the report package does not load at import).
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["holm", "rank_compare", "clopper_pearson", "fisher_two_sided", "trend_test", "ALPHA"]

#: Family-wise error rate of every corrected family of comparisons.
ALPHA = 0.05


def holm(pvalues) -> np.ndarray:
    """Holm's step-down adjusted p-values (family-wise error control, any dependence).

    Parameters
    ----------
    pvalues : array_like, shape ``(m,)``
        NaN entries are ignored (and stay NaN).

    Returns
    -------
    numpy.ndarray, shape ``(m,)``
        Reject hypothesis i at family-wise level α when ``adjusted[i] <= α``.
    """
    p = np.asarray(pvalues, dtype=float)
    out = np.full(p.shape, np.nan)
    ok = np.flatnonzero(np.isfinite(p))
    if ok.size == 0:
        return out
    order = ok[np.argsort(p[ok], kind="stable")]
    m = order.size
    running = 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (m - rank) * p[i]))
        out[i] = running
    return out


def _u_null_counts(m: int, n: int) -> np.ndarray:
    """Number of orderings giving each value of the Mann–Whitney U (0..mn) without ties."""
    # f[i][j][u]: arrangements of i x's and j y's with U = u; rolled over i
    prev = [np.zeros(1, dtype=float) + 1 for _ in range(n + 1)]  # i = 0: U = 0 for every j
    for i in range(1, m + 1):
        cur = [np.zeros(i * j + 1) for j in range(n + 1)]
        cur[0][0] = 1
        for j in range(1, n + 1):
            a = np.zeros(i * j + 1)
            # the largest element is an x (it beats all j y's) or a y
            a[j : j + prev[j].size] += prev[j]
            a[: cur[j - 1].size] += cur[j - 1]
            cur[j] = a
        prev = cur
    return prev[n]


def rank_compare(a, b, ci: float = 0.95) -> dict:
    """Two-sided Mann–Whitney comparison of ``a`` and ``b`` (positive errors), with the Hodges–Lehmann
    ratio and its distribution-free CI.

    Parameters
    ----------
    a, b : array_like
        Positive values of two independent samples (test MSEs of two architectures).
    ci : float
        Level of the ratio's interval.

    Returns
    -------
    dict
        ``p`` (two-sided; exact without ties, else the normal approximation with tie correction),
        ``ratio`` (Hodges–Lehmann estimate of a / b: exp of the median pairwise difference of logs),
        ``ci_low``, ``ci_high`` (the exact interval from the U distribution; NaN when the samples are too
        small for the level), ``median_a``, ``median_b``, ``n_a``, ``n_b``.
    """
    from scipy.stats import mannwhitneyu

    a = np.asarray(a, dtype=float)
    b = np.asarray(b, dtype=float)
    a, b = a[np.isfinite(a) & (a > 0)], b[np.isfinite(b) & (b > 0)]
    out = {
        "p": math.nan,
        "ratio": math.nan,
        "ci_low": math.nan,
        "ci_high": math.nan,
        "median_a": float(np.median(a)) if a.size else math.nan,
        "median_b": float(np.median(b)) if b.size else math.nan,
        "n_a": int(a.size),
        "n_b": int(b.size),
    }
    if a.size < 2 or b.size < 2:
        return out
    ties = np.unique(np.concatenate([a, b])).size < a.size + b.size
    out["p"] = float(mannwhitneyu(a, b, alternative="two-sided", method="asymptotic" if ties else "exact").pvalue)
    diffs = np.sort((np.log(a)[:, None] - np.log(b)[None, :]).ravel())
    out["ratio"] = float(np.exp(np.median(diffs)))
    counts = _u_null_counts(a.size, b.size)
    cdf = np.cumsum(counts) / counts.sum()
    alpha = 1 - ci
    # c: the number of extreme differences cut on each side, P(U <= c - 1) <= alpha / 2
    c = int(np.searchsorted(cdf, alpha / 2, side="right"))
    if c >= 1:
        out["ci_low"], out["ci_high"] = float(np.exp(diffs[c - 1])), float(np.exp(diffs[diffs.size - c]))
    return out


def clopper_pearson(k: int, n: int, ci: float = 0.95) -> tuple[float, float]:
    """Exact (Clopper–Pearson) interval of a binomial proportion k / n."""
    from scipy.stats import beta

    if n <= 0:
        return math.nan, math.nan
    alpha = 1 - ci
    lo = 0.0 if k == 0 else float(beta.ppf(alpha / 2, k, n - k + 1))
    hi = 1.0 if k == n else float(beta.ppf(1 - alpha / 2, k + 1, n - k))
    return lo, hi


def fisher_two_sided(k1: int, n1: int, k2: int, n2: int) -> float:
    """Two-sided Fisher exact test of equal proportions k1/n1 and k2/n2."""
    from scipy.stats import fisher_exact

    return float(fisher_exact([[k1, n1 - k1], [k2, n2 - k2]], alternative="two-sided").pvalue)


def trend_test(x, k, n) -> dict:
    """Cochran–Armitage test for a linear trend of proportions k_i / n_i in x_i (two-sided).

    Parameters
    ----------
    x : array_like
        Scores of the groups (e.g. depths).
    k, n : array_like of int
        Successes and trials per group.

    Returns
    -------
    dict
        ``z`` (positive: the proportion grows with x), ``p`` (two-sided, normal approximation),
        ``slope`` (least-squares slope of the proportion on x, weighted by n).
    """
    x, k, n = (np.asarray(v, dtype=float) for v in (x, k, n))
    N = n.sum()
    p = k.sum() / N if N > 0 else math.nan
    xbar = (n * x).sum() / N
    t = (k * (x - xbar)).sum()
    var = p * (1 - p) * (n * (x - xbar) ** 2).sum()
    slope = t / (n * (x - xbar) ** 2).sum() if (n * (x - xbar) ** 2).sum() > 0 else math.nan
    if not var > 0:
        return {"z": math.nan, "p": math.nan, "slope": slope}
    z = t / math.sqrt(var)
    return {"z": float(z), "p": float(math.erfc(abs(z) / math.sqrt(2))), "slope": float(slope)}
