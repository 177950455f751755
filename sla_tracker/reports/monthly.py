"""R25 monthly summary: timeliness, quality of work and dynamics of posts, versus the previous month."""

from __future__ import annotations

from datetime import UTC, datetime

from sla_tracker.analytics import queries
from sla_tracker.analytics.queries import Timeliness, Window
from sla_tracker.reports.model import Chart, Report, Section
from sla_tracker.reports.region import RegionLabels

CLOCK_LABELS = {
    "routing": "Направление в орган (R7.3)",
    "competence_return": "Возврат по компетенции (R9)",
    "rerouting": "Повторное направление (R10)",
    "draft": "Проект ответа куратору (R13.2)",
    "approval": "Согласование куратором (R14)",
    "revision": "Доработка проекта (R15)",
    "posting": "Размещение ответа (R16)",
    "reply": "Ответ размещён (R11/R12)",
    "final_after_interim": "Окончательный ответ после промежуточного (R17)",
    "contribution": "Вклад органа в совместный ответ (R18.2)",
}
DIMENSION_LABELS = {"topic": "тематикам", "municipality": "муниципальным образованиям",
                    "network": "социальным сетям", "importance": "категориям важности"}
FIELD_LABELS = {"topic": "Тематика", "municipality": "Местоположение", "importance": "Важность",
                "agency": "Исполнитель (орган)"}
VALUE_LABELS = {
    "network": {"vk": "ВКонтакте", "ok": "Одноклассники", "twitter": "Twitter/X", "instagram": "Instagram",
                "telegram": "Telegram", "blog": "Блоги", "replay": "Демо-источник"},
    "importance": {"normal": "Обычная", "high": "Высокая"},
}
MONTHS = ("январь", "февраль", "март", "апрель", "май", "июнь", "июль", "август", "сентябрь", "октябрь",
          "ноябрь", "декабрь")


def _timeliness_rows(items: list[Timeliness], label: dict[str, str] | None = None) -> list[list[object]]:
    return [[(label or {}).get(t.key, t.key or "—"), t.clocks, t.on_time_share, t.breached, t.median_min, t.p90_min]
            for t in items]


_T_COLUMNS = ["", "Сроков", "Доля в срок", "Нарушено", "Медиана, мин", "90-й процентиль, мин"]


def _share(a: int, b: int) -> float | None:
    return a / b if b else None


