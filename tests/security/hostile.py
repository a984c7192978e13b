"""Hostile request bodies of the sizes the issue measured, shared by the tests and bench/hostile_input.py."""

from __future__ import annotations

import itertools
import string

ALPHABET = string.ascii_lowercase + string.digits
EXPERT_HEADER = "email,name,bloc,sector,language"


def distinct_names(count: int) -> list[str]:
    """``count`` different short column names (1 to 4 characters): the worst case for a duplicate check."""
    names = ("".join(letters) for width in itertools.count(1) for letters in itertools.product(ALPHABET, repeat=width))
    return list(itertools.islice(names, count))


def wide_panel_csv(columns: int) -> bytes:
    """A panel CSV whose header has ``columns`` columns (the five it needs, then distinct unknown ones)."""
    extra = distinct_names(columns - 5)
    header = ",".join([EXPERT_HEADER, *extra])
    row = ",".join(["ada@example.org", "Ada", "China", "", "en", *([""] * len(extra))])
    return f"{header}\n{row}\n".encode()


def nested_json(depth: int) -> bytes:
    """``depth`` lists, one inside the other."""
    return b"[" * depth + b"]" * depth
