"""One message-bus contract, two backends: Apache Kafka and an embedded durable SQLite log.

Modelled on Sentry arroyo: processing code talks to :class:`Bus`, never to a backend,
so the same stage runs in one demo process or as a Kafka consumer group.
"""

from otklik.bus.base import Bus, BusError, Consumer, Producer, Record, partition_for
from otklik.bus.factory import open_bus

__all__ = ["Bus", "BusError", "Consumer", "Producer", "Record", "open_bus", "partition_for"]
