"""Replay collector: posts from a JSONL or CSV file, for the demo and for load tests.

JSONL lines are either full ``schemas.Post`` JSON (with ``uid``) or a simple shape::

    {"network": "vk", "owner_id": "-51234567", "post_id": "100512", "comment_id": null,
     "text": "...", "created_at": "2026-11-26T00:16:50Z", "author": {"id": "4472", "name": "..."},
     "url": "...", "geo": {"lat": 55.35, "lon": 86.08, "place_name": "Кемерово"},
     "metrics": {...}, "attachments": [...], "reply_to": "vk:-100000001:5001",
     "edited_at": "...", "deleted": false}

Only ``text`` is required; a missing network becomes ``replay`` and missing ids come from
the file name and line number, so uids stay stable across runs of the same file.
CSV needs a ``text`` column (``id``, ``created_at``, ``network``, ``author`` are optional):
the kursk-appeals set is read from a path given at run time, never copied into the repo.

``time_scale`` multiplies the gaps between consecutive ``created_at`` values: 1.0 replays
in real time, 0.01 a hundred times faster, 0 (the default) as fast as possible.
"""

from __future__ import annotations

import csv
import json
import re
import sys
import time
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from collectors.base import Item, Page, normalise_safely
from collectors.fields import as_dict, as_list, count, from_iso, html_to_text, ident, text_of
from schemas import Attachment, Author, Geo, Metrics, Network, Post, PostRejection
from schemas.posts import make_uid

MAX_GAP_S = 3600.0
"""A replay never sleeps longer than this between two posts, whatever the timestamps say."""
MAX_LINE_CHARS = 1_000_000
_SAFE_ID = re.compile(r"[^\w.-]+")


class ReplayError(ValueError):
    """The replay file cannot be read at all (missing, unknown extension, no text column)."""


def _file_id(path: Path) -> str:
    return _SAFE_ID.sub("-", path.stem).strip("-") or "file"


def normalise_replay(raw: Any, source: str | None = None, *, file_id: str = "file", line: int = 0,
                     default_time: datetime | None = None) -> Post:
    data = as_dict(raw, "replay row")
    if "uid" in data:
        post = Post.model_validate(data)
        return post.model_copy(update={"source": source or post.source})
    text = text_of(data.get("text"))
    network = Network(data.get("network") or Network.REPLAY)
    owner = ident(data.get("owner_id") or file_id, "owner_id")
    post_id = ident(data.get("post_id") or data.get("id") or str(line), "post_id")
    comment = data.get("comment_id")
    uid = make_uid(network.value, owner, post_id, ident(comment, "comment_id") if comment else None)
    author_raw = data.get("author")
    if isinstance(author_raw, dict):
        author = Author.model_validate(author_raw)
    else:
        author = Author(id=ident(author_raw, "author") if author_raw else "anonymous")
    created = data.get("created_at")
    if created:
        created_at = from_iso(created)
    elif default_time is not None:
        created_at = default_time
    else:
        raise ValueError("created_at is missing")
    geo = Geo.model_validate(data["geo"]) if data.get("geo") else None
    metrics_raw = as_dict(data.get("metrics") or {}, "metrics")
    metrics = Metrics(**{k: count(metrics_raw.get(k)) for k in ("likes", "reposts", "comments", "views")})
    attachments = [Attachment.model_validate(a) for a in as_list(data.get("attachments"), "attachments")]
    edited = data.get("edited_at")
    return Post(
        uid=uid, network=network, url=data.get("url"), author=author, text=text, created_at=created_at,
        edited_at=from_iso(edited) if edited else None, deleted=bool(data.get("deleted", False)),
        metrics=metrics, geo=geo, reply_to=data.get("reply_to"), attachments=attachments, source=source, raw=data,
    )


