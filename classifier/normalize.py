"""Text normalisation shared by every classifier stage.

Post text is hostile and messy (HTML from blogs, BBCode/markdown from forums,
zero-width tricks, Latin look-alikes hiding Cyrillic words): the model and the
gazetteer must see one canonical form, and nothing here may blow up on size.
"""

from __future__ import annotations

import html
import re
import unicodedata

MAX_INPUT_CHARS = 100_000
"""Raw input beyond this is cut before any regex runs (bounds the work per post)."""
MAX_OUTPUT_CHARS = 20_000
"""Same bound as ``schemas.posts.MAX_TEXT_CHARS``."""

_SCRIPT_RE = re.compile(r"<(script|style)\b[^>]{0,500}>.*?</\1\s*>", re.IGNORECASE | re.DOTALL)
_BLOCK_TAG_RE = re.compile(r"<\s*/?\s*(?:br|p|div|li|tr|h[1-6])\b[^>]{0,500}>", re.IGNORECASE)
_TAG_RE = re.compile(r"<\s*/?\s*[a-zA-Z!][^<>]{0,500}>")
_BB_URL_RE = re.compile(r"\[url(?:=[^\]]{0,500})?\](.{0,2000}?)\[/url\]", re.IGNORECASE | re.DOTALL)
_BB_TAG_RE = re.compile(r"\[/?(?:b|i|u|s|url|img|quote|code|size|color|spoiler|center)(?:=[^\]]{0,200})?\]",
                        re.IGNORECASE)
_VK_MENTION_RE = re.compile(r"\[(?:id|club|public)\d{1,20}\|([^\]]{0,200})\]")
_MD_LINK_RE = re.compile(r"!?\[([^\]]{0,500})\]\((?:[^()\s]{0,2000})(?:\s+\"[^\"]{0,200}\")?\)")
_MD_EMPH_RE = re.compile(r"(\*\*|__|~~)(\S(?:.{0,500}?\S)?)\1")
_INVISIBLE_RE = re.compile("[\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180e\u200b-\u200f\u202a-\u202e"
                           "\u2060-\u206f\ufeff\ufe00-\ufe0f]")
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_SPACE_RE = re.compile(r"\s+")
_CYRILLIC_RE = re.compile(r"[а-яёА-ЯЁ]")

LOOKALIKES: dict[str, str] = {
    # Latin
    "A": "А", "a": "а", "B": "В", "C": "С", "c": "с", "E": "Е", "e": "е", "H": "Н", "K": "К",
    "k": "к", "M": "М", "m": "м", "O": "О", "o": "о", "P": "Р", "p": "р", "T": "Т", "X": "Х",
    "x": "х", "y": "у", "Y": "У", "u": "и", "n": "п", "r": "г",
    # Greek
    "Α": "А", "α": "а", "Β": "В", "Ε": "Е", "ε": "е", "Η": "Н", "Κ": "К", "κ": "к", "Μ": "М",
    "Ο": "О", "ο": "о", "Ρ": "Р", "ρ": "р", "Τ": "Т", "τ": "т", "Χ": "Х", "χ": "х", "Υ": "У",
    # Latin-script look-alikes of Ukrainian/Belarusian letters that are Russian letters here
    "і": "и", "І": "И", "ї": "и",
}
_LOOKALIKE_TABLE = str.maketrans(LOOKALIKES)
# Only words holding at least one look-alike character are worth a Python callback.
# "\b" first keeps this linear on hostile input (one long word with no look-alike in it).
_LOOKALIKE_WORD_RE = re.compile(r"\b\w*[" + "".join(sorted(LOOKALIKES)) + r"]\w*")
_MARKUP_HINT_RE = re.compile(r"[<\[&*_~]")


def _map_lookalikes(match: re.Match[str]) -> str:
    word = match.group(0)
    if _CYRILLIC_RE.search(word) and any(ch in LOOKALIKES for ch in word):
        return word.translate(_LOOKALIKE_TABLE)
    return word


def strip_markup(text: str) -> str:
    """Remove HTML, BBCode, VK mentions and markdown links, keeping their visible text."""
    text = _SCRIPT_RE.sub(" ", text)
    text = _BLOCK_TAG_RE.sub(" ", text)
    text = _TAG_RE.sub("", text)
    text = _VK_MENTION_RE.sub(r"\1", text)
    text = _BB_URL_RE.sub(r"\1", text)
    text = _BB_TAG_RE.sub("", text)
    text = _MD_LINK_RE.sub(r"\1", text)
    text = _MD_EMPH_RE.sub(r"\2", text)
    # Entities last: an escaped "&lt;b&gt;" is text the author typed, not markup.
    return html.unescape(text)


def fix_lookalikes(text: str) -> str:
    """Map Latin/Greek look-alike letters to Cyrillic inside words that contain Cyrillic."""
    return _LOOKALIKE_WORD_RE.sub(_map_lookalikes, text)


def normalize_text(text: str, max_chars: int = MAX_OUTPUT_CHARS) -> str:
    """Canonical text for models and gazetteer: markup stripped, NFKC, no invisibles, folded spaces."""
    if not isinstance(text, str):
        raise TypeError(f"normalize_text expects str, got {type(text).__name__}")
    text = text[:MAX_INPUT_CHARS]
    if _MARKUP_HINT_RE.search(text):
        text = strip_markup(text)
    # NFKC would turn "№" (house/bus numbers, very common in Russian posts) into "No".
    text = unicodedata.normalize("NFKC", text.replace("\ue000", "").replace("№", "\ue000"))
    text = text.replace("\ue000", "№")
    text = _INVISIBLE_RE.sub("", text)
    text = _CONTROL_RE.sub(" ", text)
    text = fix_lookalikes(text)
    text = _SPACE_RE.sub(" ", text).strip()
    return text[:max_chars]
