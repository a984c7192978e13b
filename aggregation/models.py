"""Stored aggregation results: one run record per job and the result rows it wrote.

Every result row points at the run that produced it; the run names the consensus rule version, the
quantile method and the code version, so a published number can always be traced back to its recipe.
Runs are appended, never overwritten: each records the snapshot of ratings it read, and the run with the
newest snapshot is the round's *current* one; during an open round readers see the newest *published*
run (see ``aggregation.runs`` for both rules and ``aggregation.selectors`` for the one way to read them).
"""

from __future__ import annotations

import uuid

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from coopsurvey.job_rows import DurableJob, open_jobs_index
from elicitation.models import Area, ConsensusRule, Criterion, Expert, Round
from quantities.models import QuantityQuestion


class AggregationRun(DurableJob):
    """One request to (re)compute a round's results, from queueing to done or failed."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        SKIPPED = "skipped", _("Skipped: nothing new to compute")
        FAILED = "failed", _("Failed")

    class Trigger(models.TextChoices):
        RATINGS = "ratings", _("New ratings")
        CLOSE = "close", _("Round closed")
        SWEEP = "sweep", _("Sweep of stale results")
        COMMAND = "command", _("Management command")
        OPERATOR = "operator", _("Operator's re-run (admin)")

    # The run's public id (the API names the run every result row comes from); null only for none: filled
    # for older rows by the migration that added it.
    uuid = models.UUIDField(null=True, blank=True, default=uuid.uuid4, editable=False)
    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="aggregation_runs")
    status = models.CharField(max_length=10, choices=Status, default=Status.QUEUED)
    trigger = models.CharField(max_length=10, choices=Trigger, default=Trigger.RATINGS)
    error = models.TextField(blank=True)
    task_id = models.CharField(max_length=64, blank=True)
    requested_at = models.DateTimeField()
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    consensus_rule = models.ForeignKey(
        ConsensusRule, null=True, blank=True, on_delete=models.PROTECT, related_name="aggregation_runs"
    )
    rule_version = models.PositiveIntegerField(null=True, blank=True)
    quantile_method = models.CharField(max_length=10, blank=True)
    plan_version = models.PositiveIntegerField(
        null=True, blank=True, help_text=_("The analysis plan version the results were computed with.")
    )
    plan_sha256 = models.CharField(
        max_length=64, blank=True, help_text=_("SHA-256 of the plan content the results were computed with.")
    )
    code_version = models.CharField(max_length=40, blank=True)
    ratings_count = models.PositiveIntegerField(null=True, blank=True)
    ratings_as_of = models.DateTimeField(
        null=True, blank=True, help_text=_("The newest rating change the run saw (for staleness checks).")
    )
    snapshot_revision = models.BigIntegerField(
        null=True, blank=True, help_text=_("The highest rating revision id the run read (0: none).")
    )
    snapshot_read_at = models.DateTimeField(
        null=True, blank=True, help_text=_("The database's clock when the run took its snapshot.")
    )
    inputs_digest = models.CharField(
        max_length=64, blank=True, help_text=_("SHA-256 of everything the results depend on: ratings and recipe.")
    )
    contributors = models.JSONField(
        default=list, blank=True, help_text=_("Ids of the experts with at least one rating in the snapshot.")
    )
    is_current = models.BooleanField(
        default=False, help_text=_("The round's run with the newest snapshot: its rows are the round's results.")
    )
    is_published = models.BooleanField(
        default=False, help_text=_("Shown during the open round: it adds at least k contributors, or the round closed.")
    )
    published_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-requested_at", "-id"]
        indexes = [
            models.Index(fields=["round", "status", "-finished_at"], name="aggregation_run_round_status"),
            models.Index(
                fields=["round", "-snapshot_revision", "-snapshot_read_at"],
                condition=Q(is_published=True),
                name="aggregation_run_published",
            ),
            open_jobs_index("aggregation_run_open"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["round"], condition=Q(is_current=True), name="aggregation_run_one_current"),
            models.UniqueConstraint(
                fields=["uuid"], condition=Q(uuid__isnull=False), name="aggregation_run_uuid_unique"
            ),
            models.CheckConstraint(
                condition=Q(is_current=False) | Q(status="done"), name="aggregation_run_current_is_done"
            ),
            models.CheckConstraint(
                condition=Q(is_published=False) | Q(status="done"), name="aggregation_run_published_is_done"
            ),
        ]

    def __str__(self) -> str:
        return f"aggregation of {self.round_id} ({self.status})"

    @property
    def is_finished(self) -> bool:
        return self.status in {self.Status.DONE, self.Status.SKIPPED, self.Status.FAILED}


class ResultRow(models.Model):
    """Columns every result row shares: its round and the run that wrote it."""

    run = models.ForeignKey(AggregationRun, on_delete=models.CASCADE, related_name="+")
    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="+")

    class Meta:
        abstract = True


class ItemResult(ResultRow):
    """Statistics of one (area, criterion) in one round, for the whole panel (group "") or one bloc."""

    class RandClass(models.TextChoices):
        APPROPRIATE = "appropriate", _("Appropriate (median 7–9)")
        UNCERTAIN = "uncertain", _("Uncertain")
        INAPPROPRIATE = "inappropriate", _("Inappropriate (median 1–3)")

    area = models.ForeignKey(Area, on_delete=models.CASCADE, related_name="+")
    criterion = models.ForeignKey(Criterion, on_delete=models.CASCADE, related_name="+")
    group = models.CharField(max_length=100, blank=True, help_text=_('"" for the whole panel, else a bloc.'))
    n = models.PositiveIntegerField()
    n_cannot_judge = models.PositiveIntegerField()
    suppressed = models.BooleanField(
        default=False, help_text=_("Fewer than the study's minimum group size stand behind it: no statistics.")
    )
    value_counts = models.JSONField(
        default=list,
        blank=True,
        help_text=_("Ratings at each point of the scale, lowest first (the feedback chart); empty when suppressed."),
    )
    mean = models.FloatField(null=True)
    sd = models.FloatField(null=True)
    median = models.FloatField(null=True)
    q1 = models.FloatField(null=True)
    q3 = models.FloatField(null=True)
    iqr = models.FloatField(null=True)
    cv = models.FloatField(null=True)
    pct_low = models.FloatField(null=True)
    pct_mid = models.FloatField(null=True)
    pct_high = models.FloatField(null=True)
    cns = models.FloatField(null=True, help_text=_("Tastle–Wierman consensus."))
    vde_a = models.FloatField(null=True, help_text=_("van der Eijk agreement A."))
    bimodality = models.FloatField(null=True)
    p30 = models.FloatField(null=True)
    p70 = models.FloatField(null=True)
    ipr = models.FloatField(null=True)
    ipras = models.FloatField(null=True)
    rand_class = models.CharField(max_length=15, choices=RandClass, blank=True)
    ipras_disagreement = models.BooleanField(null=True)
    classic_disagreement = models.BooleanField(null=True)
    consensus = models.BooleanField(null=True, help_text=_("Empty when the round has no consensus rule."))
    consensus_band = models.CharField(
        max_length=6,
        blank=True,
        help_text=_("The end the ratings agree on (low, middle, high); empty without consensus."),
    )
    stability_pairs = models.PositiveIntegerField(default=0)
    delta_cv = models.FloatField(null=True)
    wilcoxon_statistic = models.FloatField(null=True)
    wilcoxon_p = models.FloatField(null=True)
    changed_share = models.FloatField(null=True)

    class Meta:
        ordering = ["round", "area__order", "area_id", "criterion__order", "criterion_id", "group"]
        constraints = [
            models.UniqueConstraint(fields=["run", "area", "criterion", "group"], name="item_result_unique"),
            models.CheckConstraint(
                condition=Q(suppressed=False) | Q(median__isnull=True), name="item_result_suppressed_is_empty"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.round_id} {self.area_id}/{self.criterion_id} {self.group or 'panel'}"


class CriterionAgreement(ResultRow):
    """Per criterion across areas: Kendall's W of the experts' rankings and Krippendorff's alpha."""

    criterion = models.ForeignKey(Criterion, on_delete=models.CASCADE, related_name="+")
    n_areas = models.PositiveIntegerField()
    kendall_w = models.FloatField(null=True)
    kendall_chi2 = models.FloatField(null=True)
    kendall_df = models.FloatField(null=True)
    kendall_p = models.FloatField(null=True)
    kendall_raters = models.PositiveIntegerField(default=0)
    alpha_ordinal = models.FloatField(null=True)
    alpha_interval = models.FloatField(null=True)

    class Meta:
        ordering = ["round", "criterion__order", "criterion_id"]
        constraints = [models.UniqueConstraint(fields=["run", "criterion"], name="criterion_agreement_unique")]

    def __str__(self) -> str:
        return f"{self.round_id} {self.criterion_id}: W={self.kendall_w}"


