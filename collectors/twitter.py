"""Twitter/X through tweepy's v2 ``Client``: recent search with query operators and expansions,
mentions of the government's accounts, and conversation replies via ``conversation_id``.

Shapes per the v2 docs: ``{"data": [tweet], "includes": {"users": [...], "places": [...]},
"meta": {"newest_id", "next_token"}}``; 429 carries ``x-rate-limit-reset`` (unix seconds).
"""

from __future__ import annotations

import json
import logging
import time
from typing import Any

import requests
import tweepy

from collectors.base import Item, Page, RateLimited, SourceDown, TransientError, normalise_safely
from collectors.fields import as_dict, as_list, count, from_iso, ident, text_of
from schemas import Author, Geo, Metrics, Network, Post
from schemas.posts import make_uid

NETWORK = Network.TWITTER.value
TWEET_FIELDS = ["author_id", "created_at", "conversation_id", "in_reply_to_user_id", "referenced_tweets",
                "public_metrics", "geo", "edit_history_tweet_ids", "lang"]
USER_FIELDS = ["name", "username", "public_metrics", "verified"]
EXPANSIONS = ["author_id", "geo.place_id", "referenced_tweets.id.author_id"]


def make_client(bearer_token: str) -> tweepy.Client:
    # tweepy logs request headers (the bearer token) at DEBUG: keep its logger above that.
    logging.getLogger("tweepy").setLevel(logging.INFO)
    # return_type=dict: raw v2 JSON, so one malformed tweet is one rejection, not a failed page.
    return tweepy.Client(bearer_token=bearer_token, wait_on_rate_limit=False, return_type=dict)


def _mapped_call(name: str, fn: Any, **params: Any) -> dict[str, Any]:
    try:
        body = fn(**params)
    except tweepy.TooManyRequests as exc:
        reset = exc.response.headers.get("x-rate-limit-reset")
        retry = exc.response.headers.get("Retry-After")
        wait = float(retry) if retry and retry.isdigit() else \
            (int(reset) - time.time() if reset and reset.isdigit() else 900.0)
        raise RateLimited(f"Twitter {name}: HTTP 429", max(1.0, min(wait, 86_400.0))) from None
    except (tweepy.Unauthorized, tweepy.Forbidden) as exc:
        raise SourceDown(f"Twitter {name}: HTTP {exc.response.status_code}, токен недействителен или доступ "
                         "запрещён") from None
    except tweepy.TweepyException as exc:
        raise TransientError(f"Twitter {name}: {type(exc).__name__}") from None
    except requests.RequestException as exc:  # includes a truncated JSON body
        raise TransientError(f"Twitter {name}: {type(exc).__name__}") from None
    except (KeyError, TypeError, ValueError) as exc:
        raise TransientError(f"Twitter {name}: malformed response ({type(exc).__name__})") from None
    if not isinstance(body, dict):
        raise TransientError(f"Twitter {name}: malformed response (not an object)")
    return body


def normalise_tweet(raw: Any, source: str | None = None, users: dict[str, Any] | None = None,
                    places: dict[str, Any] | None = None) -> Post:
    data = as_dict(raw, "tweet")
    tid, author_id = ident(data.get("id"), "tweet id"), ident(data.get("author_id"), "author_id")
    user = (users or {}).get(author_id) or {}
    user = user if isinstance(user, dict) else {}
    replied = [r for r in as_list(data.get("referenced_tweets"), "referenced_tweets")
               if isinstance(r, dict) and r.get("type") == "replied_to"]
    reply_to = None
    if replied and data.get("in_reply_to_user_id"):
        reply_to = make_uid(NETWORK, ident(data["in_reply_to_user_id"], "in_reply_to_user_id"),
                            ident(replied[0].get("id"), "replied tweet id"))
    metrics = as_dict(data.get("public_metrics") or {}, "public_metrics")
    geo = None
    place_id = as_dict(data.get("geo") or {}, "geo").get("place_id")
    place = (places or {}).get(place_id) if isinstance(place_id, str) else None
    if isinstance(place, dict) and isinstance(place.get("geo"), dict):
        bbox = place["geo"].get("bbox")
        if isinstance(bbox, list) and len(bbox) == 4:
            w, s, e, n = (float(v) for v in bbox)
            geo = Geo(lat=(s + n) / 2, lon=(w + e) / 2, place_name=place.get("full_name"))
    history = as_list(data.get("edit_history_tweet_ids"), "edit_history_tweet_ids")
    username = user.get("username") if isinstance(user.get("username"), str) else None
    followers = count(as_dict(user.get("public_metrics") or {}, "user metrics").get("followers_count"))
    return Post(
        uid=make_uid(NETWORK, author_id, tid), network=Network.TWITTER,
        url=f"https://twitter.com/{username or 'i/web'}/status/{tid}",
        author=Author(id=author_id, name=user.get("name") if isinstance(user.get("name"), str) else username,
                      url=f"https://twitter.com/{username}" if username else None,
                      followers=followers),
        text=text_of(data.get("text")), created_at=from_iso(data.get("created_at")),
        metrics=Metrics(likes=count(metrics.get("like_count")),
                        reposts=count(metrics.get("retweet_count")) + count(metrics.get("quote_count")),
                        comments=count(metrics.get("reply_count")), views=count(metrics.get("impression_count"))),
        geo=geo, reply_to=reply_to, source=source, raw={**data, "edits": len(history)},
    )


