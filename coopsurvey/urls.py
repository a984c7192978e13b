from django.contrib import admin
from django.urls import include, path

from api.urls import account_patterns
from coopsurvey.health import healthz, livez
from coopsurvey.pages import accessibility
from core.accounts import admin_login, admin_password_change

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("livez", livez, name="livez"),
    path("accessibility/", accessibility, name="accessibility"),
    # Before the admin's own URLs: its log-in and password pages, limited and audited like the site's.
    path("admin/login/", admin_login, name="admin-login"),
    path("admin/password_change/", admin_password_change, name="admin-password-change"),
    path("admin/", admin.site.urls),
    path("accounts/", include("core.accounts")),
    path("i18n/", include("django.conf.urls.i18n")),
    # REST API, API tokens and exports (issue 6).
    path("api/", include("api.urls")),
    path("account/", include(account_patterns)),
    path("studies/", include("exports.urls")),
    path("", include("quantities.urls")),  # quantity questions (issue 19), before elicitation's /e/<token>/
    path("", include("elicitation.urls")),
    # Coordinator dashboard (issue 6).
    path("studies/", include("elicitation.dashboard.urls")),
]

handler404 = "coopsurvey.errors.not_found"
handler500 = "coopsurvey.errors.server_error"
