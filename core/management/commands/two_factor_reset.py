"""Remove a coordinator's second factor (TOTP and recovery codes) when both are lost; audited."""

from __future__ import annotations

from typing import Any

from allauth.mfa.models import Authenticator
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from core.audit import audit


class Command(BaseCommand):
    help = "Remove a user's authenticator app and recovery codes, after checking who they are by other means."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--reason", required=True, help="Why, for the audit log (e.g. the ticket number).")

    def handle(self, *args: Any, **options: Any) -> None:
        user = get_user_model().objects.filter(username=options["username"]).first()
        if user is None:
            raise CommandError(f"No user named {options['username']!r}.")
        with transaction.atomic():
            kinds = sorted(Authenticator.objects.filter(user=user).values_list("type", flat=True))
            if not kinds:
                raise CommandError(f"{user.get_username()} has no second factor.")
            Authenticator.objects.filter(user=user).delete()
            audit(
                action="account.mfa_reset_by_operator",
                target=user.get_username(),
                kinds=kinds,
                reason=options["reason"],
            )
        self.stdout.write(f"Removed {', '.join(kinds)} of {user.get_username()}; they sign in with the password alone.")
