"""The judgement layer: measured curves against the theorems, inside the regimes where they speak.

Each function takes the usable runs of one group and returns a
:class:`~nnapprox.report.verdicts.Verdict`. The predictions come from :mod:`nnapprox.theory`;
the rules here decide where a prediction can be tested:

* **Barron's bound** ``‖f − f_n‖² ≤ (2 r C_f)² / n`` (sigmoidal units; ReLU units in pairs) is
  informative only for ``n ≥ n_0 = (2 r C_f)² / Var f``: below ``n_0`` the constant predictor
  already satisfies it (*pre-asymptotic*). It bounds the *best* width-n network, so a trained
  network above it shows the optimizer, not the theorem (*optimizer floor*); the greedy
  algorithms construct networks that meet it on the training set (Jones 1992, Barron 1993,
  DeVore & Temlyakov 1996), so for them a training error above it contradicts.
* **The 1/n rate** is tested on the widths where the bound is informative, the error is above
  the precision floor and the estimation error is small: fewer than three such widths is
  *not tested*. A slope significantly slower than −1 there is an optimizer floor when the
  training error stops falling with n (the best width-2n network is at least as good as the
  best width-n one: nested classes) or a stronger optimizer of the same study reaches a
  training error three times lower at the same widths.
* **Sample size**: Barron's 1994 risk bound decreases in N at fixed n, so the test error must
  not grow with N.

Units outside the hypotheses (a fixed random basis, identity units, several hidden layers,
infinite or unknown C_f) are *not tested*, with the reason.
"""
from __future__ import annotations

import math

import numpy as np
import pandas as pd

from ..theory import RELU_FAMILY, SIGMOIDAL, estimation_slope, informative_width
from .fit import fit_power_law, fmt_slope
from .verdicts import CONSISTENT, CONTRADICTS, NOT_TESTED, Verdict

__all__ = ["judge_bound", "judge_width_rate", "judge_sample_rate", "width_regime", "PRECISION_FLOOR",
           "ESTIMATION_RATIO", "OPTIMIZER_GAP", "RATE_TOL", "BOUND_THEOREM", "GUARANTEED", "FIXED_BASIS",
           "bound_rule", "width_rule", "SAMPLE_RULE"]

#: Relative MSE below which a width is at the float64 / optimizer precision floor.
PRECISION_FLOOR = 1e-10
#: Noise-free test MSE above this multiple of the training MSE: the estimation error dominates.
ESTIMATION_RATIO = 2.0
#: A reference whose training MSE is this many times lower at the same width reveals an optimizer floor.
OPTIMIZER_GAP = 3.0
#: Slack on the slope of the 1/n rule.
RATE_TOL = 0.1
#: A slope CI wider than this cannot decide a rate.
MAX_CI_WIDTH = 1.0
#: Trainers with a constructive guarantee of the bound on the training set.
GUARANTEED = ("greedy", "oga")
#: Trainers that use a fixed (not adaptive) basis: outside the hypotheses of the upper bound.
FIXED_BASIS = ("random_features",)

BOUND_THEOREM = ("Barron (1993), Theorem 1: some network of n sigmoidal units has ‖f − f_n‖²_μ ≤ (2 r C_f)²/n "
                 "(ReLU units: two per sigmoidal ramp, so 2n of them)")
HYPOTHESES = ("f with finite Barron constant C_f on a domain inside the ball of radius r; one hidden layer of "
              "adaptive sigmoidal (or ReLU) units; the bound is on the best network of width n")


def bound_rule() -> str:
    return ("A run is below Barron's bound when test MSE − 2 s.e. ≤ (2 r C_f)²/m (m sigmoidal units: n, or "
            "⌊n/2⌋ for ReLU). Tested at the widths n ≥ n_0 = m-equivalent of (2 r C_f)²/Var f, where the bound is "
            "below the constant predictor's error. Consistent when every run there is below it; a trained "
            "network above it is an optimizer floor (the theorem bounds the best network); for greedy and oga, "
            "which construct networks meeting the bound on the training set, a training MSE above it "
            "contradicts.")


def width_rule(tol: float = RATE_TOL) -> str:
    return (f"Rate 1/n: least-squares slope of log mean test MSE on log n over the widths in the regime "
            f"(n ≥ n_0, MSE / Var f ≥ {PRECISION_FLOOR:g}, noise-free test/train MSE ≤ {ESTIMATION_RATIO:g}; at "
            f"least 3 widths), 95% bootstrap CI over seeds. Consistent when the whole CI lies at −1 + {tol:g} or "
            f"below. Otherwise: an optimizer floor when the training MSE stops falling with n (slope ≥ −0.2) or a "
            f"stronger optimizer of the study reaches a training MSE {OPTIMIZER_GAP:g}x lower at those widths; "
            f"undecided when the CI is wider than {MAX_CI_WIDTH:g}; consistent when the CI still reaches "
            f"−1 + {tol:g}; else it contradicts the bound's rate.")


