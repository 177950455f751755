"""How one audit record is bound to the one before it (R23): the hash format shared by writer and verifier.

Every case has its own chain (its head lives on the ``cases`` row, so appending costs no extra query);
records without a case form the ``admin`` chain (head in ``audit_heads``). Changing this format breaks
every stored hash: bump ``FORMAT`` and migrate instead.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Any

FORMAT = 1
ADMIN_CHAIN = "admin"


def chain_name(case_id: int | None) -> str:
    return ADMIN_CHAIN if case_id is None else f"case:{case_id}"


def normalize_details(details: dict[str, Any] | None) -> dict[str, Any]:
    """What the JSON column will give back on read (int keys become strings, tuples lists), so the hash
    computed now matches the one recomputed later. NaN/Infinity are refused: not JSON, not stable."""
    try:
        value = json.loads(json.dumps(details or {}, allow_nan=False))
    except (TypeError, ValueError) as exc:
        raise ValueError(f"audit details must be plain JSON: {exc}") from exc
    if not isinstance(value, dict):
        raise ValueError("audit details must be a JSON object")
    return value


def utc_iso(at: datetime) -> str:
    if at.tzinfo is None:
        raise ValueError("naive datetime given to the audit log; pass an aware instant")
    return at.astimezone(UTC).isoformat()


def record_hash(
    *,
    case_id: int | None,
    seq: int,
    actor: str,
    at: datetime,
    action: str,
    from_state: str | None,
    to_state: str | None,
    details: dict[str, Any],
    prev_hash: str | None,
) -> str:
    """sha256 hex of the canonical JSON (sorted keys, ASCII, no spaces) of everything the record says."""
    body = {
        "v": FORMAT,
        "case_id": case_id,
        "seq": seq,
        "actor": actor,
        "at": utc_iso(at),
        "action": action,
        "from_state": from_state,
        "to_state": to_state,
        "details": details,
        "prev_hash": prev_hash,
    }
    canonical = json.dumps(body, sort_keys=True, ensure_ascii=True, separators=(",", ":"), allow_nan=False)
    return hashlib.sha256(canonical.encode("ascii")).hexdigest()
