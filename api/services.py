"""Writes for API tokens: create (the secret is returned once) and revoke, both audited."""

from __future__ import annotations

from uuid import UUID

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from api.models import ApiToken, hash_api_token, new_api_token
from core.audit import audit
from core.errors import InvalidInput

MAX_ACTIVE_TOKENS = 20


@transaction.atomic
def api_token_create(*, user: AbstractBaseUser, name: str) -> tuple[ApiToken, str]:
    """Create a token for ``user``; returns the row and the secret, which is never stored in clear."""
    name = name.strip()
    if not name:
        raise InvalidInput(_("Give the token a name."), field_errors={"name": [_("This field is required.")]})
    if len(name) > 100:
        raise InvalidInput(_("The name is too long."), field_errors={"name": [_("At most 100 characters.")]})
    if ApiToken.objects.filter(user_id=user.pk, revoked_at__isnull=True).count() >= MAX_ACTIVE_TOKENS:
        raise InvalidInput(
            _("You have too many active tokens; revoke one first."),
            field_errors={"name": [_("At most %(count)d active tokens.") % {"count": MAX_ACTIVE_TOKENS}]},
        )
    secret, prefix = new_api_token()
    token = ApiToken.objects.create(user_id=user.pk, name=name, prefix=prefix, token_hash=hash_api_token(secret))
    audit(action="api_token.create", user=user, target=prefix, name=name, token=str(token.uuid))
    return token, secret


@transaction.atomic
def api_token_revoke(
    *, user: AbstractBaseUser, token_uuid: UUID | str, operator: AbstractBaseUser | None = None
) -> ApiToken:
    """Revoke one of ``user``'s tokens; another user's token is a 404. Revoking twice changes nothing.

    ``operator``: the staff member revoking someone else's token in the admin (a leaked token); the
    audit event names the operator as the actor and the owner in its detail.
    """
    token = ApiToken.objects.select_for_update().filter(user_id=user.pk, uuid=token_uuid).first()
    if token is None:
        raise Http404
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        by_operator = {"owner": user.pk} if operator is not None else {}
        audit(
            action="api_token.revoke",
            user=operator or user,
            target=token.prefix,
            name=token.name,
            token=str(token.uuid),
            **by_operator,
        )
    return token
