"""Registry exports (R27) in CSV and XLSX, with personal data masked."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable

from openpyxl import Workbook

from console.masking import mask_name, mask_text, safe_cell
from console.queries import Row
from console.views import NETWORK_LABELS, local

HEADER = [
    "Дело", "Сеть", "Ссылка на сообщение", "Автор", "Текст сообщения", "Тема", "Территория", "Важность",
    "Органы", "Выявлено", "Ответ опубликован", "Срок соблюдён",
]
TEXT_LIMIT = 1000


def rows_for_export(rows: Iterable[Row]) -> list[list[str]]:
    out = []
    for r in rows:
        out.append([
            str(r.case.id),
            NETWORK_LABELS.get(r.post.network, r.post.network),
            r.post.url or "",
            mask_name(r.post.author_name),
            mask_text(r.post.text[:TEXT_LIMIT]),
            r.case.topic or "",
            r.case.municipality or "",
            "высокая" if r.case.importance == "high" else "обычная",
            ", ".join(r.agencies),
            local(r.case.detected_at),
            local(r.published_at),
            "нет" if r.late else "да",
        ])
    return [[safe_cell(v) for v in row] for row in out]


def to_csv(rows: Iterable[Row]) -> bytes:
    buf = io.StringIO()
    writer = csv.writer(buf, delimiter=";")
    writer.writerow(HEADER)
    writer.writerows(rows_for_export(rows))
    return ("\ufeff" + buf.getvalue()).encode("utf-8")  # BOM: Excel opens Cyrillic correctly


def to_xlsx(rows: Iterable[Row]) -> bytes:
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("Реестр")
    ws.append(HEADER)
    for row in rows_for_export(rows):
        ws.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
