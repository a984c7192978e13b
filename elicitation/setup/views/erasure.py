"""The coordinator's erasure of an expert's personal data: a confirmation page, then one POST."""

from __future__ import annotations

from uuid import UUID

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from core.access import study_for_coordinator
from core.errors import ServiceError
from elicitation.models import Expert, Study
from elicitation.setup.services.erasure import erasure_confirmed, expert_erase

TEMPLATE = "elicitation/setup/expert_erase.html"


class EraseForm(forms.Form):
    """Typing the pseudonym is the confirmation: a slip of the mouse cannot erase anyone.

    In strict anonymity the page shows no pseudonym (none is paired with a person), so the email address
    is typed instead.
    """

    pseudonym = forms.CharField(label=gettext_lazy("Type the pseudonym to confirm"), max_length=254, strip=True)

    def __init__(self, *args: object, expert: Expert, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.expert = expert
        self.strict = expert.study.anonymity == Study.Anonymity.STRICT
        if self.strict:
            self.fields["pseudonym"].label = _("Type the email address to confirm")

    def clean_pseudonym(self) -> str:
        given = str(self.cleaned_data["pseudonym"])
        if erasure_confirmed(self.expert, given):
            return given if self.strict else given.upper()
        if self.strict:
            raise forms.ValidationError(_("This is not the email address of the expert to erase."))
        raise forms.ValidationError(_("This is not the pseudonym of the expert to erase."))


@login_required
@require_http_methods(["GET", "POST"])
def expert_erase_confirm(request: HttpRequest, study_uuid: UUID, expert_uuid: UUID) -> HttpResponse:
    study = study_for_coordinator(request.user, study_uuid)
    expert = get_object_or_404(Expert, study=study, uuid=expert_uuid)
    context = {"study": study, "expert": expert}
    if expert.erased_at is not None:
        messages.info(request, _("%(p)s's personal data was already erased.") % {"p": expert.coordinator_label})
        return redirect("study-panel", study_uuid=study.uuid)
    form = EraseForm(request.POST or None, expert=expert)
    if request.method != "POST":
        return render(request, TEMPLATE, {**context, "form": form})
    if not form.is_valid():
        return render(request, TEMPLATE, {**context, "form": form}, status=400)
    assert isinstance(request.user, User)
    label = expert.coordinator_label  # before the name and address are gone
    try:
        expert_erase(expert=expert, user=request.user)
    except ServiceError as exc:
        form.add_error(None, exc.message)
        return render(request, TEMPLATE, {**context, "form": form}, status=exc.status_code)
    messages.success(request, _("%(p)s's personal data was erased; the pseudonymous answers are kept.") % {"p": label})
    return redirect("study-panel", study_uuid=study.uuid)
