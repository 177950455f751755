"""The publisher's core: ReplyApproved in, ReplyPublished (and alerts) out, never posting twice.

Order of effects per reply (R16, R27):
1. already published / permanently failed in the outbox -> answer from the outbox, no network call;
2. a previous attempt may have sent (state ``sending``/``retry``) -> ``find`` on the network first;
3. record intent (durable), send, record the result.
Rate limits wait as the network asks (bounded); transient errors back off exponentially;
a send that may have reached the network is looked up before it is retried.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

import httpx

from publisher.adapters.base import Adapter, Outgoing, Posted, Target
from publisher.adapters.blog import LinkCheckError, check_link
from publisher.errors import PermanentError, PublishError, RateLimited
from publisher.outbox import Entry, Outbox, State
from publisher.text import Limits, adapt
from schemas import Alert, AlertKind, ReplyApproved, ReplyPublished

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 5
    backoff_base_s: float = 2.0
    backoff_max_s: float = 60.0
    rate_limit_default_s: float = 5.0
    rate_limit_max_s: float = 120.0

    def backoff(self, attempt: int) -> float:
        return float(min(self.backoff_max_s, self.backoff_base_s * 2 ** max(attempt - 1, 0)))

    def rate_wait(self, retry_after_s: float | None) -> float:
        wait = retry_after_s if retry_after_s is not None and retry_after_s >= 0 else self.rate_limit_default_s
        return float(min(self.rate_limit_max_s, wait))


@dataclass(frozen=True)
class Outcome:
    published: ReplyPublished | None
    """None while a manual network (blogs) waits for the executor's link."""
    alerts: tuple[Alert, ...] = ()


