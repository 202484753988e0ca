"""Tick labels for swept values: compact 3-significant-figure labels (2.15k, 21.5k, 100k) that never print over
each other, ticks at the swept values (or 1, 2, 5 per decade when there are many)."""

from __future__ import annotations

import math

import numpy as np
from matplotlib.ticker import Formatter


def compact_label(v, _pos=None):
    """Short tick label with 3 significant figures: 250, 2.15k, 21.5k, 100k, 2.5M, 0.01.

    The value is rounded to 3 significant figures before the suffix is chosen, so 999.7 reads
    ``1k`` (not ``1e+03k``) and neighbouring values never print their digits run together.
    """
    v = float(v)
    if not np.isfinite(v) or v == 0:
        return f"{v:g}"
    r = float(f"{v:.3g}")
    for scale, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if abs(r) >= scale:
            return f"{r / scale:.3g}{suffix}"
    return f"{r:.3g}"


#: Width of a tick-label character in units of the font size (digits of DejaVu Sans are 0.64 em).
CHAR_EM = 0.64
#: Least blank between two tick labels, in units of the font size.
LABEL_GAP_EM = 0.6


def _label_extent(text, size_pt, horizontal):
    """Half the room a tick label takes along its axis (points)."""
    return 0.5 * (len(text) * CHAR_EM * size_pt if horizontal else size_pt)


class CompactFormatter(Formatter):
    """Tick labels of :func:`compact_label`, leaving out those that would overlap the previous label.

    Every tick stays; a label is written only when it clears the last written one by
    :data:`LABEL_GAP_EM` font sizes (widths estimated from the character count), so labels never
    print over each other however crowded the swept values are. The spacing is worked out at draw
    time, in display coordinates, from the axis' current scale and limits.

    Parameters
    ----------
    size_pt : float
        Font size of the tick labels (points).
    """

    def __init__(self, size_pt):
        self.size_pt = float(size_pt)

    def __call__(self, x, pos=None):
        return compact_label(x)

    def format_ticks(self, values):
        labels = [compact_label(v) for v in values]
        axis = getattr(self, "axis", None)
        if axis is None or axis.axes is None or not len(values):
            return labels
        ax = axis.axes
        horizontal = axis.axis_name == "x"
        lo, hi = sorted(axis.get_view_interval())
        tr = ax.get_xaxis_transform() if horizontal else ax.get_yaxis_transform()
        pt_per_px = 72.0 / ax.figure.dpi
        out = [""] * len(values)
        last_end = -math.inf
        gap = LABEL_GAP_EM * self.size_pt
        for i in np.argsort(values):
            v = float(values[i])
            if not lo <= v <= hi:
                continue
            xy = (v, 0.0) if horizontal else (0.0, v)
            at = tr.transform(xy)[0 if horizontal else 1] * pt_per_px
            half = _label_extent(labels[i], self.size_pt, horizontal)
            if at - half >= last_end + gap:
                out[i] = labels[i]
                last_end = at + half
        return out


#: Most swept values that each get a tick; more get log ticks at 1, 2, 5 per decade.
MAX_VALUE_TICKS = 12


def tick_at_values(axis, values):
    """Ticks at the swept values (at most :data:`MAX_VALUE_TICKS`; more: 1, 2, 5 per decade), compact labels
    that never overlap, no minor ticks at the swept values."""
    from matplotlib import rcParams
    from matplotlib.font_manager import FontProperties
    from matplotlib.ticker import FixedLocator, LogLocator, NullLocator

    values = np.unique(values)
    if len(values) < 2:
        return
    size = FontProperties(size=rcParams[f"{axis.axis_name}tick.labelsize"]).get_size_in_points()
    if len(values) <= MAX_VALUE_TICKS:
        axis.set_major_locator(FixedLocator(values))
        axis.set_minor_locator(NullLocator())
    else:
        axis.set_major_locator(LogLocator(subs=(1.0, 2.0, 5.0)))
    axis.set_major_formatter(CompactFormatter(size))
