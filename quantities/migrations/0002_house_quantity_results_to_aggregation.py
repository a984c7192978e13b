"""The quantity results (pooled quantities, expert performance) move to the aggregation app, where results live.

State only: the tables keep their names (``db_table``) and rows; ``aggregation`` 0007 takes the models over.
"""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("quantities", "0001_idea_quantity_questions"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RemoveField(
                    model_name="pooledquantity",
                    name="question",
                ),
                migrations.RemoveField(
                    model_name="pooledquantity",
                    name="round",
                ),
                migrations.RemoveField(
                    model_name="pooledquantity",
                    name="run",
                ),
                migrations.DeleteModel(
                    name="ExpertPerformance",
                ),
                migrations.DeleteModel(
                    name="PooledQuantity",
                ),
            ],
            database_operations=[],
        ),
    ]
