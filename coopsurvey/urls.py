from django.contrib import admin
from django.urls import include, path

from coopsurvey.health import healthz, livez
from coopsurvey.pages import accessibility

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("livez", livez, name="livez"),
    path("accessibility/", accessibility, name="accessibility"),
    path("admin/", admin.site.urls),
    path("accounts/", include("coopsurvey.accounts")),
    path("i18n/", include("django.conf.urls.i18n")),
    # REST API, API tokens and exports (issue 6).
    path("api/", include("api.urls")),
    path("account/", include("api.urls_account")),
    path("studies/", include("exports.urls")),
    path("", include("elicitation.urls")),
    # Coordinator dashboard (issue 6).
    path("studies/", include("aggregation.dashboard.urls")),
]

handler404 = "coopsurvey.errors.not_found"
handler500 = "coopsurvey.errors.server_error"