class ReplaySource:
    """Iterates a file once. Bad rows become rejections (``self.rejections``), never exceptions."""

    network = Network.REPLAY.value
    interval_s = 1.0

    def __init__(self, path: str | Path, time_scale: float = 0.0, limit: int | None = None, *,
                 rebase_to: datetime | None = None, sleep: Callable[[float], None] = time.sleep,
                 name: str | None = None) -> None:
        self.path = Path(path)
        if not self.path.is_file():
            raise ReplayError(f"replay file {self.path} does not exist")
        if self.path.suffix.lower() not in (".jsonl", ".csv", ".ndjson"):
            raise ReplayError(f"replay file {self.path} must be .jsonl or .csv")
        if time_scale < 0:
            raise ReplayError("time_scale must be >= 0")
        self.time_scale = time_scale
        self.limit = limit
        self.rebase_to = rebase_to
        self.name = name or f"replay:{_file_id(self.path)}"
        self.page_size = 200
        self.rejections: list[PostRejection] = []
        self._sleep = sleep
        self._file_id = _file_id(self.path)
        self._loaded_at = datetime.now().astimezone()
        self._shift: timedelta | None = None  # one shift and one pacing clock across pages
        self._previous: datetime | None = None

    # --- reading -------------------------------------------------------------------------
    def _rows(self) -> Iterator[tuple[int, Any]]:
        if self.path.suffix.lower() == ".csv":
            yield from self._csv_rows()
            return
        with self.path.open(encoding="utf-8", errors="replace") as fh:
            for number, line in enumerate(fh, start=1):
                if not line.strip():
                    continue
                if len(line) > MAX_LINE_CHARS:
                    yield number, _Broken(f"line longer than {MAX_LINE_CHARS} characters", line[:2000])
                    continue
                try:
                    yield number, json.loads(line)
                except ValueError as exc:
                    yield number, _Broken(f"invalid JSON: {exc}", line.rstrip("\r\n")[:2000])

    def _csv_rows(self) -> Iterator[tuple[int, Any]]:
        csv.field_size_limit(min(sys.maxsize, 2**31 - 1))
        with self.path.open(encoding="utf-8", errors="replace", newline="") as fh:
            reader = csv.DictReader(fh)
            if not reader.fieldnames or "text" not in reader.fieldnames:
                raise ReplayError(f"CSV {self.path} has no 'text' column (columns: {reader.fieldnames})")
            for number, row in enumerate(reader, start=2):
                text = row.get("text") or ""
                item: dict[str, Any] = {
                    "text": html_to_text(text) if "<" in text else text,
                    "post_id": _SAFE_ID.sub("-", row.get("id") or "").strip("-") or str(number),
                    "network": row.get("network") or None,
                    "created_at": row.get("created_at") or None,
                    "author": row.get("author") or None,
                    "csv": {k: v for k, v in row.items() if k is not None and k != "text"},
                }
                yield number, item

    # --- public API ----------------------------------------------------------------------
    def items(self, start_line: int = 0) -> Iterator[tuple[int, Item]]:
        """(line number, Post or PostRejection), paced by ``time_scale``; lines <= start_line skipped."""
        produced = 0
        for number, row in self._rows():
            if self.limit is not None and produced >= self.limit:
                return
            if number <= start_line:
                continue
            produced += 1
            if isinstance(row, _Broken):
                rejection = PostRejection(network=self.network, source=self.name, error=f"line {number}: {row.error}",
                                          raw=row.text)
                self.rejections.append(rejection)
                yield number, rejection
                continue
            item = normalise_safely(normalise_replay, row, network=self.network, source=self.name,
                                    file_id=self._file_id, line=number, default_time=self._loaded_at)
            if isinstance(item, PostRejection):
                item.error = f"line {number}: {item.error}"
                self.rejections.append(item)
                yield number, item
                continue
            if self.rebase_to is not None:
                if self._shift is None:
                    self._shift = self.rebase_to - item.created_at
                item.created_at += self._shift
                if item.edited_at is not None:
                    item.edited_at += self._shift
            moment = item.edited_at or item.created_at
            if self.time_scale > 0 and self._previous is not None:
                gap = (moment - self._previous).total_seconds() * self.time_scale
                if gap > 0:
                    self._sleep(min(gap, MAX_GAP_S))
            if self._previous is None or moment > self._previous:
                self._previous = moment
            yield number, item

    def posts(self) -> Iterator[Post]:
        for _, item in self.items():
            if isinstance(item, Post):
                yield item

    def fetch(self, cursor: str | None, page_size: int | None = None) -> Page:
        """Runner protocol: the cursor is the last line number made durable."""
        start = int(cursor or 0)
        page = Page(cursor=cursor)
        for number, item in self.items(start_line=start):
            page.items.append(item)
            page.cursor = str(number)
            if len(page.items) >= (page_size or self.page_size):
                page.more = True
                break
        return page


class _Broken:
    __slots__ = ("error", "text")

    def __init__(self, error: str, text: str) -> None:
        self.error = error
        self.text = text
