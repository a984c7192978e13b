"""Forms of the coordinator's quantity pages. They check types; ``quantities.services`` checks the domain."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from elicitation.models import Area, Round, Study
from elicitation.setup.forms import LocalizedItemForm, _translation_fields
from quantities.models import QuantityFormat, QuantityQuestion


class QuestionForm(LocalizedItemForm):
    class Meta:
        model = QuantityQuestion
        fields = [
            "area", "code", "title", "description", "unit", "kind", "lower_bound", "upper_bound", "scale", "is_seed",
            "order", "is_active",
        ]  # fmt: skip
        widgets = {
            "description": forms.Textarea(attrs={"rows": 3}),
            "kind": forms.RadioSelect,
            "scale": forms.RadioSelect,
        }
        labels = {
            "is_seed": _("Seed (calibration) question"),
            "lower_bound": _("Lowest possible value"),
            "upper_bound": _("Highest possible value"),
            "scale": _("Background scale"),
        }
        help_texts = {
            "is_seed": _("Its true value will be known: it scores the experts. Experts are not told which these are."),
            "lower_bound": _("Optional; a probability is always between 0 and 1."),
        }

    def __init__(self, *args: Any, study: Study, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        area_field = self.fields["area"]
        assert isinstance(area_field, forms.ModelChoiceField)
        area_field.queryset = Area.objects.filter(study=study)
        self.fields["order"].required = False
        self.translation_names = _translation_fields(
            self,
            study,
            [
                ("title", str(_("Title")), forms.TextInput),
                ("description", str(_("Description")), forms.Textarea),
                ("unit", str(_("Unit")), forms.TextInput),
            ],
            kwargs.get("instance"),
        )


class PercentilesField(forms.CharField):
    """Percentiles typed as "5, 50, 95", kept as probability levels [0.05, 0.5, 0.95]."""

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, list):
            return ", ".join(f"{level * 100:g}" for level in value)
        return value

    def to_python(self, value: Any) -> list[float]:  # type: ignore[override]
        text = super().to_python(value) or ""
        try:
            return [float(part) / 100 for part in text.replace(";", ",").split(",") if part.strip()]
        except ValueError:
            raise forms.ValidationError(_("Write numbers separated by commas, e.g. 5, 50, 95.")) from None


class FormatForm(forms.ModelForm):
    quantiles = PercentilesField(
        label=_("Percentiles"),
        help_text=_("Asked for in the quantile format; IDEA answers are converted to them before pooling."),
    )

    class Meta:
        model = QuantityFormat
        fields = ["format", "quantiles", "overshoot"]
        widgets = {"format": forms.RadioSelect}
        labels = {"format": _("How experts answer"), "overshoot": _("Overshoot of the intrinsic range")}

    def _post_clean(self) -> None:
        """The service checks the levels and saves."""


class RealizationForm(forms.Form):
    realization = forms.FloatField(label=_("True value"), required=False)


class CaseImportForm(forms.Form):
    dtt = forms.FileField(label=_("Assessments (.dtt)"))
    rls = forms.FileField(label=_("Realizations (.rls)"))
    round: forms.ModelChoiceField[Round] = forms.ModelChoiceField(
        label=_("Round the answers belong to"), queryset=Round.objects.none()
    )
    area: forms.ModelChoiceField[Area] = forms.ModelChoiceField(
        label=_("Area the questions belong to"), queryset=Area.objects.none()
    )
    bloc = forms.ChoiceField(label=_("Bloc of the imported experts"))

    def __init__(self, *args: Any, study: Study, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        round_field, area_field, bloc_field = self.fields["round"], self.fields["area"], self.fields["bloc"]
        assert isinstance(round_field, forms.ModelChoiceField)
        assert isinstance(area_field, forms.ModelChoiceField)
        assert isinstance(bloc_field, forms.ChoiceField)
        round_field.queryset = Round.objects.filter(study=study)
        area_field.queryset = Area.objects.filter(study=study)
        bloc_field.choices = [(bloc, bloc) for bloc in study.blocs]
