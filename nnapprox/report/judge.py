"""Barron's bound as it is stated, judged where it says something, by a rule that can fail.

Barron (1993), Theorem 1: for f with finite Barron constant C_f on a domain inside the ball of
radius r and *any* probability measure μ there, some network of n sigmoidal units has
``‖f − f_n‖²_μ ≤ (2 r C_f)² / n`` (ReLU units: two per sigmoidal ramp). The relaxed greedy
algorithm (Jones 1992, Barron 1993) and the orthogonal greedy algorithm (DeVore & Temlyakov 1996)
construct such networks in the Hilbert space they work in; here that is the training sample's
L2, so for them the theorem is a prediction about every replica's *training* MSE:

    K_train = max over n ≥ n_0 of m(n) · train MSE(n) / (2 r C_f)² ≤ 1   (m = n, or ⌊n/2⌋ for ReLU)

Null: K_train ≤ 1 on every replica. Alternative: some replica has K_train > 1 (rule ``barron_bound``).

* It is judged only at widths ``n ≥ n_0 = (2 r C_f)² / Var f`` (twice that for ReLU): below n_0 any
  fit with a constant term meets the bound (*pre-asymptotic*).
* A trainer without the constructive guarantee (L-BFGS, Adam, random features) says nothing about
  the theorem, which bounds the *best* network: its ``K`` is reported as a description, never as a
  verdict (a trained network above the bound is an optimizer floor; below it, nothing is tested).
* The test MSE of the greedy network is not the error of the network the theorem speaks of on the
  population measure, so ``K_test`` is reported beside ``K_train`` as a description.
* Slopes of the error in n describe curves; an upper bound predicts no slope for a curve far below
  it, so no verdict is drawn from a slope here.

Units or targets outside the hypotheses (a fixed random basis, identity units, several hidden
layers, infinite or unknown C_f) are *not tested*, with the reason.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from nnapprox.report.collect import iter_groups, varying_columns
from nnapprox.report.fit import path_ids, width_column
from nnapprox.report.verdicts import CONSISTENT, CONTRADICTS, NOT_TESTED, Rule, Verdict, register_rule
from nnapprox.theory.bounds import RELU_FAMILY, SIGMOIDAL, informative_width, sigmoidal_units

__all__ = [
    "judge_bound",
    "bound_k",
    "bound_table",
    "bound_groups",
    "BOUND_COLUMNS",
    "BOUND_RULE",
    "BOUND_THEOREM",
    "HYPOTHESES",
    "bound_rule",
    "guarantee",
    "hypotheses_fail",
    "has_sharp_rate",
    "col",
    "one",
]

BOUND_THEOREM = (
    "Barron (1993), Theorem 1: for every probability measure μ on the ball of radius r, some network of n "
    "sigmoidal units has ‖f − f_n‖²_μ ≤ (2 r C_f)²/n (ReLU units: two per sigmoidal ramp); relaxed greedy "
    "(Jones 1992, Barron 1993) and OGA (DeVore & Temlyakov 1996) construct one on the measure they fit"
)
HYPOTHESES = (
    "f with finite Barron constant C_f on a domain inside the ball of radius r; one hidden layer of sigmoidal "
    "(or ReLU, two per ramp) units; each greedy unit the best of the dictionary {σ(a·x + b)}"
)

BOUND_RULE = register_rule(
    Rule(
        kind="barron_bound",
        claim="the constructive network meets Barron's bound on its training sample at every n ≥ n_0",
        theorem=BOUND_THEOREM,
        null="K_train = max over n ≥ n_0 of m(n) · training MSE / (2 r C_f)² ≤ 1 on every replica",
        alternative="some replica has K_train > 1: a width n ≥ n_0 where the greedy network's training MSE exceeds "
        "(2 r C_f)²/m(n)",
    )
)


def bound_rule() -> str:
    """The bullet of "How to read this report" behind :func:`judge_bound`."""
    return (
        "**Barron's bound.** For relaxed greedy and OGA (the trainers that construct Barron's network on the "
        "sample they fit) K_train = max over n ≥ n_0 of m(n) · training MSE / (2 r C_f)² (m = n sigmoidal units, "
        "⌊n/2⌋ ReLU pairs) per replica; consistent when K_train ≤ 1 on every replica, contradicts when it "
        "exceeds 1 on one. Only widths n ≥ n_0 = (2 r C_f)²/Var f (twice that for ReLU) count: below n_0 a "
        "constant predictor meets the bound. Trained networks (L-BFGS, Adam) and fixed bases get no verdict: the "
        "theorem bounds the best network, so their K (train and test) is a description, as is the greedy "
        "networks' K_test."
    )


def col(rows, name):
    """Column ``name`` of ``rows`` as floats (NaN where missing or not numeric)."""
    if name not in rows.columns:
        return np.full(len(rows), np.nan)
    return pd.to_numeric(rows[name], errors="coerce").to_numpy(dtype=float)


def one(rows, name, default=None):
    """The single value of ``name`` in ``rows`` (``default`` if absent or not unique)."""
    if name not in rows.columns:
        return default
    vals = rows[name].dropna().unique()
    return vals[0] if len(vals) == 1 else default


def guarantee(trainer_name) -> str:
    """The approximation guarantee a trainer declares (``"barron"`` for greedy and OGA, ``""`` otherwise)."""
    from nnapprox.trainers import TRAINERS

    spec = TRAINERS.get(str(trainer_name))
    return getattr(spec, "guarantee", "") if spec is not None else ""


def has_sharp_rate(trainer_name) -> bool:
    """Whether Siegel & Xu's sharp rate applies to a trainer (declared on its spec: OGA)."""
    from ..trainers import TRAINERS

    spec = TRAINERS.get(str(trainer_name))
    return bool(getattr(spec, "sharp_rate", False)) if spec is not None else False


