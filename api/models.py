"""Personal API tokens of coordinators: only a SHA-256 hash and a short display prefix are stored."""

from __future__ import annotations

import hashlib
import secrets
import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

TOKEN_PREFIX = "cs_"  # noqa: S105 - a public marker, not a secret
PREFIX_LENGTH = 8  # random characters shown in lists so a person can tell their tokens apart
SECRET_BYTES = 32


def hash_api_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def new_api_token() -> tuple[str, str]:
    """A fresh token and its display prefix: ``cs_<8 chars>_<secret>``; the prefix is not secret."""
    visible = secrets.token_urlsafe(PREFIX_LENGTH)[:PREFIX_LENGTH].replace("-", "x").replace("_", "y")
    token = f"{TOKEN_PREFIX}{visible}_{secrets.token_urlsafe(SECRET_BYTES)}"
    return token, f"{TOKEN_PREFIX}{visible}"


class ApiToken(models.Model):
    """A coordinator's personal token for the REST API. The token itself is shown once and never stored."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(max_length=20)
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=~Q(name=""), name="api_token_name_not_empty"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None