class CrossBloc(ResultRow):
    """How an item divides the blocs with at least k experts: their medians, ends, tests and the verdict."""

    class Verdict(models.TextChoices):
        SPLIT = "split", _("Split along bloc lines")
        SHARED = "shared", _("Every bloc agrees, on the same end")
        NOT_SPLIT = "not_split", _("Not split")
        TOO_FEW_BLOCS = "too_few_blocs", _("Fewer than two blocs large enough to compare")
        NO_RULE = "no_rule", _("No consensus rule")

    class SplitReason(models.TextChoices):
        ENDS = "ends", _("Blocs agree internally on different ends")
        DISTANCE = "distance", _("Bloc medians differ by at least the divide threshold")
        ENDS_AND_DISTANCE = "ends_and_distance", _("Different ends, and medians at least the threshold apart")

    area = models.ForeignKey(Area, on_delete=models.CASCADE, related_name="+")
    criterion = models.ForeignKey(Criterion, on_delete=models.CASCADE, related_name="+")
    panel_consensus = models.BooleanField(null=True)
    consensus_in_every_bloc = models.BooleanField(null=True)
    blocs_compared = models.JSONField(default=list, help_text=_("Blocs with at least k ratings, largest first."))
    blocs_without_consensus = models.JSONField(default=list)
    blocs_suppressed = models.PositiveIntegerField(default=0)
    bloc_ends = models.JSONField(default=dict, help_text=_("Compared blocs with consensus: the end each agrees on."))
    group_medians = models.JSONField(default=dict)
    max_median_difference = models.FloatField(null=True, help_text=_("The size of the divide, in scale points."))
    kruskal_h = models.FloatField(null=True, help_text=_("Kruskal–Wallis H across the compared blocs."))
    kruskal_p = models.FloatField(null=True)
    pairwise = models.JSONField(
        default=list, help_text=_("Mann–Whitney per pair of compared blocs: a, b, u, p and Holm-adjusted p_holm.")
    )
    bloc_a = models.CharField(max_length=100, blank=True)
    bloc_b = models.CharField(max_length=100, blank=True)
    mann_whitney_u = models.FloatField(null=True)
    mann_whitney_p = models.FloatField(null=True)
    mann_whitney_p_holm = models.FloatField(null=True)
    split_reason = models.CharField(max_length=20, choices=SplitReason, blank=True)
    verdict = models.CharField(max_length=15, choices=Verdict)

    class Meta:
        ordering = ["round", "area__order", "area_id", "criterion__order", "criterion_id"]
        constraints = [models.UniqueConstraint(fields=["run", "area", "criterion"], name="cross_bloc_unique")]

    def __str__(self) -> str:
        return f"{self.round_id} {self.area_id}/{self.criterion_id}: {self.verdict}"


