"""Bus throughput: 1 KB messages produced and consumed on each backend, and the
overhead of our Kafka backend against raw kafka-python on the same broker.

    python -m bench.bus [--messages 100000] [--kafka 127.0.0.1:9092]

Prints one JSON object. Kafka figures appear when a broker is given (or
OTKLIK_TEST_KAFKA_BOOTSTRAP is set).
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
import uuid
from typing import Any

from kafka import KafkaConsumer, KafkaProducer

from otklik.bus import open_bus

VALUE = b"x" * 1024


def _ours(dsn: str, n: int) -> dict[str, float]:
    bus = open_bus(dsn, partitions=6)
    topic = f"bench.{uuid.uuid4().hex[:8]}"
    bus.ensure_topics([topic])
    producer = bus.producer()
    start = time.perf_counter()
    for i in range(n):
        producer.publish(topic, f"vk:1:{i}", VALUE)
    producer.flush()
    produce_s = time.perf_counter() - start
    producer.close()
    consumer = bus.consumer(f"bench-{uuid.uuid4().hex[:8]}", [topic])
    got = 0
    start = time.perf_counter()
    while got < n:
        records = consumer.poll(max_records=2000, timeout_s=1.0)
        got += len(records)
        if records:
            consumer.commit(records)
    consume_s = time.perf_counter() - start
    consumer.close()
    bus.close()
    return {"produced_per_s": round(n / produce_s), "consumed_per_s": round(n / consume_s)}


def _raw_kafka(bootstrap: str, n: int) -> dict[str, float]:
    """The same work with kafka-python alone, configured like our backend (acks=all, idempotent)."""
    bus = open_bus(f"kafka://{bootstrap}", partitions=6)
    topic = f"bench.raw.{uuid.uuid4().hex[:8]}"
    bus.ensure_topics([topic])
    bus.close()
    producer = KafkaProducer(bootstrap_servers=bootstrap, acks="all", enable_idempotence=True, linger_ms=5,
                             batch_size=256 * 1024)
    start = time.perf_counter()
    for i in range(n):
        producer.send(topic, key=f"vk:1:{i}".encode(), value=VALUE)
    producer.flush()
    produce_s = time.perf_counter() - start
    producer.close()
    consumer = KafkaConsumer(topic, bootstrap_servers=bootstrap, group_id=f"raw-{uuid.uuid4().hex[:8]}",
                             enable_auto_commit=False, auto_offset_reset="earliest", session_timeout_ms=6000,
                             heartbeat_interval_ms=1000, max_poll_records=2000, fetch_max_wait_ms=100)
    got = 0
    start = time.perf_counter()
    while got < n:
        batches = consumer.poll(timeout_ms=1000, max_records=2000)
        got += sum(len(b) for b in batches.values())
        if batches:
            consumer.commit()
    consume_s = time.perf_counter() - start
    consumer.close()
    return {"produced_per_s": round(n / produce_s), "consumed_per_s": round(n / consume_s)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--messages", type=int, default=100_000)
    ap.add_argument("--kafka", default=os.environ.get("OTKLIK_TEST_KAFKA_BOOTSTRAP"))
    args = ap.parse_args()
    result: dict[str, Any] = {"message_bytes": len(VALUE), "messages": args.messages}
    with tempfile.TemporaryDirectory() as tmp:
        result["embedded"] = _ours(f"sqlite:///{tmp}/bus.sqlite", args.messages)
    if args.kafka:
        ours = _ours(f"kafka://{args.kafka}", args.messages)
        raw = _raw_kafka(args.kafka, args.messages)
        result["kafka"] = ours
        result["kafka_raw"] = raw
        result["kafka_ratio_to_raw"] = {
            "produce": round(ours["produced_per_s"] / raw["produced_per_s"], 3),
            "consume": round(ours["consumed_per_s"] / raw["consumed_per_s"], 3),
        }
        result["target_overhead_below"] = 0.20
    print(json.dumps(result))


if __name__ == "__main__":
    main()
