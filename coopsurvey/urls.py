from django.contrib import admin
from django.urls import include, path

from coopsurvey.health import healthz

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("accounts/", include("django.contrib.auth.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    # REST API, API tokens and exports (issue 6).
    path("api/", include("api.urls")),
    path("account/", include("api.urls_account")),
    path("studies/", include("exports.urls")),
    path("", include("elicitation.urls")),
]
