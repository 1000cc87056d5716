"""Charts of the monthly report, drawn with matplotlib as inline SVG.

matplotlib: maintained, no JavaScript and no network, and its SVG is vector (prints sharp) and sits
inside the HTML file (self-contained). Text stays text (``svg.fonttype = none``), so the browser
draws the Chinese labels with the reader's own CJK font; the figure is laid out with the first
installed font of :data:`FONTS`. The object API (``Figure``) is used, never pyplot's global state.
"""

from __future__ import annotations

import io
import logging
import re

import matplotlib

matplotlib.use("Agg")
# WenQuanYi Zen Hei has one weight; matplotlib says so once per chart otherwise
logging.getLogger("matplotlib.font_manager").setLevel(logging.ERROR)

from matplotlib import rcParams  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.ticker import MaxNLocator  # noqa: E402

FONTS = ["WenQuanYi Zen Hei", "Noto Sans CJK SC", "Source Han Sans SC", "Microsoft YaHei", "SimHei", "DejaVu Sans"]
rcParams["svg.fonttype"] = "none"
rcParams["font.family"] = "sans-serif"
rcParams["font.sans-serif"] = FONTS
rcParams["axes.unicode_minus"] = False
rcParams["svg.hashsalt"] = "govinspect"  # stable ids: the same figures give the same file

SEVERITY_COLOURS = {"严重": "#b00020", "高": "#e07000", "中": "#e0b000", "低": "#6a8caf"}


def _svg(fig: Figure) -> str:
    buf = io.StringIO()
    fig.savefig(buf, format="svg", bbox_inches="tight")
    text = buf.getvalue()
    text = text[text.index("<svg"):]  # drop the XML prolog and doctype: the SVG sits inside HTML
    return re.sub(r"<metadata>.*?</metadata>", "", text, flags=re.S)


def bar_chart(labels: list[str], values: list[int], title: str, colours: list[str] | None = None,
              horizontal: bool = True) -> str:
    height = max(1.6, 0.3 * len(labels) + 0.9) if horizontal else 3.4
    fig = Figure(figsize=(8.0 if horizontal else 5.0, height))
    ax = fig.add_subplot()
    colours = colours or ["#2f6db5"] * len(values)
    if horizontal:
        bars = ax.barh(labels[::-1], values[::-1], color=colours[::-1], height=0.6)
        ax.bar_label(bars, padding=3)
        ax.set_xlim(0, max(values or [1]) * 1.15 + 0.5)
        ax.xaxis.set_visible(False)
    else:
        bars = ax.bar(labels, values, color=colours, width=0.6)
        ax.bar_label(bars, padding=2)
        ax.set_ylim(0, max(values or [1]) * 1.2 + 0.5)
        ax.yaxis.set_visible(False)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    ax.set_title(title, loc="left", fontsize=12)
    return _svg(fig)


def trend_chart(months: list[str], series: dict[str, list[int]], title: str) -> str:
    fig = Figure(figsize=(5.0, 3.4))
    ax = fig.add_subplot()
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    styles = ["-o", "-s", "-^", "--d"]
    for (name, values), style in zip(series.items(), styles, strict=False):
        ax.plot(months, values, style, label=name, linewidth=2, markersize=5)
    ax.set_title(title, loc="left", fontsize=12)
    ax.legend(frameon=False, ncol=2, loc="upper left", bbox_to_anchor=(0, -0.14), fontsize=9)
    ax.tick_params(axis="x", labelsize=8)
    ax.grid(axis="y", alpha=0.3)
    ax.set_ylim(bottom=0)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    return _svg(fig)
