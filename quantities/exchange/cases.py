"""EXCALIBUR cases in and out: a ``.dtt``/``.rls`` pair imported as a study's questions and answers, and back.

So a study can be checked in ANDURYL or EXCALIBUR, and a published case (the TU Delft data base) can be
run in the app. The file formats are ``analysis.metrics.excalibur``'s. An import is all or nothing:
every problem is reported with its file, line and column, and nothing is written. Imported experts are
new panel members named by their EXCALIBUR id, with an address under the reserved ``.invalid`` domain
(nothing is ever sent there); their answers count as submitted in the chosen round. An export writes the
experts under their pseudonyms and IDEA answers at the study's quantiles (docs/quantities.md).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from aggregation.jobs import request_aggregation
from analysis.metrics.excalibur import (
    MAX_ITEM_ID,
    ExcaliburCase,
    ExcaliburFormatError,
    decode_case_file,
    read_excalibur,
    write_dtt,
    write_rls,
)
from analysis.metrics.idea import standardise_idea
from core.audit import audit
from core.errors import ImportFailed
from elicitation.models import Area, Expert, Participation, Round, Study
from elicitation.setup.services.imports import MAX_IMPORT_BYTES
from quantities.models import QuantityAnswer, QuantityAnswerRevision, QuantityFormat, QuantityQuestion
from quantities.services import format_of

User = AbstractBaseUser | AnonymousUser | None


@dataclass(frozen=True)
class CaseFiles:
    dtt: str
    rls: str


def _text(data: bytes, name: str) -> str:
    if len(data) > MAX_IMPORT_BYTES:
        message = _("The file is larger than %(n)d bytes.") % {"n": MAX_IMPORT_BYTES}
        raise ImportFailed(_("The case could not be imported."), problems=[(1, "", f"{name}: {message}")])
    return decode_case_file(data)


def _problem(error: ExcaliburFormatError) -> ImportFailed:
    column = str(error.column) if error.column else ""
    return ImportFailed(_("The case could not be imported."), problems=[(error.line or 1, column, str(error))])


def _codes(case: ExcaliburCase, study: Study) -> list[str]:
    taken = set(QuantityQuestion.objects.filter(study=study).values_list("code", flat=True))
    codes, problems = [], []
    for number, item in enumerate(case.items, start=1):
        code = slugify(item)[:40] or f"item-{number}"
        if code in taken or code in codes:
            code = f"{code[:34]}-{number}"
        if code in taken:
            message = _("Item “%(item)s” would repeat the question code %(code)s.") % {"item": item, "code": code}
            problems.append((number, "", f".rls: {message}"))
        codes.append(code)
    if problems:
        raise ImportFailed(_("The case could not be imported."), problems=problems)
    return codes


@transaction.atomic
def case_import(
    *, study: Study, round_: Round, area: Area, user: User, dtt: bytes, rls: bytes, bloc: str
) -> ExcaliburCase:
    """Import a case into ``round_``: its items as questions of ``area``, its experts and their answers."""
    try:
        case = read_excalibur(_text(dtt, ".dtt"), _text(rls, ".rls"))
    except ExcaliburFormatError as error:
        raise _problem(error) from None
    if area.study_id != study.pk or round_.study_id != study.pk or bloc not in study.blocs:
        raise ImportFailed(
            _("The case could not be imported."), problems=[(1, "", _("Choose this study's round, area and bloc."))]
        )
    form = format_of(study)
    levels = [float(level) for level in case.quantiles]
    answered = QuantityAnswer.objects.filter(question__study=study).exists()
    if answered and (form.format, [float(level) for level in form.quantiles]) != (
        QuantityFormat.Format.QUANTILES,
        levels,
    ):
        message = _("The study's experts already answer in another format; the case's percentiles cannot replace it.")
        raise ImportFailed(_("The case could not be imported."), problems=[(1, "", f".dtt: {message}")])
    form.format, form.quantiles = QuantityFormat.Format.QUANTILES, levels
    form.save()
    codes = _codes(case, study)
    start = (QuantityQuestion.objects.filter(study=study).aggregate(last=Max("order"))["last"] or 0) + 1
    questions = [
        QuantityQuestion.objects.create(
            study=study, area=area, code=code, title=(case.questions[j] or case.items[j])[:200],
            scale=case.background[j], lower_bound=0.0 if case.background[j] == "log" else None,
            is_seed=not math.isnan(case.realizations[j]),
            realization=None if math.isnan(case.realizations[j]) else float(case.realizations[j]),
            realization_entered_at=None if math.isnan(case.realizations[j]) else timezone.now(),
            order=start + j,
        )
        for j, code in enumerate(codes)
    ]  # fmt: skip
    experts = _new_experts(study, case.experts, bloc)
    now = timezone.now()
    answers, revisions = [], []
    for i, expert in enumerate(experts):
        for j, question in enumerate(questions):
            values = case.assessments[i, j]
            if np.isnan(values).any():
                continue
            record = [float(value) for value in values]
            answers.append(QuantityAnswer(round=round_, expert=expert, question=question, values=record))
            revisions.append(
                QuantityAnswerRevision(
                    round=round_,
                    expert=expert,
                    question=question,
                    old_value=None,
                    new_value={"values": record},
                    source="import",
                )
            )
    QuantityAnswer.objects.bulk_create(answers, batch_size=2000)
    QuantityAnswerRevision.objects.bulk_create(revisions, batch_size=2000)
    Participation.objects.bulk_create(
        Participation(round=round_, expert=expert, opened_at=now, started_at=now, submitted_at=now)
        for expert in experts
    )
    audit(
        action="quantity.case_imported", study=study, user=user, target=f"round {round_.number}",
        questions=len(questions), experts=len(experts), answers=len(answers),
    )  # fmt: skip
    if round_.status != Round.Status.DRAFT:
        request_aggregation(round_id=round_.pk, immediate=True)
    return case


def _new_experts(study: Study, ids: list[str], bloc: str) -> list[Expert]:
    number = (Expert.objects.filter(study=study).aggregate(last=Max("number"))["last"] or 0) + 1
    experts = []
    for offset, expert_id in enumerate(ids):
        slug = slugify(expert_id) or str(offset + 1)
        email = f"excalibur-{slug}-{number + offset}@study-{study.pk}.invalid"
        experts.append(
            Expert.objects.create(
                study=study, number=number + offset, email=email, name=f"EXCALIBUR {expert_id}"[:200], bloc=bloc
            )
        )
    return experts


def case_export(*, study: Study, round_: Round, user: User) -> CaseFiles:
    """The round's answers to the study's active questions as ``.dtt`` and ``.rls`` text (experts by pseudonym)."""
    form = format_of(study)
    levels = [float(level) for level in form.quantiles]
    questions = list(
        QuantityQuestion.objects.filter(study=study, is_active=True).order_by("area__order", "area_id", "order", "id")
    )
    answers = list(QuantityAnswer.objects.filter(round=round_, question__in=questions).select_related("expert"))
    experts = sorted({answer.expert for answer in answers}, key=lambda expert: expert.number)
    expert_index = {expert.pk: i for i, expert in enumerate(experts)}
    question_index = {question.pk: j for j, question in enumerate(questions)}
    values = np.full((len(experts), len(questions), len(levels)), np.nan)
    for answer in answers:
        question = questions[question_index[answer.question_id]]
        values[expert_index[answer.expert_id], question_index[answer.question_id]] = _at_levels(
            answer, question, levels
        )
    items = _item_ids(questions)
    case = ExcaliburCase(
        quantiles=levels,
        experts=[expert.pseudonym for expert in experts],
        items=items,
        background=["log" if question.scale == "log" else "uniform" for question in questions],
        assessments=values,
        realizations=np.array([np.nan if q.realization is None else q.realization for q in questions]),
        questions=[question.title.replace("\n", " ")[:80] for question in questions],
    )
    audit(action="quantity.case_exported", study=study, user=user, target=f"round {round_.number}")
    return CaseFiles(dtt=write_dtt(case), rls=write_rls(case))


def _at_levels(answer: QuantityAnswer, question: QuantityQuestion, levels: list[float]) -> list[float]:
    if answer.lowest is None:
        return list(answer.values)
    standardised = standardise_idea(
        answer.lowest, _number(answer.best), _number(answer.highest), _number(answer.confidence), levels,
        lower_bound=question.lower_bound, upper_bound=question.upper_bound,
        scale="log" if question.scale == "log" else "uniform", probability=question.is_probability,
    )  # fmt: skip
    return [float(value) for value in standardised]


def _number(value: float | None) -> float:
    return math.nan if value is None else value


def _item_ids(questions: list[QuantityQuestion]) -> list[str]:
    """Item ids of at most 14 characters, unique: the code, shortened with its position where needed."""
    ids: list[str] = []
    for number, question in enumerate(questions, start=1):
        item = question.code[:MAX_ITEM_ID]
        if item in ids:
            item = f"{question.code[: MAX_ITEM_ID - len(str(number)) - 1]}-{number}"
        ids.append(item)
    return ids
