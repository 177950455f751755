"""Twitter/X: a reply tweet via tweepy ``Client.create_tweet(in_reply_to_tweet_id=...)``.

After an uncertain send, ``search_recent_tweets("conversation_id:<id> from:<account>")`` is
searched for our reply with the same text (links compared without their t.co form).
A 403 "duplicate content" also means the reply is already there: it is looked up, not failed.
"""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime
from typing import Any

import requests
import tweepy

from publisher.adapters.base import Outgoing, Posted, Target
from publisher.errors import PermanentError, RateLimited, TransientError
from publisher.http import rebased_session

TWITTER_API = "https://api.twitter.com"
_LINK = re.compile(r"https?://\S+")


def _same_text(a: str, b: str) -> bool:
    return _LINK.sub("<link>", a).strip() == _LINK.sub("<link>", b).strip()


class TwitterAdapter:
    network = "twitter"

    def __init__(self, *, consumer_key: str, consumer_secret: str, access_token: str, access_secret: str,
                 bearer_token: str | None, username: str, api_base: str = TWITTER_API) -> None:
        self.username = username.lstrip("@")
        self.client = tweepy.Client(bearer_token=bearer_token, consumer_key=consumer_key,
                                    consumer_secret=consumer_secret, access_token=access_token,
                                    access_token_secret=access_secret, wait_on_rate_limit=False)
        self.client.session = rebased_session(TWITTER_API, api_base)

    def _guard(self, what: str, call: Any) -> Any:
        try:
            return call()
        except tweepy.TooManyRequests as exc:
            reset = getattr(exc, "reset_time", None)
            raise RateLimited(f"Twitter {what}: 429", max(0.0, reset - time.time()) if reset else None) from exc
        except tweepy.TwitterServerError as exc:
            raise TransientError(f"Twitter {what}: HTTP {exc.response.status_code}", sent_maybe=True) from exc
        except tweepy.Forbidden as exc:
            if any("duplicate" in str(m).lower() for m in exc.api_messages):
                raise TransientError(f"Twitter {what}: такой ответ уже опубликован", sent_maybe=True) from exc
            raise PermanentError(f"Twitter {what}: 403 {'; '.join(exc.api_messages)[:300]}") from exc
        except tweepy.HTTPException as exc:
            raise PermanentError(f"Twitter {what}: HTTP {exc.response.status_code} "
                                 f"{'; '.join(exc.api_messages)[:300]}") from exc
        except requests.RequestException as exc:
            raise TransientError(f"Twitter {what}: {type(exc).__name__}", sent_maybe=True) from exc

    def _url(self, tweet_id: str) -> str:
        return f"https://x.com/{self.username or 'i'}/status/{tweet_id}"

    def post(self, target: Target, reply: Outgoing) -> Posted:
        if reply.attachments:
            raise PermanentError("Twitter: вложения пока публикуются вручную (загрузка медиа не подключена)")
        in_reply_to = target.comment or target.post
        response = self._guard("create_tweet", lambda: self.client.create_tweet(
            text=reply.text, in_reply_to_tweet_id=in_reply_to, user_auth=True))
        tweet_id = str(response.data["id"])
        return Posted(tweet_id, self._url(tweet_id), datetime.now(UTC))

    def find(self, target: Target, reply: Outgoing) -> Posted | None:
        query = f"conversation_id:{target.post} from:{self.username}"
        response = self._guard("search_recent_tweets", lambda: self.client.search_recent_tweets(
            query, max_results=100, tweet_fields=["created_at", "conversation_id"]))
        for tweet in response.data or []:
            if _same_text(tweet.text, reply.text):
                created = tweet.created_at if isinstance(tweet.created_at, datetime) else None
                return Posted(str(tweet.id), self._url(str(tweet.id)), created)
        return None
