"""Values that pass the text checks but not the database's column limits: refused as problems, never a 500."""

from __future__ import annotations

import pytest

from core.errors import ImportFailed
from elicitation.models import Area, Criterion, Expert
from elicitation.setup.services.imports import experts_import, items_import

pytestmark = pytest.mark.django_db


def _problems(importer, study, user, data: bytes) -> list[tuple[int, str, str]]:
    with pytest.raises(ImportFailed) as caught:
        importer(study=study, user=user, data=data)
    return caught.value.problems


@pytest.mark.parametrize("order", ["-1", "2147483648", "99999999999999999999999"])
def test_an_order_outside_the_column_is_a_problem_of_its_cell(study_a, coordinator_a, order):
    data = f"type,code,title,kind,order\narea,new-area,New area,,{order}\ncriterion,C9,New,risk,{order}\n".encode()
    problems = _problems(items_import, study_a, coordinator_a, data)
    assert [(line, column) for line, column, _m in problems] == [(2, "order"), (3, "order")]
    assert not Area.objects.filter(code="new-area").exists()
    assert not Criterion.objects.filter(code="C9").exists()


def test_an_email_whose_lookup_key_grows_past_the_column_is_a_problem(study_a, coordinator_a):
    # NFKC turns the ligature "ﬃ" (one character) into "ffi" (three): 250 characters become 262.
    domain = "ﬃ" * 6 + ".example"
    email = "a" * (250 - len(domain) - 1) + "@" + domain
    assert len(email) == 250
    data = f"email,name,bloc,sector,language\n{email},A,China,,en\n".encode()
    problems = _problems(experts_import, study_a, coordinator_a, data)
    assert [(line, column) for line, column, _m in problems] == [(2, "email")]
    assert not Expert.objects.filter(name="A").exists()
