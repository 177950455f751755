"""Telegram: a comment in the channel post's discussion, sent with telethon (MTProto).

A local MTProto server is not feasible, so the request building (``build_message``) and the
error mapping are unit-tested, and the adapter only hands the built request to telethon.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Protocol

from telethon import errors as tg_errors

from publisher.adapters.base import Outgoing, Posted, Target
from publisher.errors import PermanentError, RateLimited, TransientError


class _Client(Protocol):
    def send_message(self, entity: Any, message: str, **kwargs: Any) -> Any: ...

    def get_messages(self, entity: Any, **kwargs: Any) -> Any: ...


def _entity(owner: str) -> str | int:
    """Channel usernames stay strings; numeric ids (``-100…``) become ints, as telethon expects."""
    try:
        return int(owner)
    except ValueError:
        return owner


def build_message(target: Target, reply: Outgoing) -> dict[str, Any]:
    """Arguments for ``TelegramClient.send_message``: a comment under the post (``comment_to``),
    answering the citizen's comment inside the discussion when there is one (``reply_to``)."""
    if reply.attachments:
        raise PermanentError("Telegram: вложения пока публикуются вручную")
    if not target.post.isdigit() or (target.comment is not None and not target.comment.isdigit()):
        raise PermanentError(f"Telegram: некорректный идентификатор сообщения в {target}")
    kwargs: dict[str, Any] = {"entity": _entity(target.owner), "message": reply.text,
                              "comment_to": int(target.post), "link_preview": False, "parse_mode": None}
    if target.comment is not None:
        kwargs["reply_to"] = int(target.comment)
    return kwargs


def map_error(exc: Exception) -> Exception:
    if isinstance(exc, tg_errors.FloodWaitError):
        return RateLimited(f"Telegram: ожидание {exc.seconds} с", float(exc.seconds))
    if isinstance(exc, tg_errors.ServerError | tg_errors.TimedOutError | ConnectionError | TimeoutError):
        return TransientError(f"Telegram: {type(exc).__name__}", sent_maybe=True)
    if isinstance(exc, tg_errors.RPCError):
        return PermanentError(f"Telegram: {type(exc).__name__}")
    return TransientError(f"Telegram: {type(exc).__name__}", sent_maybe=True)


def link(target: Target, message_id: int) -> str:
    owner = target.owner.removeprefix("-100")
    if target.owner.lstrip("-").isdigit():
        return f"https://t.me/c/{owner}/{target.post}?comment={message_id}"
    return f"https://t.me/{target.owner}/{target.post}?comment={message_id}"


class TelegramAdapter:
    network = "telegram"

    def __init__(self, client: _Client) -> None:
        self.client = client  # a connected, authorised telethon.sync TelegramClient

    def post(self, target: Target, reply: Outgoing) -> Posted:
        kwargs = build_message(target, reply)
        try:
            message = self.client.send_message(kwargs.pop("entity"), kwargs.pop("message"), **kwargs)
        except Exception as exc:
            raise map_error(exc) from exc
        return Posted(str(message.id), link(target, int(message.id)), getattr(message, "date", None)
                      or datetime.now(UTC))

    def find(self, target: Target, reply: Outgoing) -> Posted | None:
        try:
            messages = self.client.get_messages(_entity(target.owner), reply_to=int(target.post), limit=100)
        except Exception as exc:
            raise map_error(exc) from exc
        for message in messages or []:
            if getattr(message, "out", False) and getattr(message, "message", None) == reply.text:
                return Posted(str(message.id), link(target, int(message.id)), getattr(message, "date", None))
        return None