class Publisher:
    def __init__(self, outbox: Outbox, adapters: Mapping[str, Adapter], limits: Mapping[str, Limits],
                 policy: RetryPolicy | None = None, *, manual: frozenset[str] = frozenset({"blog"}),
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.outbox = outbox
        self.adapters = dict(adapters)
        self.limits = dict(limits)
        self.policy = policy or RetryPolicy()
        self.manual = manual
        self.sleep = sleep

    # -- results -------------------------------------------------------------------------------
    @staticmethod
    def _ok(reply: ReplyApproved, entry_url: str | None, at: datetime | None) -> Outcome:
        return Outcome(ReplyPublished(reply_id=reply.reply_id, case_id=reply.case_id, ok=True, url=entry_url,
                                      published_at=at))

    def _failed(self, reply: ReplyApproved, error: str, permanent: bool) -> Outcome:
        published = ReplyPublished(reply_id=reply.reply_id, case_id=reply.case_id, ok=False, error=error,
                                   permanent=permanent)
        if not permanent:
            return Outcome(published)
        alert = Alert(
            alert_id=f"publish-failed:{reply.reply_id}", kind=AlertKind.PUBLISH_FAILED, case_id=reply.case_id,
            title=f"Ответ по обращению №{reply.case_id} не опубликован",
            body=f"Сеть: {reply.network}. Причина: {error}. Опубликуйте ответ вручную или исправьте текст.",
            recipients=["role:executor", "role:curator"],
            data={"reply_id": reply.reply_id, "post_uid": reply.post_uid, "network": str(reply.network)})
        return Outcome(published, (alert,))

    def _from_entry(self, reply: ReplyApproved, entry: Entry) -> Outcome | None:
        if entry.state == State.PUBLISHED:
            return self._ok(reply, entry.url, entry.published_at)
        if entry.state == State.FAILED:
            return self._failed(reply, entry.error or "ошибка публикации", permanent=True)
        return None

    # -- the core ------------------------------------------------------------------------------
    def handle(self, reply: ReplyApproved) -> Outcome:
        network = str(reply.network)
        entry = self.outbox.get(reply.reply_id)
        if entry is not None and (done := self._from_entry(reply, entry)) is not None:
            return done
        try:
            limits = self.limits[network]
        except KeyError:
            return self._fail_now(reply, f"нет правил оформления ответа для сети {network}")
        try:
            text = adapt(reply.text, network, limits)
            target = Target.from_uid(reply.post_uid)
        except (PermanentError, ValueError) as exc:
            return self._fail_now(reply, str(exc))
        if network in self.manual:
            self.outbox.mark_awaiting_link(reply.reply_id, reply.case_id, network, reply.post_uid, text)
            return Outcome(None)
        adapter = self.adapters.get(network)
        if adapter is None:
            return self._fail_now(reply, f"публикация в сеть {network} не настроена")
        outgoing = Outgoing(reply.reply_id, text, tuple(reply.attachments))
        uncertain = entry is not None and entry.state in (State.SENDING, State.RETRY)
        last_error = "неизвестная ошибка"
        for attempt in range(1, self.policy.max_attempts + 1):
            try:
                if uncertain:  # an earlier send may have reached the network: look before posting again
                    found = adapter.find(target, outgoing)
                    if found is not None:
                        log.info("reply found on the network, not posting again",
                                 extra={"reply_id": reply.reply_id, "case_id": reply.case_id})
                        return self._record(reply, found)
                    uncertain = False
                self.outbox.record_intent(reply.reply_id, reply.case_id, network, reply.post_uid, text,
                                          reply.model_dump_json())
                try:
                    posted = adapter.post(target, outgoing)
                except PublishError as exc:
                    uncertain = exc.sent_maybe or type(exc) is PublishError
                    raise
            except RateLimited as exc:
                last_error = str(exc)
                self.sleep(self.policy.rate_wait(exc.retry_after_s))
                continue
            except PermanentError as exc:
                self.outbox.mark_failed(reply.reply_id, str(exc))
                return self._failed(reply, str(exc), permanent=True)
            except PublishError as exc:  # transient, or unclassified (then treated as possibly sent)
                last_error = str(exc)
                self.sleep(self.policy.backoff(attempt))
                continue
            return self._record(reply, posted)
        self.outbox.mark_retry(reply.reply_id, last_error)
        return self._failed(reply, f"сеть недоступна после {self.policy.max_attempts} попыток: {last_error}",
                            permanent=False)

    def resume(self, older_than_s: float = 300.0) -> list[Outcome]:
        """Resume replies left in ``retry`` (transient failures exhausted) or ``sending`` (a crash), for the
        consumer's idle hook; each goes through ``handle``, so it is looked up before any new post."""
        return [self.handle(ReplyApproved.model_validate_json(command))
                for command in self.outbox.resumable(older_than_s)]

    def record_manual_link(self, reply_id: str, url: str, http: httpx.Client) -> ReplyPublished:
        """Blogs (no API): the executor's link is fetched and must show the approved text.

        Raises ``LinkCheckError`` (Russian message for the executor) and records nothing if it does not.
        """
        entry = self.outbox.get(reply_id)
        if entry is None:
            raise LinkCheckError("ответ с таким идентификатором не ожидает публикации")
        if entry.state == State.PUBLISHED:
            return ReplyPublished(reply_id=reply_id, case_id=entry.case_id, ok=True, url=entry.url,
                                  published_at=entry.published_at)
        if entry.state != State.AWAITING_LINK:
            raise LinkCheckError("этот ответ публикуется автоматически, ссылку вносить не нужно")
        check_link(url, entry.text, http)
        at = datetime.now(UTC)
        self.outbox.mark_published(reply_id, url, url, at)
        return ReplyPublished(reply_id=reply_id, case_id=entry.case_id, ok=True, url=url, published_at=at)

    def _fail_now(self, reply: ReplyApproved, error: str) -> Outcome:
        self.outbox.record_intent(reply.reply_id, reply.case_id, str(reply.network), reply.post_uid, reply.text)
        self.outbox.mark_failed(reply.reply_id, error)
        return self._failed(reply, error, permanent=True)

    def _record(self, reply: ReplyApproved, posted: Posted) -> Outcome:
        at = posted.at or datetime.now(UTC)
        self.outbox.mark_published(reply.reply_id, posted.remote_id, posted.url, at)
        return self._ok(reply, posted.url, at)
