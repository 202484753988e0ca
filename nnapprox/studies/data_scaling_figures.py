"""The figures of the ``data_scaling`` study (:mod:`nnapprox.studies.data_scaling`): the noisy U-curves and
n_best against N, the estimation error against n and N, and the decomposition of the noisy error."""

from __future__ import annotations

import math

import numpy as np
from matplotlib import colormaps, rc_context
from matplotlib.figure import Figure
from matplotlib.ticker import FixedLocator, FuncFormatter, NullLocator

from nnapprox.report.fit import fmt_slope, width_column
from nnapprox.report.plots import RC, label_of
from nnapprox.report.ticks import compact_label
from nnapprox.theory.bounds import estimation_term, least_squares_variance

#: The sample-size column (as in the study).
SAMPLE = "data.N"


def _ticks(axis, values):
    axis.set_major_locator(FixedLocator(np.unique(values)))
    axis.set_major_formatter(FuncFormatter(compact_label))
    axis.set_minor_locator(NullLocator())


def plot_nbest(noisy, clean, table, expo, approx):
    """(a) noisy mean test MSE vs n per N (minima starred) with the clean curve at the largest N; (b) n_best vs N
    with the per-replica fit and the balance law through its centre."""
    width = width_column(noisy)
    means = noisy.pivot_table(index=SAMPLE, columns=width, values="test_mse", aggfunc="mean")
    cmap = colormaps["viridis"]
    with rc_context(RC):
        fig = Figure(figsize=(11.0, 6.0), layout="constrained")
        ax1, ax2 = fig.subplots(1, 2)
        for i, N in enumerate(means.index):
            color = cmap(i / max(1, len(means.index) - 1) * 0.9)
            row = means.loc[N].dropna()
            ax1.plot(row.index, row.values, marker="o", ms=2.5, color=color, label=f"N = {N:g}")
            j = int(np.argmin(row.values))
            ax1.plot(row.index[j], row.values[j], marker="*", ms=12, color=color, mec="k", mew=0.6, ls="none")
        if len(clean):
            Nc = clean[SAMPLE].max()
            cm = clean[clean[SAMPLE] == Nc].groupby(width)["test_mse"].mean()
            ax1.plot(cm.index, cm.values, "k--", lw=1.2, label=f"no noise, N = {Nc:g} (approximation term)")
        ax1.plot([], [], ls="none", marker="*", ms=10, color="0.6", mec="k", label="minimum (all replicas)")
        ax1.set(
            xscale="log",
            yscale="log",
            xlabel=label_of("n"),
            ylabel="mean test MSE over replicas",
            title="(a) test MSE vs width per N",
        )
        ax1.legend(loc="upper center", bbox_to_anchor=(0.5, -0.12), fontsize=7.5, ncols=3, frameon=False)
        ax1.grid(True, alpha=0.3)
        Ns = table["N"].to_numpy(dtype=float)
        free = (table["capped"] == "").to_numpy()
        ax2.scatter(Ns[free], table["n_best"][free], color="tab:red", zorder=3, label="n_best (inside the grid)")
        if (~free).any():
            ax2.scatter(
                Ns[~free],
                table["n_best"][~free],
                facecolors="white",
                edgecolors="tab:red",
                zorder=3,
                label="n_best at a grid edge (not fitted)",
            )
        if np.isfinite(expo["s"]):
            Nf = np.geomspace(Ns[free].min(), Ns[free].max(), 50)
            lx = np.log(Nf / np.log(Nf))
            ctr = np.log(Ns[free] / np.log(Ns[free])).mean()
            y0 = math.exp(np.log(table["n_best"][free].to_numpy(dtype=float)).mean())
            ax2.plot(
                Nf,
                y0 * np.exp(expo["s"] * (lx - ctr)),
                "r:",
                lw=1.4,
                label=f"fit (per replica, t-interval): s = {fmt_slope(expo['s'], expo['s_low'], expo['s_high'])}",
            )
            if np.isfinite(approx["a"]):
                ax2.plot(
                    Nf,
                    y0 * np.exp((lx - ctr) / (1 + approx["a"])),
                    "b-.",
                    lw=1.2,
                    label=f"balance 1/(1 + a), a = {approx['a']:.2f} (through the same centre)",
                )
        ax2.set(
            xscale="log",
            yscale="log",
            xlabel=label_of(SAMPLE),
            ylabel="width with the smallest mean test MSE",
            title="(b) the best width against N",
        )
        _ticks(ax2.xaxis, Ns)
        _ticks(ax2.yaxis, table["n_best"].to_numpy(dtype=float))
        ax2.legend(loc="upper center", bbox_to_anchor=(0.5, -0.12), fontsize=7.5, frameon=False)
        ax2.grid(True, alpha=0.3)
    return fig


