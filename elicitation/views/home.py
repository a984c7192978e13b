from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from elicitation.selectors import studies_for_coordinator


@login_required
def study_list(request: HttpRequest) -> HttpResponse:
    studies = studies_for_coordinator(request.user)
    return render(request, "elicitation/study_list.html", {"studies": studies})
