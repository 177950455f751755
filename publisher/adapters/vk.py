"""VK: ``wall.createComment`` from the government's community, photos via ``VkUpload.photo_wall``.

``guid`` carries the reply id (VK drops a repeated comment with the same guid), and after an
uncertain send ``wall.getComments`` is searched for our community's comment with the same text.
"""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime
from typing import Any

import requests
import vk_api
from vk_api.exceptions import ApiError, ApiHttpError
from vk_api.vk_api import TOO_MANY_RPS_CODE

from publisher import media
from publisher.adapters.base import Outgoing, Posted, Target
from publisher.errors import PermanentError, PublishError, RateLimited, TransientError
from publisher.http import rebased_session

VK_API = "https://api.vk.ru/method/"
_VIDEO = re.compile(r"video(-?\d+_\d+)")


class VkAdapter:
    network = "vk"

    def __init__(self, token: str, group_id: int, *, api_base: str = VK_API, api_version: str = "5.199",
                 rate_limit_codes: tuple[int, ...] = (6, 9, 29), transient_codes: tuple[int, ...] = (1, 10),
                 rps_delay_s: float = 0.34) -> None:
        if group_id <= 0:
            raise ValueError("VK group_id must be the community's positive id")
        self.group_id = group_id
        self.session = rebased_session(VK_API, api_base)
        self.vk = vk_api.VkApi(token=token, api_version=api_version, session=self.session)
        self.vk.RPS_DELAY = rps_delay_s
        self.vk.error_handlers.pop(TOO_MANY_RPS_CODE, None)  # our backoff, not an unbounded library retry
        self.api = self.vk.get_api()
        self.rate_limit_codes = set(rate_limit_codes)
        self.transient_codes = set(transient_codes)

    def _call(self, method: str, **values: Any) -> Any:
        try:
            return self.vk.method(method, values)
        except ApiError as exc:
            message = f"VK {method}: ошибка {exc.code}: {exc.error.get('error_msg', '')[:300]}"
            if exc.code in self.rate_limit_codes:
                raise RateLimited(message) from exc
            if exc.code in self.transient_codes:
                raise TransientError(message, sent_maybe=True) from exc
            raise PermanentError(message) from exc
        except ApiHttpError as exc:
            status = exc.response.status_code
            if status == 429:
                raise RateLimited(f"VK {method}: HTTP 429") from exc
            if status >= 500:
                raise TransientError(f"VK {method}: HTTP {status}", sent_maybe=True) from exc
            raise PermanentError(f"VK {method}: HTTP {status}") from exc
        except requests.RequestException as exc:
            raise TransientError(f"VK {method}: {type(exc).__name__}", sent_maybe=True) from exc
        except ValueError as exc:  # a body that is not JSON
            raise TransientError(f"VK {method}: bad response", sent_maybe=True) from exc

    def _attachments(self, reply: Outgoing) -> list[str]:
        out: list[str] = []
        for attachment in reply.attachments:
            if attachment.kind == "photo" and attachment.url:
                data = media.fetch(self.session, attachment.url)
                try:
                    saved = vk_api.VkUpload(self.vk).photo_wall(io.BytesIO(data), group_id=self.group_id)
                except PublishError:
                    raise
                except ApiError as exc:
                    raise TransientError(f"VK загрузка фото: ошибка {exc.code}") from exc
                except (requests.RequestException, ValueError, KeyError) as exc:
                    raise TransientError(f"VK загрузка фото: {type(exc).__name__}") from exc
                out.extend(f"photo{p['owner_id']}_{p['id']}" for p in saved)
            elif attachment.kind == "video" and attachment.url and (m := _VIDEO.search(attachment.url)):
                out.append(f"video{m.group(1)}")
            else:
                raise PermanentError(f"VK: вложение типа {attachment.kind!r} не поддерживается")
        return out

    def _url(self, target: Target, comment_id: int) -> str:
        return f"https://vk.com/wall{target.owner}_{target.post}?reply={comment_id}"

    def post(self, target: Target, reply: Outgoing) -> Posted:
        values: dict[str, Any] = {"owner_id": target.owner, "post_id": target.post, "from_group": self.group_id,
                                  "message": reply.text, "guid": reply.reply_id}
        if target.comment:
            values["reply_to_comment"] = target.comment
        attachments = self._attachments(reply)
        if attachments:
            values["attachments"] = ",".join(attachments)
        result = self._call("wall.createComment", **values)
        comment_id = int(result["comment_id"])
        return Posted(str(comment_id), self._url(target, comment_id), datetime.now(UTC))

    def find(self, target: Target, reply: Outgoing) -> Posted | None:
        values: dict[str, Any] = {"owner_id": target.owner, "post_id": target.post, "count": 100, "sort": "desc"}
        if target.comment:
            values["comment_id"] = target.comment
        result = self._call("wall.getComments", **values)
        for item in result.get("items", []):
            if int(item.get("from_id", 0)) == -self.group_id and item.get("text") == reply.text:
                at = datetime.fromtimestamp(int(item["date"]), UTC) if item.get("date") else None
                return Posted(str(item["id"]), self._url(target, int(item["id"])), at)
        return None
