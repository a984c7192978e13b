"""The API's JSON parser: a body nested deeper than any request of ours is a 400, never a 500.

Python's JSON decoder recurses once per level and gives up with RecursionError near 1,000 levels
(50,000 nested lists sent to ``me/ratings`` were a 500); what it does decode may still be nested
deeper than the serializers walk comfortably. Our deepest request is ``{"answers": [{...}]}``, three
levels, so anything past ``MAX_JSON_DEPTH`` is refused with the reason, before any view sees it.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from rest_framework import parsers
from rest_framework.exceptions import ParseError

MAX_JSON_DEPTH = 20


def json_depth_exceeds(value: Any, limit: int) -> bool:
    """True when ``value`` nests lists and objects more than ``limit`` deep; iterative, linear in its size."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children = list(item.values())
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children)
    return False


class JSONParser(parsers.JSONParser):
    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        too_deep = _("The JSON body is nested too deeply: at most %(n)d levels.") % {"n": MAX_JSON_DEPTH}
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError(too_deep) from None
        if json_depth_exceeds(data, MAX_JSON_DEPTH):
            raise ParseError(too_deep)
        return data
