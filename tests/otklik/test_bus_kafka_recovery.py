"""The Kafka bus gets over clients that kafka-python leaves wedged, against a real broker.

The faults are the client states an outage leaves behind, reached by the same library calls
the outage makes (the drill ``test_drill_kafka_broker_down`` stops a real broker instead).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from kafka import KafkaProducer
from kafka.errors import KafkaTimeoutError
from kafka.structs import MemberState

from otklik.bus import BusError, Record
from otklik.bus.kafka import KafkaBus, KafkaBusConsumer, KafkaBusProducer, KafkaLimits
from tests.otklik.bus_helpers import drain

pytestmark = [pytest.mark.integration, pytest.mark.kafka, pytest.mark.timeout(120)]

FAST = KafkaLimits(request_timeout_ms=1_500, delivery_timeout_ms=2_000, max_block_ms=500, settle_margin_s=0.5,
                   flush_budget_s=20.0, stall_s=1.0)


@pytest.fixture
def kafka(kafka_bootstrap: str) -> Iterator[KafkaBus]:
    bus = KafkaBus(kafka_bootstrap, partitions=2, limits=FAST)
    yield bus
    bus.close()


@pytest.fixture
def topic(kafka: KafkaBus) -> str:
    name = f"test.{uuid.uuid4().hex[:12]}"
    kafka.ensure_topics([name])
    return name


def _wedge(client: KafkaProducer) -> None:
    """What kafka-python's sender does when a batch it had sent expires: the producer id goes, the state stays."""
    client._sender._transaction_manager.reset_producer_id()


def _values(kafka: KafkaBus, topic: str, expected: int) -> list[bytes]:
    got: list[Record] = []
    with kafka.consumer(f"g-{uuid.uuid4().hex[:8]}", [topic]) as consumer:
        for _ in range(40):
            got.extend(consumer.poll(max_records=500, timeout_s=0.5))
            if len(got) >= expected:
                break
    return sorted(r.value for r in got)


def test_kafka_python_still_wedges_after_a_producer_id_reset(kafka_bootstrap: str, topic: str) -> None:
    """The root cause of the drill hang; if this starts failing, kafka-python fixed it upstream."""
    client = KafkaProducer(bootstrap_servers=[kafka_bootstrap], acks="all", enable_idempotence=True)
    try:
        client.send(topic, b"before").get(timeout=10)
        _wedge(client)
        client.send(topic, b"after")
        with pytest.raises(KafkaTimeoutError):
            client.flush(timeout=1.5)
    finally:
        from otklik.bus.kafka_producer import discard_client

        discard_client(client)


def test_producer_rebuilds_a_wedged_client_and_loses_nothing(kafka: KafkaBus, topic: str) -> None:
    producer = kafka.producer()
    assert isinstance(producer, KafkaBusProducer)
    producer.publish(topic, "vk:1:1", b"one")
    producer.flush()
    _wedge(producer._client)
    for i in range(2, 6):
        producer.publish(topic, f"vk:1:{i}", f"{i}".encode())
    producer.flush()
    assert producer.rebuilds >= 1
    producer.close()
    values = _values(kafka, topic, 5)
    assert set(values) == {b"one", b"2", b"3", b"4", b"5"}, "every message acknowledged after the rebuild"


def test_flush_gives_up_with_a_clear_error_within_its_budget(kafka_bootstrap: str) -> None:
    """A message Kafka never takes (its topic does not exist) ends in BusError, not in a wait without end."""
    limits = KafkaLimits(request_timeout_ms=1_000, delivery_timeout_ms=1_500, max_block_ms=300,
                         settle_margin_s=0.2, flush_budget_s=3.0)
    producer = KafkaBusProducer([kafka_bootstrap], "otklik-test", limits)
    producer.publish(f"missing.{uuid.uuid4().hex[:8]}", "k", b"v")
    with pytest.raises(BusError, match="not acknowledged by Kafka within 3 s"):
        producer.flush()
    producer.flush()  # the failed messages were handed back to the caller, not kept to fail again
    producer.close()