class AreaVerdict(ResultRow):
    """The cooperation verdict for one area on the benefit x risk plane, of the whole panel or of one bloc."""

    class Verdict(models.TextChoices):
        PROMISING = "promising", _("Promising for cooperation")
        SAFEGUARDS = "safeguards", _("Cooperate with safeguards")
        AVOID = "avoid", _("Avoid")
        NO_CONSENSUS_YET = "no_consensus_yet", _("No consensus yet")

    area = models.ForeignKey(Area, on_delete=models.CASCADE, related_name="+")
    group = models.CharField(max_length=100, blank=True, help_text=_('"" for the whole panel, else a bloc.'))
    verdict = models.CharField(max_length=20, choices=Verdict)
    min_benefit_median = models.FloatField(null=True)
    max_risk_median = models.FloatField(null=True)
    benefits_agreed = models.BooleanField(default=False, help_text=_("Every benefit criterion has consensus."))
    risks_agreed = models.BooleanField(default=False, help_text=_("Every risk criterion has consensus."))
    detail = models.JSONField(default=dict, help_text=_("Per criterion code: median and consensus."))

    class Meta:
        ordering = ["round", "group", "area__order", "area_id"]
        constraints = [models.UniqueConstraint(fields=["run", "area", "group"], name="area_verdict_unique")]

    def __str__(self) -> str:
        return f"{self.round_id} {self.area_id} {self.group or 'panel'}: {self.verdict}"


