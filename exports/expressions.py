"""Database expressions that give export cells their final form, so rows reach the writers as they are.

Doing the joins, pseudonyms and formula neutralisation in SQL leaves no per-row Python between the
database cursor and the CSV writer; that is what makes a million-row export fast. The expressions
use only portable ORM functions (PostgreSQL and SQLite alike) and match ``exports.cells.neutralise``,
which a test checks on every starting character.
"""

from __future__ import annotations

from django.db.models import CharField, F, Value
from django.db.models.expressions import Case, Combinable, When
from django.db.models.functions import Cast, Concat, Left
from django.db.models.lookups import In

from exports.cells import FORMULA_STARTS


def neutralised(field: str) -> Case:
    """The text of ``field`` with an apostrophe in front when it starts like a formula."""
    starts_like_formula = In(Left(F(field), 1), list(FORMULA_STARTS))  # one test per cell, not six LIKEs
    return Case(
        When(starts_like_formula, then=Concat(Value("'"), F(field), output_field=CharField())),
        default=F(field),
        output_field=CharField(),
    )


def pseudonym(number_field: str) -> Case:
    """E-01 … E-09, E-10, … E-100: the same text as ``Expert.pseudonym``."""
    number: Combinable = Cast(number_field, CharField())
    return Case(
        When(**{f"{number_field}__lt": 10}, then=Concat(Value("E-0"), number, output_field=CharField())),
        default=Concat(Value("E-"), number, output_field=CharField()),
        output_field=CharField(),
    )
