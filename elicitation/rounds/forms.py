"""Forms of the coordinator's rounds pages. They parse input; the services decide."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.middleware import available_zones
from elicitation.models import Study
from elicitation.rounds.services.planning import DESCRIPTION_MAX_LENGTH, TITLE_MAX_LENGTH


class DeadlineForm(forms.Form):
    """A deadline typed in the coordinator's own time zone (chosen here and remembered for their pages)."""

    deadline = forms.DateTimeField(
        label=_("Deadline"),
        help_text=_("Date and time in the time zone below (%(zone)s)."),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    time_zone = forms.ChoiceField(label=_("Your time zone"), required=False)

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        zone_field = self.fields["time_zone"]
        assert isinstance(zone_field, forms.ChoiceField)
        zone_field.choices = [(name, name) for name in sorted(available_zones())]
        zone_field.initial = timezone.get_current_timezone_name()
        field = self.fields["deadline"]
        field.help_text = str(field.help_text) % {"zone": timezone.get_current_timezone_name()}
        described_by = "id_deadline_help"
        if self.is_bound and self.errors.get("deadline"):
            described_by += " id_deadline_errors"
            field.widget.attrs["aria-invalid"] = "true"
        field.widget.attrs.update({"aria-describedby": described_by, "required": True})

    def clean_deadline(self) -> object:
        deadline = self.cleaned_data["deadline"]
        if deadline <= timezone.now():
            raise forms.ValidationError(_("Choose a time in the future."))
        return deadline


class ItemsForm(forms.Form):
    """The (area, criterion) pairs to ask, posted as ``item=<area id>:<criterion id>`` checkboxes."""

    def __init__(self, data: object = None, *, allowed: set[tuple[int, int]]) -> None:
        super().__init__(data)  # type: ignore[arg-type]
        self.allowed = allowed

    def clean(self) -> dict[str, object]:
        cleaned = super().clean() or {}
        raw = self.data.getlist("item") if hasattr(self.data, "getlist") else []
        items: set[tuple[int, int]] = set()
        for value in raw:
            try:
                area_id, criterion_id = (int(part) for part in str(value).split(":", 1))
            except ValueError:
                raise forms.ValidationError(_("An item was not recognised."), code="invalid") from None
            if (area_id, criterion_id) not in self.allowed:
                raise forms.ValidationError(_("Choose only items of this study."), code="invalid")
            items.add((area_id, criterion_id))
        if not items:
            raise forms.ValidationError(_("Choose at least one item."), code="required")
        cleaned["items"] = items
        return cleaned


class AreaTextForm(forms.Form):
    """An area's title and description in the study's default language and in each other language it offers."""

    title = forms.CharField(label=_("Title"), max_length=TITLE_MAX_LENGTH)
    description = forms.CharField(
        label=_("Description"),
        required=False,
        max_length=DESCRIPTION_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args: Any, study: Study, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.other_languages = other_languages(study)
        for code, name in self.other_languages:
            self.fields[f"title_{code}"] = forms.CharField(
                label=f"{_('Title')} ({name})",
                required=False,
                max_length=TITLE_MAX_LENGTH,
                widget=forms.TextInput(attrs={"lang": code}),
            )
            self.fields[f"description_{code}"] = forms.CharField(
                label=f"{_('Description')} ({name})",
                required=False,
                max_length=DESCRIPTION_MAX_LENGTH,
                widget=forms.Textarea(attrs={"rows": 3, "lang": code}),
            )

    def translations(self) -> dict[str, dict[str, str]]:
        return {
            code: {"title": self.cleaned_data[f"title_{code}"], "description": self.cleaned_data[f"description_{code}"]}
            for code, _name in self.other_languages
        }


def other_languages(study: Study) -> list[tuple[str, str]]:
    """(code, name) of the languages the study offers besides its default, in the app's order."""
    offered = set(study.languages or [])
    return [
        (code, str(name)) for code, name in settings.LANGUAGES if code in offered and code != study.default_language
    ]


class AreaAddForm(AreaTextForm):
    suggestions = forms.TypedMultipleChoiceField(
        label=_("From suggestions"), required=False, coerce=int, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args: Any, study: Study, suggestion_choices: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, study=study, **kwargs)
        field = self.fields["suggestions"]
        assert isinstance(field, forms.TypedMultipleChoiceField)
        field.choices = suggestion_choices


class HideForm(forms.Form):
    reason = forms.CharField(label=_("Reason (kept in the audit trail)"), required=False, max_length=500)


class TranslationForm(forms.Form):
    """The coordinators' translation of a rationale; the service checks the language and the length."""

    translation = forms.CharField(label=_("Translation"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    language = forms.CharField(label=_("Into"), required=False, max_length=10)


class ScheduleForm(forms.Form):
    """When a draft round opens by itself, and its deadline, typed in the coordinator's own time zone.

    Its fields carry the prefix "schedule" (the round's page holds the deadline form too).
    """

    prefix = "schedule"

    opens_at = forms.DateTimeField(
        label=_("Opens at"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local", "required": True}, format="%Y-%m-%dT%H:%M"),
    )
    scheduled_deadline = forms.DateTimeField(
        label=_("Deadline"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local", "required": True}, format="%Y-%m-%dT%H:%M"),
    )
    time_zone = forms.ChoiceField(label=_("Your time zone"), required=False)

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        zone_field = self.fields["time_zone"]
        assert isinstance(zone_field, forms.ChoiceField)
        zone_field.choices = [(name, name) for name in sorted(available_zones())]
        zone_field.initial = timezone.get_current_timezone_name()
