"""Classifier throughput: the full suggestion (topic, place, importance, R22 moderation, repeats, route)
on one core, batched as the classifier stage runs it, plus p99 latency of a single post.

    python -m bench.classifier [--posts 5000] [--batch 256]

Uses the bundled Kuzbass demo posts (our own texts), cycled with fresh uids.
"""

from __future__ import annotations

import argparse
import json
import os
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np

from classifier.pipeline import Classifier
from collectors.replay import ReplaySource
from otklik.settings import get_settings
from schemas import Post


def _posts(n: int) -> list[Post]:
    settings = get_settings()
    base = list(ReplaySource(settings.region_dir / "demo-posts.jsonl").posts())
    return [base[i % len(base)].model_copy(update={"uid": f"vk:-9:{i}"}) for i in range(n)]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--posts", type=int, default=5000)
    ap.add_argument("--batch", type=int, default=256)
    ap.add_argument("--latency-sample", type=int, default=500)
    args = ap.parse_args()
    classifier = Classifier.load(get_settings().region_dir)
    posts = _posts(args.posts)
    classifier.suggest_many(posts[:64])  # warm the caches as a running stage would have them
    started, cpu_started = time.perf_counter(), time.process_time()
    for i in range(0, len(posts), args.batch):
        classifier.suggest_many(posts[i:i + args.batch])
    seconds = time.perf_counter() - started
    cpu_seconds = time.process_time() - cpu_started
    latencies = []
    for post in posts[: args.latency_sample]:
        t = time.perf_counter()
        classifier.suggest(post)
        latencies.append((time.perf_counter() - t) * 1000)
    print(json.dumps({
        "posts": len(posts), "batch": args.batch, "posts_per_second": round(len(posts) / seconds, 1),
        # CPU time of this process: on a shared machine wall time also counts waiting for the core.
        "cpu_posts_per_second": round(len(posts) / cpu_seconds, 1),
        "load_average_1m": round(os.getloadavg()[0], 2),
        "target_posts_per_second": 1000,
        "single_post_latency_ms": {"p50": round(float(np.percentile(latencies, 50)), 2),
                                   "p99": round(float(np.percentile(latencies, 99)), 2)},
        "model_version": classifier.version,
    }))


if __name__ == "__main__":
    main()
