from __future__ import annotations

import hashlib
import secrets
import unicodedata
import uuid
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from elicitation.models.study import Study

TOKEN_BYTES = 32  # 256 bits of randomness; only the SHA-256 hash is stored.


def email_key(email: str) -> str:
    """The form of an address used to find duplicates: Unicode NFKC, then case-folded."""
    return unicodedata.normalize("NFKC", email).strip().casefold()


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


class Expert(models.Model):
    """A panel member of one study, known to other experts only by pseudonym."""

    study = models.ForeignKey(Study, on_delete=models.CASCADE, related_name="experts")
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    number = models.PositiveIntegerField(help_text=_("Gives the stable pseudonym E-01, E-02, …"))
    email = models.EmailField(max_length=254)
    email_key = models.CharField(max_length=254, editable=False)
    name = models.CharField(max_length=200, blank=True)
    bloc = models.CharField(max_length=100)
    sector = models.CharField(max_length=100, blank=True)
    language = models.CharField(max_length=10, choices=settings.LANGUAGES, default="en")
    time_zone = models.CharField(max_length=64, blank=True)
    expertise = models.JSONField(default=dict, blank=True, help_text=_("Self-rated expertise 1–5 per area code."))
    is_active = models.BooleanField(default=True)
    consented_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    erased_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["study", "number"]
        constraints = [
            models.UniqueConstraint(fields=["study", "number"], name="expert_number_unique_in_study"),
            models.UniqueConstraint(fields=["study", "email_key"], name="expert_email_unique_in_study"),
        ]

    def __str__(self) -> str:
        return self.pseudonym

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.email_key = email_key(self.email)
        super().save(*args, **kwargs)

    @property
    def pseudonym(self) -> str:
        return f"E-{self.number:02d}"

    @property
    def coordinator_label(self) -> str:
        """How coordinators' pages and messages name the expert: the pseudonym, or in strict mode the person.

        Never both: in strict anonymity no page pairs a pseudonym with a person.
        """
        if self.study.anonymity != Study.Anonymity.STRICT:
            return self.pseudonym
        return self.name or self.email or str(_("an erased expert"))


class InvitationTokenQuerySet(models.QuerySet["InvitationToken"]):
    def usable(self) -> InvitationTokenQuerySet:
        now = timezone.now()
        return self.filter(revoked_at__isnull=True, expert__is_active=True).filter(
            Q(expires_at__isnull=True) | Q(expires_at__gt=now)
        )


class InvitationToken(models.Model):
    """A personal link's secret. Only its hash is stored; the token itself goes out by email."""

    expert = models.ForeignKey(Expert, on_delete=models.CASCADE, related_name="tokens")
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    use_count = models.PositiveIntegerField(default=0)

    objects = InvitationTokenQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"token for {self.expert}"

    @staticmethod
    def new_secret() -> str:
        return secrets.token_urlsafe(TOKEN_BYTES)
