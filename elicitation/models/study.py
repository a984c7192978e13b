from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _


def default_languages() -> list[str]:
    return ["en", "zh-hans"]


def default_blocs() -> list[str]:
    return ["United States", "China", "Europe", "Other"]


def default_sectors() -> list[str]:
    return ["Academia", "Industry", "Government", "Civil society"]


# The study's own texts an expert reads, each written per language (docs/translations.md).
STUDY_TEXT_KEYS = ("title", "question", "introduction", "consent_text", "ethics_approval", "contact", "data_controller")


class Study(models.Model):
    """A Delphi study: its question, settings, items and panel."""

    class QuantileMethod(models.TextChoices):
        WEIBULL = "weibull", _("Hyndman–Fan type 6 (SPSS)")
        LINEAR = "linear", _("Hyndman–Fan type 7 (R, numpy)")

    class Anonymity(models.TextChoices):
        STANDARD = "standard", _("Standard: coordinators see ratings under pseudonyms")
        STRICT = "strict", _("Strict: nothing joins a person to their ratings")

    class Mode(models.TextChoices):
        CLASSIC = "classic", _("Classic rounds")
        REALTIME = "realtime", _("Real-time (one long open phase with live feedback)")

    class FeedbackTiming(models.TextChoices):
        BEFORE = "before", _("Show group feedback before the expert rates")
        AFTER_OWN = "after_own", _("Show group feedback only after the expert's own rating")

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    title = models.CharField(max_length=200)
    question = models.TextField(blank=True)
    introduction = models.TextField(blank=True, help_text=_("Shown to experts on the welcome page and in invitations."))
    consent_text = models.TextField(
        blank=True,
        verbose_name=_("Information sheet and consent"),
        help_text=_("What experts agree to: the study's purpose, what is recorded, how long it is kept, their rights."),
    )
    ethics_approval = models.CharField(
        max_length=300, blank=True, verbose_name=_("Ethics approval"), help_text=_("Committee and reference number.")
    )
    contact = models.TextField(blank=True, verbose_name=_("Contact"), help_text=_("Who experts can write to."))
    data_controller = models.TextField(
        blank=True, verbose_name=_("Data controller"), help_text=_("Who is responsible for the personal data.")
    )
    translations = models.JSONField(
        default=dict, blank=True, help_text=_('{"zh-hans": {"title": "…", "question": "…", "bloc:China": "中国"}}')
    )
    text_changed_at = models.JSONField(
        default=dict, blank=True, help_text=_("When each text last changed, per language: the basis of staleness.")
    )
    sender_name = models.CharField(
        max_length=100, blank=True, verbose_name=_("Sender name"), help_text=_("Shown as the sender of emails.")
    )
    contact_email = models.EmailField(
        blank=True, verbose_name=_("Contact address"), help_text=_("Replies to the study's emails go here.")
    )
    template = models.CharField(max_length=60, blank=True)
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, through="StudyMember", related_name="member_studies", blank=True
    )
    created_at = models.DateTimeField(auto_now_add=True)
    end_date = models.DateTimeField(null=True, blank=True, help_text=_("Invitation links expire at this time."))

    quantile_method = models.CharField(max_length=10, choices=QuantileMethod, default=QuantileMethod.WEIBULL)
    min_group_size = models.PositiveSmallIntegerField(
        default=5,
        help_text=_(
            "No figure is shown that stands on fewer experts, the whole panel included. Once an expert has "
            "consented it can only rise."
        ),
    )
    anonymity = models.CharField(max_length=10, choices=Anonymity, default=Anonymity.STANDARD)
    mode = models.CharField(max_length=10, choices=Mode, default=Mode.CLASSIC)
    feedback_timing = models.CharField(max_length=10, choices=FeedbackTiming, default=FeedbackTiming.AFTER_OWN)
    feedback_by_bloc = models.BooleanField(
        default=True,
        verbose_name=_("Bloc breakdown in feedback"),
        help_text=_(
            "Experts see each bloc's median and quartiles next to the panel's, where every bloc shown has at "
            "least the minimum group size. Once an expert has consented it can be turned off, not back on."
        ),
    )
    default_language = models.CharField(max_length=10, choices=settings.LANGUAGES, default="en")
    languages = models.JSONField(default=default_languages)
    blocs = models.JSONField(default=default_blocs, help_text=_("Bloc or country groups experts belong to."))
    sectors = models.JSONField(default=default_sectors)
    suggestions_enabled = models.BooleanField(default=True, help_text=_("Ask for new areas in round 1."))
    reminder_hours_before_deadline = models.PositiveSmallIntegerField(default=48)
    single_use_links = models.BooleanField(
        default=False,
        verbose_name=_("One-time personal links"),
        help_text=_(
            "Each emailed link opens one session only, so a copied or forwarded link is useless once used. "
            "An expert who wants to come back asks for a new link by email."
        ),
    )
    aggregation_interval_seconds = models.PositiveIntegerField(default=60)
    change_reason_threshold = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        default=3,
        verbose_name=_("Ask for a reason when a rating moves by more than"),
        help_text=_(
            "Points on the scale between an expert's rating and their rating of the item in their previous "
            "round; beyond it the form asks (optionally) for the reason. Empty: never ask."
        ),
    )

    # Cooperation verdict thresholds on the benefit x risk plane (aggregation issue).
    benefit_threshold = models.DecimalField(max_digits=4, decimal_places=1, default=7)
    risk_low_threshold = models.DecimalField(max_digits=4, decimal_places=1, default=3)
    risk_safeguard_threshold = models.DecimalField(max_digits=4, decimal_places=1, default=4)
    risk_avoid_threshold = models.DecimalField(max_digits=4, decimal_places=1, default=7)

    class Meta:
        verbose_name_plural = "studies"
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(condition=Q(min_group_size__gte=3), name="study_min_group_size_at_least_3"),
        ]

    def __str__(self) -> str:
        return self.title

    def localized(self, language: str | None) -> dict[str, str]:
        """The study's own texts in ``language``, falling back to the default language's text key by key."""
        text = self.translations.get(language or "", {}) if isinstance(self.translations, dict) else {}
        return {key: text.get(key) or getattr(self, key) for key in STUDY_TEXT_KEYS}

    def group_name(self, name: str, language: str | None, *, kind: str = "bloc") -> str:
        """A bloc's (or sector's) name in ``language``; groups are stored by their default-language name."""
        text = self.translations.get(language or "", {}) if isinstance(self.translations, dict) else {}
        return text.get(f"{kind}:{name}") or name

    @property
    def coordinators(self) -> models.QuerySet[Any]:
        """The users in the coordinator role (read-only; roles change through the setup services)."""
        from django.contrib.auth import get_user_model

        return (
            get_user_model()
            .objects.filter(study_memberships__study=self, study_memberships__role="coordinator")
            .order_by("username")
        )

    def current_rule(self) -> ConsensusRule | None:
        return self.consensus_rules.order_by("-version").first()


