"""Model instances from a row of hand-written SQL, as the ORM would have built them.

For the reads every request of a hot path makes (an expert's session and link, checked on each autosave):
building and compiling the same ORM query on every request costs more CPU than the query itself. The SQL
is written once (columns from the model's ``_meta``), and each value goes through the converters the ORM
would apply (JSON, and on SQLite booleans, dates and UUIDs), so the instances are the ORM's.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from django.db import connections
from django.db.models import Model

M = TypeVar("M", bound=Model)
Converter = Callable[[Any, Any, Any], Any]


@dataclass(frozen=True)
class RowShape(Generic[M]):
    """Where one model's columns sit in a row: ``select`` lists them (qualified by ``table_alias``)."""

    model: type[M]
    alias: str  # the database
    select: str
    attnames: tuple[str, ...]
    converters: tuple[tuple[int, tuple[Converter, ...], Any], ...]  # (column, its converters, its expression)

    @property
    def width(self) -> int:
        return len(self.attnames)

    def instance(self, row: Sequence[Any], start: int = 0) -> M:
        """The model instance of ``row[start : start + width]``."""
        values = list(row[start : start + self.width])
        convert(values, self.converters, connections[self.alias])
        return self.model.from_db(self.alias, self.attnames, values)


def convert(values: list[Any], columns: Iterable[tuple[int, Sequence[Converter], Any]], connection: Any) -> None:
    """Apply to ``values``, in place, the converters the ORM applies to each (column, converters, expression)."""
    for index, converters, expression in columns:
        for converter in converters:
            values[index] = converter(values[index], expression, connection)


@functools.cache
def row_shape(model: type[M], table_alias: str, alias: str = "default") -> RowShape[M]:
    """The select list and converters of ``model``'s concrete fields, read from ``table_alias``."""
    connection = connections[alias]
    fields = model._meta.concrete_fields
    quote = connection.ops.quote_name
    converters = []
    for index, field in enumerate(fields):
        column = field.get_col(table_alias)
        found = connection.ops.get_db_converters(column) + column.get_db_converters(connection)
        if found:
            converters.append((index, tuple(found), column))
    return RowShape(
        model=model,
        alias=alias,
        select=", ".join(f"{table_alias}.{quote(str(field.column))}" for field in fields),
        attnames=tuple(field.attname for field in fields),
        converters=tuple(converters),
    )
