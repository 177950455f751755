"""Builds the sources of a region from ``regions/<region>/sources.yaml`` and the credentials.

A network whose credentials are missing is skipped with a reason (shown by ``collect run``);
the rest start. Clients are created here, lazily per network, so nothing connects at import.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import yaml

from collectors.base import Page, Source
from collectors.credentials import Credentials
from collectors.morph import KeywordMatcher, twitter_queries
from schemas import Post

log = logging.getLogger("otklik.collectors")


class ConfigError(ValueError):
    """sources.yaml is missing or malformed."""


@dataclass
class Built:
    sources: list[Source] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)


class FilteredSource:
    """Keeps only posts matching the region's keywords (with morphology); rejections pass through."""

    def __init__(self, inner: Source, matcher: KeywordMatcher) -> None:
        self.inner, self.matcher = inner, matcher
        self.name, self.network, self.interval_s = inner.name, inner.network, inner.interval_s

    def fetch(self, cursor: str | None) -> Page:
        page = self.inner.fetch(cursor)
        page.items = [i for i in page.items if not isinstance(i, Post) or self.matcher.matches(i.text)]
        return page


def load_config(path: str | Path) -> dict[str, Any]:
    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"cannot read {path}: {exc}") from exc
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a mapping at the top level")
    return data


def build_sources(config: dict[str, Any], creds: Credentials, *, http: httpx.Client | None = None) -> Built:
    built = Built()
    defaults = config.get("defaults") or {}
    interval = float(defaults.get("interval_s", 300))
    window = int(defaults.get("window", 20))
    keywords = [str(k) for k in config.get("keywords") or []]
    matcher = KeywordMatcher(keywords)
    gov = config.get("government") or {}
    watch = config.get("watch") or {}
    http = http or httpx.Client(timeout=30.0)

    def add(source: Source, filtered: bool = False) -> None:
        built.sources.append(FilteredSource(source, matcher) if filtered else source)

    # VK
    if creds.has("VK_TOKEN"):
        from collectors.vk import VkSearchSource, VkWallSource, make_client

        vk = make_client(creds.get("VK_TOKEN") or "")
        official = frozenset(str(a.get("owner_id")) for a in gov.get("vk") or [] if a.get("owner_id"))
        for phrase in keywords:
            add(VkSearchSource(vk, f"vk:search:{phrase}", phrase, interval_s=interval, official=official))
        for place in config.get("places") or []:
            add(VkSearchSource(vk, f"vk:place:{place['name']}", latitude=float(place["lat"]),
                               longitude=float(place["lon"]), interval_s=interval, official=official))
        for acc, is_gov in [(a, True) for a in gov.get("vk") or []] + [(a, False) for a in watch.get("vk") or []]:
            add(VkWallSource(vk, f"vk:wall:{acc.get('domain') or acc.get('owner_id')}", owner_id=acc.get("owner_id"),
                             domain=acc.get("domain"), comments=is_gov, window=window, interval_s=interval,
                             official=official), filtered=bool(acc.get("filter")))
    else:
        built.skipped.append("vk: нет OTKLIK_VK_TOKEN")

    # OK
    if creds.has("OK_APP_KEY", "OK_SECRET_KEY", "OK_ACCESS_TOKEN"):
        from collectors.ok import OkClient, OkGroupSource

        ok = OkClient(creds.get("OK_APP_KEY") or "", creds.get("OK_SECRET_KEY") or "",
                      creds.get("OK_ACCESS_TOKEN") or "", http=http)
        for acc, is_gov in [(a, True) for a in gov.get("ok") or []] + [(a, False) for a in watch.get("ok") or []]:
            add(OkGroupSource(ok, f"ok:group:{acc['group_id']}", str(acc["group_id"]), comments=is_gov,
                              window=window, interval_s=interval), filtered=bool(acc.get("filter")))
    else:
        built.skipped.append("ok: нет OTKLIK_OK_APP_KEY / OTKLIK_OK_SECRET_KEY / OTKLIK_OK_ACCESS_TOKEN")

    # Twitter/X
    if creds.has("TWITTER_BEARER_TOKEN"):
        from collectors.twitter import TwitterConversationSource, TwitterSearchSource
        from collectors.twitter import make_client as tw_client

        tw = tw_client(creds.get("TWITTER_BEARER_TOKEN") or "")
        for n, query in enumerate(twitter_queries(keywords)):
            add(TwitterSearchSource(tw, f"twitter:search:{n}", query, interval_s=interval))
        accounts = [str(a["account"]).lstrip("@") for a in gov.get("twitter") or []]
        if accounts:
            mentions = " OR ".join(f"@{a}" for a in accounts)
            add(TwitterSearchSource(tw, "twitter:mentions", f"({mentions}) -is:retweet", interval_s=interval))
        for account in accounts:
            add(TwitterConversationSource(tw, f"twitter:replies:{account}", account, interval_s=interval))
    else:
        built.skipped.append("twitter: нет OTKLIK_TWITTER_BEARER_TOKEN")

    # Instagram (Graph API)
    if creds.has("INSTAGRAM_TOKEN", "INSTAGRAM_USER_ID"):
        from collectors.instagram import GraphClient, InstagramSource

        graph = GraphClient(creds.get("INSTAGRAM_TOKEN") or "", http=http)
        user = creds.get("INSTAGRAM_USER_ID") or ""
        for tag in watch.get("instagram_hashtags") or []:
            add(InstagramSource(graph, f"instagram:tag:{tag}", user_id=user, hashtag=str(tag), interval_s=interval))
        for acc in gov.get("instagram") or []:
            add(InstagramSource(graph, f"instagram:account:{acc['account_id']}", user_id=user,
                                account_id=str(acc["account_id"]), comments=True, window=window,
                                interval_s=interval))
    else:
        built.skipped.append("instagram: нет OTKLIK_INSTAGRAM_TOKEN / OTKLIK_INSTAGRAM_USER_ID")
    web_tags = watch.get("instagram_web_hashtags") or []
    if web_tags:
        from collectors.instagram import InstaloaderHashtagSource, make_loader

        loader = make_loader()
        for tag in web_tags:
            add(InstaloaderHashtagSource(loader, f"instagram:web:{tag}", str(tag), interval_s=max(interval, 900.0)))

    # Telegram
    if creds.has("TELEGRAM_API_ID", "TELEGRAM_API_HASH", "TELEGRAM_SESSION"):
        from telethon.sessions import StringSession
        from telethon.sync import TelegramClient

        from collectors.telegram import TelegramChannelSource

        client = TelegramClient(StringSession(creds.get("TELEGRAM_SESSION")), int(creds.get("TELEGRAM_API_ID") or 0),
                                creds.get("TELEGRAM_API_HASH") or "")
        for acc, is_gov in [(a, True) for a in gov.get("telegram") or []] + \
                [(a, False) for a in watch.get("telegram") or []]:
            add(TelegramChannelSource(client, f"telegram:{acc['channel']}", str(acc["channel"]), comments=is_gov,
                                      window=window, interval_s=interval), filtered=bool(acc.get("filter")))
    else:
        built.skipped.append("telegram: нет OTKLIK_TELEGRAM_API_ID / OTKLIK_TELEGRAM_API_HASH / "
                             "OTKLIK_TELEGRAM_SESSION")

    # Blogs (no credentials)
    from collectors.blogs import FeedSource, livejournal_feed

    for name in watch.get("livejournal") or []:
        add(FeedSource(http, f"blog:lj:{name}", livejournal_feed(str(name)), feed_id=f"lj-{name}".replace("_", "-"),
                       interval_s=max(interval, 900.0)), filtered=True)
    for blog in watch.get("blogs") or []:
        add(FeedSource(http, f"blog:{blog['name']}", str(blog["url"]), interval_s=max(interval, 900.0)),
            filtered=bool(blog.get("filter", True)))
    for reason in built.skipped:
        log.warning("collector skipped: %s", reason)
    return built
