"""Export jobs: a file built in the background (XLSX, Parquet, the reproducibility bundle)."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from coopsurvey.job_rows import DurableJob, open_jobs_index
from elicitation.models import Study


class ExportJob(DurableJob):
    """One requested export file. The file lives under settings.EXPORTS_ROOT and is served only to coordinators."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    class Format(models.TextChoices):
        CSV = "csv", "CSV"
        JSON = "json", "JSON"
        XLSX = "xlsx", "XLSX"
        PARQUET = "parquet", "Parquet"
        STATA = "dta", _("Stata (.dta)")
        SPSS = "sav", _("SPSS (.sav)")
        BUNDLE = "bundle", _("Reproducibility bundle (zip)")

    class Table(models.TextChoices):
        ALL = "all", _("All tables")
        RATINGS = "ratings", _("Ratings")
        RATIONALES = "rationales", _("Rationales (all, hidden ones flagged)")
        RATIONALES_MODERATED = "rationales_moderated", _("Rationales (moderated only)")
        PANEL = "panel", _("Panel composition")
        AGGREGATES = "aggregates", _("Aggregates")
        RESULTS = "results", _("Results (stored, every statistic, per bloc)")
        AREAS = "areas", _("Areas")
        CRITERIA = "criteria", _("Criteria")
        ROUND_ITEMS = "round_items", _("Items asked per round, with their wording")
        WORDING_CHANGES = "wording_changes", _("Wording changes")
        SUGGESTIONS = "suggestions", _("Suggestions and the areas made from them")
        PARTICIPATION = "participation", _("Participation per round (counts)")
        PARTICIPATION_EXPERTS = "participation_experts", _("Participation per expert")
        AUDIT = "audit", _("Audit log (hash chain)")
        DIVIDES = "divides", _("Divides between blocs (largest first)")
        VERDICTS = "verdicts", _("Cooperation verdicts (panel and blocs)")
        AGREEMENT = "agreement", _("Agreement per criterion (Kendall's W, Krippendorff's alpha)")
        STABILITY = "stability", _("Stability between rounds (panel and blocs)")
        PLAN_VERSIONS = "plan_versions", _("Analysis plan versions")
        DEVIATIONS = "deviations", _("Deviations from the analysis plan")
        DISSENT = "dissent", _("Dissent on the record")
        CHANGE_REASONS = "change_reasons", _("Reasons for changed ratings")
        QUANTITY_QUESTIONS = "quantity_questions", _("Quantity questions")
        QUANTITY_ANSWERS = "quantity_answers", _("Quantity answers")
        QUANTITY_POOLED = "quantity_pooled", _("Pooled quantities (panel and blocs, equal and Cooke)")
        QUANTITY_PERFORMANCE = "quantity_performance", _("Experts' scores and weights (classical model)")

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    study = models.ForeignKey(Study, on_delete=models.CASCADE, related_name="export_jobs")
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    format = models.CharField(max_length=10, choices=Format)
    table = models.CharField(max_length=24, choices=Table, default=Table.ALL)
    round_numbers = models.JSONField(default=list, blank=True, help_text=_("Empty: every round."))
    bom = models.BooleanField(default=False)
    status = models.CharField(max_length=10, choices=Status, default=Status.QUEUED)
    rows_total = models.PositiveBigIntegerField(default=0)
    rows_written = models.PositiveBigIntegerField(default=0)
    file_name = models.CharField(max_length=200, blank=True)
    file_size = models.PositiveBigIntegerField(default=0)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["study", "-created_at"], name="export_job_study_created"),
            open_jobs_index("export_job_open"),
        ]
        constraints = [
            # Only a workbook or a bundle holds several tables; a bundle always holds them all.
            models.CheckConstraint(
                condition=Q(format__in=["xlsx", "bundle"]) | ~Q(table="all"), name="export_job_one_table_per_file"
            ),
            models.CheckConstraint(condition=Q(table="all") | ~Q(format="bundle"), name="export_job_bundle_all_tables"),
        ]

    def __str__(self) -> str:
        return f"{self.get_format_display()} export of {self.study} ({self.status})"

    @property
    def progress_percent(self) -> int:
        if self.status == self.Status.DONE:
            return 100
        if not self.rows_total:
            return 0
        return min(99, int(100 * self.rows_written / self.rows_total))

    @property
    def download_name(self) -> str:
        extension = "zip" if self.format == self.Format.BUNDLE else self.format
        return f"coopsurvey-{self.study.uuid}-{self.table}.{extension}"