SAMPLE_RULE = ("Barron (1994): at fixed n the risk bound O(C_f²/n) + O((n d/N) log N) decreases in N towards the "
               "approximation term, so the test error must not grow with N. Consistent when the CI of the slope in "
               "N reaches 0 or below (decreasing, or flat where the approximation or optimization error "
               "dominates); a CI entirely above 0 contradicts.")


def _col(rows, name):
    if name not in rows.columns:
        return np.full(len(rows), np.nan)
    return pd.to_numeric(rows[name], errors="coerce").to_numpy(dtype=float)


def _one(rows, name, default=None):
    if name not in rows.columns:
        return default
    vals = rows[name].dropna().unique()
    return vals[0] if len(vals) == 1 else default


def _hypotheses_fail(rows) -> str | None:
    """Why Barron's upper bound does not apply to these runs (None when it does)."""
    c = _col(rows, "c_f")
    c_f = float(np.nanmedian(c)) if np.isfinite(c).any() else math.nan
    if "c_f_infinite" in rows.columns and rows["c_f_infinite"].eq(True).all():
        return "outside the hypotheses: C_f is infinite (the target is not in Barron's class)"
    if not np.isfinite(c_f):
        why = _one(rows, "c_f_method")
        detail = (why[len("unknown: "):] if isinstance(why, str) and why.startswith("unknown: ")
                  else "no closed form for this target")
        return f"outside the hypotheses: C_f unknown ({detail})"
    depth = _one(rows, "model.depth", 1)
    if depth is not None and depth != 1:
        return f"outside the hypotheses: {int(depth)} hidden layers (the theorem is about one)"
    act = _one(rows, "activation.name", "sigmoid")
    if act not in SIGMOIDAL + RELU_FAMILY:
        return f"outside the hypotheses: units {act!r} are neither sigmoidal nor ReLU"
    trainer = _one(rows, "trainer.name", "")
    if trainer in FIXED_BASIS:
        return ("outside the hypotheses: a fixed random basis (the upper bound needs adaptive units; Barron's "
                "fixed-basis lower bound applies instead)")
    return None


def _n0(rows) -> float:
    act = _one(rows, "activation.name", "sigmoid") or "sigmoid"
    return float(informative_width(np.nanmedian(_col(rows, "c_f")), np.nanmedian(_col(rows, "var_f")),
                                   np.nanmedian(_col(rows, "radius")), act))


def judge_bound(rows, group: str = "all", width: str = "n") -> Verdict:
    """Barron's bound on the runs of one group (a width sweep with the job's ``bound`` column).

    Parameters
    ----------
    rows : pandas.DataFrame
        Usable (status ok) runs with ``n``, ``test_mse``, ``test_mse_se``, ``train_mse``, ``bound``,
        ``c_f``, ``radius``, ``var_f``, ``activation.name``, ``trainer.name``.
    group : str
        Label of the group.
    width : str
        The width column.
    """
    base = dict(claim="test MSE below Barron's bound (2 r C_f)²/n", theorem=BOUND_THEOREM, hypotheses=HYPOTHESES,
                group=group, predicted="test MSE ≤ bound at every n ≥ n_0", rule=bound_rule(), kind="barron_bound")
    why = _hypotheses_fail(rows)
    if why:
        return Verdict(**base, outcome=NOT_TESTED, reason=why)
    n = _col(rows, width)
    n0 = _n0(rows)
    bound, mse, se, tr = (_col(rows, c) for c in ("bound", "test_mse", "test_mse_se", "train_mse"))
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = mse / bound
    K = float(np.nanmax(ratio)) if np.isfinite(ratio).any() else math.nan
    inside = (n >= n0) & np.isfinite(bound)
    widths = np.unique(n[np.isfinite(n)])
    if not inside.any():
        return Verdict(**base, outcome=NOT_TESTED, value=K,
                       measured=f"largest test MSE / bound {K:.3g} (all widths)",
                       regime=f"n_0 = {n0:.3g}; swept n ≤ {widths.max():g}",
                       reason=f"pre-asymptotic: every swept width (n ≤ {widths.max():g}) is below n_0 = {n0:.3g}, "
                              f"where the bound exceeds Var f and says nothing")
    Kin = float(np.nanmax(ratio[inside]))
    regime = f"n ≥ n_0 = {n0:.3g}: {int(inside.sum())} runs at n = {', '.join(f'{w:g}' for w in np.unique(n[inside]))}"
    measured = f"largest test MSE / bound {Kin:.3g} at n ≥ n_0"
    above = inside & (mse - 2 * np.nan_to_num(se) > bound)
    if not above.any():
        return Verdict(**base, outcome=CONSISTENT, regime=regime, measured=measured, value=Kin)
    trainer = _one(rows, "trainer.name", "")
    if trainer in GUARANTEED:
        over = inside & (tr > bound)
        if over.any():
            return Verdict(**base, outcome=CONTRADICTS, regime=regime, measured=measured, value=Kin,
                           explanation=("the constructive guarantee assumes each new unit is the best of the whole "
                                        "dictionary {σ(a·x + b)}; this search caps |a| at max_scale/R and screens "
                                        "random directions, so that hypothesis fails"))
        return Verdict(**base, outcome=NOT_TESTED, regime=regime, measured=measured, value=Kin,
                       reason="estimation-dominated: the training MSE meets the bound, the test MSE exceeds it")
    return Verdict(**base, outcome=NOT_TESTED, regime=regime, measured=measured, value=Kin,
                   reason=f"optimizer floor: {int(above.sum())} runs of trainer {trainer!r} end above the bound, "
                          f"which holds for the best network of width n, not for a trained one")


