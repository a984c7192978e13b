"""Erase an expert's personal data on request, from the command line (see docs/operations.md)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from core.errors import ServiceError
from elicitation.models import Expert, Study
from elicitation.setup.services.erasure import expert_erase


class Command(BaseCommand):
    help = "Erase the personal data of the expert with this pseudonym (e.g. E-07) in this study; ratings are kept."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("study_uuid")
        parser.add_argument("pseudonym", help="The expert's pseudonym, such as E-07.")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            study = Study.objects.filter(uuid=options["study_uuid"]).first()
        except ValidationError:
            study = None
        if study is None:
            raise CommandError(f"No study with id {options['study_uuid']!r}.")
        number = _number(options["pseudonym"])
        expert = Expert.objects.filter(study=study, number=number).first() if number is not None else None
        if expert is None:
            raise CommandError(f"No expert {options['pseudonym']!r} in this study.")
        try:
            expert_erase(expert=expert, user=None)
        except ServiceError as exc:
            raise CommandError(exc.message) from None
        self.stdout.write(f"Erased the personal data of {expert.pseudonym}; the pseudonymous answers are kept.")


def _number(pseudonym: str) -> int | None:
    """E-07, e-7 or 7 → 7."""
    text = pseudonym.strip().upper().removeprefix("E-").removeprefix("E")
    return int(text) if text.isdigit() else None
