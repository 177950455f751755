"""A report as plain data (sections of tables with optional charts), so one set of renderers serves all reports."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

Cell = str | int | float | None
Format = Literal["text", "int", "pct", "num"]


@dataclass(frozen=True)
class Chart:
    """A bar chart over a section's own table: categories from ``category_col``, one series per ``value_cols``."""

    title: str
    value_cols: tuple[int, ...]
    category_col: int = 0
    horizontal: bool = False


@dataclass
class Section:
    title: str
    columns: list[str]
    formats: list[Format]
    rows: list[list[Cell]] = field(default_factory=list)
    chart: Chart | None = None
    note: str = ""

    def __post_init__(self) -> None:
        if len(self.columns) != len(self.formats):
            raise ValueError(f"section {self.title!r}: {len(self.columns)} columns but {len(self.formats)} formats")


@dataclass
class Report:
    title: str
    subtitle: str
    generated_at: datetime
    sections: list[Section] = field(default_factory=list)
    slug: str = "report"


def format_cell(value: Cell, fmt: Format) -> str:
    """Human text for HTML and PDF; XLSX keeps the raw number and applies a number format instead."""
    if value is None:
        return "—"
    if fmt == "pct" and isinstance(value, int | float):
        return f"{value * 100:.1f} %".replace(".", ",")
    if fmt == "num" and isinstance(value, int | float):
        return (f"{value:.2f}" if abs(value) < 10 else f"{value:.1f}").replace(".", ",")
    if fmt == "int" and isinstance(value, int | float):
        return f"{int(value):,}".replace(",", "\u00a0")
    return str(value)
