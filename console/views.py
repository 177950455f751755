"""Jinja2 filters: local time, countdowns, safe links; autoescaping is on for every template."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from jinja2 import Environment

from console.config import ConsoleConfig

LOCAL_TZ = ZoneInfo("Asia/Novokuznetsk")

NETWORK_LABELS = {
    "vk": "ВКонтакте",
    "ok": "Одноклассники",
    "twitter": "Twitter/X",
    "instagram": "Instagram",
    "telegram": "Telegram",
    "blog": "Блог",
    "replay": "Демо-источник",
}
CLOCK_LABELS = {
    "routing": "Направление в орган (п. 7)",
    "competence_return": "Возврат по компетенции (п. 9)",
    "rerouting": "Повторное направление (п. 10)",
    "draft": "Проект ответа куратору (п. 13)",
    "approval": "Согласование (п. 14)",
    "revision": "Доработка (п. 15)",
    "posting": "Размещение ответа (п. 16)",
    "reply": "Ответ размещён (п. 11, 12)",
    "final_after_interim": "Окончательный ответ после промежуточного (п. 17)",
    "contribution": "Часть ответа органа (п. 18)",
}
ASSIGNMENT_LABELS = {
    "routed": "направлено",
    "received": "принято в работу",
    "returned": "возвращено (не компетенция)",
    "contributed": "часть ответа направлена",
    "closed": "закрыто",
}
ACTION_LABELS = {
    "opened": "сообщение выявлено",
    "triaged": "классифицировано",
    "routed": "направлено в орган",
    "rerouted": "направлено повторно",
    "received": "принято в работу",
    "returned_not_competent": "возвращено как не относящееся к компетенции",
    "draft_sent": "проект направлен куратору",
    "contribution_sent": "часть ответа направлена",
    "joint_draft_written": "составлен совместный проект",
    "approved": "ответ согласован",
    "returned_for_revision": "возвращено на доработку",
    "posted_by_hand": "исполнитель отметил размещение",
    "published": "ответ опубликован",
    "publish_failed": "ошибка публикации",
    "excluded": "исключено (п. 22)",
    "reinstated": "возвращено в работу",
    "linked_repeat": "связано с предыдущими делами",
    "substitute_assigned": "передано заместителю",
    "post_updated": "сообщение изменено автором",
    "post_deleted": "сообщение удалено автором",
}
IMPORTANCE_LABELS = {"normal": "обычная", "high": "высокая"}
DRAFT_KIND_LABELS = {
    "final": "ответ",
    "interim": "промежуточный ответ",
    "clarification": "запрос уточнений",
    "contribution": "часть ответа органа",
    "joint": "совместный ответ",
}


def local(value: datetime | None, fmt: str = "%d.%m.%Y %H:%M") -> str:
    if value is None:
        return "—"
    return value.astimezone(LOCAL_TZ).strftime(fmt)


def countdown(due: datetime | None, now: datetime) -> str:
    if due is None:
        return "—"
    seconds = int((due - now).total_seconds())
    sign = "осталось" if seconds >= 0 else "просрочено на"
    seconds = abs(seconds)
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    parts = ([f"{days} д"] if days else []) + ([f"{hours} ч"] if hours or days else []) + [f"{minutes} мин"]
    return f"{sign} {' '.join(parts)}"


def safe_url(value: Any) -> str:
    """Only absolute http(s) links survive; anything else (javascript:, data:, relative) becomes empty."""
    if not isinstance(value, str) or len(value) > 2000:
        return ""
    try:
        parts = urlsplit(value.strip())
    except ValueError:
        return ""
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return ""
    return value.strip()


def percent(value: Any) -> str:
    try:
        return f"{float(value) * 100:.0f}%"
    except (TypeError, ValueError):
        return "—"


def reach(post: Any) -> str:
    """The author's follower count from the stored post (``raw.author.followers``), grouped by thousands."""
    raw = getattr(post, "raw", None)
    author = raw.get("author") if isinstance(raw, dict) else None
    followers = author.get("followers") if isinstance(author, dict) else None
    if isinstance(followers, bool) or not isinstance(followers, int) or followers < 0:
        return "нет данных"
    return f"{followers:,}".replace(",", "\u00a0")


def install_filters(env: Environment, config: ConsoleConfig) -> None:
    from cases.states import STATE_LABELS_RU
    from console.refdata import municipalities

    states = {str(k.value): v for k, v in STATE_LABELS_RU.items()}
    places = {m.code: m.name for m in municipalities(config.region_dir)}
    env.autoescape = True
    env.filters.update(
        local=local,
        safe_url=safe_url,
        percent=percent,
        reach=reach,
        network=lambda v: NETWORK_LABELS.get(v, v),
        clock=lambda v: CLOCK_LABELS.get(v, v),
        importance=lambda v: IMPORTANCE_LABELS.get(v, v),
        draft_kind=lambda v: DRAFT_KIND_LABELS.get(v, v),
        state=lambda v: states.get(v, v),
        assignment_state=lambda v: ASSIGNMENT_LABELS.get(v, v),
        action=lambda v: ACTION_LABELS.get(v, v),
        place=lambda v: places.get(v, v) if v else "—",
    )
    env.globals.update(
        countdown=lambda due: countdown(due, config.now()),
        now=config.now,
        poll_seconds=config.poll_seconds,
    )
