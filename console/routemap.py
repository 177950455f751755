"""Every (method, path) the console answers, flattened from included routers, for the authorisation matrix."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from starlette.routing import Mount, Route

HIDDEN_METHODS = frozenset({"HEAD"})  # answered by the GET handler; checked through GET


def _walk(routes: Iterable[Any], prefix: str) -> Iterator[tuple[str, str]]:
    for route in routes:
        included = getattr(route, "original_router", None)
        if included is not None:  # FastAPI >= 0.120 keeps included routers as one entry
            yield from _walk(included.routes, prefix + route.include_context.prefix)
        elif isinstance(route, Mount):
            yield "GET", prefix + route.path + "/{path:path}"
        elif isinstance(route, Route) or hasattr(route, "methods"):
            for method in sorted(set(route.methods or ()) - HIDDEN_METHODS):
                yield method, prefix + route.path


def endpoints(app: Any) -> list[tuple[str, str]]:
    """Sorted and unique, so a new route shows up as a new line."""
    return sorted(set(_walk(app.routes, "")), key=lambda mp: (mp[1], mp[0]))
