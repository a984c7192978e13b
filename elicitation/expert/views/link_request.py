"""The public "request a new link" page: an expert gives their email address and gets a fresh link.

Every valid request gets the same page, whether or not the address is on a panel.
"""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods

from core.ratelimit import client_address, rate_limited
from elicitation.expert.services.link_requests import expert_link_request


class LinkRequestForm(forms.Form):
    email = forms.EmailField(label=_("Your email address"), max_length=254)


@rate_limited(scope="link_request", limit=settings.LINK_REQUEST_RATE_LIMIT, window_seconds=3600, methods=("POST",))
@require_http_methods(["GET", "POST"])
def link_request(request: HttpRequest) -> HttpResponse:
    form = LinkRequestForm(request.POST if request.method == "POST" else None)
    # No "no-referrer" policy here, unlike the link pages: there is no token in these URLs, and
    # browsers send "Origin: null" under that policy, which the CSRF check refuses.
    if request.method != "POST":
        return render(request, "elicitation/expert/link_request.html", {"form": form})
    if not form.is_valid():
        return render(request, "elicitation/expert/link_request.html", {"form": form}, status=400)
    expert_link_request(email=form.cleaned_data["email"], client=client_address(request))
    return render(request, "elicitation/expert/link_request_sent.html")
