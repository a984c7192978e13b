"""Aggregation runs get a public id: the API names the run each result row comes from by it.

The column is added empty (a callable default added as a column default would give every existing
run the same value), each existing run gets its own UUID4, then a unique index over the filled ids.
On SQLite a nullable column without a default is an ``ALTER TABLE ... ADD COLUMN``, no table rebuild.
"""

import uuid

from django.db import migrations, models


def _add_and_fill(apps, schema_editor):
    run_model = apps.get_model("aggregation", "AggregationRun")
    column = models.UUIDField(null=True, blank=True)
    column.set_attributes_from_name("uuid")
    schema_editor.add_field(run_model, column)
    # This state's model has no ``uuid`` yet (the state gains it with this operation): plain SQL.
    quote = schema_editor.quote_name
    table = quote(run_model._meta.db_table)
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(f"SELECT id FROM {table}")  # noqa: S608 - our table's name
        ids = [row[0] for row in cursor.fetchall()]
        for pk in ids:
            value = column.get_db_prep_value(uuid.uuid4(), schema_editor.connection)
            cursor.execute(f"UPDATE {table} SET {quote('uuid')} = %s WHERE id = %s", [value, pk])  # noqa: S608


def _drop(apps, schema_editor):
    run_model = apps.get_model("aggregation", "AggregationRun")
    column = models.UUIDField(null=True, blank=True)
    column.set_attributes_from_name("uuid")
    schema_editor.remove_field(run_model, column)


class Migration(migrations.Migration):
    dependencies = [
        ("aggregation", "0006_jobs_queue_columns"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AddField(
                    model_name="aggregationrun",
                    name="uuid",
                    field=models.UUIDField(blank=True, default=uuid.uuid4, editable=False, null=True),
                ),
            ],
            database_operations=[migrations.RunPython(_add_and_fill, _drop)],
        ),
        migrations.AddConstraint(
            model_name="aggregationrun",
            constraint=models.UniqueConstraint(
                condition=models.Q(("uuid__isnull", False)), fields=("uuid",), name="aggregation_run_uuid_unique"
            ),
        ),
    ]
