"""Alerts made from case events (R24) and classified posts (R26), for the stages that emit them."""

from __future__ import annotations

from schemas import Alert, AlertKind, CaseEvent, CaseEventType

CLOCK_NAMES = {
    "routing": "направление в орган (30 мин)", "competence_return": "возврат по компетенции (30 мин)",
    "rerouting": "повторное направление (30 мин)", "draft": "проект ответа куратору",
    "approval": "согласование проекта (30 мин)", "revision": "доработка проекта (1 ч)",
    "posting": "размещение ответа (30 мин)", "reply": "размещение ответа по обращению",
    "final_after_interim": "окончательный ответ после промежуточного (7 раб. дней)",
    "contribution": "вклад органа в совместный ответ (2 ч)",
}


def alert_for_event(event: CaseEvent) -> Alert | None:
    """CLOCK_WARNING / CLOCK_BREACHED -> an alert to the executor, agency lead and curators (R24)."""
    if event.type not in (CaseEventType.CLOCK_WARNING, CaseEventType.CLOCK_BREACHED):
        return None
    breach = event.type == CaseEventType.CLOCK_BREACHED
    clock = CLOCK_NAMES.get(event.clock or "", event.clock or "срок")
    due = event.due_at.strftime("%d.%m.%Y %H:%M UTC") if event.due_at else "не указан"
    person = event.data.get("person") or event.actor
    return Alert(
        alert_id=f"{'breach' if breach else 'warning'}:{event.event_id}",
        kind=AlertKind.CLOCK_BREACH if breach else AlertKind.CLOCK_WARNING, case_id=event.case_id,
        title=("Нарушен срок" if breach else "Истекает срок") + f": {clock}",
        body=f"Обращение №{event.case_id}. Орган: {event.agency or 'не указан'}. Крайний срок: {due}.",
        data={"agency": event.agency, "executor": person, "clock": event.clock,
              "due_at": event.due_at.isoformat() if event.due_at else None},
    )


def high_importance_alert(case_id: int, post_uid: str, summary: str, url: str | None = None) -> Alert:
    """R26: the Governor's office learns of a high-importance post at once; one alert per case."""
    short = " ".join(summary.split())[:500]
    return Alert(alert_id=f"high:{case_id}", kind=AlertKind.HIGH_IMPORTANCE, case_id=case_id,
                 title="Сообщение высокой важности", body=f"{short}\n\nИсточник: {url or post_uid}",
                 data={"post_uid": post_uid, "url": url})
