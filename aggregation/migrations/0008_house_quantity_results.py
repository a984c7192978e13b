"""The quantity results (pooled quantities, expert performance), taken over from the quantities app: results live here.

State only: the tables keep their names and rows. Their content types follow, so permissions granted stay.
"""

import django.db.models.deletion
from django.db import migrations, models


MOVED = ["pooledquantity", "expertperformance"]


def content_types_follow(apps, schema_editor):
    content_type = apps.get_model("contenttypes", "ContentType")
    content_type.objects.filter(app_label="quantities", model__in=MOVED).update(app_label="aggregation")


def content_types_return(apps, schema_editor):
    content_type = apps.get_model("contenttypes", "ContentType")
    content_type.objects.filter(app_label="aggregation", model__in=MOVED).update(app_label="quantities")


class Migration(migrations.Migration):
    dependencies = [
        ("aggregation", "0007_api_run_uuid"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("elicitation", "0015_jobs_email_jobs"),
        ("quantities", "0002_house_quantity_results_to_aggregation"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="ExpertPerformance",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                            ),
                        ),
                        ("group", models.CharField(blank=True, max_length=100)),
                        (
                            "method",
                            models.CharField(
                                choices=[
                                    ("equal", "Equal weights"),
                                    ("global", "Classical model, global weights"),
                                    ("item", "Classical model, item weights"),
                                ],
                                max_length=8,
                            ),
                        ),
                        ("n_seeds", models.PositiveIntegerField()),
                        ("calibration", models.FloatField(null=True)),
                        ("information_seeds", models.FloatField(null=True)),
                        ("information_all", models.FloatField(null=True)),
                        ("weight_unnormalised", models.FloatField(null=True)),
                        ("weight_normalised", models.FloatField(null=True)),
                        (
                            "expert",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE, related_name="+", to="elicitation.expert"
                            ),
                        ),
                        (
                            "round",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE, related_name="+", to="elicitation.round"
                            ),
                        ),
                        (
                            "run",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="+",
                                to="aggregation.aggregationrun",
                            ),
                        ),
                    ],
                    options={
                        "db_table": "quantities_expertperformance",
                        "ordering": ["round", "group", "method", "expert_id"],
                        "constraints": [
                            models.UniqueConstraint(
                                fields=("run", "expert", "group", "method"), name="expert_performance_unique"
                            )
                        ],
                    },
                ),
                migrations.CreateModel(
                    name="PooledQuantity",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                            ),
                        ),
                        ("group", models.CharField(blank=True, max_length=100)),
                        (
                            "method",
                            models.CharField(
                                choices=[
                                    ("equal", "Equal weights"),
                                    ("global", "Classical model, global weights"),
                                    ("item", "Classical model, item weights"),
                                ],
                                max_length=8,
                            ),
                        ),
                        ("n", models.PositiveIntegerField(help_text="Experts who answered the question.")),
                        ("suppressed", models.BooleanField(default=False)),
                        (
                            "quantiles",
                            models.JSONField(
                                blank=True, default=list, help_text="The decision maker's values; empty if none."
                            ),
                        ),
                        (
                            "intervals",
                            models.JSONField(
                                blank=True,
                                default=list,
                                help_text="Panel, equal weights: every answer's quantiles, anonymous, by median.",
                            ),
                        ),
                        ("cutoff", models.FloatField(null=True)),
                        ("dm_calibration", models.FloatField(null=True)),
                        ("dm_information_seeds", models.FloatField(null=True)),
                        ("dm_information_all", models.FloatField(null=True)),
                        (
                            "note",
                            models.CharField(
                                blank=True, help_text="Why the method gave no result, if it did not.", max_length=200
                            ),
                        ),
                        (
                            "question",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="+",
                                to="quantities.quantityquestion",
                            ),
                        ),
                        (
                            "round",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE, related_name="+", to="elicitation.round"
                            ),
                        ),
                        (
                            "run",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="+",
                                to="aggregation.aggregationrun",
                            ),
                        ),
                    ],
                    options={
                        "db_table": "quantities_pooledquantity",
                        "ordering": ["round", "question_id", "group", "method"],
                        "constraints": [
                            models.UniqueConstraint(
                                fields=("run", "question", "group", "method"), name="pooled_quantity_unique"
                            ),
                            models.CheckConstraint(
                                condition=models.Q(("suppressed", False), ("quantiles", []), _connector="OR"),
                                name="pooled_quantity_suppressed_is_empty",
                            ),
                        ],
                    },
                ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(content_types_follow, content_types_return),
    ]
