from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from core.access import studies_for_member


@login_required
@require_GET
def study_list(request: HttpRequest) -> HttpResponse:
    studies = studies_for_member(request.user)
    return render(request, "elicitation/study_list.html", {"studies": studies})
