"""Build the publisher from region data (networks.yaml limits, publishing.yaml accounts) and env secrets.

A network whose secrets are missing is simply not configured: its replies fail permanently
with a clear reason (and an alert), instead of the whole publisher refusing to start.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from publisher.adapters.base import Adapter
from publisher.core import Publisher, RetryPolicy
from publisher.errors import ConfigError
from publisher.outbox import Outbox
from publisher.text import Limits

log = logging.getLogger(__name__)

OUTBOX_FILE = "publisher-outbox.sqlite"


def _yaml(path: Path) -> dict[str, Any]:
    try:
        with path.open(encoding="utf-8") as handle:
            data = yaml.safe_load(handle) or {}
    except FileNotFoundError as exc:
        raise ConfigError(f"нет файла настроек {path}") from exc
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: ожидается словарь")
    return data


def load_limits(region_dir: Path) -> dict[str, Limits]:
    networks = _yaml(region_dir / "networks.yaml").get("networks", {})
    return {name: Limits(int(spec["max_chars"]), str(spec.get("markup", "none")),
                         tuple(spec.get("attachments", ()))) for name, spec in networks.items()}


def load_publishing(region_dir: Path) -> dict[str, Any]:
    return _yaml(region_dir / "publishing.yaml")


def _secret(env: Mapping[str, str], name: str | None) -> str | None:
    value = env.get(name or "")
    return value or None


def build_adapters(config: dict[str, Any], env: Mapping[str, str]) -> dict[str, Adapter]:
    """Adapters for every network whose secrets are present; the rest are logged (without values)."""
    nets = config.get("networks", {})
    adapters: dict[str, Adapter] = {}
    vk = nets.get("vk", {})
    if (token := _secret(env, vk.get("token_env"))) and int(vk.get("group_id", 0)) > 0:
        from publisher.adapters.vk import VkAdapter

        adapters["vk"] = VkAdapter(token, int(vk["group_id"]), api_base=vk.get("api_base", "https://api.vk.ru/method/"),
                                   api_version=str(vk.get("api_version", "5.199")),
                                   rate_limit_codes=tuple(vk.get("rate_limit_codes", (6, 9, 29))),
                                   transient_codes=tuple(vk.get("transient_codes", (1, 10))))
    ok = nets.get("ok", {})
    ok_secrets = [_secret(env, ok.get(k)) for k in ("token_env", "app_key_env", "app_secret_env")]
    if all(ok_secrets) and str(ok.get("group_id", "0")) != "0":
        from publisher.adapters.ok import OkAdapter

        token, key, secret = (str(s) for s in ok_secrets)
        adapters["ok"] = OkAdapter(token, key, secret, str(ok["group_id"]), api_base=ok.get("api_base", ""),
                                   comment_method=ok.get("comment_method", "discussions.comment"),
                                   comments_method=ok.get("comments_method", "discussions.getComments"),
                                   discussion_type=ok.get("discussion_type", "GROUP_TOPIC"),
                                   rate_limit_codes=tuple(ok.get("rate_limit_codes", (4,))),
                                   transient_codes=tuple(ok.get("transient_codes", (1, 2, 9999))))
    tw = nets.get("twitter", {})
    tw_secrets = [_secret(env, tw.get(k)) for k in ("consumer_key_env", "consumer_secret_env", "access_token_env",
                                                     "access_secret_env")]
    if all(tw_secrets) and tw.get("username"):
        from publisher.adapters.twitter import TwitterAdapter

        ck, cs, at, asec = (str(s) for s in tw_secrets)
        adapters["twitter"] = TwitterAdapter(consumer_key=ck, consumer_secret=cs, access_token=at, access_secret=asec,
                                             bearer_token=_secret(env, tw.get("bearer_token_env")),
                                             username=str(tw["username"]),
                                             api_base=tw.get("api_base", "https://api.twitter.com"))
    ig = nets.get("instagram", {})
    if (token := _secret(env, ig.get("token_env"))) and ig.get("username"):
        from publisher.adapters.instagram import InstagramAdapter

        adapters["instagram"] = InstagramAdapter(token, str(ig["username"]),
                                                 api_base=ig.get("api_base", "https://graph.facebook.com/v21.0"),
                                                 rate_limit_codes=tuple(ig.get("rate_limit_codes", (4, 17, 32, 613))),
                                                 transient_codes=tuple(ig.get("transient_codes", (1, 2))))
    tg = nets.get("telegram", {})
    tg_secrets = [_secret(env, tg.get(k)) for k in ("api_id_env", "api_hash_env", "session_env")]
    if all(tg_secrets):
        from telethon.sessions import StringSession
        from telethon.sync import TelegramClient

        from publisher.adapters.telegram import TelegramAdapter

        api_id, api_hash, session = (str(s) for s in tg_secrets)
        client = TelegramClient(StringSession(session), int(api_id), api_hash)
        client.connect()  # network: only when the publisher is built, never at import time
        adapters["telegram"] = TelegramAdapter(client)
    missing = sorted(set(nets) - set(adapters) - {n for n, spec in nets.items() if spec.get("manual")})
    if missing:
        log.warning("publisher: networks without credentials are not configured: %s", ", ".join(missing))
    return adapters


def build_publisher(data_dir: Path, region_dir: Path, env: Mapping[str, str]) -> Publisher:
    config = load_publishing(region_dir)
    retry = config.get("retry", {})
    policy = RetryPolicy(**{k: retry[k] for k in RetryPolicy.__dataclass_fields__ if k in retry})
    manual = frozenset(n for n, spec in config.get("networks", {}).items() if spec.get("manual"))
    return Publisher(Outbox(data_dir / OUTBOX_FILE), build_adapters(config, env), load_limits(region_dir), policy,
                     manual=manual)
