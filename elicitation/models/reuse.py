from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class SavedTemplate(models.Model):
    """A study's definition saved by a coordinator to start new studies from (docs/reuse.md).

    The definition is the portable format of ``elicitation.setup.definition``: settings, texts, items,
    translations and the consensus rule; never a panel, answers, links or results.
    """

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="saved_templates")
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    definition = models.JSONField(help_text=_("The study's definition, in the format of study.json."))
    source_title = models.CharField(max_length=200, blank=True, help_text=_("The study it was saved from."))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.title