def _adaptive(trainer_name) -> bool:
    from nnapprox.trainers import TRAINERS

    spec = TRAINERS.get(str(trainer_name))
    return getattr(spec, "adaptive_units", True) if spec is not None else True


def hypotheses_fail(rows) -> str | None:
    """Why Barron's upper bound does not apply to these runs (None when it does)."""
    c = col(rows, "c_f")
    if "c_f_infinite" in rows.columns and rows["c_f_infinite"].eq(True).all():
        return "outside the hypotheses: C_f is infinite (the target is not in Barron's class)"
    if not np.isfinite(c).any():
        why = one(rows, "c_f_method")
        detail = (
            why[len("unknown: ") :]
            if isinstance(why, str) and why.startswith("unknown: ")
            else "no closed form for this target"
        )
        return f"outside the hypotheses: C_f unknown ({detail})"
    noise = col(rows, "data.noise")
    if np.nanmax(np.append(noise, 0.0)) > 0:
        return (
            "outside the hypotheses: noisy training labels (the constructive guarantee approximates the labels, "
            "and label noise is not a function of Barron's class)"
        )
    depth = one(rows, "model.depth", 1)
    if depth is not None and depth != 1:
        return f"outside the hypotheses: {int(depth)} hidden layers (the theorem is about one)"
    act = one(rows, "activation.name", "sigmoid")
    if act not in SIGMOIDAL + RELU_FAMILY:
        return f"outside the hypotheses: units {act!r} are neither sigmoidal nor ReLU"
    trainer = one(rows, "trainer.name", "")
    if not _adaptive(trainer):
        return (
            "outside the hypotheses: a fixed random basis (the upper bound needs adaptive units; Barron's "
            "fixed-basis lower bound applies instead)"
        )
    return None


