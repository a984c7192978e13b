import pytest
from django.db import transaction

from core.errors import RoundNotOpen
from elicitation.locks import lock_open_round, lock_round
from elicitation.models import Round
from tests.factories import make_round

pytestmark = pytest.mark.django_db


def test_lock_open_round_returns_the_open_round(study_a):
    round_ = make_round(study_a, status=Round.Status.OPEN)
    with transaction.atomic():
        assert lock_open_round(round_id=round_.pk) == round_


@pytest.mark.parametrize("status", [Round.Status.DRAFT, Round.Status.CLOSED])
def test_lock_open_round_refuses_a_round_that_is_not_open(study_a, status):
    round_ = make_round(study_a, status=status)
    with transaction.atomic(), pytest.raises(RoundNotOpen):
        lock_open_round(round_id=round_.pk)


@pytest.mark.django_db(transaction=True)
def test_lock_outside_a_transaction_is_a_programming_error(study_a):
    round_ = make_round(study_a)
    with pytest.raises(RuntimeError):
        lock_round(round_id=round_.pk)
