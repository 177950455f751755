"""Renderers: one Report -> HTML (escaped, charts inline), PDF (matplotlib PdfPages) and XLSX (native charts)."""

from __future__ import annotations

import base64
import textwrap
from pathlib import Path

import jinja2
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
from matplotlib.backends.backend_pdf import PdfPages
from openpyxl import Workbook
from openpyxl.chart import BarChart, Reference
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from sla_tracker.reports import charts
from sla_tracker.reports.model import Report, Section, format_cell

_HTML = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined).from_string("""<!doctype html>
<html lang="ru"><head><meta charset="utf-8"><title>{{ r.title }}</title>
<style>body{font-family:"DejaVu Sans",Arial,sans-serif;margin:2em;color:#222}
table{border-collapse:collapse;margin:.5em 0 1.5em}td,th{border:1px solid #bbb;padding:3px 8px;font-size:13px}
th{background:#eef}td.n{text-align:right}img{max-width:100%}.note{color:#555;font-size:12px}</style></head>
<body><h1>{{ r.title }}</h1><p>{{ r.subtitle }}</p>
<p class="note">Сформирован: {{ r.generated_at.strftime("%d.%m.%Y %H:%M") }} UTC</p>
{% for s in sections %}<section><h2>{{ s.title }}</h2>{% if s.note %}<p class="note">{{ s.note }}</p>{% endif %}
{% if s.rows %}<table><tr>{% for c in s.columns %}<th>{{ c }}</th>{% endfor %}</tr>
{% for row in s.cells %}<tr>{% for cell, numeric in row -%}
<td{% if numeric %} class="n"{% endif %}>{{ cell }}</td>{% endfor %}</tr>
{% endfor %}</table>{% else %}<p>Нет данных за период.</p>{% endif %}
{% if s.png %}<img alt="{{ s.chart_title }}" src="data:image/png;base64,{{ s.png }}">{% endif %}</section>
{% endfor %}</body></html>
""")


def _cells(section: Section) -> list[list[tuple[str, bool]]]:
    return [[(format_cell(v, f), f != "text") for v, f in zip(row, section.formats, strict=True)]
            for row in section.rows]


def html(report: Report) -> str:
    sections = [{
        "title": s.title, "note": s.note, "columns": s.columns, "rows": s.rows, "cells": _cells(s),
        "png": base64.b64encode(charts.png(s)).decode() if s.chart and s.rows else "",
        "chart_title": s.chart.title if s.chart else "",
    } for s in report.sections]
    return _HTML.render(r=report, sections=sections)


ROWS_PER_PAGE = 22
_A4_LANDSCAPE = (11.69, 8.27)


def _wrap(text: str, width: int) -> str:
    return "\n".join(textwrap.wrap(text, width)) or text


def pdf(report: Report, path: Path) -> None:
    with PdfPages(path) as pages:
        fig = plt.figure(figsize=_A4_LANDSCAPE)
        fig.text(0.5, 0.6, _wrap(report.title, 60), ha="center", fontsize=20)
        fig.text(0.5, 0.5, _wrap(report.subtitle, 90), ha="center", fontsize=12)
        fig.text(0.5, 0.4, f"Сформирован: {report.generated_at:%d.%m.%Y %H:%M} UTC", ha="center", fontsize=9)
        pages.savefig(fig)
        plt.close(fig)
        for section in report.sections:
            chunks = [section.rows[i:i + ROWS_PER_PAGE] for i in range(0, len(section.rows), ROWS_PER_PAGE)] or [[]]
            for n, chunk in enumerate(chunks):
                fig = plt.figure(figsize=_A4_LANDSCAPE)
                suffix = f" (продолжение {n + 1})" if n else ""
                fig.text(0.04, 0.95, section.title + suffix, fontsize=14, weight="bold")
                has_chart = section.chart is not None and bool(section.rows) and n == 0
                table_ax = fig.add_axes((0.04, 0.47 if has_chart else 0.05, 0.92, 0.45 if has_chart else 0.86))
                table_ax.axis("off")
                if chunk:
                    cells = [[_wrap(format_cell(v, f), 80) for v, f in zip(row, section.formats, strict=True)]
                             for row in chunk]
                    weights = [3.0 if f == "text" else 1.0 for f in section.formats]
                    widths = [w / sum(weights) for w in weights]
                    table = table_ax.table(cellText=cells, colLabels=[_wrap(c, 22) for c in section.columns],
                                           colWidths=widths, loc="upper center", cellLoc="left")
                    table.auto_set_font_size(False)
                    table.set_fontsize(7)
                    table.scale(1, 1.15)
                else:
                    table_ax.text(0, 0.9, "Нет данных за период.", fontsize=10)
                if has_chart:
                    charts.draw(section, fig.add_axes((0.3, 0.08, 0.6, 0.33)))
                pages.savefig(fig)
                plt.close(fig)


_NUMBER_FORMATS = {"pct": "0.0%", "num": "0.0", "int": "0"}


def xlsx(report: Report, path: Path) -> None:
    book = Workbook()
    cover = book.active
    assert cover is not None
    cover.title = "Сводка"
    cover.append([report.title])
    cover.append([report.subtitle])
    cover.append([f"Сформирован: {report.generated_at:%d.%m.%Y %H:%M} UTC"])
    cover["A1"].font = Font(bold=True, size=14)
    used: set[str] = {cover.title}
    for index, section in enumerate(report.sections, start=1):
        sheet = book.create_sheet(_sheet_name(index, section.title, used))
        sheet.append(section.columns)
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for row in section.rows:
            sheet.append([_xlsx_value(v) for v in row])
        for col, fmt in enumerate(section.formats, start=1):
            sheet.column_dimensions[get_column_letter(col)].width = 42 if fmt == "text" else 16
            if fmt in _NUMBER_FORMATS:
                for (cell,) in sheet.iter_rows(min_row=2, min_col=col, max_col=col):
                    cell.number_format = _NUMBER_FORMATS[fmt]
        if section.chart is not None and section.rows:
            chart = BarChart()
            chart.type = "bar" if section.chart.horizontal else "col"
            chart.title = section.chart.title
            last = len(section.rows) + 1
            for col in section.chart.value_cols:
                chart.add_data(Reference(sheet, min_col=col + 1, min_row=1, max_row=last), titles_from_data=True)
            chart.set_categories(Reference(sheet, min_col=section.chart.category_col + 1, min_row=2, max_row=last))
            chart.width, chart.height = 22, 11
            sheet.add_chart(chart, f"{get_column_letter(len(section.columns) + 2)}2")
    book.save(path)


def _xlsx_value(value: object) -> object:
    """Cells starting with '=' would be formulas: post-derived text is never evaluated."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@"):
        return "'" + value
    return value


def _sheet_name(index: int, title: str, used: set[str]) -> str:
    clean = "".join(ch for ch in title if ch not in "[]:*?/\\")
    name = f"{index}. {clean}"[:31]
    used.add(name)
    return name


def write_all(report: Report, out: Path) -> dict[str, Path]:
    """Writes ``<slug>.html``, ``.pdf`` and ``.xlsx`` into ``out``; returns the paths by format."""
    out.mkdir(parents=True, exist_ok=True)
    paths = {ext: out / f"{report.slug}.{ext}" for ext in ("html", "pdf", "xlsx")}
    paths["html"].write_text(html(report), encoding="utf-8")
    pdf(report, paths["pdf"])
    xlsx(report, paths["xlsx"])
    return paths
