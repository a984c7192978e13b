"""Forms of the export page: which table, format and rounds."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from core.access import member_can
from elicitation.models import Study
from exports.models import ExportJob
from exports.selectors import content_needs

STREAM_TABLES = [(value, label) for value, label in ExportJob.Table.choices if value != "all"]


class _RoundsMixin(forms.Form):
    rounds = forms.TypedMultipleChoiceField(
        label=_("Rounds (none chosen: every round)"), coerce=int, required=False, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args: Any, study: Study, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        numbers = study.rounds.order_by("number").values_list("number", flat=True)
        self.fields["rounds"].choices = [(n, _("Round %(number)d") % {"number": n}) for n in numbers]  # type: ignore[attr-defined]
        if "table" in self.fields and "format" in self.fields:
            # Only what the viewer's role may have (exports.selectors; docs/roles.md): an analyst is not
            # offered the unmoderated rationales, nor a default (a workbook of every table) that holds them.
            table, fmt = self.fields["table"], self.fields["format"]
            formats = [value for value, _label in fmt.choices]  # type: ignore[attr-defined]

            def allowed(name: str, file_format: str) -> bool:
                return member_can(study, content_needs(name, file_format))

            table.choices = [(v, label) for v, label in table.choices if any(allowed(v, f) for f in formats)]  # type: ignore[attr-defined]
            if fmt.initial and not allowed(table.initial, fmt.initial):
                fmt.initial = ExportJob.Format.BUNDLE  # the other file of every table, with the moderated copy


class DownloadForm(_RoundsMixin):
    table = forms.ChoiceField(label=_("Table"), choices=STREAM_TABLES)
    format = forms.ChoiceField(label=_("Format"), choices=[("csv", "CSV"), ("json", "JSON")])
    bom = forms.BooleanField(label=_("Add a byte order mark (for spreadsheet programs)"), required=False)


class JobForm(_RoundsMixin):
    # The defaults must be a combination the service accepts: every table holds only in a workbook or bundle.
    format = forms.ChoiceField(label=_("Format"), choices=ExportJob.Format.choices, initial=ExportJob.Format.XLSX)
    table = forms.ChoiceField(label=_("Table"), choices=ExportJob.Table.choices, initial=ExportJob.Table.ALL)
    bom = forms.BooleanField(label=_("Add a byte order mark to CSV files"), required=False)
