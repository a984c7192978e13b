"""A study with two rounds of ratings, confidences and rationales (some hostile), for the export tests."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.utils import timezone

from elicitation.models import AreaResponse, Expert, Study
from tests.factories import make_round, rate_everything

HOSTILE = ['=HYPERLINK("http://x.example","click")', "+1 more", "-2 fewer", "@SUM(A1)", "\tindented", "\rreturn"]


@pytest.fixture(autouse=True)
def _eager_tasks_and_files(
    settings: object, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, eager_celery: None
) -> None:
    """Export jobs run in-process here (a test with a real worker sets that up itself); files go to tmp."""
    settings.EXPORTS_ROOT = tmp_path / "exports"  # type: ignore[attr-defined]
    monkeypatch.setenv("EXPORTS_ROOT", str(tmp_path / "exports"))  # for a worker process started by the test


def add_responses(study: Study) -> None:
    """Confidence for every expert and area; rationales with commas, quotes, line breaks and formulas."""
    experts = list(study.experts.order_by("number"))
    for round_ in study.rounds.order_by("number"):
        for e_index, expert in enumerate(experts):
            for a_index, area in enumerate(study.areas.order_by("order")):
                text = ""
                if (e_index + a_index) % 3 == 0:
                    text = HOSTILE[((e_index + a_index) // 3 + 2 * round_.number - 2) % len(HOSTILE)]
                elif (e_index + a_index) % 3 == 1:
                    text = f'Because "trust", mostly,\nand verification (point {e_index})'
                # Some rationales carry a coordinator's translation, one of them formula-like.
                translation = ""
                if text and a_index == 0:
                    translation = "=1+1 因为信任" if e_index % 2 else f"因为信任（第 {e_index} 点）"
                AreaResponse.objects.create(
                    round=round_,
                    expert=expert,
                    area=area,
                    confidence=1 + (e_index + a_index) % 5,
                    rationale=text,
                    rationale_language=expert.language if text else "",
                    translation=translation,
                    translation_language="zh-hans" if translation else "",
                    hidden_at=timezone.now() if e_index == 0 and text else None,
                )


@pytest.fixture
def rated_study(study_a: Study) -> Study:
    """Study A: round 1 closed and round 2 open, every item rated (some "cannot judge"), with responses."""
    Expert.objects.filter(study=study_a, number=3).update(bloc="=cmd|' /C calc'!A0", sector="@evil")
    first = make_round(study_a, status="closed")
    rate_everything(first, [7, 8, None, 6, 9, 5, 3])
    second = make_round(study_a, status="open")
    rate_everything(second, [7, 7, 8, 6, None, 9])
    # One expert saved every answer of round 2 but has not submitted: the ratings say so, results leave them out.
    second.participations.filter(expert__number=2).update(submitted_at=None)
    add_responses(study_a)
    return study_a
