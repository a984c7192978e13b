"""Every route of the app, found from the URL configuration, with URLs filled in for study A."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.urls import URLPattern, URLResolver, get_resolver

# Third-party areas with their own tests and access rules (Django's admin and auth flows).
EXCLUDED_PREFIXES = ("admin/",)


@dataclass(frozen=True)
class Route:
    name: str
    pattern: str
    kwargs: tuple[str, ...]


def all_routes() -> list[Route]:
    """Every named route once (by name); an unnamed route is an error, so none can hide."""
    found: dict[str, Route] = {}
    for pattern, name, kwargs in _walk(get_resolver().url_patterns, "", None):
        if pattern.startswith(EXCLUDED_PREFIXES):
            continue
        if not name:
            raise AssertionError(f"the route {pattern!r} has no name; name it so it can be checked")
        found.setdefault(name, Route(name=name, pattern=pattern, kwargs=kwargs))
    return sorted(found.values(), key=lambda route: route.pattern)


def _walk(patterns: list[Any], prefix: str, namespace: str | None) -> Iterator[tuple[str, str, tuple[str, ...]]]:
    for entry in patterns:
        if isinstance(entry, URLResolver):
            inner = f"{namespace}:{entry.namespace}" if namespace and entry.namespace else entry.namespace or namespace
            yield from _walk(entry.url_patterns, prefix + str(entry.pattern), inner)
        elif isinstance(entry, URLPattern):
            name = f"{namespace}:{entry.name}" if namespace and entry.name else entry.name or ""
            kwargs = tuple(entry.pattern.regex.groupindex)
            yield prefix + str(entry.pattern), name, kwargs