def build(store: queries._Store, year: int, month: int, labels: RegionLabels,
          now: datetime | None = None) -> Report:
    window = Window.month(year, month, labels.zone)
    previous = window.previous_month(labels.zone)
    report = Report(
        title="Ежемесячный отчёт о работе с сообщениями из открытых источников",
        subtitle=f"{MONTHS[month - 1].capitalize()} {year} г. (пункт 25 Регламента)",
        generated_at=now or datetime.now(UTC), slug=f"monthly-{year:04d}-{month:02d}")

    clocks = queries.timeliness_all(store, window)
    by_agency = clocks["agency"]
    agency_names = {t.key: labels.agency(t.key) for t in by_agency}
    report.sections.append(Section(
        "Своевременность по органам", ["Орган", *_T_COLUMNS[1:]], ["text", "int", "pct", "int", "num", "num"],
        _timeliness_rows(by_agency, agency_names),  # type: ignore[arg-type]
        Chart("Доля сроков, соблюдённых органом", (2,), horizontal=True),
        note="Сроки, начатые в отчётном месяце и завершённые или нарушенные; длительность — в рабочих минутах."))
    by_clock = clocks["kind"]
    report.sections.append(Section(
        "Своевременность по срокам Регламента", ["Срок", *_T_COLUMNS[1:]], ["text", "int", "pct", "int", "num", "num"],
        _timeliness_rows(by_clock, CLOCK_LABELS),  # type: ignore[arg-type]
        Chart("Доля соблюдённых сроков по видам", (2,), horizontal=True)))

    q = queries.quality(store, window, by_clock)
    accepted = sum(a for a, _ in q.acceptance.values())
    decided = sum(d for _, d in q.acceptance.values())
    quality_rows: list[list[object]] = [
        ["Возвраты «не наша компетенция» (R9)", q.competence_returns, None],
        ["Отправлено проектов на согласование", q.drafts_submitted, None],
        ["Возвраты проектов на доработку (R15)", q.revisions, q.revisions_per_draft],
        ["Открыто обращений", q.cases_opened, None],
        ["Повторные сообщения (R19)", q.repeats, _share(q.repeats, q.cases_opened)],
        ["Окончательные ответы после промежуточных, в срок (R17)", q.interim_on_time, q.interim_on_time_share],
        ["Подсказки системы приняты куратором (R7.1)", accepted, _share(accepted, decided)],
    ]
    report.sections.append(Section(
        "Качество работы", ["Показатель", "Количество", "Доля / на проект"], ["text", "int", "num"],
        quality_rows,  # type: ignore[arg-type]
        note="Для доработок — среднее число возвратов на один отправленный проект; для остальных — доля."))
    report.sections.append(Section(
        "Принятие подсказок системы куратором", ["Поле", "Принято", "Решений", "Доля принятых"],
        ["text", "int", "int", "pct"],
        [[FIELD_LABELS.get(k, k), a, d, _share(a, d)] for k, (a, d) in q.acceptance.items()],
        Chart("Доля принятых подсказок", (3,))))
    returns = sorted(q.returns_by_agency.items(), key=lambda kv: (-kv[1], kv[0]))
    report.sections.append(Section(
        "Возвраты по компетенции по органам", ["Орган", "Возвратов"], ["text", "int"],
        [[labels.agency(k), n] for k, n in returns]))

    dynamics_now = queries.posts_dynamics(store, window, labels.zone)
    dynamics_before = queries.posts_dynamics(store, previous, labels.zone)
    for dimension in queries.DYNAMIC_DIMENSIONS:
        now_counts, before = dynamics_now[dimension], dynamics_before[dimension]
        keys = sorted(set(now_counts) | set(before), key=lambda k: (-now_counts.get(k, 0), k))
        names = VALUE_LABELS.get(dimension, {})
        name = labels.municipality if dimension == "municipality" else (lambda k, n=names: n.get(k, k or "—"))
        report.sections.append(Section(
            f"Динамика сообщений по {DIMENSION_LABELS[dimension]}",
            ["Значение", "Отчётный месяц", "Предыдущий месяц", "Изменение"], ["text", "int", "int", "int"],
            [[name(k), now_counts.get(k, 0), before.get(k, 0), now_counts.get(k, 0) - before.get(k, 0)]
             for k in keys],
            Chart("Сообщения: отчётный и предыдущий месяц", (1, 2))))
    cases_now, cases_before = queries.cases_by_agency(store, window), queries.cases_by_agency(store, previous)
    keys = sorted(set(cases_now) | set(cases_before), key=lambda k: (-cases_now.get(k, 0), k))
    report.sections.append(Section(
        "Динамика обращений по органам", ["Орган", "Отчётный месяц", "Предыдущий месяц", "Изменение"],
        ["text", "int", "int", "int"],
        [[labels.agency(k), cases_now.get(k, 0), cases_before.get(k, 0), cases_now.get(k, 0) - cases_before.get(k, 0)]
         for k in keys],
        Chart("Обращения, направленные органам", (1, 2), horizontal=True)))
    delays = queries.detection_delay(store, window)
    report.sections.append(Section(
        "Задержка обнаружения сообщений", ["Сеть", "Обращений", "Медиана, мин", "90-й процентиль, мин"],
        ["text", "int", "num", "num"], [[VALUE_LABELS["network"].get(n, n), c, m, p] for n, c, m, p in delays],
        Chart("Медиана задержки от публикации до обнаружения, мин", (2,)),
        note="От публикации сообщения в сети до его появления в очереди куратора (календарные минуты)."))
    return report
