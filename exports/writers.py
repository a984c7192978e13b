"""Writers for the export formats: CSV and JSON stream chunk by chunk; XLSX and Parquet write files.

All of them consume a table's row iterator once, holding at most one chunk of rows, so memory
stays flat however many rows there are.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import itertools
import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import IO, Any

import pyarrow as pa
import pyarrow.parquet as pq
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from exports.codebook import CODEBOOK_COLUMNS, codebook_rows
from exports.tables import Table

CHUNK_ROWS = 2000
PARQUET_BATCH_ROWS = 65_536
XLSX_MAX_DATA_ROWS = 1_048_575  # Excel's sheet limit less the header row
BOM = "\ufeff"

Progress = Callable[[int], None]


def _chunks(rows: Iterable[tuple[Any, ...]], size: int) -> Iterator[list[tuple[Any, ...]]]:
    iterator = iter(rows)
    while chunk := list(itertools.islice(iterator, size)):
        yield chunk


def csv_chunks(table: Table, *, bom: bool = False, chunk_rows: int = CHUNK_ROWS) -> Iterator[bytes]:
    """RFC 4180 CSV in UTF-8 (CRLF line ends, quotes doubled), optionally with a byte order mark."""
    for data, _ in _counted_csv_chunks(table, bom=bom, chunk_rows=chunk_rows):
        yield data


def _counted_csv_chunks(table: Table, *, bom: bool, chunk_rows: int) -> Iterator[tuple[bytes, int]]:
    """(data, rows in it): the database's finished lines where the table has them, else csv.writer's."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    if bom:
        buffer.write(BOM)
    writer.writerow(table.column_names)
    if table.csv_lines is not None:
        yield from _counted_line_chunks(buffer.getvalue(), table.csv_lines())
        return
    for chunk in _chunks(table.rows(), chunk_rows):
        writer.writerows(chunk)
        yield buffer.getvalue().encode("utf-8"), len(chunk)
        buffer.seek(0)
        buffer.truncate()
    if buffer.tell():
        yield buffer.getvalue().encode("utf-8"), 0


def _counted_line_chunks(header: str, chunks: Iterator[list[str]]) -> Iterator[tuple[bytes, int]]:
    head = header
    for lines in chunks:
        yield (head + "".join(lines)).encode("utf-8"), len(lines)
        head = ""
    if head:
        yield head.encode("utf-8"), 0


def write_csv(out: IO[bytes], table: Table, *, bom: bool = False, progress: Progress | None = None) -> int:
    rows = 0
    for data, count in _counted_csv_chunks(table, bom=bom, chunk_rows=CHUNK_ROWS):
        out.write(data)
        rows += count
        if progress:
            progress(rows)
    return rows


def _json_default(value: Any) -> str:
    if isinstance(value, dt.date):
        return value.isoformat()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def json_chunks(table: Table, *, chunk_rows: int = CHUNK_ROWS) -> Iterator[bytes]:
    """A JSON array of objects, one per row (pandas: ``read_json(orient="records")``)."""
    names = table.column_names
    dumps = json.JSONEncoder(ensure_ascii=False, default=_json_default, allow_nan=False).encode
    first = True
    yield b"["
    for chunk in _chunks(table.rows(), chunk_rows):
        text = ",\n".join(dumps(dict(zip(names, row, strict=True))) for row in chunk)
        yield (("\n" if first else ",\n") + text).encode("utf-8")
        first = False
    yield b"\n]\n"


def _xlsx_cell(value: Any) -> Any:
    if isinstance(value, str) and ILLEGAL_CHARACTERS_RE.search(value):
        return ILLEGAL_CHARACTERS_RE.sub("", value)  # control characters XML cannot hold
    return value


def _xlsx_date(value: Any) -> Any:
    return dt.date.fromisoformat(value) if isinstance(value, str) else value  # a date cell, not text


def write_xlsx(path: Path, tables: Sequence[Table], *, progress: Progress | None = None) -> int:
    """One sheet per table (continued on "name (2)" beyond Excel's row limit) and a codebook sheet."""
    workbook = Workbook(write_only=True)
    written = 0
    for table in tables:
        sheet_number = 1
        sheet = workbook.create_sheet(title=table.name[:31])
        sheet.append(table.column_names)
        converters = [_xlsx_date if c.type == "date" else _xlsx_cell for c in table.columns]
        in_sheet = 0
        for chunk in _chunks(table.rows(), CHUNK_ROWS):
            for row in chunk:
                if in_sheet == XLSX_MAX_DATA_ROWS:
                    sheet_number += 1
                    sheet = workbook.create_sheet(title=f"{table.name[:25]} ({sheet_number})")
                    sheet.append(table.column_names)
                    in_sheet = 0
                sheet.append([convert(v) for convert, v in zip(converters, row, strict=True)])
                in_sheet += 1
            written += len(chunk)
            if progress:
                progress(written)
    codebook = workbook.create_sheet(title="codebook")
    codebook.append(CODEBOOK_COLUMNS)
    for row in codebook_rows(tables):
        codebook.append([_xlsx_cell(v) for v in row])
    workbook.save(path)
    return written


ARROW_TYPES = {"string": pa.string(), "int": pa.int64(), "float": pa.float64(), "bool": pa.bool_(), "date": pa.date32()}


def arrow_schema(table: Table) -> pa.Schema:
    fields = [pa.field(c.name, ARROW_TYPES[c.type], metadata={"description": c.description}) for c in table.columns]
    return pa.schema(fields, metadata={"table": table.name, "description": table.description})


def _arrow_array(values: Sequence[Any], type_: pa.DataType) -> pa.Array:
    if type_ == pa.date32() and any(isinstance(v, str) for v in values):
        return pa.array(values, type=pa.string()).cast(pa.date32())  # days arrive as ISO text
    return pa.array(values, type=type_)


def write_parquet(path: Path, table: Table, *, progress: Progress | None = None) -> int:
    """A Parquet file with typed columns; the codebook text is kept in the schema's field metadata."""
    schema = arrow_schema(table)
    written = 0
    with pq.ParquetWriter(path, schema, compression="zstd") as writer:
        for chunk in _chunks(table.rows(), PARQUET_BATCH_ROWS):
            columns = list(zip(*chunk, strict=True))
            arrays = [_arrow_array(column, field.type) for column, field in zip(columns, schema, strict=True)]
            writer.write_batch(pa.RecordBatch.from_arrays(arrays, schema=schema))
            written += len(chunk)
            if progress:
                progress(written)
        if written == 0:
            writer.write_table(schema.empty_table())
    return written


def write_codebook_csv(out: IO[bytes], tables: Sequence[Table]) -> None:
    text = io.TextIOWrapper(out, encoding="utf-8", newline="", write_through=True)
    writer = csv.writer(text, lineterminator="\r\n")
    writer.writerow(CODEBOOK_COLUMNS)
    writer.writerows(codebook_rows(tables))
    text.flush()
    text.detach()
