"""The codebook: every column of every exported table, with its type, meaning and codes."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from exports.tables import Table

CODEBOOK_COLUMNS = ["table", "column", "type", "description", "codes"]

CONVENTIONS = [
    ("(all)", "(text cells)", "string", "Text beginning with =, +, -, @, tab or carriage return starts with an added "
     "apostrophe (') so spreadsheet programs do not run it as a formula.", ""),
    ("(all)", "(empty cells)", "", "An empty cell is a missing or undefined value (no rating, fewer than two "
     "ratings for a standard deviation, a suppressed count).", ""),
    ("(all)", "(bool cells)", "bool", "Written as True/False in CSV, true/false in JSON, booleans in XLSX and "
     "Parquet.", "True; False"),
    ("(all)", "(identity)", "", "No export holds an email address or a name. In strict anonymity mode no export "
     "joins a person (pseudonym, bloc, sector) to individual ratings or rationales.", ""),
]  # fmt: skip


def codebook_rows(tables: Iterable[Table]) -> Iterator[tuple[str, str, str, str, str]]:
    for table in tables:
        yield (table.name, "", "table", f"{table.title}: {table.description}", "")
        for column in table.columns:
            yield (table.name, column.name, column.type, column.description, column.codes)
    yield from CONVENTIONS
