"""R21: turn an approved reply into text a network accepts, without silently changing its meaning.

Markup the networks do not render is flattened; a text still over the limit is refused
(the curator must approve a shorter one) rather than cut mid-sentence.
"""

from __future__ import annotations

import html
import re
import unicodedata
from dataclasses import dataclass

from publisher.errors import PermanentError

_TAG = re.compile(r"<[^>]{0,500}>")
_MD_LINK = re.compile(r"\[([^\]\n]{1,500})\]\((https?://[^)\s]{1,2000})\)")
_MD_EMPHASIS = re.compile(r"(\*\*|__|~~|`)(.+?)\1", re.S)
_CONTROL = {"Cc", "Cf", "Co", "Cs"}


@dataclass(frozen=True)
class Limits:
    max_chars: int
    markup: str = "none"
    attachments: tuple[str, ...] = ()


def plain(text: str) -> str:
    """Flatten HTML and Markdown to plain text; drop control/format characters; tidy whitespace."""
    text = _MD_LINK.sub(r"\1 (\2)", text)
    text = _MD_EMPHASIS.sub(r"\2", text)
    text = html.unescape(_TAG.sub("", text.replace("<br>", "\n").replace("<br/>", "\n")))
    text = "".join(ch for ch in text if ch in "\n\t" or unicodedata.category(ch) not in _CONTROL)
    lines = [re.sub(r"[ \t]+", " ", line).strip() for line in text.replace("\r\n", "\n").split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def length(text: str, network: str) -> int:
    """Twitter counts each link as 23 characters; other networks count code points."""
    if network == "twitter":
        return len(re.sub(r"https?://\S+", "x" * 23, text))
    return len(text)


def adapt(text: str, network: str, limits: Limits) -> str:
    out = plain(text) if limits.markup == "none" else text.strip()
    if not out:
        raise PermanentError("текст ответа пуст после приведения к формату сети")
    size = length(out, network)
    if size > limits.max_chars:
        raise PermanentError(
            f"ответ длиннее допустимого в сети {network}: {size} из {limits.max_chars} символов; сократите текст")
    return out


def fits(text: str, network: str, limits: Limits) -> tuple[bool, int]:
    """For the console: would this text be accepted, and how long is it as the network counts it."""
    out = plain(text) if limits.markup == "none" else text.strip()
    size = length(out, network)
    return bool(out) and size <= limits.max_chars, size
