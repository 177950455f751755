"""Classifier throughput: the full suggestion (topic, place, importance, R22 moderation, repeats, route)
on one core, batched as the classifier stage runs it, plus p99 latency of a single post.

    python -m bench.classifier [--posts 5000] [--batch 256]
    python -m bench.classifier --load-like [--fill 100000] [--posts 10000] [--batch 500] [--vary]

Default: the bundled Kuzbass demo posts (our own texts), cycled with fresh uids.

Both modes freeze the heap after loading, as the stage's loop does (``freeze_startup_heap``), so
the figures do not include full garbage collections walking the loaded model, which the stage
does not pay.

``--load-like`` reproduces the classifier stage under ``bench.load``: posts made by
``bench.load.make_post`` (12 templates x 14 towns x 10 streets, so most posts are near-duplicates
of earlier ones, a "mass issue" day), a repeat index first filled with ``--fill`` such posts, then
``--posts`` more through ``Classifier.suggest_many`` in batches of ``--batch``. Prints process CPU
ms per post and peak RSS. ``--vary`` appends a random word to each text, so near-duplicates are no
longer word-for-word equal (the repeat index's general path). ``digest`` hashes what the stage
emits except the repeat links (topics, place, importance, moderation, routes) to compare code
versions on the same seed; ``digest_with_repeats`` hashes everything, the links included.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import resource
import time
from typing import Any

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np

from classifier.pipeline import Classifier
from collectors.replay import ReplaySource
from otklik.bus.processing import freeze_startup_heap
from otklik.settings import get_settings
from schemas import Post, Suggestion


def _posts(n: int) -> list[Post]:
    settings = get_settings()
    base = list(ReplaySource(settings.region_dir / "demo-posts.jsonl").posts())
    return [base[i % len(base)].model_copy(update={"uid": f"vk:-9:{i}"}) for i in range(n)]


_VARY_WORDS = ["срочно", "помогите", "сколько можно", "доколе", "жильцы возмущены", "второй раз пишу", "ответьте",
               "позор", "примите меры", "надоело", "просим разобраться", "где управляющая", "ждём ответа"]


def _load_like_posts(n: int, run: str, rnd: random.Random, vary: bool, first: int = 0) -> list[Post]:
    from bench.load import make_post

    posts = [make_post(i, run, rnd) for i in range(first, first + n)]
    if vary:
        posts = [p.model_copy(update={"text": f"{p.text} {rnd.choice(_VARY_WORDS)} {rnd.randint(100, 99_999)}"})
                 for p in posts]
    return posts


def _fill(classifier: Classifier, posts: list[Post]) -> None:
    """What ``suggest_many`` would leave in the repeat index, without paying for the rest of a suggestion."""
    from classifier.normalize import normalize_text

    places: dict[str, str | None] = {}
    for post in posts:
        if post.text not in places:
            places[post.text] = classifier.locations.extract(post.text, None).municipality
        classifier.repeats.add(post.uid, None, normalize_text(post.text), places[post.text], post.created_at)


def _digest(suggestions: list[Suggestion], without_repeats: Any, full: Any) -> None:
    for s in suggestions:
        without_repeats.update(s.model_dump_json(exclude={"repeats"}).encode())
        full.update(s.model_dump_json().encode())


def load_like(args: argparse.Namespace) -> None:
    rnd = random.Random(args.seed)
    classifier = Classifier.load(get_settings().region_dir)
    freeze_startup_heap()  # as the stage's loop does once it has loaded (otklik.bus.processing.run_loop)
    _fill(classifier, _load_like_posts(args.fill, "fill", rnd, args.vary))
    warm = _load_like_posts(2 * args.batch, "warm", rnd, args.vary)
    for i in range(0, len(warm), args.batch):
        classifier.suggest_many(warm[i:i + args.batch])  # caches as a running stage would have them
    # Batch by batch, as the stage holds them: keeping every post and suggestion alive until the end
    # made full garbage collections walk ~200,000 objects the stage never keeps.
    digest, digest_full = hashlib.sha256(), hashlib.sha256()
    cpu_seconds, linked, links = 0.0, 0, 0
    for i in range(0, args.posts, args.batch):
        batch = _load_like_posts(min(args.batch, args.posts - i), "run", rnd, args.vary, first=i)
        cpu_started = time.process_time()
        out = classifier.suggest_many(batch)
        cpu_seconds += time.process_time() - cpu_started
        _digest(out, digest, digest_full)
        linked += sum(1 for s in out if s.repeats)
        links += sum(len(s.repeats) for s in out)
    print(json.dumps({
        "mode": "load-like" + ("+vary" if args.vary else ""), "posts": args.posts, "batch": args.batch,
        "index_entries": len(classifier.repeats), "cpu_ms_per_post": round(cpu_seconds * 1000 / args.posts, 4),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "linked_posts_share": round(linked / args.posts, 3), "mean_links": round(links / args.posts, 3),
        "digest": digest.hexdigest()[:16], "digest_with_repeats": digest_full.hexdigest()[:16],
        "load_average_1m": round(os.getloadavg()[0], 2), "model_version": classifier.version,
    }))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--posts", type=int, default=None, help="measured posts (default 5000; 10000 with --load-like)")
    ap.add_argument("--batch", type=int, default=None, help="batch size (default 256; 500 with --load-like)")
    ap.add_argument("--latency-sample", type=int, default=500)
    ap.add_argument("--load-like", action="store_true", help="posts and index as under bench.load")
    ap.add_argument("--fill", type=int, default=100_000, help="--load-like: posts in the repeat index first")
    ap.add_argument("--vary", action="store_true", help="--load-like: no two texts word-for-word equal")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    if args.load_like:
        args.posts = 10_000 if args.posts is None else args.posts
        args.batch = 500 if args.batch is None else args.batch
        load_like(args)
        return
    args.posts = 5000 if args.posts is None else args.posts
    args.batch = 256 if args.batch is None else args.batch
    classifier = Classifier.load(get_settings().region_dir)
    freeze_startup_heap()
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
