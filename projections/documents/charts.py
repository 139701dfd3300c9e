"""Charts as SVG text, drawn by matplotlib (Agg backend, no screen), embedded in the documents' HTML.

Figures are reused: a document batch draws the same layout thousands of times, so each layout's figure is made
once per process and only its lines' data, limits and labels change (a new figure costs more than drawing it).
The SVG is reproducible: text stays text (`svg.fonttype` none), ids come from a fixed salt and no date is written.
Floats appear here only to place points on a drawing: no figure shown as a number comes from a chart.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import matplotlib

matplotlib.use("Agg")

from matplotlib import rcParams
from matplotlib.axes import Axes
from matplotlib.dates import AutoDateLocator, ConciseDateFormatter, date2num
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import FuncFormatter

rcParams.update({"svg.fonttype": "none", "svg.hashsalt": "mutual-ledger", "font.family": "DejaVu Sans",
                 "font.size": 8, "axes.spines.top": False, "axes.spines.right": False})
COLOURS = ("#1f5f8b", "#c0392b", "#2e8b57", "#8e44ad")


@dataclass(frozen=True)
class Line:
    label: str
    days: Sequence[date]
    values: Sequence[Decimal]


@dataclass(frozen=True)
class Panel:
    title: str
    y_label: str
    lines: Sequence[Line]
    pounds: bool = True  # the y axis in £ (else a plain number: points, units)


def _pounds(value: float, _: object) -> str:
    return f"£{value:,.0f}" if abs(value) >= 10 else f"£{value:,.2f}"


def _plain(value: float, _: object) -> str:
    return f"{value:,.0f}"


class _Layout:
    """One figure of `shape` (lines per panel), drawn again for each document.

    Everything that is the same on every drawing is set once here: the date axis, the y formatter's place, and fixed
    positions for the titles and axis labels. Left to itself matplotlib places a title and each axis label by
    measuring every tick label first, on every drawing: that measuring was half a chart's time."""

    def __init__(self, shape: tuple[int, ...], width: float, height: float) -> None:
        self.figure = Figure(figsize=(width, height))
        self.axes: list[Axes] = list(self.figure.subplots(1, len(shape), squeeze=False)[0])
        self.lines: list[list[Line2D]] = []
        for ax, count in zip(self.axes, shape, strict=True):
            drawn = []
            for n in range(count):
                (line,) = ax.plot([], [], color=COLOURS[n % len(COLOURS)], linewidth=1.6)
                drawn.append(line)
            self.lines.append(drawn)
            locator = AutoDateLocator(minticks=3, maxticks=6)  # type: ignore[no-untyped-call]
            ax.xaxis.set_major_locator(locator)
            ax.xaxis.set_major_formatter(ConciseDateFormatter(locator))  # type: ignore[no-untyped-call]
            ax.grid(True, axis="y", color="#dddddd", linewidth=0.6)
            ax.set_title(" ", fontsize=9, loc="left", y=1.0, pad=4)  # y given: placed, not measured
            ax.xaxis.set_label_coords(0.5, -0.16)
            ax.yaxis.set_label_coords(-0.22 if len(shape) > 2 else -0.17, 0.5)
        self.figure.subplots_adjust(left=0.115, right=0.98, bottom=0.17, top=0.88, wspace=0.32)

    def draw(self, panels: Sequence[Panel]) -> str:
        for ax, drawn, panel in zip(self.axes, self.lines, panels, strict=True):
            for line, data in zip(drawn, panel.lines, strict=True):
                line.set_data(date2num(list(data.days)), [float(v) for v in data.values])  # type: ignore[no-untyped-call]
                line.set_label(data.label)
            ax.relim()
            ax.autoscale_view()
            lows = [min(v) for d in panel.lines if (v := d.values)]
            highs = [max(v) for d in panel.lines if (v := d.values)]
            if lows and min(lows) >= 0:
                ax.set_ylim(bottom=0, top=float(max(highs)) * 1.3 or 1.0)  # headroom for the legend
            ax.set_title(panel.title, fontsize=9, loc="left", y=1.0, pad=4)
            ax.set_ylabel(panel.y_label)
            ax.set_xlabel("date")
            ax.yaxis.set_major_formatter(FuncFormatter(_pounds if panel.pounds else _plain))
            ax.legend(loc="upper left", fontsize=7, frameon=False, ncols=2)
        out = io.StringIO()
        self.figure.savefig(out, format="svg", metadata={"Date": None, "Creator": None})
        text = out.getvalue()
        return text[text.index("<svg"):]


_LAYOUTS: dict[tuple[tuple[int, ...], float, float], _Layout] = {}


def chart_svg(panels: Sequence[Panel], width: float = 7.2, height: float = 2.6) -> str:
    """Side-by-side line charts with labelled axes and a legend each, as an <svg> element (no XML prolog)."""
    shape = tuple(len(p.lines) for p in panels)
    key = (shape, width, height)
    layout = _LAYOUTS.get(key)
    if layout is None:
        layout = _LAYOUTS[key] = _Layout(shape, width, height)
    return layout.draw(panels)
