"""Blogs through feedparser: RSS/Atom of any blog, LiveJournal users and communities (R4).

httpx does the conditional GET (ETag / Last-Modified, 429 + Retry-After, timeouts, a size
cap); feedparser parses the bytes. Entry markup is reduced to text, never rendered.
"""

from __future__ import annotations

import calendar
import hashlib
import json
import re
from typing import Any

import feedparser
import httpx

from collectors.base import Item, Page, RateLimited, SourceDown, TransientError, normalise_safely
from collectors.fields import as_dict, from_unix, html_to_text, ident
from schemas import Attachment, Author, Network, Post
from schemas.posts import make_uid

NETWORK = Network.BLOG.value
MAX_FEED_BYTES = 10_000_000
_SLUG = re.compile(r"[^\w.-]+")


def livejournal_feed(name: str) -> str:
    """Users and communities alike publish ``https://NAME.livejournal.com/data/rss``."""
    return f"https://{name.replace('_', '-')}.livejournal.com/data/rss"


def entry_key(entry: dict[str, Any]) -> str:
    """A stable uid part from the entry's guid (or link): guids are URLs full of ':'."""
    basis = entry.get("id") or entry.get("link") or entry.get("title")
    if not isinstance(basis, str) or not basis:
        raise ValueError("entry has neither id, link nor title")
    return hashlib.blake2b(basis.encode("utf-8", "replace"), digest_size=10).hexdigest()


def _when(entry: dict[str, Any], *keys: str) -> Any:
    for key in keys:
        value = entry.get(key)
        if value is not None and len(value) >= 6:
            return from_unix(calendar.timegm((*tuple(value)[:6], 0, 0, 0)))
    return None


def normalise_entry(raw: Any, source: str | None = None, feed_id: str = "feed") -> Post:
    entry = as_dict(raw, "feed entry")
    content = entry.get("content")
    body = ""
    if isinstance(content, list) and content and isinstance(content[0], dict):
        body = str(content[0].get("value") or "")
    body = body or str(entry.get("summary") or entry.get("description") or "")
    title = html_to_text(str(entry.get("title") or ""))
    text = html_to_text(body)
    created = _when(entry, "published_parsed", "created_parsed", "updated_parsed")
    if created is None:
        raise ValueError("entry carries no date")
    updated = _when(entry, "updated_parsed")
    link = entry.get("link") if isinstance(entry.get("link"), str) else None
    author_name = entry.get("author") if isinstance(entry.get("author"), str) else None
    enclosures = [Attachment(kind=str(e.get("type", "link")).split("/")[0][:20], url=e.get("href"))
                  for e in entry.get("enclosures") or [] if isinstance(e, dict) and isinstance(e.get("href"), str)]
    return Post(
        uid=make_uid(NETWORK, ident(feed_id, "feed id"), entry_key(entry)), network=Network.BLOG, url=link,
        author=Author(id=(author_name or feed_id)[:200], name=author_name),
        text=f"{title}\n{text}".strip() if title and not text.startswith(title) else text,
        created_at=created, edited_at=updated if updated and updated > created else None,
        attachments=enclosures[:20], source=source,
        raw={k: entry.get(k) for k in ("id", "link", "title", "author", "published", "updated", "summary", "tags")},
    )


class FeedSource:
    """One RSS/Atom feed. Cursor ``{"etag", "modified"}``; repeats are dropped by the ledger."""

    network = NETWORK

    def __init__(self, http: httpx.Client, name: str, url: str, *, feed_id: str | None = None,
                 interval_s: float = 900.0) -> None:
        self.http, self.name, self.url, self.interval_s = http, name, url, interval_s
        self.feed_id = feed_id or _SLUG.sub("-", url.split("//", 1)[-1]).strip("-")[:100]

    def fetch(self, cursor: str | None) -> Page:
        state: dict[str, Any] = json.loads(cursor) if cursor else {"etag": None, "modified": None}
        headers = {"User-Agent": "Otklik/1.0 (+feed reader)"}
        if state["etag"]:
            headers["If-None-Match"] = state["etag"]
        if state["modified"]:
            headers["If-Modified-Since"] = state["modified"]
        try:
            with self.http.stream("GET", self.url, headers=headers, follow_redirects=True) as response:
                if response.status_code == 304:
                    return Page([], cursor)
                if response.status_code == 429 or (response.status_code == 503 and "Retry-After" in response.headers):
                    raise RateLimited(f"блог {self.url}: HTTP {response.status_code}",
                                      _retry_after(response.headers.get("Retry-After")))
                if response.status_code in (401, 403, 410):
                    raise SourceDown(f"блог {self.url}: HTTP {response.status_code}, лента недоступна")
                if response.status_code >= 400:
                    raise TransientError(f"блог {self.url}: HTTP {response.status_code}")
                data = bytearray()
                for chunk in response.iter_bytes():
                    data.extend(chunk)
                    if len(data) > MAX_FEED_BYTES:
                        raise TransientError(f"блог {self.url}: лента больше {MAX_FEED_BYTES} байт")
                etag, modified = response.headers.get("ETag"), response.headers.get("Last-Modified")
        except httpx.HTTPError as exc:
            raise TransientError(f"блог {self.url}: {type(exc).__name__}") from None
        parsed = feedparser.parse(bytes(data), sanitize_html=False, resolve_relative_uris=False)
        if parsed.bozo and not parsed.entries:
            raise TransientError(f"блог {self.url}: лента не разобрана ({type(parsed.bozo_exception).__name__})")
        items: list[Item] = [normalise_safely(normalise_entry, dict(e), network=NETWORK, source=self.name,
                                              feed_id=self.feed_id) for e in parsed.entries]
        return Page(items, json.dumps({"etag": etag, "modified": modified}))


def _retry_after(value: str | None, default: float = 300.0) -> float:
    try:
        return max(0.0, min(float(value), 86_400.0)) if value is not None else default
    except ValueError:
        return default