class LocalizedText(models.Model):
    """Title and description in the study's default language, with per-language translations."""

    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    translations = models.JSONField(
        default=dict, blank=True, help_text=_('{"zh-hans": {"title": "…", "description": "…"}}')
    )
    text_changed_at = models.JSONField(
        default=dict, blank=True, help_text=_("When each text last changed, per language: the basis of staleness.")
    )

    class Meta:
        abstract = True

    # The texts of this kind of item an expert reads; each may be translated in ``translations``.
    TEXT_KEYS: tuple[str, ...] = ("title", "description")

    def localized(self, language: str | None) -> dict[str, str]:
        """Every text in ``language``, falling back to the default language's text key by key."""
        text = self.translations.get(language or "", {}) if isinstance(self.translations, dict) else {}
        return {key: text.get(key) or getattr(self, key) for key in self.TEXT_KEYS}


class Area(LocalizedText):
    """An area of possible cooperation, rated on every criterion."""

    study = models.ForeignKey(Study, on_delete=models.CASCADE, related_name="areas")
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    code = models.SlugField(max_length=40)
    order = models.PositiveIntegerField(default=0)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    suggestions = models.ManyToManyField("elicitation.Suggestion", blank=True, related_name="areas")

    class Meta:
        ordering = ["order", "id"]
        constraints = [models.UniqueConstraint(fields=["study", "code"], name="area_code_unique_in_study")]

    def __str__(self) -> str:
        return self.title


class AreaRevision(models.Model):
    """A rewording of an area between rounds, kept and shown to experts."""

    area = models.ForeignKey(Area, on_delete=models.CASCADE, related_name="revisions")
    round_number = models.PositiveIntegerField(help_text=_("The first round that shows the new wording."))
    language = models.CharField(max_length=10, choices=settings.LANGUAGES, help_text=_("The language of this wording."))
    old_title = models.CharField(max_length=200)
    old_description = models.TextField(blank=True)
    old_translations = models.JSONField(
        default=dict, blank=True, help_text=_("The area's translations before the change, as the earlier rounds asked.")
    )
    new_title = models.CharField(max_length=200)
    new_description = models.TextField(blank=True)
    changed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL)
    changed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["changed_at", "id"]

    def __str__(self) -> str:
        return f"{self.old_title} → {self.new_title}"


