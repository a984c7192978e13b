"""Add columns to existing tables without SQLite rebuilding them (the demo runs on SQLite).

Django's ``AddField`` rebuilds an SQLite table for a column with a default, and rebuilding tables that the
rating triggers of elicitation's 0002 name breaks them (see elicitation 0005 and 0013). :func:`add_columns`
keeps the migration state of plain ``AddField`` operations and, on SQLite, adds each column with
``ALTER TABLE ... ADD COLUMN``; PostgreSQL goes through the schema editor as usual.
"""

from __future__ import annotations

from typing import Any

from django.db import migrations


def add_columns(app_label: str, added: list[migrations.AddField]) -> migrations.SeparateDatabaseAndState:
    def forwards(apps: Any, schema_editor: Any) -> None:
        for operation in added:
            model, field = _model_and_field(apps, app_label, operation)
            if schema_editor.connection.vendor != "sqlite":
                schema_editor.add_field(model, field)
                continue
            definition, params = schema_editor.column_sql(model, field, include_default=True)
            table, column = schema_editor.quote_name(model._meta.db_table), schema_editor.quote_name(field.column)
            schema_editor.execute(f"ALTER TABLE {table} ADD COLUMN {column} {definition}", params)

    def backwards(apps: Any, schema_editor: Any) -> None:
        for operation in reversed(added):
            model, field = _model_and_field(apps, app_label, operation)
            if schema_editor.connection.vendor != "sqlite":
                schema_editor.remove_field(model, field)
                continue
            table, column = schema_editor.quote_name(model._meta.db_table), schema_editor.quote_name(field.column)
            schema_editor.execute(f"ALTER TABLE {table} DROP COLUMN {column}")

    return migrations.SeparateDatabaseAndState(
        state_operations=list(added), database_operations=[migrations.RunPython(forwards, backwards)]
    )


def _model_and_field(apps: Any, app_label: str, operation: migrations.AddField) -> tuple[Any, Any]:
    field = operation.field.clone()
    field.set_attributes_from_name(operation.name)
    return apps.get_model(app_label, operation.model_name), field
