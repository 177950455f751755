"""Everything in one process on the embedded defaults: replay -> classifier -> intake -> SLA -> analytics.

The stages run as the same handlers they run as under Kafka, pumped in turn until
the bus is quiet, so the demo exercises the production code paths.
"""

from __future__ import annotations

import shutil
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from otklik.bus.processing import process_batch
from otklik.settings import Settings
from otklik.stages import Counters, utcnow
from otklik.topology import STAGES, Resources, build_loop
from otklik.wiring import bus_from
from schemas import Post
from schemas.topics import Topic


class Pipeline:
    """Every stage wired on one bus; ``pump`` runs them in turn until nothing is left to do."""

    def __init__(self, settings: Settings, stages: Iterable[str] = tuple(STAGES)) -> None:
        self.settings = settings
        self.counters = Counters()
        self.bus = bus_from(settings)
        self.resources = Resources(settings)
        self.producer = self.bus.producer()
        self.loops = [build_loop(name, self.bus, self.resources, self.counters) for name in stages]
        self.lock = threading.Lock()

    def publish_posts(self, posts: Iterable[Post]) -> int:
        n = 0
        for post in posts:
            self.producer.publish(Topic.POSTS_RAW, post.uid, post.to_bytes())
            n += 1
        self.producer.flush()
        self.counters.add("ingested", n)
        return n

    def watch(self) -> int:
        """The breach watcher's turn: warnings and breaches become outbox events."""
        from cases.people import reassign_absent
        from cases.watch import tick

        with self.resources.db() as session:
            fired = tick(session, utcnow())
            reassign_absent(session, utcnow())
            session.commit()
        return len(fired)

    def pump(self, max_rounds: int = 10_000) -> None:
        with self.lock:
            for _ in range(max_rounds):
                busy = 0
                for loop in self.loops:
                    consumed, _ = process_batch(loop.consumer, loop.handler, self.producer, timeout_s=0.0)
                    busy += consumed + loop.idle(self.resources, self.producer)
                if not busy:
                    return

    def close(self) -> None:
        for loop in self.loops:
            loop.consumer.close()
        self.producer.close()
        self.bus.close()
        self.resources.close()


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
        source = ReplaySource(posts_path or demo_posts_path(settings), time_scale=0.0, limit=exit_after,
                              rebase_to=utcnow())
        pipeline.publish_posts(source.posts())
        for rejection in source.rejections:
            pipeline.producer.publish(Topic.POSTS_REJECTED, None, rejection.to_bytes())
        pipeline.producer.flush()
        pipeline.counters.add("rejected", len(source.rejections))
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
