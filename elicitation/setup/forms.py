"""Forms of the coordinator's setup pages. They check types; the services check the domain and write."""

from __future__ import annotations

import copy
from typing import Any

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from elicitation.models import Area, ConsensusRule, Criterion, Expert, Study, StudyMember, WebhookEvent
from elicitation.setup.definition import MAX_DEFINITION_BYTES
from elicitation.setup.services.imports import MAX_IMPORT_BYTES
from elicitation.setup.services.studies import SETTINGS_FIELDS
from elicitation.setup.study_templates import available_templates


def language_name(code: str) -> str:
    return dict(settings.LANGUAGES).get(code, code)


class StudyCreateForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    template = forms.ChoiceField(label=_("Start from"), required=False, widget=forms.RadioSelect)
    question = forms.CharField(
        label=_("Question"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Leave empty to use the template's question."),
    )

    def __init__(self, *args: Any, language: str | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices: list[tuple[str, Any]] = [("", _("A blank study"))]
        for key, template in available_templates().items():
            text = template.localized(language)
            choices.append((key, f"{text['title']} — {text['description']}"))
        template_field = self.fields["template"]
        assert isinstance(template_field, forms.ChoiceField)
        template_field.choices = choices


class MemberAddForm(forms.Form):
    username = forms.CharField(label=_("User name"), max_length=150)
    role = forms.ChoiceField(label=_("Role"), choices=StudyMember.Role.choices, initial=StudyMember.Role.ANALYST)


class MemberRoleForm(forms.Form):
    role = forms.ChoiceField(label=_("Role"), choices=StudyMember.Role.choices)


class LinesField(forms.CharField):
    """A list of names, one per line."""

    widget = forms.Textarea(attrs={"rows": 4})

    def prepare_value(self, value: Any) -> Any:
        return "\n".join(value) if isinstance(value, list) else value

    def to_python(self, value: Any) -> list[str]:  # type: ignore[override]
        text = super().to_python(value) or ""
        return [line.strip() for line in text.splitlines() if line.strip()]


def reason_field() -> forms.CharField:
    """Why a planned setting changes after the analysis plan was frozen (required then, by the service)."""
    return forms.CharField(
        label=_("Reason for changing the analysis plan"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_(
            "Required once round 1 has opened and the analysis plan is frozen: the change becomes a new plan "
            "version, reported as a deviation with this reason."
        ),
    )


class StudySettingsForm(forms.ModelForm):
    languages = forms.MultipleChoiceField(
        label=_("Languages offered"), choices=settings.LANGUAGES, widget=forms.CheckboxSelectMultiple
    )
    blocs = LinesField(label=_("Blocs or country groups"), help_text=_("One per line."))
    sectors = LinesField(label=_("Sectors"), help_text=_("One per line."), required=False)
    min_group_size = forms.IntegerField(
        label=_("Minimum subgroup size k"),
        min_value=3,
        max_value=100,
        help_text=_("Subgroup feedback is shown only when every group shown has at least k experts (never below 3)."),
    )
    end_date = forms.DateTimeField(
        label=_("End date"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        help_text=_("Invitation links expire at this time."),
    )
    reason = reason_field()

    class Meta:
        model = Study
        # The service's list (translations are built from the per-language fields below).
        fields = [name for name in SETTINGS_FIELDS if name != "translations"]
        widgets = {
            "question": forms.Textarea(attrs={"rows": 2}),
            "introduction": forms.Textarea(attrs={"rows": 4}),
            "consent_text": forms.Textarea(attrs={"rows": 8}),
            "contact": forms.Textarea(attrs={"rows": 2}),
            "data_controller": forms.Textarea(attrs={"rows": 2}),
            "quantile_method": forms.RadioSelect,
            "anonymity": forms.RadioSelect,
            "mode": forms.RadioSelect,
            "feedback_timing": forms.RadioSelect,
        }

    # Fieldsets for the template: (legend, field names).
    groups = [
        (_("The study"), ["title", "question", "introduction", "end_date"]),
        (_("Information sheet and consent"), ["consent_text", "ethics_approval", "contact", "data_controller"]),
        (_("Emails"), ["sender_name", "contact_email"]),
        (_("Anonymity and feedback"), ["anonymity", "min_group_size", "feedback_timing", "feedback_by_bloc", "mode"]),
        (_("Statistics"), ["quantile_method"]),
        (_("Languages"), ["default_language", "languages"]),
        (_("Panel groups"), ["blocs", "sectors"]),
        (_("Rounds"), ["suggestions_enabled", "reminder_hours_before_deadline", "change_reason_threshold"]),
        (_("Personal links"), ["single_use_links"]),
        (
            _("Cooperation verdict thresholds"),
            ["benefit_threshold", "risk_low_threshold", "risk_safeguard_threshold", "risk_avoid_threshold"],
        ),
        (_("Analysis plan"), ["reason"]),
    ]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        study = self.instance
        self.translation_names = _translation_fields(self, study, STUDY_TEXT_FIELDS, study)
        self.group_names: list[tuple[str, str, str]] = []  # (field name, kind, language)
        translations = study.translations if isinstance(study.translations, dict) else {}
        for code, language in settings.LANGUAGES:
            if code == study.default_language:
                continue
            for kind, names, label in (
                ("bloc", study.blocs, _("Blocs or country groups")),
                ("sector", study.sectors, _("Sectors")),
            ):
                name = f"{kind}s_{code}"
                self.fields[name] = LinesField(
                    label=f"{label} ({language})",
                    required=False,
                    help_text=_("One per line, in the same order as above."),
                    initial=[translations.get(code, {}).get(f"{kind}:{group}", "") for group in names],
                )
                self.fields[name].widget.attrs["lang"] = code
                self.group_names.append((name, kind, code))

    def clean(self) -> dict[str, Any]:
        """The per-language fields become one ``translations`` value, as the service takes it."""
        cleaned = super().clean() or {}
        translations = collect_translations(cleaned, self.translation_names)
        for name in self.translation_names:
            cleaned.pop(name, None)
        for name, kind, code in self.group_names:
            lines = cleaned.pop(name, []) or []
            groups = cleaned.get(f"{kind}s") or []
            if lines and len(lines) != len(groups):
                self.add_error(
                    name,
                    _("Give one name per line for each of the %(n)d above, in the same order.") % {"n": len(groups)},
                )
                continue
            for group, text in zip(groups, lines, strict=False):
                translations.setdefault(code, {})[f"{kind}:{group}"] = text
        cleaned["translations"] = translations
        return cleaned

    def fieldsets(self) -> list[tuple[Any, list[forms.BoundField]]]:
        groups: list[tuple[Any, list[forms.BoundField]]] = [
            (legend, [self[name] for name in names]) for legend, names in self.groups
        ]
        for code, language in settings.LANGUAGES:
            names = [name for name in self.translation_names if name.endswith(f"_{code}")]
            names += [name for name, _kind, language_code in self.group_names if language_code == code]
            if names:
                groups.append((_("In %(language)s") % {"language": language}, [self[name] for name in names]))
        return groups


class RuleForm(forms.Form):
    max_iqr = forms.DecimalField(
        label=_("Interquartile range at most"), required=False, min_value=0, max_value=100, decimal_places=2
    )
    band = forms.ChoiceField(
        label=_("Band"), required=False, choices=[("", _("— no band —")), *ConsensusRule.Band.choices]
    )
    # Plain labels, not format strings: "% of" is not a conversion (msgfmt checks python-format entries).
    min_percent_in_band = forms.DecimalField(
        # xgettext:no-python-format
        label=_("At least this % of ratings in the band"),
        required=False,
        min_value=0,
        max_value=100,
        decimal_places=2,
    )
    max_percent_opposite_band = forms.DecimalField(
        # xgettext:no-python-format
        label=_("At most this % of ratings in the opposite band"),
        required=False,
        min_value=0,
        max_value=100,
        decimal_places=2,
        help_text=_("Optional; only for the lowest or highest band."),
    )
    max_cv = forms.DecimalField(
        label=_("Coefficient of variation at most"), required=False, min_value=0, max_value=10, decimal_places=3
    )
    min_cns = forms.DecimalField(
        label=_("Tastle–Wierman consensus (Cns) at least"),
        required=False,
        min_value=0,
        max_value=1,
        decimal_places=3,
    )
    require_rand_agreement = forms.BooleanField(
        label=_("Require agreement by the RAND/UCLA method (IPR ≤ IPRAS)"), required=False
    )
    inclusion = forms.ChoiceField(
        label=_("Whose answers count"),
        choices=ConsensusRule.Inclusion.choices,
        initial=ConsensusRule.Inclusion.SUBMITTED,
        required=False,  # left out: the service's default, submitted answers only
        widget=forms.RadioSelect,
        help_text=_("Frozen with the rule, like every part of it."),
    )
    divide_threshold = forms.DecimalField(
        label=_("Split along bloc lines when bloc medians differ by at least (scale points)"),
        required=False,  # left out: the service's default of 3 points
        min_value=0,
        max_value=100,
        decimal_places=2,
        initial=3,
    )
    reason = reason_field()

    # The parts a criterion kind may replace, each shown once per kind as "<kind>__<part>".
    OVERRIDE_PARTS = (
        "band", "min_percent_in_band", "max_percent_opposite_band", "max_iqr", "max_cv", "min_cns",
        "require_rand_agreement",
    )  # fmt: skip

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        initial = dict(kwargs.pop("initial", None) or {})
        for kind, parts in (initial.pop("parts_by_kind", None) or {}).items():
            for name, value in parts.items():
                initial[f"{kind}__{name}"] = value
        kwargs["initial"] = initial
        super().__init__(*args, **kwargs)
        for kind in Criterion.Kind.values:
            for name in self.OVERRIDE_PARTS:
                field = copy.deepcopy(self.base_fields[name])
                field.required = False
                field.help_text = ""
                self.fields[f"{kind}__{name}"] = field

    def kind_fieldsets(self) -> list[tuple[str, list[forms.BoundField], bool]]:
        """Per criterion kind: its label, its override fields, and whether any is filled in or has an error."""
        result = []
        for kind, label in Criterion.Kind.choices:
            fields = [self[f"{kind}__{name}"] for name in self.OVERRIDE_PARTS]
            used = any(field.errors or field.value() not in (None, "", False) for field in fields)
            result.append((str(label), fields, used))
        return result

    def service_parts(self) -> dict[str, Any]:
        """The cleaned data as ``rule_save`` takes it: overrides gathered per kind, empty kinds left out."""
        data = self.cleaned_data
        parts: dict[str, Any] = {name: data.get(name) for name in self.base_fields}
        by_kind: dict[str, dict[str, Any]] = {}
        for kind in Criterion.Kind.values:
            chosen = {
                name: data.get(f"{kind}__{name}")
                for name in self.OVERRIDE_PARTS
                if data.get(f"{kind}__{name}") not in (None, "", False)
            }
            if chosen:
                by_kind[kind] = chosen
        parts["parts_by_kind"] = by_kind
        return parts

    @staticmethod
    def field_for(service_field: str) -> str:
        """The form field showing a service error: ``parts_by_kind.risk.band`` is ``risk__band``."""
        pieces = service_field.split(".")
        if pieces[0] == "parts_by_kind" and len(pieces) == 3:
            return f"{pieces[1]}__{pieces[2]}"
        return service_field


STUDY_TEXT_FIELDS: list[tuple[str, Any, type[forms.Widget]]] = [
    ("title", _("Title"), forms.TextInput),
    ("question", _("Question"), forms.Textarea),
    ("introduction", _("Introduction"), forms.Textarea),
    ("consent_text", _("Information sheet and consent"), forms.Textarea),
    ("ethics_approval", _("Ethics approval"), forms.TextInput),
    ("contact", _("Contact"), forms.Textarea),
    ("data_controller", _("Data controller"), forms.Textarea),
]
# Longest text per key; the rest are titles and labels (200).
TEXT_LIMITS = {"description": 4000, "question": 4000, "introduction": 10000, "consent_text": 20000,
               "ethics_approval": 300, "contact": 2000, "data_controller": 2000}  # fmt: skip


def _translation_fields(
    form: forms.BaseForm, study: Study, keys: list[tuple[str, Any, type[forms.Widget]]], instance: Any
) -> list[str]:
    """Add a field per (text key, language other than the study's default); return their names."""
    names = []
    translations = getattr(instance, "translations", None) or {}
    for code, language in settings.LANGUAGES:
        if code == study.default_language:
            continue
        for key, label, widget in keys:
            name = f"{key}_{code}"
            form.fields[name] = forms.CharField(
                label=f"{label} ({language})",
                required=False,
                max_length=TEXT_LIMITS.get(key, 200),
                widget=widget(attrs={"lang": code, "rows": 3})
                if widget is forms.Textarea
                else widget(attrs={"lang": code}),
                initial=translations.get(code, {}).get(key, ""),
            )
            names.append(name)
    return names


def collect_translations(cleaned: dict[str, Any], names: list[str]) -> dict[str, dict[str, str]]:
    translations: dict[str, dict[str, str]] = {}
    for name in names:
        key, _sep, code = name.rpartition("_")
        if cleaned.get(name):
            translations.setdefault(code, {})[key] = cleaned[name]
    return translations


class LocalizedItemForm(forms.ModelForm):
    """An area or a criterion with its per-language texts; the service validates and saves."""

    translation_names: list[str]

    def validate_unique(self) -> None:
        """Uniqueness of codes is the service's job (it knows the study)."""

    def _post_clean(self) -> None:
        """Skip model validation and leave the instance untouched: the service checks scales and codes."""

    def translation_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.translation_names]

    def values(self) -> dict[str, Any]:
        data = {name: self.cleaned_data[name] for name in self._meta.fields or []}
        data["translations"] = collect_translations(self.cleaned_data, self.translation_names)
        return data


def leave_order_empty(form: forms.ModelForm) -> None:
    """A new item's order is left empty (the service puts it after the last); the model's 0 put it first."""
    form.fields["order"].required = False
    form.fields["order"].help_text = _("Leave empty to put it after the last one.")
    if form.instance.pk is None:
        form.fields["order"].initial = None


class AreaForm(LocalizedItemForm):
    class Meta:
        model = Area
        fields = ["code", "title", "description", "order", "is_active"]
        widgets = {"description": forms.Textarea(attrs={"rows": 4})}

    def __init__(self, *args: Any, study: Study, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        leave_order_empty(self)
        self.translation_names = _translation_fields(
            self,
            study,
            [("title", str(_("Title")), forms.TextInput), ("description", str(_("Description")), forms.Textarea)],
            kwargs.get("instance"),
        )


class CriterionForm(LocalizedItemForm):
    class Meta:
        model = Criterion
        fields = [
            "code",
            "title",
            "description",
            "kind",
            "scale_min",
            "scale_max",
            "label_min",
            "label_max",
            "allow_cannot_judge",
            "order",
            "is_active",
        ]
        widgets = {"description": forms.Textarea(attrs={"rows": 3}), "kind": forms.RadioSelect}
        labels = {"label_min": _("Label of the lowest value"), "label_max": _("Label of the highest value")}

    def __init__(self, *args: Any, study: Study, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        leave_order_empty(self)
        self.translation_names = _translation_fields(
            self,
            study,
            [
                ("title", str(_("Title")), forms.TextInput),
                ("description", str(_("Description")), forms.Textarea),
                ("label_min", str(_("Label of the lowest value")), forms.TextInput),
                ("label_max", str(_("Label of the highest value")), forms.TextInput),
            ],
            kwargs.get("instance"),
        )


class ExpertForm(forms.Form):
    email = forms.EmailField(label=_("Email"), max_length=254)
    name = forms.CharField(label=_("Name"), max_length=200, required=False)
    bloc = forms.ChoiceField(label=_("Bloc or country group"))
    sector = forms.ChoiceField(label=_("Sector"), required=False)
    language = forms.ChoiceField(label=_("Preferred language"))
    time_zone = forms.CharField(
        label=_("Time zone"), max_length=64, required=False, help_text=_("For example Europe/Berlin or Asia/Shanghai.")
    )

    def __init__(self, *args: Any, study: Study, expert: Expert | None = None, **kwargs: Any) -> None:
        if expert is not None:
            kwargs.setdefault(
                "initial",
                {
                    "email": expert.email,
                    "name": expert.name,
                    "bloc": expert.bloc,
                    "sector": expert.sector,
                    "language": expert.language,
                    "time_zone": expert.time_zone,
                    **{f"expertise_{code}": level for code, level in expert.expertise.items()},
                },
            )
        super().__init__(*args, **kwargs)
        self.choice_field("bloc").choices = [(b, b) for b in study.blocs]
        self.choice_field("sector").choices = [("", _("— none —")), *((s, s) for s in study.sectors)]
        self.choice_field("language").choices = [(code, language_name(code)) for code in study.languages]
        self.fields["name"].widget.attrs["dir"] = "auto"
        self.expertise_names: list[str] = []
        active_areas = list(study.areas.filter(is_active=True))
        active_codes = {area.code for area in active_areas}
        # Expertise for retired areas is kept as it is: the form shows only active areas.
        self.kept_expertise = {
            code: level for code, level in (expert.expertise if expert else {}).items() if code not in active_codes
        }
        for area in active_areas:
            name = f"expertise_{area.code}"
            self.fields[name] = forms.IntegerField(
                label=_("Self-rated expertise: %(area)s (1–5)") % {"area": area.title},
                min_value=1,
                max_value=5,
                required=False,
            )
            self.expertise_names.append(name)

    def choice_field(self, name: str) -> forms.ChoiceField:
        field = self.fields[name]
        assert isinstance(field, forms.ChoiceField)
        return field

    def expertise_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.expertise_names]

    def values(self) -> dict[str, Any]:
        data = {name: self.cleaned_data[name] for name in ("email", "name", "bloc", "sector", "language", "time_zone")}
        data["expertise"] = self.kept_expertise | {
            name.removeprefix("expertise_"): self.cleaned_data[name]
            for name in self.expertise_names
            if self.cleaned_data.get(name) is not None
        }
        return data


class ImportForm(forms.Form):
    file = forms.FileField(
        label=_("CSV file (UTF-8)"),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"}),
    )

    def read(self) -> bytes:
        upload = self.cleaned_data["file"]
        # Read one byte more than allowed, so the service can say "too large" without reading everything.
        return bytes(upload.read(MAX_IMPORT_BYTES + 1))


class DuplicateForm(forms.Form):
    title = forms.CharField(label=_("Title of the copy"), max_length=200)
    with_panel = forms.BooleanField(
        label=_("Copy the panel too"),
        required=False,
        help_text=_("Experts are copied as new panel members: they have not consented and have no link yet."),
    )


class TemplateSaveForm(forms.Form):
    title = forms.CharField(label=_("Template name"), max_length=200)
    description = forms.CharField(
        label=_("Description"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )


class TemplateStartForm(forms.Form):
    title = forms.CharField(label=_("Title of the new study"), max_length=200)


class DefinitionImportForm(forms.Form):
    file = forms.FileField(
        label=_("Study definition (study.json, UTF-8)"),
        widget=forms.ClearableFileInput(attrs={"accept": ".json,application/json"}),
    )
    title = forms.CharField(
        label=_("Title"), required=False, max_length=200, help_text=_("Leave empty to use the file's title.")
    )

    def read(self) -> bytes:
        # One byte more than allowed, so the check can say "too large" without reading everything.
        return bytes(self.cleaned_data["file"].read(MAX_DEFINITION_BYTES + 1))


class WebhookEndpointForm(forms.Form):
    url = forms.URLField(label=_("Address (URL)"), max_length=500, assume_scheme="https")
    events = forms.MultipleChoiceField(
        label=_("Events"), choices=WebhookEvent.choices, widget=forms.CheckboxSelectMultiple
    )


class WebhookActiveForm(forms.Form):
    active = forms.BooleanField(required=False)