def width_regime(rows, width: str = "n", n0: float | None = None):
    """Which rows lie where the 1/n rate can be tested, and why the others do not.

    Returns
    -------
    mask : numpy.ndarray of bool
    excluded : dict
        Reason -> number of rows excluded for it (``pre-asymptotic``, ``precision floor``,
        ``estimation-dominated``).
    """
    n = _col(rows, width)
    n0 = _n0(rows) if n0 is None else n0
    rel, mse, tr = _col(rows, "rel_mse"), _col(rows, "test_mse"), _col(rows, "train_mse")
    noise = np.nanmax(_col(rows, "data.noise")) if "data.noise" in rows else 0.0
    pre = n < n0
    floor = rel < PRECISION_FLOOR
    if noise and noise > 0:
        # noisy labels: estimation-dominated beyond the width of the smallest mean test MSE
        means = pd.Series(mse).groupby(n).mean()
        n_best = float(means.idxmin()) if len(means) else math.inf
        est = n > n_best
    else:
        est = mse > ESTIMATION_RATIO * tr
    mask = ~pre & ~floor & ~est & np.isfinite(mse) & (mse > 0)
    excluded = {"pre-asymptotic": int(pre.sum()), "precision floor": int((~pre & floor).sum()),
                "estimation-dominated": int((~pre & ~floor & est).sum())}
    return mask, excluded


def _widths_text(k: int) -> str:
    return "no width" if k == 0 else "only 1 width" if k == 1 else f"only {k} widths"


