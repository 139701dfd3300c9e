"""Charts: what a chart shows (`Panel`s of `Line`s), drawn two ways from the same panels.

Documents (statements, the board pack: PDF and their HTML) embed SVG text drawn here by matplotlib (Agg backend, no
screen). Web pages send the panels as data (`chart_spec`) and the browser draws them (web/static/charts.js, with the
vendored uPlot): a page then costs the server no drawing (matplotlib's SVG was half a member page's time), and the
chart follows the window's width on a laptop and a phone.

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
from typing import Any

import matplotlib

matplotlib.use("Agg")

from matplotlib import rcParams
from matplotlib.axes import Axes
from matplotlib.dates import AutoDateLocator, ConciseDateFormatter, date2num
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import FuncFormatter, MaxNLocator

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
            ax.yaxis.set_major_locator(MaxNLocator(nbins=5, steps=[1, 2, 2.5, 5, 10]))
            ax.set_title(" ", fontsize=9, loc="left", y=1.0, pad=4)  # y given: placed, not measured
        self.figure.subplots_adjust(left=0.1, right=0.98, bottom=0.12, top=0.88, wspace=0.25)
        self.legends: list[tuple[str, ...] | None] = [None] * len(self.axes)  # each legend's labels, made once

    def draw(self, panels: Sequence[Panel]) -> str:
        for n, (ax, drawn, panel) in enumerate(zip(self.axes, self.lines, panels, strict=True)):
            for line, data in zip(drawn, panel.lines, strict=True):
                line.set_data(date2num(list(data.days)), [float(v) for v in data.values])  # type: ignore[no-untyped-call]
                line.set_label(data.label)
            labels = tuple(data.label for data in panel.lines)
            if self.legends[n] != labels:  # a legend is made again only when its lines are named differently
                ax.legend(loc="upper left", fontsize=7, frameon=False, ncols=2)
                self.legends[n] = labels
            ax.relim()
            ax.autoscale_view()
            lows = [min(v) for d in panel.lines if (v := d.values)]
            highs = [max(v) for d in panel.lines if (v := d.values)]
            if lows and min(lows) >= 0:
                ax.set_ylim(bottom=0, top=float(max(highs)) * 1.3 or 1.0)  # headroom for the legend
            ax.set_title(titled(panel), fontsize=9, loc="left", y=1.0, pad=4)
            ax.yaxis.set_major_formatter(FuncFormatter(_pounds if panel.pounds else _plain))
        out = io.StringIO()
        self.figure.savefig(out, format="svg", metadata={"Date": None, "Creator": None})
        text = out.getvalue()
        return text[text.index("<svg"):]


def titled(panel: Panel) -> str:
    """The panel's title, naming the y axis's unit: the axes carry no labels (the x axis's ticks are dates, the y
    axis's in pounds or points), since placing a label beside tick labels of any width means measuring them all."""
    if panel.y_label.lower() in panel.title.lower():
        return panel.title
    return f"{panel.title} ({panel.y_label})"


_LAYOUTS: dict[tuple[tuple[int, ...], float, float], _Layout] = {}


def chart_svg(panels: Sequence[Panel], width: float = 7.2, height: float = 2.6) -> str:
    """Side-by-side line charts, each titled with its unit and with a legend, as an <svg> element (no XML prolog)."""
    shape = tuple(len(p.lines) for p in panels)
    key = (shape, width, height)
    layout = _LAYOUTS.get(key)
    if layout is None:
        layout = _LAYOUTS[key] = _Layout(shape, width, height)
    return layout.draw(panels)


def chart_spec(panels: Sequence[Panel]) -> list[dict[str, Any]]:
    """The panels as data for a browser to draw (web/static/charts.js): each panel's title naming its unit, whether
    its values are pounds, its days (ISO) and each line's label and values as exact decimal text (the browser turns
    them into numbers only to place points). A panel's lines share its days."""
    spec = []
    for panel in panels:
        days = list(panel.lines[0].days) if panel.lines else []
        for line in panel.lines:
            if list(line.days) != days:
                raise ValueError(f"chart {panel.title!r}: line {line.label!r} is not drawn on the panel's days")
        spec.append({"title": titled(panel), "pounds": panel.pounds, "days": [d.isoformat() for d in days],
                     "lines": [{"label": line.label, "values": [str(v) for v in line.values]}
                               for line in panel.lines]})
    return spec
