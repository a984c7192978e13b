"""Account pages under /account/: personal API tokens."""

from django.urls import path

from api.views import tokens

urlpatterns = [
    path("tokens/", tokens.token_list, name="api-token-list"),
    path("tokens/<uuid:token_uuid>/revoke/", tokens.token_revoke, name="api-token-revoke"),
]
