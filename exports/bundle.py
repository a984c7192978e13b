"""The reproducibility bundle: data, codebook, study configuration, software versions, and a script
that recomputes every stored result table from the ratings CSV and the analysis settings, and compares.

The ``analysis`` package ships whole and unchanged (the code the worker ran), so ``recompute.py`` runs
anywhere numpy, scipy and pandas are installed, without this application. ``study.json`` records each
round's analysis settings (``aggregation.plan.content_of_shown_run``: the plan content its shown
results were computed with).
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any, cast

from django.conf import settings
from django.utils import timezone

from aggregation.plan import content_of_shown_run
from elicitation.dashboard.accord import accord_items, accord_markdown
from elicitation.models import Study
from exports.agreement import previous_rounds
from exports.plan_tables import plan_json
from exports.tables import TABLE_NAMES, Scope, Table, build_table
from exports.version import software_versions
from exports.writers import write_codebook_csv, write_csv
from quantities.setup.definition import quantity_definition

# Every table but ``rationales``, whose hidden rationales stay with the coordinators: the moderated copy ships.
BUNDLE_TABLES = [name for name in TABLE_NAMES if name != "rationales"]
MANIFEST = "SHA256SUMS"
SCRIPT = Path(__file__).resolve().parent / "bundle_files" / "recompute.py"
README = Path(__file__).resolve().parent / "bundle_files" / "README.txt"
R_SCRIPT = Path(__file__).resolve().parent / "bundle_files" / "load.R"
ANALYSIS_DIR = Path(settings.BASE_DIR) / "analysis"


def bundle_tables(scope: Scope) -> list[Table]:
    return [build_table(name, scope) for name in BUNDLE_TABLES]


def write_bundle(path: Path, scope: Scope, *, progress: Callable[[int], None] | None = None) -> int:
    tables = bundle_tables(scope)
    written = 0
    digests: dict[str, str] = {}
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:

        def add(name: str, data: bytes) -> None:
            archive.writestr(name, data)
            digests[name] = hashlib.sha256(data).hexdigest()

        for table in tables:
            done_before = written

            def report(rows: int, base: int = done_before) -> None:
                if progress:
                    progress(base + rows)

            name = f"{table.name}.csv"
            with archive.open(name, "w", force_zip64=True) as member:
                out = HashingWriter(member)
                written += write_csv(cast(IO[bytes], out), table, progress=report)
            digests[name] = out.hexdigest()
        codebook = io.BytesIO()
        write_codebook_csv(codebook, tables)
        add("codebook.csv", codebook.getvalue())
        configuration = study_configuration(scope)
        add("study.json", (json.dumps(configuration, indent=2, ensure_ascii=False, default=str) + "\n").encode())
        plan = plan_json(scope)
        add("plan.json", (json.dumps(plan, indent=2, ensure_ascii=False, sort_keys=True) + "\n").encode())
        study_rounds = list(scope.study.rounds.order_by("number"))
        add("accord.md", accord_markdown(scope.study, accord_items(scope.study, study_rounds)).encode())
        add("recompute.py", SCRIPT.read_bytes())
        add("README.txt", README.read_bytes())
        add("load.R", R_SCRIPT.read_bytes())
        for source in analysis_sources():
            add(f"analysis/{source.relative_to(ANALYSIS_DIR).as_posix()}", source.read_bytes())
        archive.writestr(MANIFEST, manifest_text(digests))
    return written


def analysis_sources() -> list[Path]:
    """Every module of the analysis package, in path order (what ``code_version`` hashes)."""
    return sorted(ANALYSIS_DIR.rglob("*.py"), key=lambda p: p.as_posix())


class HashingWriter:
    """Passes bytes through to a file and keeps their SHA-256, so a streamed member is hashed as written."""

    def __init__(self, out: IO[bytes]) -> None:
        self._out = out
        self._hash = hashlib.sha256()

    def write(self, data: bytes) -> int:
        self._hash.update(data)
        return self._out.write(data)

    def hexdigest(self) -> str:
        return self._hash.hexdigest()


def manifest_text(digests: dict[str, str]) -> str:
    """``sha256sum`` format (``<hex>  <path>``), sorted by path: ``sha256sum -c SHA256SUMS`` checks the files."""
    return "".join(f"{digest}  {name}\n" for name, digest in sorted(digests.items()))


def study_configuration(scope: Scope) -> dict[str, Any]:
    """Everything needed to interpret and recompute the data; no coordinator or expert identity."""
    study: Study = scope.study
    rounds = study.rounds.filter(pk__in=scope.round_ids).select_related("study", "consensus_rule").order_by("number")
    previous = previous_rounds(list(study.rounds.values_list("number", flat=True)))
    return {
        "format_version": 1,
        "exported_at": timezone.now().isoformat(),
        "software": software_versions(),
        "study": {
            "uuid": str(study.uuid),
            "title": study.title,
            "question": study.question,
            "mode": study.mode,
            "anonymity": study.anonymity,
            "quantile_method": study.quantile_method,
            "quantile_method_meaning": Study.QuantileMethod(study.quantile_method).label,
            "sd_denominator": "n - 1",
            "cannot_judge": "excluded from n (available-case analysis per item)",
            "min_group_size": study.min_group_size,
            "feedback_timing": study.feedback_timing,
            "blocs": study.blocs,
            "sectors": study.sectors,
            "thresholds": {
                "benefit": study.benefit_threshold,
                "risk_low": study.risk_low_threshold,
                "risk_safeguard": study.risk_safeguard_threshold,
                "risk_avoid": study.risk_avoid_threshold,
            },
        },
        "areas": [
            {"code": a.code, "title": a.title, "description": a.description, "order": a.order, "active": a.is_active}
            for a in study.areas.order_by("order", "id")
        ],
        "criteria": [
            {
                "code": c.code,
                "kind": c.kind,
                "title": c.title,
                "scale_min": c.scale_min,
                "scale_max": c.scale_max,
                "label_min": c.label_min,
                "label_max": c.label_max,
                "allow_cannot_judge": c.allow_cannot_judge,
                "active": c.is_active,
            }
            for c in study.criteria.order_by("order", "id")
        ],
        "rounds": [
            {
                "number": r.number,
                "status": r.status,
                "opened_at": r.opened_at,
                "closed_at": r.closed_at,
                "deadline": r.deadline,
                "consensus_rule_version": r.consensus_rule.version if r.consensus_rule else None,
                "previous_round": previous.get(r.number),
                "ratings_exported": r.pk in scope.answer_round_ids,
                "analysis_settings": content_of_shown_run(r),
            }
            for r in rounds
        ],
        "consensus_rules": [
            {
                "version": rule.version,
                "frozen_at": rule.frozen_at,
                "max_iqr": rule.max_iqr,
                "band": rule.band,
                "min_percent_in_band": rule.min_percent_in_band,
                "max_percent_opposite_band": rule.max_percent_opposite_band,
                "max_cv": rule.max_cv,
                "min_cns": rule.min_cns,
                "require_rand_agreement": rule.require_rand_agreement,
                "parts_by_kind": rule.parts_by_kind,
                "parts_by_criterion": rule.parts_by_criterion,
                "inclusion": rule.inclusion,
                "divide_threshold": rule.divide_threshold,
            }
            for rule in study.consensus_rules.order_by("version")
        ],
        # The quantity questions as a definition file holds them (no true value: those are in quantity_questions.csv).
        **quantity_definition(study),
        "files": {
            "ratings.csv": "every rating, tidy long form",
            "rationales_moderated.csv": "rationales shown as feedback (hidden ones left out)",
            "panel.csv": "panel composition, counts with small cells suppressed",
            "aggregates.csv": "the group response per round and item",
            "results.csv": "the stored results of each round's latest completed aggregation run, panel and blocs",
            "areas.csv": "every area: code, current wording, order, the suggestions it was made from",
            "criteria.csv": "every criterion: code, kind, wording, scale and its labelled ends",
            "round_items.csv": "the items asked in each round, with the area's wording that round",
            "wording_changes.csv": "every rewording of an area: old and new wording, first round shown",
            "suggestions.csv": "the areas experts suggested, and the areas made from them",
            "participation.csv": "per round: experts invited, opened, started, submitted (small cells suppressed)",
            "participation_experts.csv": "per round and pseudonym: the furthest step reached",
            "load.R": "loads every table into R with its types and labels (base R only)",
            "audit.csv": "the study's audit log as a hash chain (each previous_hash is the hash of the row before)",
            "divides.csv": "how each item divides the blocs, the largest divide first",
            "verdicts.csv": "each area's cooperation verdict, for the panel and each bloc of at least k",
            "agreement.csv": "Kendall's W and Krippendorff's alpha per round and criterion",
            "stability.csv": "how each item's ratings moved since the round before, panel and blocs",
            "analysis/": "the analysis package the application computed with, unchanged (numpy, scipy, pandas)",
            "codebook.csv": "every column and code",
            "study.json": "this configuration: the study, its items, rounds, rules and each round's analysis settings",
            "README.txt": "the files of the bundle in short, and how to check them",
            "recompute.py": "recomputes every result table from ratings.csv and the settings here, and compares",
            "plan_versions.csv": "every version of the analysis plan, with its hash, status and reason",
            "deviations.csv": "every change of the analysis plan after it was frozen, one row per setting",
            "dissent.csv": "statements of principled dissent on an item or quantity question, under pseudonyms",
            "change_reasons.csv": "the reasons experts gave when a rating moved past the study's threshold",
            "quantity_questions.csv": "the quantity and probability questions, seeds marked, with their true values",
            "quantity_answers.csv": "every expert's answer to every quantity question, under pseudonyms",
            "quantity_pooled.csv": "the pooled distribution per question, panel and blocs, equal weights and Cooke",
            "quantity_performance.csv": "each expert's calibration, information and weights (classical model)",
            "plan.json": "the analysis plan in force (content, version, hash, frozen_at) and every version",
            "accord.md": "the ACCORD reporting checklist filled from the record; what the authors must add",
            MANIFEST: "the SHA-256 of every other file in the bundle",
        },
    }