def plot_estimation(est, d, sigma):
    """The measured estimation term E = noisy − clean vs N per width (mean over paired replicas, bars min–max),
    with σ² (n + 1)/(N − n − 2) at its true level (solid) and σ² (n d / N) log N (dotted: Barron's term with its
    unstated constant set to 1: its shape only). A bar whose minimum is ≤ 0 is cut and marked with a caret; a
    width with no positive mean is left out and named in the legend."""
    widths = sorted(n for n in est["n"].unique() if n >= 4 and float(np.log2(n)).is_integer())
    cmap = colormaps["plasma"]
    with rc_context(RC):
        fig = Figure(figsize=(7.0, 6.0), layout="constrained")
        ax = fig.add_subplot()
        cut = 4.0  # a bar whose minimum is ≤ 0 stops this factor below the mean, with a caret
        clipped, empty = False, []
        for i, n in enumerate(widths):
            color = cmap(i / max(1, len(widths) - 1) * 0.85)
            g = est[est["n"] == n].groupby("N")["E"]
            m, lo, hi = g.mean(), g.min(), g.max()
            pos = (m > 0).to_numpy()
            if not pos.any():  # no positive mean: nothing to place on a log axis
                empty.append(n)
                continue
            x, mp, lop, hip = m.index[pos], m[pos].to_numpy(), lo[pos].to_numpy(), hi[pos].to_numpy()
            off = lop <= 0
            low_err = np.where(off, mp - mp / cut, mp - lop)
            ax.errorbar(
                x,
                mp,
                yerr=np.clip(np.vstack([low_err, hip - mp]), 0, None),
                marker="o",
                ms=3.5,
                capsize=2,
                color=color,
                ls="none",
                label=f"n = {n:g}: measured E",
            )
            if off.any():
                ax.plot(x[off], mp[off] / cut, marker=7, ms=6, color=color, ls="none")
                clipped = True
            Nf = np.geomspace(max(m.index.min(), n + 3), m.index.max(), 60)
            ax.plot(Nf, least_squares_variance(n, Nf, sigma), color=color, lw=1.1)
            ax.plot(Nf, sigma**2 * estimation_term(n, d, Nf), color=color, lw=0.9, ls=":")
        if clipped:
            ax.plot([], [], marker=7, ms=6, color="0.3", ls="none", label="bar minimum ≤ 0: bar cut (off the log axis)")
        if empty:
            ax.plot([], [], ls="none", label=f"n = {', '.join(f'{n:g}' for n in empty)}: no positive mean E, not drawn")
        ax.plot([], [], color="0.3", lw=1.1, label="σ² (n + 1)/(N − n − 2): least squares, true level")
        ax.plot(
            [],
            [],
            color="0.3",
            lw=0.9,
            ls=":",
            label="σ² (n d / N) log N: Barron's term, shape only (constant 1)",
        )
        ax.set(
            xscale="log",
            yscale="log",
            xlabel=label_of(SAMPLE),
            ylabel="noisy − clean test MSE (same replica)",
            title="The estimation term, measured",
        )
        handles, labels = ax.get_legend_handles_labels()
        order = sorted(range(len(labels)), key=lambda i: "measured E" not in labels[i])  # the widths first
        ax.legend(
            [handles[i] for i in order],
            [labels[i] for i in order],
            loc="upper center",
            bbox_to_anchor=(0.5, -0.11),
            fontsize=7.5,
            ncols=2,
            frameon=False,
        )
        ax.grid(True, alpha=0.3)
    return fig


def plot_decomposition(est, Ns):
    """For a few N: the noisy test MSE, the clean one (approximation) and their difference (estimation) vs n."""
    with rc_context(RC):
        fig = Figure(figsize=(4.0 * len(Ns), 4.6), layout="constrained")
        axes = np.atleast_1d(fig.subplots(1, len(Ns), sharey=True))
        for ax, N in zip(axes, Ns, strict=True):
            g = est[est["N"] == N].groupby("n")
            for col, style, lab in (
                ("test_mse_noisy", "o-", "noisy labels: the risk"),
                ("test_mse_clean", "s--", "no noise: approximation"),
                ("E", "^:", "difference: estimation"),
                ("ls_variance", "k-", None),
            ):
                v = g[col].mean()
                v = v[v > 0]
                ax.plot(v.index, v.values, style, ms=3, lw=1.0 if lab else 0.8, label=lab or "σ² (n + 1)/(N − n − 2)")
            ax.set(xscale="log", yscale="log", xlabel=label_of("n"), title=f"N = {N:g}")
            ax.grid(True, alpha=0.3)
        axes[0].set_ylabel("test MSE (mean over paired replicas)")
        handles, labels = axes[0].get_legend_handles_labels()
        fig.legend(handles, labels, loc="outside lower center", ncols=4, fontsize=8, frameon=False)
    return fig


# --------------------------------------------------------------------------- the plug-in
