"""docs/exports.md lists every table and column with its unit, as the tables define them."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings

from exports.columns_doc import BEGIN, END, column_reference, reference_tables, unit_of

DOC = Path(settings.BASE_DIR) / "docs" / "exports.md"


def test_the_column_reference_in_the_docs_is_the_tables_own() -> None:
    text = DOC.read_text(encoding="utf-8")
    written = text[text.index(BEGIN) : text.index(END) + len(END)]
    assert written == column_reference(), "docs/exports.md is out of date: run DEBUG=1 python manage.py columns_doc"


def test_every_number_has_a_unit_and_every_table_and_column_is_listed() -> None:
    reference = column_reference()
    for table in reference_tables():
        assert f"#### `{table.name}`" in reference
        for column in table.columns:
            unit = unit_of(column)
            assert unit != "-" or column.type not in {"int", "float"}, (table.name, column.name)
            assert f"| `{column.name}` | {column.type} | {unit} |" in reference
