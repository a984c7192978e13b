"""What every export table is made of: its columns, its rows, and the scope it covers.

Apart from ``exports.tables`` so that tables built in other modules (the audit chain, participation,
items and suggestions) can use them without importing each other.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from django.db.models import QuerySet

from elicitation.models import Study
from exports.streaming import CHUNK_ROWS, read_snapshot


@dataclass(frozen=True)
class Column:
    name: str
    type: str  # string, int, float, bool or date
    description: str
    codes: str = ""


@dataclass
class Table:
    name: str
    title: str
    description: str
    columns: list[Column]
    rows: Callable[[], Iterator[tuple[Any, ...]]] = field(repr=False)
    count: Callable[[], int] = field(repr=False)
    # The finished CSV lines of the rows, made by the database (``exports.sqlcsv``), where it can.
    csv_lines: Callable[[], Iterator[list[str]]] | None = field(default=None, repr=False)

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]


@dataclass(frozen=True)
class Scope:
    """What an export covers: one study, some of its rounds."""

    study: Study
    round_ids: tuple[int, ...]
    open_round_ids: tuple[int, ...] = ()

    @property
    def strict(self) -> bool:
        return self.study.anonymity == Study.Anonymity.STRICT

    @property
    def answer_round_ids(self) -> tuple[int, ...]:
        """The rounds whose answers the ratings, rationales and aggregates tables read.

        In strict mode a round's answers are exported once it has closed: read during an open round, two
        downloads would differ by the answers saved in between, and the participation counts say how many
        experts those were (issue 14's subtraction). Coordinators of a standard study see ratings under
        pseudonyms anyway, so their exports stay live.
        """
        if not self.strict:
            return self.round_ids
        return tuple(pk for pk in self.round_ids if pk not in self.open_round_ids)


def stream_rows(queryset: QuerySet[Any, tuple[Any, ...]]) -> Iterator[tuple[Any, ...]]:
    """The rows through a server-side cursor inside one read transaction (``exports.streaming``)."""
    with read_snapshot():
        yield from queryset.iterator(chunk_size=CHUNK_ROWS)
