"""The export tables built straight from the ORM, by a different path than the exporters take."""

from __future__ import annotations

from typing import Any

import pandas as pd

from elicitation.models import AreaResponse, Participation, Rating, Study


def neutral(text: str) -> str:
    return "'" + text if text[:1] in {"=", "+", "-", "@", "\t", "\r"} else text


def expected_ratings(study: Study) -> pd.DataFrame:
    confidence = {
        (r.round_id, r.expert_id, r.area_id): r.confidence for r in AreaResponse.objects.filter(round__study=study)
    }
    submitted = set(
        Participation.objects.filter(round__study=study, submitted_at__isnull=False).values_list(
            "round_id", "expert_id"
        )
    )
    rows: list[dict[str, Any]] = []
    for r in Rating.objects.filter(round__study=study).select_related("round", "expert", "area", "criterion"):
        rows.append(
            {
                "study": str(study.uuid),
                "round": r.round.number,
                "area": r.area.code,
                "criterion": r.criterion.code,
                "pseudonym": r.expert.pseudonym,
                "bloc": neutral(r.expert.bloc),
                "sector": neutral(r.expert.sector),
                "value": r.value,
                "cannot_judge": r.cannot_judge,
                "submitted": (r.round_id, r.expert_id) in submitted,
                "confidence": confidence.get((r.round_id, r.expert_id, r.area_id)),
                "day": r.updated_at.date().isoformat(),
            }
        )
    return sorted_frame(pd.DataFrame(rows), ["round", "pseudonym", "area", "criterion"])


def expected_rationales(study: Study, *, include_hidden: bool) -> pd.DataFrame:
    rows = []
    responses = AreaResponse.objects.filter(round__study=study).exclude(rationale="")
    for r in responses.select_related("round", "expert", "area"):
        if r.hidden_at and not include_hidden:
            continue
        row = {
            "study": str(study.uuid),
            "round": r.round.number,
            "area": r.area.code,
            "pseudonym": r.expert.pseudonym,
            "rationale": neutral(r.rationale),
            "rationale_language": r.rationale_language,
            "translation": neutral(r.translation),
            "translation_language": r.translation_language,
        }
        if include_hidden:
            row["hidden"] = r.hidden_at is not None
        rows.append(row)
    return sorted_frame(pd.DataFrame(rows), ["round", "area", "pseudonym"])


def sorted_frame(frame: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    return frame.sort_values(keys).reset_index(drop=True)


def normalise(frame: pd.DataFrame, columns: list[str], keys: list[str]) -> pd.DataFrame:
    """Comparable form: the columns in order, numbers as nullable ints, days as text, sorted by keys."""
    out = frame[columns].copy()
    for column in ("round", "value", "confidence"):
        if column in out:
            out[column] = pd.array([None if pd.isna(v) else int(v) for v in out[column]], dtype="Int64")
    if "day" in out:
        out["day"] = [str(v)[:10] for v in out["day"]]
    for column in ("cannot_judge", "submitted", "hidden"):
        if column in out:
            out[column] = [bool(v) if not isinstance(v, str) else v == "True" for v in out[column]]
    text_columns = ("rationale", "rationale_language", "translation", "translation_language")
    for column in ("study", "area", "criterion", "pseudonym", "bloc", "sector", *text_columns):
        if column in out:
            out[column] = ["" if v is None or (isinstance(v, float) and pd.isna(v)) else str(v) for v in out[column]]
    return sorted_frame(out, keys)
