"""Prometheus metrics per source (registered once per process, on the default registry)."""

from __future__ import annotations

from prometheus_client import Counter, Gauge

POSTS = Counter("otklik_collector_posts_total", "Posts published to posts.raw", ["source", "network"])
REJECTED = Counter("otklik_collector_rejected_total", "Payloads that could not become a post", ["source", "network"])
ERRORS = Counter("otklik_collector_errors_total", "Failed polls by kind", ["source", "network", "kind"])
LAST_SUCCESS = Gauge("otklik_collector_last_success_timestamp_seconds", "Unix time of the last good poll", ["source"])
LAG = Gauge("otklik_collector_lag_seconds", "Collected minus created time of the newest post seen", ["source"])
UP = Gauge("otklik_collector_up", "1 while the source polls normally, 0 when it is down or backing off", ["source"])
