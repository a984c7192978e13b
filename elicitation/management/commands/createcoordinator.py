"""Create a coordinator account: a user who can create studies and coordinates only their own."""

from __future__ import annotations

import getpass
import os
import sys
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.core.validators import validate_email


class Command(BaseCommand):
    help = "Create a coordinator. The password comes from an environment variable or is asked for (never an argument)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--email", default="")
        parser.add_argument(
            "--password-from-env",
            metavar="VAR",
            help="Read the password from this environment variable instead of asking for it.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        username: str = options["username"].strip()
        email: str = options["email"].strip()
        user_model = get_user_model()
        if not username:
            raise CommandError("Give a user name.")
        if user_model.objects.filter(username=username).exists():
            raise CommandError(f"A user named {username!r} already exists.")
        if email:
            try:
                validate_email(email)
            except ValidationError:
                raise CommandError(f"Not a valid email address: {email!r}") from None
        password = self._password(options.get("password_from_env"))
        candidate = user_model(username=username, email=email)
        try:
            validate_password(password, user=candidate)
        except ValidationError as exc:
            raise CommandError("Password refused: " + " ".join(exc.messages)) from None
        user_model.objects.create_user(username=username, email=email, password=password)
        self.stdout.write(f"Created coordinator {username!r}. They can log in and create studies.")

    def _password(self, variable: str | None) -> str:
        if variable:
            password = os.environ.get(variable)
            if not password:
                raise CommandError(f"The environment variable {variable} is not set or empty.")
            return password
        if not sys.stdin.isatty():
            raise CommandError("No terminal to ask for the password; use --password-from-env VAR.")
        first = getpass.getpass("Password: ")
        if first != getpass.getpass("Password (again): "):
            raise CommandError("The passwords differ.")
        return first