# The quantity questions' results (issue 19): pooled by equal weights and Cooke's classical model.


class PoolMethod(models.TextChoices):
    EQUAL = "equal", _("Equal weights")
    GLOBAL = "global", _("Classical model, global weights")
    ITEM = "item", _("Classical model, item weights")


class PooledQuantity(ResultRow):
    """The pooled distribution (the decision maker) of one question, for the panel (group "") or one bloc."""

    question = models.ForeignKey(QuantityQuestion, on_delete=models.CASCADE, related_name="+")
    group = models.CharField(max_length=100, blank=True)
    method = models.CharField(max_length=8, choices=PoolMethod)
    n = models.PositiveIntegerField(help_text=_("Experts who answered the question."))
    suppressed = models.BooleanField(default=False)
    quantiles = models.JSONField(default=list, blank=True, help_text=_("The decision maker's values; empty if none."))
    intervals = models.JSONField(
        default=list, blank=True, help_text=_("Panel, equal weights: every answer's quantiles, anonymous, by median.")
    )
    cutoff = models.FloatField(null=True)
    dm_calibration = models.FloatField(null=True)
    dm_information_seeds = models.FloatField(null=True)
    dm_information_all = models.FloatField(null=True)
    note = models.CharField(max_length=200, blank=True, help_text=_("Why the method gave no result, if it did not."))

    class Meta:
        db_table = "quantities_pooledquantity"  # made with the quantities app (issue 19), moved here with results
        ordering = ["round", "question_id", "group", "method"]
        constraints = [
            models.UniqueConstraint(fields=["run", "question", "group", "method"], name="pooled_quantity_unique"),
            models.CheckConstraint(
                condition=Q(suppressed=False) | Q(quantiles=[]), name="pooled_quantity_suppressed_is_empty"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.round_id} {self.question_id} {self.group or 'panel'} {self.method}"


class ExpertPerformance(ResultRow):
    """An expert's calibration, information and weight under one method, in the panel or in their bloc."""

    expert = models.ForeignKey(Expert, on_delete=models.CASCADE, related_name="+")
    group = models.CharField(max_length=100, blank=True)
    method = models.CharField(max_length=8, choices=PoolMethod)
    n_seeds = models.PositiveIntegerField()
    calibration = models.FloatField(null=True)
    information_seeds = models.FloatField(null=True)
    information_all = models.FloatField(null=True)
    weight_unnormalised = models.FloatField(null=True)
    weight_normalised = models.FloatField(null=True)

    class Meta:
        db_table = "quantities_expertperformance"
        ordering = ["round", "group", "method", "expert_id"]
        constraints = [
            models.UniqueConstraint(fields=["run", "expert", "group", "method"], name="expert_performance_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.round_id} {self.expert_id} {self.group or 'panel'} {self.method}"
