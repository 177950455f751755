"""A collector process for the restart test: replays a file into the bus and SIGKILLs itself
at a chosen point of page N (inside the fetch, mid-publish, or after the bus flush)."""

from __future__ import annotations

import argparse
import os
import signal
from typing import Any

from collectors.base import Page
from collectors.replay import ReplaySource
from collectors.runner import Runner
from collectors.sink import BusSink
from collectors.state import CollectorState
from otklik.bus import open_bus
from schemas import Post


def _die() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


class DyingSource(ReplaySource):
    def __init__(self, *args: Any, die: str, page: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.die, self.die_page, self.pages = die, page, 0

    def fetch(self, cursor: str | None, page_size: int | None = None) -> Page:
        self.pages += 1
        if self.die == "fetch" and self.pages == self.die_page:
            for n, _ in enumerate(self.items(start_line=int(cursor or 0))):  # mid-page read
                if n == 10:
                    _die()
        return super().fetch(cursor, page_size)


class DyingSink(BusSink):
    def __init__(self, bus: Any, source: DyingSource, prefix: str) -> None:
        super().__init__(bus, prefix=prefix)
        self.source, self.emitted = source, 0

    def _armed(self, point: str) -> bool:
        return self.source.die == point and self.source.pages == self.source.die_page

    def emit(self, post: Post) -> None:
        super().emit(post)
        self.emitted += 1
        if self._armed("emit") and self.emitted % 50 == 25:
            self.producer.flush()  # half a page reaches the log, the rest dies with us
            _die()

    def flush(self) -> None:
        super().flush()
        if self._armed("flush"):
            _die()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--bus", required=True)
    ap.add_argument("--state", required=True)
    ap.add_argument("--file", required=True)
    ap.add_argument("--die", default="none", choices=["none", "fetch", "emit", "flush"])
    ap.add_argument("--page", type=int, default=3)
    ap.add_argument("--prefix", default="")
    args = ap.parse_args()
    source = DyingSource(args.file, die=args.die, page=args.page, name="replay:crash")
    source.page_size = 50
    bus = open_bus(args.bus, partitions=3)
    state = CollectorState(args.state)
    Runner([source], DyingSink(bus, source, args.prefix), state).run(exit_when_idle=True)
    state.close()
    bus.close()


if __name__ == "__main__":
    main()
