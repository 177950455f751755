"""Matplotlib charts (Agg, DejaVu Sans: renders Cyrillic) for a report section."""

from __future__ import annotations

import io

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from sla_tracker.reports.model import Section

plt.rcParams["font.family"] = "DejaVu Sans"
MAX_BARS = 25
"""Long tails are cut so labels stay readable; the table still lists every row."""


def _label(value: object, limit: int = 40) -> str:
    text = "—" if value in (None, "") else str(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _labels(texts: list[str]) -> list[str]:
    """Long labels sharing a prefix (e.g. every deputy governor's title) keep only their distinct tail."""
    prefix = texts[0] if len(texts) > 1 else ""
    for text in texts[1:]:
        while prefix and not text.startswith(prefix):
            prefix = prefix[:-1]
    cut = prefix.rfind(" ") + 1 if len(prefix) > 10 else 0
    tails = [text[cut:] if cut else text for text in texts]
    return [_label(t[:-1] if t.endswith(")") and "(" not in t else t) for t in tails]


def draw(section: Section, ax: Axes) -> None:
    chart = section.chart
    if chart is None:
        raise ValueError(f"section {section.title!r} has no chart")
    rows = section.rows[:MAX_BARS]
    labels = _labels([str(r[chart.category_col] or "") for r in rows])
    count = len(chart.value_cols)
    width = 0.8 / max(count, 1)
    positions = range(len(rows))
    for i, col in enumerate(chart.value_cols):
        values = [float(v) if isinstance(v := r[col], int | float) else 0.0 for r in rows]
        scale = 100.0 if section.formats[col] == "pct" else 1.0
        offsets = [p + (i - (count - 1) / 2) * width for p in positions]
        values = [v * scale for v in values]
        if chart.horizontal:
            ax.barh(offsets, values, height=width, label=section.columns[col])
        else:
            ax.bar(offsets, values, width=width, label=section.columns[col])
    if chart.horizontal:
        ax.set_yticks(list(positions), labels, fontsize=7)
        ax.invert_yaxis()
    else:
        ax.set_xticks(list(positions), labels, rotation=35, ha="right", fontsize=7)
    ax.set_title(chart.title, fontsize=10)
    if count > 1:
        ax.legend(fontsize=7)
    ax.grid(axis="x" if chart.horizontal else "y", alpha=0.3)


def figure(section: Section, size: tuple[float, float] = (8.0, 4.5)) -> Figure:
    fig = plt.figure(figsize=size)
    ax = fig.add_subplot(1, 1, 1)
    draw(section, ax)
    fig.tight_layout()
    return fig


def png(section: Section) -> bytes:
    fig = figure(section)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=110)
    plt.close(fig)
    return buffer.getvalue()
