"""R24 deficiencies report: breached clocks per agency and per person, grouped by the deputy governor's sphere."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime

from sla_tracker.analytics import queries
from sla_tracker.analytics.queries import Window
from sla_tracker.reports.model import Chart, Report, Section
from sla_tracker.reports.monthly import CLOCK_LABELS
from sla_tracker.reports.region import RegionLabels


def build(store: queries._Store, first: date, last: date, labels: RegionLabels,
          now: datetime | None = None) -> Report:
    if last < first:
        raise ValueError(f"period ends ({last}) before it starts ({first})")
    found = queries.breaches(store, Window.days(first, last, labels.zone))
    report = Report(
        title="Отчёт о нарушениях сроков Регламента",
        subtitle=f"Период: {first:%d.%m.%Y} – {last:%d.%m.%Y} (пункт 24 Регламента)",
        generated_at=now or datetime.now(UTC), slug=f"deficiencies-{first:%Y%m%d}-{last:%Y%m%d}")
    by_sphere = Counter(labels.sphere_of(b.agency) for b in found)
    report.sections.append(Section(
        "Нарушения по сферам заместителей Губернатора", ["Сфера", "Нарушений"], ["text", "int"],
        [[labels.sphere(k), n] for k, n in sorted(by_sphere.items(), key=lambda kv: (-kv[1], kv[0]))],
        Chart("Нарушения по сферам", (1,), horizontal=True)))
    for sphere in sorted(by_sphere, key=lambda k: (-by_sphere[k], k)):
        items = [b for b in found if labels.sphere_of(b.agency) == sphere]
        per_agency = Counter(b.agency for b in items)
        per_kind = Counter((b.agency, b.kind) for b in items)
        report.sections.append(Section(
            f"{labels.sphere(sphere)}: по органам", ["Орган", "Вид срока", "Нарушений"], ["text", "text", "int"],
            [[labels.agency(a), CLOCK_LABELS.get(k, k), n]
             for (a, k), n in sorted(per_kind.items(), key=lambda kv: (-per_agency[kv[0][0]], kv[0]))]))
        per_person = Counter((b.agency, b.person) for b in items)
        report.sections.append(Section(
            f"{labels.sphere(sphere)}: по исполнителям", ["Орган", "Сотрудник", "Нарушений"],
            ["text", "text", "int"],
            [[labels.agency(a), p or "не назначен", n]
             for (a, p), n in sorted(per_person.items(), key=lambda kv: (-kv[1], kv[0]))]))
    report.sections.append(Section(
        "Перечень нарушений", ["Обращение", "Орган", "Сотрудник", "Срок", "Пункт", "Крайний срок (UTC)"],
        ["int", "text", "text", "text", "text", "text"],
        [[b.case_id, labels.agency(b.agency), b.person or "не назначен", CLOCK_LABELS.get(b.kind, b.kind), b.clause,
          f"{b.due_at:%d.%m.%Y %H:%M}" if b.due_at else None] for b in found]))
    return report