def bound_k(rows, width: str = "n") -> pd.DataFrame:
    """Per replica path: K_train and K_test over the widths n ≥ n_0, and where each peaks.

    Parameters
    ----------
    rows : pandas.DataFrame
        Usable runs of one target (``c_f``, ``radius``, ``var_f``, ``activation.name``, the width,
        ``train_mse``, ``test_mse``).
    width : str
        The width column.

    Returns
    -------
    pandas.DataFrame
        Columns ``path``, ``n_0``, ``widths`` (how many widths n ≥ n_0 the path has), ``K_train``,
        ``n_at_K_train``, ``K_test``, ``K_test_low`` (test MSE − 2 s.e.), ``n_at_K_test``; NaN K where the
        path has no width n ≥ n_0.
    """
    act = one(rows, "activation.name", "sigmoid") or "sigmoid"
    c_f, var_f, r = (float(np.nanmedian(col(rows, c))) for c in ("c_f", "var_f", "radius"))
    n0 = float(informative_width(c_f, var_f, r, act))
    B = (2 * r * c_f) ** 2
    n = col(rows, width)
    m = np.asarray(sigmoidal_units(n, act), dtype=float)
    k_tr, k_te = m * col(rows, "train_mse") / B, m * col(rows, "test_mse") / B
    k_lo = m * (col(rows, "test_mse") - 2 * np.nan_to_num(col(rows, "test_mse_se"))) / B
    inside = (n >= n0) & (m > 0)
    out = []
    ids = path_ids(rows)
    for pid in pd.unique(ids):
        sel = (ids == pid) & inside
        row = {"path": pid, "n_0": n0, "widths": int(np.unique(n[sel]).size)}
        for name, k in (("train", k_tr), ("test", k_te)):
            ok = sel & np.isfinite(k)
            if ok.any():
                j = np.flatnonzero(ok)[np.argmax(k[ok])]
                row[f"K_{name}"], row[f"n_at_K_{name}"] = float(k[j]), float(n[j])
                if name == "test":
                    row["K_test_low"] = float(k_lo[j])
            else:
                row[f"K_{name}"] = row[f"n_at_K_{name}"] = math.nan
                if name == "test":
                    row["K_test_low"] = math.nan
        out.append(row)
    return pd.DataFrame(
        out, columns=["path", "n_0", "widths", "K_train", "n_at_K_train", "K_test", "K_test_low", "n_at_K_test"]
    )


def judge_bound(rows, group: str = "all", width: str = "n") -> Verdict | None:
    """Barron's bound on the runs of one group (one target, d, unit and trainer): rule ``barron_bound``.

    Parameters
    ----------
    rows : pandas.DataFrame
        Usable (status ok) runs with the width, ``train_mse``, ``test_mse``, ``c_f``, ``radius``,
        ``var_f``, ``activation.name``, ``trainer.name`` (and ``seed``/``replica`` for the paths).
    group : str
        Label of the group.
    width : str
        The width column.

    Returns
    -------
    Verdict or None
        None for a trainer without the constructive guarantee (no claim of the theorem is tested
        by a trained network; its K is a description in the bound table).
    """
    trainer = one(rows, "trainer.name", "")
    if guarantee(trainer) != "barron":
        return None
    base = dict(
        claim=BOUND_RULE.claim,
        theorem=BOUND_THEOREM,
        hypotheses=HYPOTHESES,
        group=group,
        predicted="K_train ≤ 1 on every replica",
        rule=bound_rule(),
        kind=BOUND_RULE.kind,
    )
    why = hypotheses_fail(rows)
    if why:
        return Verdict(**base, outcome=NOT_TESTED, reason=why)
    k = bound_k(rows, width)
    n0 = float(k["n_0"].iloc[0]) if len(k) else math.nan
    n = col(rows, width)
    widths = np.unique(n[np.isfinite(n)])
    inside = k[k["widths"] > 0]
    if inside.empty:
        return Verdict(
            **base,
            outcome=NOT_TESTED,
            regime=f"n_0 = {n0:.3g}; swept n ≤ {widths.max():g}",
            reason=f"pre-asymptotic: every swept width (n ≤ {widths.max():g}) is below n_0 = {n0:.3g}, "
            f"where a constant predictor meets the bound",
        )
    if inside["K_train"].isna().all():
        return Verdict(**base, outcome=NOT_TESTED, reason="no data: no training MSE recorded at the widths n ≥ n_0")
    worst = inside.loc[inside["K_train"].idxmax()]
    kt = inside["K_test"].max()
    above = np.unique(n[n >= n0])
    regime = (
        f"n ≥ n_0 = {n0:.3g}: {above.size} widths ({', '.join(f'{w:g}' for w in above[:6])}"
        f"{', …' if above.size > 6 else ''}), {len(inside)} replicas"
    )
    measured = (
        f"K_train = {worst['K_train']:.3g} (largest over replicas, at n = {worst['n_at_K_train']:g}); "
        f"K_test = {kt:.3g} (description)"
    )
    common = dict(regime=regime, measured=measured, value=float(worst["K_train"]))
    if worst["K_train"] <= 1:
        return Verdict(**base, outcome=CONSISTENT, **common)
    bad = int((inside["K_train"] > 1).sum())
    return Verdict(
        **base,
        outcome=CONTRADICTS,
        **common,
        explanation=(
            f"{bad} of {len(inside)} replicas have a training MSE above the bound at a width n ≥ n_0: the constructive "
            "guarantee assumes each new unit is the best of the whole dictionary {σ(a·x + b)}; this search caps |a| at "
            "max_scale/R and screens random directions (a weak greedy step), so that hypothesis fails here"
        ),
    )


