"""Each aggregation run records the analysis plan version and content hash it computed with.

The columns are added with ALTER TABLE ... ADD COLUMN on every database, as in elicitation's 0013: Django's
own AddField rebuilds the table on SQLite for a column with a default. PostgreSQL goes through the schema
editor as usual.
"""

from django.db import migrations, models

ADDED = [
    migrations.AddField(
        model_name="aggregationrun",
        name="plan_sha256",
        field=models.CharField(
            blank=True, help_text="SHA-256 of the plan content the results were computed with.", max_length=64
        ),
    ),
    migrations.AddField(
        model_name="aggregationrun",
        name="plan_version",
        field=models.PositiveIntegerField(
            blank=True, help_text="The analysis plan version the results were computed with.", null=True
        ),
    ),
]


def _field(operation):
    field = operation.field.clone()
    field.set_attributes_from_name(operation.name)
    return field


def add_columns(apps, schema_editor):
    for operation in ADDED:
        model = apps.get_model("aggregation", operation.model_name)
        field = _field(operation)
        if schema_editor.connection.vendor != "sqlite":
            schema_editor.add_field(model, field)
            continue
        definition, params = schema_editor.column_sql(model, field, include_default=True)
        table, column = schema_editor.quote_name(model._meta.db_table), schema_editor.quote_name(field.column)
        schema_editor.execute(f"ALTER TABLE {table} ADD COLUMN {column} {definition}", params)


def drop_columns(apps, schema_editor):
    for operation in reversed(ADDED):
        model = apps.get_model("aggregation", operation.model_name)
        field = _field(operation)
        if schema_editor.connection.vendor != "sqlite":
            schema_editor.remove_field(model, field)
            continue
        table, column = schema_editor.quote_name(model._meta.db_table), schema_editor.quote_name(field.column)
        schema_editor.execute(f"ALTER TABLE {table} DROP COLUMN {column}")


class Migration(migrations.Migration):
    dependencies = [
        ("aggregation", "0004_aggregationrun_trigger_operator"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=ADDED,
            database_operations=[migrations.RunPython(add_columns, drop_columns)],
        ),
    ]
