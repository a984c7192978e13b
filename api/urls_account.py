"""Account pages under /account/: personal API tokens."""

from django.urls import path

from api import views_tokens

urlpatterns = [
    path("tokens/", views_tokens.token_list, name="api-token-list"),
    path("tokens/<uuid:token_uuid>/revoke/", views_tokens.token_revoke, name="api-token-revoke"),
]