#: Columns of :func:`bound_table`.
BOUND_COLUMNS = (
    "group",
    "trainer",
    "c_f",
    "radius",
    "var_f",
    "n_0",
    "widths_above_n_0",
    "replicas",
    "K_train",
    "K_test",
    "n_at_K",
    "judged",
)


def bound_groups(df) -> list:
    """The columns that change C_f, Var f, r or n_0 (every varying ``target.*`` column, the units) and the
    trainer: the bound table has one row per combination, never a median over targets or dimensions."""
    varying = set(varying_columns(df))
    cols = [c for c in df.columns if c.startswith("target.") and c != "target.kind" and c in varying]
    return cols + [c for c in ("activation.name", "trainer.name") if c in varying]


def bound_table(df, by=None) -> pd.DataFrame:
    """Barron's bound per target, units and trainer: C_f, r, Var f, n_0 and K over the widths n ≥ n_0.

    Parameters
    ----------
    df : pandas.DataFrame
        Records of one study (usable runs are used for K; every record for the target's properties).
    by : sequence of str, optional
        Grouping columns (default :func:`bound_groups`).

    Returns
    -------
    pandas.DataFrame
        Columns :data:`BOUND_COLUMNS`: ``K_train``/``K_test`` are the largest over replicas of
        max over n ≥ n_0 of m(n)·MSE/(2 r C_f)² (NaN without a width n ≥ n_0); ``judged`` says whether the
        trainer's K_train is a verdict (constructive trainers) or a description.
    """
    if "c_f" not in df.columns:
        return pd.DataFrame(columns=list(BOUND_COLUMNS))
    by = bound_groups(df) if by is None else list(by)
    wcol = width_column(df)
    rows = []
    for label, _, g in iter_groups(df, by):
        c = col(g, "c_f")
        c_f = float(np.nanmedian(c)) if np.isfinite(c).any() else math.nan
        if not np.isfinite(c_f) and "c_f_infinite" in g.columns and g["c_f_infinite"].eq(True).all():
            c_f = math.inf  # records store an infinite C_f as null plus this flag
        r, var_f = (
            float(np.nanmedian(col(g, k))) if np.isfinite(col(g, k)).any() else math.nan for k in ("radius", "var_f")
        )
        act = one(g, "activation.name", "sigmoid") or "sigmoid"
        n0 = float(informative_width(c_f, var_f, r, act))
        ok = g[(g["status"].astype(str) == "ok") if "status" in g.columns else np.ones(len(g), bool)]
        k = bound_k(ok, wcol) if (wcol and np.isfinite(c_f) and len(ok)) else pd.DataFrame()
        inside = k[k["widths"] > 0] if len(k) else k
        trainer = one(g, "trainer.name", "")
        rows.append(
            {
                "group": label,
                "trainer": trainer,
                "c_f": c_f,
                "radius": r,
                "var_f": var_f,
                "n_0": n0,
                "widths_above_n_0": int(inside["widths"].max()) if len(inside) else 0,
                "replicas": int(len(inside)),
                "K_train": float(inside["K_train"].max()) if len(inside) else math.nan,
                "K_test": float(inside["K_test"].max()) if len(inside) else math.nan,
                "n_at_K": float(inside.loc[inside["K_train"].idxmax(), "n_at_K_train"])
                if len(inside) and inside["K_train"].notna().any()
                else math.nan,
                "judged": "verdict" if guarantee(trainer) == "barron" else "description",
            }
        )
    return pd.DataFrame(rows, columns=list(BOUND_COLUMNS))
