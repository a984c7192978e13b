"""ORM queries that a hot path runs on every request, built and compiled once per process.

Building a QuerySet and compiling it to SQL costs the app far more CPU than PostgreSQL spends running a small
query: the expert's feedback on an item (the round before, the group's counts under the results' inclusion
rule, their own answer then) took 4 ms of CPU per first answer, most of it in Django's query compiler. A
``CompiledQuery`` keeps the ORM as the one place such a query is written: ``build`` is called once, with a
stand-in value for each parameter, and compiled for the connection; the positions of the stand-ins among the
compiled parameters are remembered. Each call puts the real values in those places and sends the SQL as a
prepared statement (``core.prepared``), then applies the converters the ORM would have applied to each column.

A stand-in must reach the SQL unchanged, as a parameter: ``filter(pk=value)`` does, a value the ORM computes
with (``value + 1`` in Python) would not, and compiling such a query fails at once rather than answering
wrongly. Only queries whose shape does not depend on the values qualify (``__in`` with a fixed length, say).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import connections
from django.db.models import QuerySet

from core.prepared import fetch_all
from core.raw_rows import Converter, convert

# Two sets of stand-in values, from these up (one per parameter of a query).
_STAND_INS = (20011, 30029)


@dataclass(frozen=True)
class _Compiled:
    sql: str
    params: tuple[Any, ...]
    places: tuple[tuple[int, int], ...]  # (position among the SQL's parameters, index of the caller's value)
    converters: tuple[tuple[int, tuple[Converter, ...], Any], ...]  # (column, converters, expression)


class CompiledQuery:
    """``build(*values)`` (a values or values_list QuerySet), compiled once per database alias."""

    def __init__(self, build: Callable[..., QuerySet[Any]], arity: int) -> None:
        self.build = build
        self.arity = arity
        self._compiled: dict[tuple[str, str], _Compiled] = {}

    def rows(self, *values: Any, alias: str = "default") -> list[tuple[Any, ...]]:
        if len(values) != self.arity:
            raise TypeError(f"the query takes {self.arity} values, not {len(values)}")
        connection = connections[alias]
        compiled = self._compiled.get((alias, connection.vendor))
        if compiled is None:
            compiled = self._compiled[(alias, connection.vendor)] = self._compile(alias)
        params = list(compiled.params)
        for position, index in compiled.places:
            params[position] = values[index]
        rows = fetch_all(compiled.sql, params, alias=alias)
        if not compiled.converters:
            return rows
        converted = []
        for row in rows:
            cells = list(row)
            convert(cells, compiled.converters, connection)
            converted.append(tuple(cells))
        return converted

    def _compile(self, alias: str) -> _Compiled:
        # Compiled twice, with two sets of stand-ins: a parameter is the caller's value where it follows the
        # stand-ins in both, and every other part must not change (a shape that depends on the values, or a
        # constant equal to a stand-in by chance, is refused). The stand-ins fit the smallest integer column.
        first, second = (self._sql(alias, base) for base in _STAND_INS)
        (sql, params, compiler), (sql_again, params_again, _compiler) = first, second
        if sql != sql_again or len(params) != len(params_again):
            raise ValueError(f"the query's shape depends on its values: {sql}")
        pairs = list(enumerate(zip(params, params_again, strict=True)))
        places = tuple(
            (position, index)
            for position, (one, other) in pairs
            for index in range(self.arity)
            if one == _STAND_INS[0] + index and other == _STAND_INS[1] + index
        )
        placed = {position for position, _index in places}
        changed = any(one != other for position, (one, other) in pairs if position not in placed)
        if changed or {index for _position, index in places} != set(range(self.arity)):
            raise ValueError(f"the query's values did not all reach its SQL as parameters, unchanged: {sql}")
        found = compiler.get_converters([column for column, _sql, _alias in compiler.select])
        converters = tuple((column, tuple(pair[0]), pair[1]) for column, pair in sorted(found.items()))
        return _Compiled(sql=sql, params=tuple(params), places=places, converters=converters)

    def _sql(self, alias: str, base: int) -> tuple[str, list[Any], Any]:
        queryset = self.build(*(base + index for index in range(self.arity)))
        compiler = queryset.query.get_compiler(using=alias)
        sql, params = compiler.as_sql()
        return sql, list(params), compiler