def judge_width_rate(rows, group: str = "all", width: str = "n", *, reference=None, tol: float = RATE_TOL,
                     n_boot: int = 2000, seed: int = 0) -> Verdict:
    """The 1/n rate of Barron's bound on one group, inside its regime.

    Parameters
    ----------
    rows : pandas.DataFrame
        Usable runs of the group (see :func:`judge_bound`; ``data.noise`` when noisy).
    reference : pandas.Series, optional
        Width -> the lowest training MSE a *stronger* optimizer of the study reaches at that width
        on the same data (the optimizer-floor check).
    """
    base = dict(claim="test MSE falls at least like 1/n where the bound is informative", theorem=BOUND_THEOREM,
                hypotheses=HYPOTHESES + "; the estimation error negligible (N large)", group=group,
                predicted="slope ≤ −1", rule=width_rule(tol), kind="width_rate")
    why = _hypotheses_fail(rows)
    if why:
        return Verdict(**base, outcome=NOT_TESTED, reason=why)
    n0 = _n0(rows)
    mask, excluded = width_regime(rows, width, n0)
    n = _col(rows, width)
    inside_widths = np.unique(n[mask])
    if inside_widths.size < 3:
        above = {k: v for k, v in excluded.items() if k != "pre-asymptotic" and v}
        if not np.any(n >= n0):
            main = "pre-asymptotic"
        else:  # widths above n_0 exist: why they are out (or too few of them)
            main = max(above, key=above.get) if above else "too few points"
        detail = {"pre-asymptotic": f"below n_0 = {n0:.3g}",
                  "precision floor": f"MSE / Var f < {PRECISION_FLOOR:g}",
                  "estimation-dominated": "the estimation error dominates",
                  "too few points": "fewer than 3 widths"}[main]
        all_fit = fit_power_law(n, _col(rows, "test_mse"), n_boot=max(n_boot, 100), seed=seed)
        return Verdict(**base, outcome=NOT_TESTED, value=all_fit.slope, ci_low=all_fit.ci_low,
                       ci_high=all_fit.ci_high,
                       measured=f"slope {fmt_slope(all_fit.slope, all_fit.ci_low, all_fit.ci_high)} over all widths "
                                f"(description)",
                       regime=f"{inside_widths.size} widths in the regime (n_0 = {n0:.3g})",
                       reason=(f"pre-asymptotic: every swept width (n ≤ {np.nanmax(n):g}) is below n_0 = {n0:.3g}"
                               if main == "pre-asymptotic" else
                               f"{main}: {_widths_text(inside_widths.size)} in the regime; the others: {detail}"))
    sub = rows[mask]
    fit = fit_power_law(_col(sub, width), _col(sub, "test_mse"), n_boot=max(n_boot, 100), seed=seed)
    regime = f"n ∈ [{inside_widths.min():g}, {inside_widths.max():g}] ({inside_widths.size} widths, n_0 = {n0:.3g})"
    measured = f"slope {fmt_slope(fit.slope, fit.ci_low, fit.ci_high)}"
    common = dict(regime=regime, measured=measured, value=fit.slope, ci_low=fit.ci_low, ci_high=fit.ci_high)
    if np.isfinite(fit.ci_high) and fit.ci_high <= -1 + tol:
        return Verdict(**base, outcome=CONSISTENT, **common)
    train_fit = fit_power_law(_col(sub, width), _col(sub, "train_mse"), n_boot=100, seed=seed)
    if np.isfinite(train_fit.slope) and train_fit.slope >= -0.2:
        return Verdict(**base, outcome=NOT_TESTED, **common,
                       reason=f"optimizer floor: the training MSE does not fall with n (slope {train_fit.slope:.2f}), "
                              f"though the best width-2n network is at least as good as the best width-n one "
                              f"(nested classes)")
    if reference is not None and len(reference):
        tr = pd.Series(_col(sub, "train_mse")).groupby(_col(sub, width)).mean()
        ref = reference.reindex(tr.index)
        beaten = (ref * OPTIMIZER_GAP < tr).sum()
        if beaten >= max(1, len(tr) / 2):
            return Verdict(**base, outcome=NOT_TESTED, **common,
                           reason=f"optimizer floor: a stronger optimizer of this study reaches a training MSE "
                                  f"{OPTIMIZER_GAP:g}x lower at {int(beaten)} of these {len(tr)} widths")
    if not np.isfinite(fit.ci_low) or fit.ci_high - fit.ci_low > MAX_CI_WIDTH:
        return Verdict(**base, outcome=NOT_TESTED, **common,
                       reason=f"too few points: the CI [{fit.ci_low:.2f}, {fit.ci_high:.2f}] is too wide to decide "
                              f"(more than {MAX_CI_WIDTH:g})")
    if fit.ci_low <= -1 + tol:
        return Verdict(**base, outcome=CONSISTENT, **common)
    trainer = _one(rows, "trainer.name", "")
    explanation = ("the greedy search is approximate (capped |a| ≤ max_scale/R, random directions), so the "
                   "dictionary hypothesis fails" if trainer in GUARANTEED else "")
    if not explanation:
        explanation = ("no stronger optimizer in this study does better at these widths; the measured decay is "
                       "slower than the bound's rate inside its regime")
    return Verdict(**base, outcome=CONTRADICTS, **common, explanation=explanation)


def judge_sample_rate(rows, group: str = "all", axis: str = "data.N", *, n_boot: int = 2000,
                      seed: int = 0) -> Verdict:
    """Barron (1994) at fixed width: the test error must not grow with the training-set size."""
    N = _col(rows, axis)
    fit = fit_power_law(N, _col(rows, "test_mse"), n_boot=max(n_boot, 100), seed=seed)
    base = dict(claim="test MSE does not grow with N at fixed width",
                theorem="Barron (1994): risk ≤ O(C_f²/n) + O((n d/N) log N)",
                hypotheses="one hidden layer; the estimator minimises the empirical risk (here: the trainer's fit)",
                group=group, predicted="slope in N ≤ 0 (estimation term alone: "
                                       f"{estimation_slope(N[N > 1]) if np.sum(N > 1) > 1 else math.nan:.2f})",
                rule=SAMPLE_RULE, kind="sample_rate")
    if not np.isfinite(fit.slope) or not np.isfinite(fit.ci_low):
        return Verdict(**base, outcome=NOT_TESTED, reason="too few points: fewer than 3 sample sizes")
    common = dict(regime=f"N ∈ [{fit.x_min:g}, {fit.x_max:g}]",
                  measured=f"slope {fmt_slope(fit.slope, fit.ci_low, fit.ci_high)}", value=fit.slope,
                  ci_low=fit.ci_low, ci_high=fit.ci_high)
    if fit.ci_low <= 0:
        return Verdict(**base, outcome=CONSISTENT, **common)
    return Verdict(**base, outcome=CONTRADICTS, **common,
                   explanation="the error grows with N at fixed width; the empirical risk is then not minimised "
                               "(optimizer) or the runs are not comparable across N")