class Criterion(LocalizedText):
    """A benefit or risk criterion, rated on an integer scale with labelled ends."""

    class Kind(models.TextChoices):
        BENEFIT = "benefit", _("Benefit")
        RISK = "risk", _("Risk")
        # "How far could safeguards reduce these risks?": the verdict "cooperate with safeguards" rests on it.
        MITIGABILITY = "mitigability", _("Mitigability of the risks")

    study = models.ForeignKey(Study, on_delete=models.CASCADE, related_name="criteria")
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    code = models.SlugField(max_length=20)
    kind = models.CharField(max_length=20, choices=Kind)
    scale_min = models.SmallIntegerField(default=1)
    scale_max = models.SmallIntegerField(default=9)
    label_min = models.CharField(max_length=200, blank=True)
    label_max = models.CharField(max_length=200, blank=True)
    allow_cannot_judge = models.BooleanField(default=True)
    order = models.PositiveIntegerField(default=0)
    is_active = models.BooleanField(default=True)

    TEXT_KEYS = ("title", "description", "label_min", "label_max")

    class Meta:
        ordering = ["order", "id"]
        verbose_name_plural = "criteria"
        constraints = [
            models.UniqueConstraint(fields=["study", "code"], name="criterion_code_unique_in_study"),
            models.CheckConstraint(condition=Q(scale_max__gt=F("scale_min")), name="criterion_scale_ordered"),
            models.CheckConstraint(
                condition=Q(scale_min__gte=0, scale_max__lte=100), name="criterion_scale_within_0_100"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.title}"

    def scale_values(self) -> range:
        return range(self.scale_min, self.scale_max + 1)


class ConsensusRule(models.Model):
    """One version of the study's consensus rule: parts combined with AND.

    A version is frozen when round 1 opens; a later change creates a new version,
    so every stored result can name the exact rule that produced its verdict.
    """

    class Band(models.TextChoices):
        LOW = "low", _("lowest third")
        MIDDLE = "middle", _("middle third")
        HIGH = "high", _("highest third")
        EITHER = "either", _("lowest or highest third (agreement at either end)")

    class Inclusion(models.TextChoices):
        SUBMITTED = "submitted", _("Submitted answers only")
        ALL_SAVED = "all", _("All saved answers, submitted or not")

    study = models.ForeignKey(Study, on_delete=models.CASCADE, related_name="consensus_rules")
    version = models.PositiveIntegerField()
    max_iqr = models.DecimalField(max_digits=5, decimal_places=2, null=True, blank=True)
    band = models.CharField(max_length=10, choices=Band, blank=True)
    min_percent_in_band = models.DecimalField(max_digits=5, decimal_places=2, null=True, blank=True)
    max_percent_opposite_band = models.DecimalField(max_digits=5, decimal_places=2, null=True, blank=True)
    max_cv = models.DecimalField(max_digits=5, decimal_places=3, null=True, blank=True)
    min_cns = models.DecimalField(max_digits=5, decimal_places=3, null=True, blank=True)
    require_rand_agreement = models.BooleanField(default=False)
    parts_by_kind = models.JSONField(
        default=dict,
        blank=True,
        help_text=_('Parts that replace the ones above for a criterion kind: {"risk": {"band": "either", …}}.'),
    )
    parts_by_criterion = models.JSONField(
        default=dict, blank=True, help_text=_('Parts that replace the others for one criterion: {"R1": {…}}.')
    )
    inclusion = models.CharField(
        max_length=10,
        choices=Inclusion,
        default=Inclusion.SUBMITTED,
        help_text=_("Whose answers results count: only experts who submitted the round, or every saved answer."),
    )
    divide_threshold = models.DecimalField(
        max_digits=5,
        decimal_places=2,
        default=3,
        help_text=_("Bloc medians at least this many scale points apart split an item along bloc lines."),
    )
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    frozen_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["study", "version"]
        constraints = [
            models.UniqueConstraint(fields=["study", "version"], name="consensus_rule_version_unique"),
            models.CheckConstraint(
                condition=Q(min_percent_in_band__isnull=True) | ~Q(band=""), name="consensus_rule_band_named"
            ),
            models.CheckConstraint(condition=Q(divide_threshold__gt=0), name="consensus_rule_divide_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.study} rule v{self.version}"

    @property
    def is_frozen(self) -> bool:
        return self.frozen_at is not None