def _publish(kafka: KafkaBus, topic: str, n: int, start: int = 0) -> None:
    with kafka.producer() as producer:
        for i in range(start, start + n):
            producer.publish(topic, f"k{i}", f"{i}".encode())


def test_consumer_that_lost_its_assignment_is_rebuilt(kafka: KafkaBus, topic: str) -> None:
    """A member left without partitions (coordinator lost, never rejoined) is replaced by a fresh one."""
    _publish(kafka, topic, 4)
    consumer = kafka.consumer(f"g-{uuid.uuid4().hex[:8]}", [topic])
    assert isinstance(consumer, KafkaBusConsumer)
    first = drain(consumer, 4, rounds=30)
    consumer.commit(first)
    client = consumer._consumer
    assert client is not None
    client.unsubscribe()
    _publish(kafka, topic, 3, start=4)
    rest = drain(consumer, 3, rounds=40)
    assert consumer.rebuilds == 1
    assert sorted(int(r.value) for r in rest) == [4, 5, 6]
    consumer.close()


def test_consumer_assigned_but_not_fetching_is_rebuilt(kafka: KafkaBus, topic: str) -> None:
    """Assigned partitions whose fetches never resume while records wait: rebuilt, records redelivered."""
    group = f"g-{uuid.uuid4().hex[:8]}"
    _publish(kafka, topic, 2)
    consumer = kafka.consumer(group, [topic])
    assert isinstance(consumer, KafkaBusConsumer)
    consumer.commit(drain(consumer, 2, rounds=30))
    client = consumer._consumer
    assert client is not None
    client.pause(*client.assignment())
    _publish(kafka, topic, 3, start=2)
    rest = drain(consumer, 3, rounds=40)
    assert consumer.rebuilds == 1
    assert sorted(int(r.value) for r in rest) == [2, 3, 4]
    consumer.close()
    assert kafka.lag(group, topic) == 3, "nothing committed for the records handed out after the rebuild"


def test_idle_consumer_with_nothing_waiting_is_left_alone(kafka: KafkaBus, topic: str) -> None:
    consumer = kafka.consumer(f"g-{uuid.uuid4().hex[:8]}", [topic])
    assert isinstance(consumer, KafkaBusConsumer)
    for _ in range(60):  # joining may be slow on a loaded machine: that is not what this test is about
        assert consumer.poll(timeout_s=0.5) == []
        if consumer._consumer is not None and consumer._consumer.assignment():
            break
    settled = consumer.rebuilds
    for _ in range(6):  # several stall checks, nothing waiting
        assert consumer.poll(timeout_s=0.5) == []
    assert consumer.rebuilds == settled
    consumer.close()


def test_member_without_partitions_in_a_stable_group_is_not_rebuilt(kafka: KafkaBus, topic: str) -> None:
    """Three members, two partitions: the spare member idles; rebuilding it would rebalance everyone."""
    group = f"g-{uuid.uuid4().hex[:8]}"
    patient = KafkaBus(",".join(kafka.bootstrap), limits=KafkaLimits(stall_s=2.0))
    members = [patient.consumer(group, [topic]) for _ in range(3)]
    try:
        for _ in range(60):
            for member in members:
                member.poll(timeout_s=0.2)
            clients = [m._consumer if isinstance(m, KafkaBusConsumer) else None for m in members]
            held = [c.assignment() if c is not None else set() for c in clients]
            # Settled means a finished rebalance too: while one runs, the old owners still hold their
            # partitions and the spare member is rightly not yet stable.
            stable = all(c is not None and c.group_metadata().state == MemberState.STABLE for c in clients)
            if stable and sum(len(h) for h in held) == 2 and sum(1 for h in held if h) == 2:
                break
        assert sorted(len(h) for h in held) == [0, 1, 1], "the group never settled on two busy members"
        rebuilds_when_settled = [m.rebuilds for m in members if isinstance(m, KafkaBusConsumer)]
        for _ in range(8):  # well past two stall checks
            for member in members:
                member.poll(timeout_s=0.3)
        assert [m.rebuilds for m in members if isinstance(m, KafkaBusConsumer)] == rebuilds_when_settled
    finally:
        for member in members:
            member.close()
        patient.close()
