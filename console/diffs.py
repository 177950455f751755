"""Word-level difference between a draft and the version before it (R15: what changed after revision)."""

from __future__ import annotations

import difflib
import re

from cases.models import Case, Draft

Piece = tuple[str, str]  # (op, text): op is "same" | "ins" | "del"
_TOKENS = re.compile(r"\s+|[^\s]+")


def diff_words(old: str, new: str) -> list[Piece]:
    a, b = _TOKENS.findall(old), _TOKENS.findall(new)
    pieces: list[Piece] = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes():
        if op == "equal":
            pieces.append(("same", "".join(a[i1:i2])))
            continue
        if op in ("delete", "replace"):
            pieces.append(("del", "".join(a[i1:i2])))
        if op in ("insert", "replace"):
            pieces.append(("ins", "".join(b[j1:j2])))
    return pieces


def previous_version(case: Case, draft: Draft) -> Draft | None:
    earlier = [d for d in case.drafts if d.id < draft.id and d.kind != "contribution" and d.sent_at is not None]
    return earlier[-1] if earlier else None


def draft_diffs(case: Case) -> list[Piece] | None:
    """Diff of the draft awaiting decision against the one before it, if there was one."""
    pending = [d for d in case.drafts if d.decision is None and d.sent_at is not None and d.kind != "contribution"]
    if not pending:
        return None
    prev = previous_version(case, pending[-1])
    return diff_words(prev.text, pending[-1].text) if prev is not None else None
