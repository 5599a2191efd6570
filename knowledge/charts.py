"""The statistics chart: one PNG with four panels and Chinese labels.

matplotlib is imported on first use only (it costs ~0.5 s and ~30 MB; the bot must start fast).
The CJK font comes from the pinned PyPI package `noto-cjk-sans-otc` (Noto Sans CJK, OFL), so a
plain `pip install -r requirements.txt` brings it on any machine, root or not; a system CJK font
(fonts-noto-cjk, fonts-wqy-microhei, ...) is used when that package is missing. With no CJK font
at all the chart is still drawn (boxes instead of characters) and a warning is logged once.
"""

from __future__ import annotations

import io
import logging
import threading
from pathlib import Path
from typing import Any

import texts
from knowledge.stats import Stats, format_rate

log = logging.getLogger(__name__)

# Preferred faces, first found wins: Simplified Chinese shapes before the others.
CJK_FAMILIES = (
    "Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "Source Han Sans CN", "WenQuanYi Micro Hei",
    "WenQuanYi Zen Hei", "Microsoft YaHei", "SimHei", "PingFang SC", "Heiti SC", "Noto Sans CJK JP",
)
FIGURE_INCHES = (9.0, 6.4)
DPI = 100

_lock = threading.Lock()
_font_family: str | None = None
_configured = False


def _packaged_font_files() -> list[Path]:
    """Font files shipped by pinned PyPI packages (requirements.txt)."""
    try:
        import noto_cjk_sans_otc
    except ImportError:
        return []
    path = Path(str(noto_cjk_sans_otc.FONT_PATH))
    return [path] if path.is_file() else []


def _configure() -> str | None:
    """Select the Agg backend and a CJK family once per process; returns the family or None."""
    global _configured, _font_family
    with _lock:
        if _configured:
            return _font_family
        import matplotlib

        matplotlib.use("Agg", force=True)
        from matplotlib import font_manager

        for path in _packaged_font_files():
            try:
                font_manager.fontManager.addfont(str(path))
            except (OSError, RuntimeError) as exc:
                log.warning("cannot load packaged CJK font %s: %s", path, exc)
        available = {entry.name for entry in font_manager.fontManager.ttflist}
        _font_family = next((family for family in CJK_FAMILIES if family in available), None)
        if _font_family is None:
            log.warning("no CJK font found: chart labels will not show Chinese characters "
                        "(pip install -r requirements.txt, or apt-get install fonts-noto-cjk)")
        else:
            matplotlib.rcParams["font.family"] = [_font_family, "DejaVu Sans"]
        matplotlib.rcParams["axes.unicode_minus"] = False
        _configured = True
        return _font_family


def cjk_font_family() -> str | None:
    """The CJK family the charts use (None: none installed)."""
    return _configure()


def render_stats_png(stats: Stats) -> bytes:
    """Four panels: leads by state, actions in/out of plan, answer rates, overdue items."""
    _configure()
    from matplotlib.figure import Figure

    figure = Figure(figsize=FIGURE_INCHES, dpi=DPI)
    figure.suptitle(texts.CHART_TITLE.format(scope=stats.scope.label, period=stats.period.label), fontsize=13)
    axes = figure.subplots(2, 2)
    _leads_panel(axes[0][0], stats)
    _actions_panel(axes[0][1], stats)
    _rates_panel(axes[1][0], stats)
    _overdue_panel(axes[1][1], stats)
    figure.text(0.99, 0.01, texts.CHART_FOOTER, ha="right", va="bottom", fontsize=7, color="#666666")
    figure.tight_layout(rect=(0, 0.02, 1, 0.95))
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI)
    return buffer.getvalue()


def _bars(ax: Any, labels: list[str], values: list[float], colors: list[str], *, fmt: str = "{:.0f}") -> None:
    bars = ax.bar(labels, values, color=colors)
    top = max(values, default=0)
    ax.set_ylim(0, top * 1.25 if top else 1)
    for bar, value in zip(bars, values, strict=True):
        ax.annotate(fmt.format(value), (bar.get_x() + bar.get_width() / 2, bar.get_height()),
                    ha="center", va="bottom", fontsize=9, xytext=(0, 2), textcoords="offset points")
    ax.spines[["top", "right"]].set_visible(False)
    from matplotlib.ticker import MaxNLocator

    ax.yaxis.set_major_locator(MaxNLocator(integer=True))


def _leads_panel(ax: Any, stats: Stats) -> None:
    labels = list(stats.leads_by_state)
    values = [float(stats.leads_by_state[label]) for label in labels]
    _bars(ax, labels, values, ["#4C72B0"] * len(labels))
    ax.set_title(texts.CHART_LEADS.format(total=stats.leads_total), fontsize=11)
    ax.tick_params(axis="x", labelsize=8)


def _actions_panel(ax: Any, stats: Stats) -> None:
    _bars(ax, [texts.CHART_PLANNED, texts.CHART_OFF_PLAN],
          [float(stats.actions_planned), float(stats.actions_off_plan)], ["#55A868", "#C44E52"])
    ax.set_title(texts.CHART_ACTIONS.format(total=stats.actions_total), fontsize=11)


def _rates_panel(ax: Any, stats: Stats) -> None:
    rates = [stats.ack_rate, stats.attendance_rate]
    values = [100.0 * (rate or 0.0) for rate in rates]
    bars = ax.bar([texts.CHART_ACK_RATE, texts.CHART_ATTENDANCE_RATE], values, color=["#8172B2", "#CCB974"])
    ax.set_ylim(0, 110)
    ax.set_ylabel("%")
    for bar, rate in zip(bars, rates, strict=True):
        ax.annotate(format_rate(rate), (bar.get_x() + bar.get_width() / 2, bar.get_height()),
                    ha="center", va="bottom", fontsize=9, xytext=(0, 2), textcoords="offset points")
    ax.spines[["top", "right"]].set_visible(False)
    ax.set_title(texts.CHART_RATES, fontsize=11)


def _overdue_panel(ax: Any, stats: Stats) -> None:
    _bars(ax, [texts.CHART_DECISIONS_OVERDUE, texts.CHART_DISPUTES_OVERDUE],
          [float(stats.decisions_overdue), float(stats.disputes_overdue)], ["#DD8452", "#937860"])
    ax.set_title(texts.CHART_OVERDUE, fontsize=11)
