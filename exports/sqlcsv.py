"""CSV lines made by PostgreSQL: the fast path of the CSV export of the ratings table.

The Python writer (``exports.writers``) and the PostgreSQL backend take turns on a server-side
cursor: the backend waits while Python formats a chunk, Python waits while the backend produces
the next. Here PostgreSQL produces each finished CSV line as one text column, so Python only joins
the lines of a chunk and encodes them. The lines are byte for byte what ``csv.writer`` writes for
the rows of ``exports.tables.ratings_table`` (a test compares both paths on awkward data):

- a text cell containing ``"``, ``,``, CR or LF is quoted, its quotes doubled (RFC 4180);
- formula-like text gets its apostrophe first (``exports.cells.neutralise``), then quoting;
- an empty value (NULL) is an empty cell; booleans are ``True``/``False``; lines end with CRLF.

Everything that depends only on a round, an area, a criterion or an expert (pseudonym, bloc and
sector, already quoted) is computed in a small LATERAL subquery per id, which PostgreSQL memoizes,
so the per-rating work is the join of a few ready-made strings. Only the ratings table has this
path: it is the one that reaches a million rows. The other tables, and SQLite, keep the Python writer.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from django.db import connection

from elicitation.models import Area, AreaResponse, Criterion, Expert, Participation, Rating, Round
from exports.cells import FORMULA_STARTS, neutralise
from exports.streaming import CHUNK_ROWS, read_snapshot

_NEEDS_QUOTES = "'[\",\\r\\n]'"  # a regular expression: a quote, a comma, CR or LF


def available() -> bool:
    return connection.vendor == "postgresql"


def csv_cell(text: str) -> str:
    """One text cell as ``csv.writer`` writes it (QUOTE_MINIMAL, CRLF line ends)."""
    if any(c in text for c in ',"\r\n'):
        return '"' + text.replace('"', '""') + '"'
    return text


def _neutralised(expression: str) -> str:
    """SQL of ``exports.cells.neutralise``; ``%(formula_starts)s`` is bound to the starting characters."""
    return f"CASE WHEN left({expression}, 1) = ANY(%(formula_starts)s) THEN '''' || {expression} ELSE {expression} END"


def _text_cell(expression: str) -> str:
    """SQL of a neutralised text cell, quoted when it holds a quote, comma or line break."""
    text = f"coalesce({_neutralised(expression)}, '')"
    return f"CASE WHEN {text} ~ {_NEEDS_QUOTES} THEN '\"' || replace({text}, '\"', '\"\"') || '\"' ELSE {text} END"


def _pseudonym(number: str) -> str:
    """SQL of ``Expert.pseudonym`` (as ``exports.expressions.pseudonym``): E-01 … E-09, E-10, … E-100."""
    return f"CASE WHEN {number} < 10 THEN 'E-0' || {number} ELSE 'E-' || {number} END"


def ratings_sql(*, strict: bool) -> str:
    """One CSV line per rating, in the row order of ``exports.tables.ratings_table``."""
    names = {
        "rating": Rating._meta.db_table,
        "round": Round._meta.db_table,
        "area": Area._meta.db_table,
        "criterion": Criterion._meta.db_table,
        "expert": Expert._meta.db_table,
        "response": AreaResponse._meta.db_table,
        "participation": Participation._meta.db_table,
    }
    value = "coalesce(r.value::text, '')"
    cannot = "CASE WHEN r.cannot_judge THEN 'True' ELSE 'False' END"
    submitted = "CASE WHEN p.submitted_at IS NOT NULL THEN 'True' ELSE 'False' END"
    # OFFSET 0 keeps each subquery whole, so it is computed once per id and memoized, not inlined per row.
    items = f"""
        CROSS JOIN LATERAL (SELECT %(study)s || ',' || number AS cells
                            FROM {names["round"]} WHERE id = r.round_id OFFSET 0) ro
        CROSS JOIN LATERAL (SELECT {_text_cell("code")} AS cells
                            FROM {names["area"]} WHERE id = r.area_id OFFSET 0) a
        CROSS JOIN LATERAL (SELECT {_text_cell("code")} AS cells
                            FROM {names["criterion"]} WHERE id = r.criterion_id OFFSET 0) c
        LEFT JOIN {names["participation"]} p ON p.round_id = r.round_id AND p.expert_id = r.expert_id"""  # noqa: S608 - model tables; values are bound
    if strict:
        cells = ["ro.cells", "a.cells", "c.cells", value, cannot, submitted]
        joins = items
        order = "r.round_id, r.area_id, r.criterion_id, r.value ASC NULLS LAST"
    else:
        person = f"{_pseudonym('number')} || ',' || {_text_cell('bloc')} || ',' || {_text_cell('sector')}"
        confidence = "coalesce(response.confidence::text, '')"
        day = "((r.updated_at AT TIME ZONE 'UTC')::date)::text"
        cells = ["ro.cells", "a.cells", "c.cells", "e.cells", value, cannot, submitted, confidence, day]
        joins = f"""{items}
        CROSS JOIN LATERAL (SELECT {person} AS cells
                            FROM {names["expert"]} WHERE id = r.expert_id OFFSET 0) e
        LEFT JOIN {names["response"]} response
            ON response.expert_id = r.expert_id AND response.area_id = r.area_id AND response.round_id = r.round_id"""  # noqa: S608
        order = "r.round_id, r.expert_id, r.area_id, r.criterion_id"
    return f"""
        SELECT concat_ws(',', {", ".join(cells)}) || chr(13) || chr(10)
        FROM {names["rating"]} r {joins}
        WHERE r.round_id = ANY(%(round_ids)s)
        ORDER BY {order}"""  # noqa: S608


def ratings_lines(*, study_uuid: str, round_ids: Sequence[int], strict: bool) -> Iterator[list[str]]:
    """The ratings table's CSV lines (without the header), a chunk at a time."""
    params = {
        "study": csv_cell(neutralise(study_uuid)),
        "round_ids": list(round_ids),
        "formula_starts": list(FORMULA_STARTS),
    }
    return stream_lines(ratings_sql(strict=strict), params)


def stream_lines(sql: str, params: dict[str, Any]) -> Iterator[list[str]]:
    """The query's one-column rows through a server-side cursor inside one read transaction."""
    with read_snapshot(), connection.chunked_cursor() as cursor:
        cursor.execute(sql, params)
        while rows := cursor.fetchmany(CHUNK_ROWS):
            yield [row[0] for row in rows]
