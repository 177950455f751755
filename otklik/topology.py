"""Which stage reads which topics with which handler: one table for ``otklik run`` and ``otklik demo``."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from otklik.bus import Bus, Consumer, Producer
from otklik.bus.processing import Handler
from otklik.settings import Settings
from otklik.stages import (
    Counters,
    alerts_handler,
    analytics_handler,
    classify_handler,
    intake_handler,
    published_handler,
    publisher_handler,
    relay_outbox,
)
from otklik.wiring import analytics_from, classifier_from, database_from
from schemas.topics import Topic


class Resources:
    """The real parts, each built once and only when a stage needs it."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    @cached_property
    def db(self) -> Any:
        return database_from(self.settings)

    @cached_property
    def case_config(self) -> Any:
        from cases.config import CaseConfig

        return CaseConfig.load(self.settings.region_dir,
                               short_clocks_working_time=self.settings.short_clocks_working_time,
                               detection_event=self.settings.detection_event)

    @cached_property
    def store(self) -> Any:
        return analytics_from(self.settings)

    @cached_property
    def writer(self) -> Any:
        """The sla stage's writer: polls are fsynced to a local spool, inserted about once a second."""
        from sla_tracker.analytics.consumer import spooled_writer

        return spooled_writer(self.store, self.settings.data_dir / "analytics-spool" / "sla.spool")

    @cached_property
    def classifier(self) -> Any:
        return classifier_from(self.settings)

    @cached_property
    def publisher(self) -> Any:
        from publisher.config import build_publisher

        return build_publisher(self.settings.data_dir, self.settings.region_dir, os.environ)

    @cached_property
    def notifier(self) -> Any:
        from sla_tracker.alerts.notifier import build_notifier

        return build_notifier(self.settings.data_dir, self.settings.region_dir)

    def close(self) -> None:
        if "writer" in self.__dict__:
            self.writer.close()  # flushes the spool into the store first
        if "store" in self.__dict__:
            self.store.close()


@dataclass(frozen=True)
class StageSpec:
    name: str
    topics: tuple[str, ...]
    handler: Callable[[Resources, Counters], Handler]
    idle: Callable[[Resources, Producer], int] | None = None


def _relay(res: Resources, producer: Producer) -> int:
    return relay_outbox(res.db, producer)


def _flush_analytics(res: Resources, producer: Producer) -> int:
    """Spooled rows reach the store when the feed pauses and at least once a second under load."""
    return int(res.writer.flush())


def _resume_publishing(res: Resources, producer: Producer) -> int:
    from publisher.consumer import resume_outputs

    outputs = resume_outputs(res.publisher)
    for topic, key, value in outputs:
        producer.publish(topic, key, value)
    producer.flush()
    return len(outputs)


STAGES: dict[str, StageSpec] = {
    spec.name: spec
    for spec in (
        StageSpec("classifier", (Topic.POSTS_RAW,), lambda r, c: classify_handler(r.classifier, c)),
        StageSpec("intake", (Topic.POSTS_CLASSIFIED,), lambda r, c: intake_handler(r.db, c, r.case_config), _relay),
        StageSpec("replies", (Topic.REPLIES_PUBLISHED,), lambda r, c: published_handler(r.db, c), _relay),
        StageSpec("sla", (Topic.POSTS_CLASSIFIED, Topic.CASES_EVENTS), lambda r, c: analytics_handler(r.writer, c),
                  _flush_analytics),
        StageSpec("publisher", (Topic.REPLIES_APPROVED,), lambda r, c: publisher_handler(r.publisher, c),
                  _resume_publishing),
        StageSpec("alerts", (Topic.ALERTS,), lambda r, c: alerts_handler(r.notifier, c)),
    )
}


@dataclass
class Loop:
    spec: StageSpec
    consumer: Consumer
    handler: Handler

    def idle(self, resources: Resources, producer: Producer) -> int:
        return self.spec.idle(resources, producer) if self.spec.idle else 0


def build_loop(name: str, bus: Bus, resources: Resources, counters: Counters) -> Loop:
    spec = STAGES[name]
    return Loop(spec, bus.consumer(name, list(spec.topics)), spec.handler(resources, counters))
