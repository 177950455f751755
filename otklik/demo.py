"""Everything in one process on the embedded defaults: replay -> classifier -> intake -> SLA -> analytics.

The stages run as the same handlers they run as under Kafka, pumped in turn until
the bus is quiet, so the demo exercises the production code paths.
"""

from __future__ import annotations

import logging
import shutil
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from otklik.bus import Bus, Consumer, Producer
from otklik.bus.processing import Handler, process_batch
from otklik.settings import Settings
from otklik.stages import Counters, analytics_handler, classify_handler, intake_handler, relay_outbox, utcnow
from otklik.wiring import analytics_from, bus_from, classifier_from, database_from
from schemas.topics import Topic

log = logging.getLogger(__name__)


@dataclass
class Loop:
    name: str
    consumer: Consumer
    handler: Handler
    producer: Producer | None


class Pipeline:
    """The stages wired on one bus; ``pump`` runs each until nothing is left to do."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.counters = Counters()
        self.bus: Bus = bus_from(settings)
        self.db = database_from(settings)
        self.store = analytics_from(settings)
        self.classifier = classifier_from(settings)
        self.producer = self.bus.producer()
        self.loops = [
            Loop("classifier", self.bus.consumer("classifier", [Topic.POSTS_RAW]),
                 classify_handler(self.classifier, self.counters), self.producer),
            Loop("intake", self.bus.consumer("intake", [Topic.POSTS_CLASSIFIED]),
                 intake_handler(self.db, self.counters, detection_event=settings.detection_event), self.producer),
            Loop("analytics", self.bus.consumer("analytics", [Topic.POSTS_CLASSIFIED, Topic.CASES_EVENTS]),
                 analytics_handler(self.store, self.counters), None),
        ]
        self.lock = threading.Lock()

    def publish_posts(self, posts: Any) -> int:
        n = 0
        for post in posts:
            self.producer.publish(Topic.POSTS_RAW, post.uid, post.to_bytes())
            n += 1
        self.producer.flush()
        self.counters.add("ingested", n)
        return n

    def watch(self) -> int:
        """The breach watcher's turn: warnings and breaches become outbox events."""
        from cases.watch import tick

        with self.db() as session:
            fired = tick(session, utcnow())
            session.commit()
        return len(fired)

    def pump(self, max_rounds: int = 10_000) -> None:
        with self.lock:
            for _ in range(max_rounds):
                busy = 0
                for loop in self.loops:
                    consumed, _ = process_batch(loop.consumer, loop.handler, loop.producer, timeout_s=0.0)
                    busy += consumed
                busy += relay_outbox(self.db, self.producer)
                if not busy:
                    return

    def close(self) -> None:
        for loop in self.loops:
            loop.consumer.close()
        self.producer.close()
        self.bus.close()
        self.store.close()


def demo_posts_path(settings: Settings) -> Path:
    return settings.region_dir / "demo-posts.jsonl"


def run_demo(settings: Settings, exit_after: int | None, posts_path: Path | None = None,
             serve: Callable[[Settings, Pipeline], None] | None = None, fresh: bool = True) -> dict[str, Any]:
    from collectors.replay import ReplaySource

    if fresh and settings.data_dir.exists():
        shutil.rmtree(settings.data_dir)
    started = time.perf_counter()
    pipeline = Pipeline(settings)
    try:
        source = ReplaySource(posts_path or demo_posts_path(settings), time_scale=0.0, limit=exit_after)
        pipeline.publish_posts(source.posts())
        pipeline.pump()
        pipeline.watch()
        pipeline.pump()
        summary = summarise(pipeline, time.perf_counter() - started)
        if exit_after is None and serve is not None:
            serve(settings, pipeline)
        return summary
    finally:
        pipeline.close()


def summarise(pipeline: Pipeline, seconds: float) -> dict[str, Any]:
    c = pipeline.counters.values
    return {
        "posts_ingested": c.get("ingested", 0),
        "posts_classified": c.get("classified", 0),
        "cases_opened": c.get("intake_opened", 0),
        "posts_excluded": c.get("intake_excluded", 0),
        "posts_updated": c.get("intake_updated", 0),
        "posts_duplicate": c.get("intake_duplicate", 0),
        "posts_rejected": c.get("rejected", 0),
        "analytics_rows_written": c.get("analytics_rows", 0),
        "seconds": round(seconds, 2),
    }
