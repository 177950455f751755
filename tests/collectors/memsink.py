"""An in-memory PostSink for tests: a list is the log, positions are list lengths."""

from __future__ import annotations

from typing import Any

from schemas import Alert, Post, PostRejection


class MemorySink:
    def __init__(self) -> None:
        self.posts: list[Post] = []
        self.rejections: list[PostRejection] = []
        self.alerts: list[Alert] = []
        self.flushes = 0

    def emit(self, post: Post) -> None:
        self.posts.append(post.model_copy())

    def reject(self, rejection: PostRejection) -> None:
        self.rejections.append(rejection)

    def alert(self, alert: Alert) -> None:
        self.alerts.append(alert)

    def flush(self) -> None:
        self.flushes += 1

    def mark(self) -> Any:
        return len(self.posts)

    def published_since(self, mark: Any, uids: set[str]) -> set[tuple[str, int]]:
        return {(p.uid, p.version) for p in self.posts[int(mark):] if p.uid in uids}