def _page_items(body: dict[str, Any], source: str) -> tuple[list[Item], dict[str, Any]]:
    includes: dict[str, Any] = body["includes"] if isinstance(body.get("includes"), dict) else {}
    users = {str(u.get("id")): u for u in includes.get("users") or [] if isinstance(u, dict)}
    places = {str(p.get("id")): p for p in includes.get("places") or [] if isinstance(p, dict)}
    tweets = body.get("data") or []
    if not isinstance(tweets, list):
        raise TransientError("Twitter: malformed response (data is not a list)")
    items = [normalise_safely(normalise_tweet, t, network=NETWORK, source=source, users=users, places=places)
             for t in tweets]
    meta: dict[str, Any] = body["meta"] if isinstance(body.get("meta"), dict) else {}
    return items, meta


class TwitterSearchSource:
    """Recent search for one query (keywords with operators, or ``@account`` mentions).

    Cursor ``{"since_id", "next_token", "newest"}``: a sweep pages with ``next_token`` and
    then the next sweep asks only for tweets after the newest one seen.
    """

    network = NETWORK

    def __init__(self, client: tweepy.Client, name: str, query: str, *, interval_s: float = 300.0,
                 page_size: int = 100) -> None:
        if len(query) > 512:
            raise ValueError("Twitter recent search queries are limited to 512 characters")
        self.client, self.name, self.query, self.interval_s, self.page_size = client, name, query, interval_s, page_size

    def fetch(self, cursor: str | None) -> Page:
        state: dict[str, Any] = json.loads(cursor) if cursor else {"since_id": None, "next_token": None, "newest": None}
        response = _mapped_call(
            "search_recent_tweets", self.client.search_recent_tweets, query=self.query,
            max_results=self.page_size, since_id=state["since_id"], next_token=state["next_token"],
            tweet_fields=TWEET_FIELDS, user_fields=USER_FIELDS, expansions=EXPANSIONS,
            place_fields=["full_name", "geo"],
        )
        items, meta = _page_items(response, self.name)
        newest = meta.get("newest_id")
        newer = state["newest"] is None or (isinstance(newest, str) and newest.isdigit()
                                            and int(newest) > int(state["newest"]))
        if isinstance(newest, str) and newest.isdigit() and newer:
            state["newest"] = newest
        token = meta.get("next_token")
        if isinstance(token, str) and token and items:
            state["next_token"] = token
            return Page(items, json.dumps(state), more=True)
        state.update(since_id=state["newest"], next_token=None)
        return Page(items, json.dumps(state))


class TwitterConversationSource:
    """Replies under the government's own tweets (R5): ``from:account`` finds its recent tweets,
    then ``conversation_id:ID`` reads each conversation."""

    network = NETWORK

    def __init__(self, client: tweepy.Client, name: str, account: str, *, window: int = 10,
                 interval_s: float = 600.0) -> None:
        self.client, self.name, self.account = client, name, ident(account.lstrip("@"), "account")
        self.window, self.interval_s = window, interval_s

    def fetch(self, cursor: str | None) -> Page:
        state: dict[str, Any] = json.loads(cursor) if cursor else {"queue": [], "since": {}}
        if not state["queue"]:
            response = _mapped_call("search_recent_tweets", self.client.search_recent_tweets,
                                    query=f"from:{self.account} -is:retweet", max_results=self.window,
                                    tweet_fields=TWEET_FIELDS, expansions=["author_id"], user_fields=USER_FIELDS)
            items, _ = _page_items(response, self.name)
            state["queue"] = [i.uid.split(":")[2] for i in items if isinstance(i, Post)]
            state["since"] = {k: v for k, v in state["since"].items() if k in state["queue"]}
            return Page(items, json.dumps(state), more=bool(state["queue"]))
        conversation = state["queue"][0]
        response = _mapped_call("search_recent_tweets", self.client.search_recent_tweets,
                                query=f"conversation_id:{conversation}", max_results=100,
                                since_id=state["since"].get(conversation), tweet_fields=TWEET_FIELDS,
                                user_fields=USER_FIELDS, expansions=EXPANSIONS)
        items, meta = _page_items(response, self.name)
        newest = meta.get("newest_id")
        if isinstance(newest, str) and newest.isdigit():
            state["since"][conversation] = newest
        state["queue"] = state["queue"][1:]
        return Page(items, json.dumps(state), more=bool(state["queue"]))
