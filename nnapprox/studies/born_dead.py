"""Study ``born_dead``: narrow deep ReLU networks that start constant, and the initialisations that avoid it.

A ReLU network is *born dead* when, as initialised, its output is constant on the training inputs:
some hidden layer is off (z ≤ 0) on every input, so nothing above it sees the input and no gradient
reaches below it. Lu, Shin, Su & Karniadakis (2020) prove that with weights and biases drawn from
symmetric distributions a ReLU network of fixed width dies with probability tending to 1 as the
depth grows, and propose the randomized asymmetric initialisation (RAI) against it. The probe jobs
(``trainer=init_probe``, no training) measure the fraction born dead per initialisation, depth and
width; the trained jobs fit Telgarsky-shaped nets (width 2, depth k) to Δ^k from each initialisation
and count the restarts that leave the constant predictor.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from matplotlib import rc_context
from matplotlib.figure import Figure

from nnapprox.engine.diagnostics import born_dead
from nnapprox.report import generic
from nnapprox.report.hypothesis import ALPHA, fisher_two_sided, holm, trend_test
from nnapprox.report.plots import RC
from nnapprox.report.study import Section, Window
from nnapprox.report.tables import markdown_table
from nnapprox.report.verdicts import CONSISTENT, CONTRADICTS, NOT_TESTED, Rule, Verdict, register_rule

__all__ = ["analyse", "judge", "wilson", "init_label", "dead_table", "trained_table", "ALIVE_BELOW", "JUDGE"]

#: A trained net "leaves the constant predictor" when its test MSE is at most this fraction of Var f.
ALIVE_BELOW = 0.95
#: Judgement windows (values fixed in conf/experiment/born_dead.yaml before the sweep).
JUDGE = {
    "min_fraction": Window(
        0.05,
        "born-dead fractions below this at every depth leave a width untested (nothing "
        "to grow from), and a depth enters the RAI comparison only where He dies at "
        "least this often",
        2.0,
    )
}
THEOREM = (
    "Lu, Shin, Su & Karniadakis (2020): with weights and biases from symmetric distributions, a ReLU network "
    "of fixed width is born dead with probability → 1 as its depth → ∞; the randomized asymmetric "
    "initialisation lowers that probability"
)
DEPTH_RULE = register_rule(
    Rule(
        kind="born_dead_depth",
        claim="with symmetric initialisation, the fraction of networks born dead grows with depth",
        theorem=THEOREM,
        null=f"a Cochran–Armitage trend test over the depths finds an increase (two-sided, Holm-adjusted p ≤ {ALPHA:g} "
        "over the widths, positive trend)",
        alternative=f"a significant decrease with depth (Holm-adjusted p ≤ {ALPHA:g}, negative trend)",
        windows=("min_fraction",),
    )
)
RAI_RULE = register_rule(
    Rule(
        kind="rai_remedy",
        claim="the randomized asymmetric initialisation is born dead less often than symmetric He",
        theorem=THEOREM,
        null=f"at the depths where He dies, RAI dies significantly less often (two-sided Fisher tests, Holm over the "
        f"family, adjusted p ≤ {ALPHA:g}) and never significantly more",
        alternative=f"at some depth RAI dies significantly more often than He (Holm-adjusted p ≤ {ALPHA:g})",
        windows=("min_fraction",),
    )
)
INIT_ORDER = ("he, zero biases", "he, N(0, 0.5²) biases", "he, biases through data points", "rai")
INTRO = (
    "How often does a narrow deep ReLU network start dead, and what avoids it? The fraction of random "
    "initialisations whose output is constant on the data, per initialisation, depth and width, and "
    "Telgarsky-shaped nets (width 2, depth k) trained on Δ^k from each initialisation."
)


def wilson(successes: int, n: int, z: float = 1.96):
    """Wilson score interval ``(low, high)`` of a binomial proportion."""
    if n == 0:
        return math.nan, math.nan
    p = successes / n
    den = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / den
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / den
    return max(0.0, centre - half), min(1.0, centre + half)


def init_label(row) -> str:
    """The initialisation of a record, as the tables name it."""
    if row.get("model.init") == "rai":
        return "rai"
    bias = row.get("model.bias_init")
    return {"zero": "he, zero biases", "normal": "he, N(0, 0.5²) biases", "data": "he, biases through data points"}.get(
        bias, f"{row.get('model.init')}, {bias}"
    )


def dead_table(runs) -> pd.DataFrame:
    """Per initialisation, depth and width: initialisations probed, born dead, the fraction and its Wilson CI."""
    p = runs[(runs["status"] == "ok") & (runs["trainer.name"] == "init_probe")].copy()
    if p.empty:
        return pd.DataFrame(columns=["init", "depth", "width", "n", "dead", "fraction", "ci_low", "ci_high"])
    p["init"] = [init_label(r) for _, r in p.iterrows()]
    rows = []
    for (init, depth, width), g in p.groupby(["init", "model.depth", "model.width"], sort=True):
        dead = int(g["extra.born_dead"].sum())
        lo, hi = wilson(dead, len(g))
        rows.append(
            {
                "init": init,
                "depth": int(depth),
                "width": int(width),
                "n": len(g),
                "dead": dead,
                "fraction": dead / len(g),
                "ci_low": lo,
                "ci_high": hi,
                "dead_unit_frac": float(g["extra.dead_unit_frac"].mean()),
            }
        )
    out = pd.DataFrame(rows)
    out["init"] = pd.Categorical(
        out["init"], [i for i in INIT_ORDER if i in set(out["init"])] + sorted(set(out["init"]) - set(INIT_ORDER))
    )
    return out.sort_values(["init", "width", "depth"]).reset_index(drop=True)


#: Inputs on which a trained network is probed for a constant output: [0, 1] on 1025 points.
PROBE_GRID = np.linspace(0.0, 1.0, 1025)[:, None]


def trained_table(runs, ctx=None) -> pd.DataFrame:
    """Per k and initialisation: restarts, how many leave the constant predictor, best and median rel. test MSE.

    With ``ctx`` (the study context) each trained network is reloaded from its saved parameters and
    probed on :data:`PROBE_GRID`: ``dead_after`` counts the restarts whose output ends constant (a
    layer off everywhere: training killed it, or it was born so), so that of the restarts which did
    not leave the constant predictor, the dead are told apart from the alive but stuck.
    """
    t = generic.usable(runs[runs["trainer.name"] != "init_probe"]).copy()
    if t.empty:
        return pd.DataFrame(columns=["k", "init", "restarts", "alive", "best_rel", "median_rel"])
    t["init"] = [init_label(r) for _, r in t.iterrows()]
    if ctx is not None:
        t["dead_after"] = [born_dead(ctx.net(r), PROBE_GRID)["born_dead"] for _, r in t.iterrows()]
    rows = []
    for (k, init), g in t.groupby(["target.k", "init"], sort=True):
        rel = g["rel_mse"].to_numpy(dtype=float)
        row = {
            "k": int(k),
            "init": init,
            "depth": int(g["model.depth"].iloc[0]),
            "restarts": len(g),
            "alive": int(np.sum(rel <= ALIVE_BELOW)),
            "best_rel": float(rel.min()),
            "median_rel": float(np.median(rel)),
            "dead_unit_frac_after": float(g["dead_frac"].mean()),
        }
        if "dead_after" in g:
            row["dead_after"] = int(g["dead_after"].sum())
        rows.append(row)
    return pd.DataFrame(rows)


def _verdicts(tab, min_fraction):
    """The depth-trend and RAI verdicts from :func:`dead_table` (two-sided tests, Holm over each family)."""
    sym = tab[tab["init"] == "he, zero biases"]
    trend_rows = []
    for width, g in sym.groupby("width", sort=True):
        g = g.sort_values("depth")
        t = trend_test(g["depth"], g["dead"], g["n"])
        trend_rows.append((width, g, t))
    adj = holm([t["p"] if g["fraction"].max() >= min_fraction else np.nan for _, g, t in trend_rows])
    out = []
    for (width, g, t), p_adj in zip(trend_rows, adj, strict=True):
        lo_d, hi_d = g.iloc[0], g.iloc[-1]
        base = dict(
            claim=DEPTH_RULE.claim,
            theorem=THEOREM,
            hypotheses="He weights, zero biases, ReLU; fixed width",
            group=f"width {int(width)}",
            predicted="fraction increasing in depth (→ 1)",
            kind=DEPTH_RULE.kind,
            measured=(
                f"{lo_d.fraction:.2f} at depth {lo_d.depth} → {hi_d.fraction:.2f} at depth {hi_d.depth}; "
                f"trend z = {t['z']:.2f}, Holm-adjusted p = {p_adj:.2g}"
            ),
            regime=f"depths {int(g['depth'].min())}..{int(g['depth'].max())}, {int(g['n'].iloc[0])} "
            f"initialisations each",
            rule=DEPTH_RULE.null,
            value=float(t["z"]),
            windows={"min_fraction": min_fraction, "alpha": ALPHA},
        )
        if g["fraction"].max() < min_fraction:
            out.append(
                Verdict(
                    **base,
                    outcome=NOT_TESTED,
                    reason=(
                        f"pre-asymptotic: at width {int(width)} fewer than {min_fraction:g} of the initialisations are "
                        f"born "
                        f"dead up to depth {int(g['depth'].max())}"
                    ),
                )
            )
        elif p_adj <= ALPHA and t["z"] > 0:
            out.append(Verdict(**base, outcome=CONSISTENT))
        elif p_adj <= ALPHA:
            out.append(
                Verdict(
                    **base,
                    outcome=CONTRADICTS,
                    explanation=(
                        "fewer deep nets born dead than shallow ones: the probe or the initialisation is wrong (a bug)"
                    ),
                )
            )
        else:
            out.append(
                Verdict(
                    **base,
                    outcome=NOT_TESTED,
                    reason=f"undecided: no significant trend (Holm-adjusted p = {p_adj:.2g})",
                )
            )
    rai = tab[tab["init"] == "rai"].set_index(["depth", "width"])
    family = []
    for width, g in sym.groupby("width", sort=True):
        for r in g.itertuples():
            if r.fraction >= min_fraction and (r.depth, width) in rai.index:
                q = rai.loc[(r.depth, width)]
                family.append((width, r, q, fisher_two_sided(int(q.dead), int(q.n), int(r.dead), int(r.n))))
    adj = holm([f[3] for f in family])
    for width in sorted(sym["width"].unique()):
        cells = [(r, q, pa) for (w, r, q, _), pa in zip(family, adj, strict=True) if w == width]
        base = dict(
            claim=RAI_RULE.claim,
            theorem=THEOREM,
            hypotheses="ReLU; RAI as in Lu et al. (one positive Beta(2, 1) entry per unit)",
            group=f"width {int(width)}",
            predicted="RAI fraction below He's",
            kind=RAI_RULE.kind,
            rule=RAI_RULE.null,
            windows={"min_fraction": min_fraction, "alpha": ALPHA},
        )
        if not cells:
            out.append(
                Verdict(
                    **base,
                    outcome=NOT_TESTED,
                    reason=f"pre-asymptotic: He dies less than {min_fraction:g} of the time at width "
                    f"{int(width)} at every depth",
                )
            )
            continue
        meas = "; ".join(
            f"depth {r.depth}: {q.fraction:.2f} vs {r.fraction:.2f} (p_Holm {pa:.2g})" for r, q, pa in cells
        )
        v = dict(**base, measured=meas, regime=f"depths {', '.join(str(r.depth) for r, _, _ in cells)}")
        lower = [pa <= ALPHA and q.fraction < r.fraction for r, q, pa in cells]
        higher = [pa <= ALPHA and q.fraction > r.fraction for r, q, pa in cells]
        if any(higher):
            out.append(
                Verdict(
                    **v,
                    outcome=CONTRADICTS,
                    explanation="RAI dies significantly more often than He here: "
                    "the implementation departs from the paper (a bug)",
                )
            )
        elif all(lower):
            out.append(Verdict(**v, outcome=CONSISTENT))
        else:
            out.append(
                Verdict(
                    **v,
                    outcome=NOT_TESTED,
                    reason="undecided: RAI is not significantly below He at every such depth (Holm over the family)",
                )
            )
    return out


def judge(runs, ctx):
    """The depth-trend and RAI verdicts (for the windows' sensitivity)."""
    return _verdicts(dead_table(runs), ctx.windows(JUDGE)["min_fraction"])


def _plot(tab):
    widths = sorted(tab["width"].unique())
    colors = dict(zip(INIT_ORDER, ("tab:red", "tab:orange", "tab:blue", "tab:green"), strict=True))
    with rc_context(RC):
        fig = Figure(figsize=(3.2 * len(widths), 3.6), layout="constrained")
        axes = np.atleast_1d(fig.subplots(1, len(widths), sharey=True))
        for ax, w in zip(axes, widths, strict=True):
            for init, g in tab[tab["width"] == w].groupby("init", observed=True):
                g = g.sort_values("depth")
                ax.errorbar(
                    g["depth"],
                    g["fraction"],
                    yerr=[g["fraction"] - g["ci_low"], g["ci_high"] - g["fraction"]],
                    marker="o",
                    capsize=2,
                    color=colors.get(init, "0.4"),
                    label=init,
                )
            ax.set(xlabel="hidden layers", title=f"width {w}", ylim=(-0.03, 1.03))
            ax.grid(True, alpha=0.3)
        axes[0].set_ylabel("fraction born dead (95% CI)")
        handles, labels = axes[0].get_legend_handles_labels()
        fig.legend(handles, labels, loc="outside lower center", ncols=4, fontsize=8, frameon=False)
        fig.suptitle("ReLU nets constant on their data at initialisation (inputs in [0, 1])")
    return fig


def analyse(runs, ctx):
    """The born-dead table and figure, its verdicts, and the trained Telgarsky-shaped nets per initialisation."""
    res = generic.base_result(
        runs,
        INTRO,
        [
            "**Born dead.** The output's range over the training inputs is at most 1e-10 (1 + |mean|): a hidden layer "
            "is "
            "off on every input. Fractions with Wilson 95% intervals.",
            "**Tests.** The depth trend per width: a two-sided Cochran–Armitage test, Holm over the widths. RAI "
            "against He "
            "(zero biases): a two-sided Fisher exact test at every depth where He dies at least `min_fraction` of the "
            "time, Holm over all of them.",
            f"**Leaves the constant predictor.** A trained net whose test MSE is at most {ALIVE_BELOW:g} Var f.",
        ],
    )
    tab = dead_table(runs)
    tr = trained_table(runs, ctx)
    res.tables.update(born_dead=tab, trained_telgarsky_shaped=tr)
    if len(tab):
        res.verdicts = _verdicts(tab, ctx.windows(JUDGE)["min_fraction"])
        res.figures["born_dead"] = _plot(tab)
        wide = tab.pivot_table(index=["width", "depth"], columns="init", values="fraction", observed=True)
        body = [
            "![born dead](figures/born_dead.png)",
            "",
            "Fraction born dead (rows: width, depth):",
            "",
            markdown_table(wide.reset_index()),
            "",
        ]
    else:
        body = []
    if len(tr):
        summary = "; ".join(
            f"{init}: {int(g['alive'].sum())} of {int(g['restarts'].sum())}"
            for init, g in tr.groupby("init", sort=False)
        )
        body += [
            f"**Trained Telgarsky-shaped nets** (width 2, depth k, Adam; leaving the constant predictor = test "
            f"MSE ≤ {ALIVE_BELOW:g} Var f), over k = {', '.join(str(k) for k in sorted(tr['k'].unique()))}: "
            f"{summary}.",
            "",
        ]
        by_k = "; ".join(
            f"k = {k}: {int(g['alive'].max())} of {int(g['restarts'].iloc[0])} "
            + (
                f"({', '.join(g.loc[g['alive'] == g['alive'].max(), 'init'])})"
                if g["alive"].max() > 0
                else "(every initialisation)"
            )
            for k, g in tr.groupby("k", sort=True)
        )
        body += [f"Best initialisation per k (restarts leaving the constant predictor): {by_k}.", ""]
        if "dead_after" in tr:
            stuck = tr["restarts"] - tr["alive"]
            body += [
                f"Of the {int(stuck.sum())} restarts that did not leave the constant predictor, "
                f"{int(tr['dead_after'].sum())} ended dead (output constant on [0, 1]: dead_after) and the rest "
                "alive but at a near-constant function (Δ^k is nearly orthogonal to functions with few pieces, "
                "so a net that misses the hand-built weights gains almost nothing). dead_unit_frac_after: hidden "
                "units off on every training input after training.",
                "",
            ]
        body += [markdown_table(tr), ""]
    res.sections.insert(0, Section("Born dead, and the remedies", "\n".join(body)))
    return res
