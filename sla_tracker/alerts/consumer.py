"""The bus side of the notifier: ``alerts`` values in, deliveries out (nothing is produced)."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from pydantic import ValidationError

from schemas import Alert
from sla_tracker.alerts.notifier import Notifier, NotifyResult

log = logging.getLogger(__name__)


def handle_values(notifier: Notifier, values: Sequence[bytes]) -> list[NotifyResult]:
    results = []
    for value in values:
        try:
            alert = Alert.from_bytes(value)
        except (ValidationError, ValueError) as exc:
            log.error("unreadable alert skipped (kept in the topic): %s", str(exc)[:500])
            continue
        results.append(notifier.notify(alert))
    return results
