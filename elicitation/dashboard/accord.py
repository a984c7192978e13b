"""The ACCORD checklist filled from the study's record, across all rounds.

ACCORD (ACcurate COnsensus Reporting Document; Gattrell et al. 2024, PLoS Med 21:e1004326) lists what a
report of a consensus study must say. Each topic below follows one of its items (or a few that the app
answers together); the app fills what it records and marks what only the authors can write. The report page
shows the table and the export bundle ships it as ``accord.md`` (docs/exports.md).

Counts of the panel go through disclosure control (``report.composition``), as on the report page.
Thirteen queries (seven when the report page passes what it has read), whatever the number of rounds, items or experts.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from aggregation.models import AggregationRun, ItemResult
from elicitation.dashboard import report, selectors
from elicitation.dashboard.plan_history import PlanEntry, change_words, plan_history
from elicitation.dashboard.words import quantile_method_in_words
from elicitation.models import AreaRevision, Criterion, Round, Study, Suggestion
from elicitation.setup.services.rules import rule_in_words

FILLED, PARTLY, AUTHORS = "filled", "partly", "authors"
STATUS_WORDS = {
    FILLED: gettext_lazy("Filled from the record"),
    PARTLY: gettext_lazy("Partly filled: the authors complete it"),
    AUTHORS: gettext_lazy("The authors must add it"),
}


@dataclass(frozen=True)
class AccordItem:
    section: str
    topic: str
    status: str
    text: str

    @property
    def status_words(self) -> str:
        return str(STATUS_WORDS[self.status])


def _rounds_text(rounds: Sequence[Round]) -> str:
    parts = []
    for r in rounds:
        opened = r.opened_at.date().isoformat() if r.opened_at else "—"
        closed = r.closed_at.date().isoformat() if r.closed_at else "—"
        parts.append(
            _("round %(n)d (%(status)s, %(opened)s to %(closed)s)")
            % {"n": r.number, "status": r.get_status_display(), "opened": opened, "closed": closed}
        )
    return "; ".join(parts)


def _join_sentences(*sentences: str) -> str:
    """Sentences one after the other: a space after a Latin full stop, none after a Chinese one (。)."""
    joined = ""
    for sentence in sentences:
        joined += ("" if not joined or joined.endswith("。") else " ") + sentence
    return joined


def accord_items(
    study: Study,
    rounds: Sequence[Round],
    *,
    history: Sequence[PlanEntry] | None = None,
    participation: Sequence[selectors.RoundParticipation] | None = None,
    composition: dict[str, Any] | None = None,
) -> list[AccordItem]:
    """Every ACCORD topic with what the app records about it (see the module docstring).

    The report page passes the plan history, participation and composition it has already read; without
    them, five more queries.
    """
    history = plan_history(study) if history is None else history
    participation = selectors.participation(study) if participation is None else participation
    composition = report.composition(study) if composition is None else composition
    asked = selectors.items_asked(study)
    reworded = dict(
        AreaRevision.objects.filter(area__study=study)
        .values("round_number")
        .annotate(n=Count("area_id", distinct=True))
        .values_list("round_number", "n")
        .order_by()
    )
    suggestions = Suggestion.objects.filter(round__study=study).aggregate(
        total=Count("id", distinct=True), adopted=Count("id", filter=Q(areas__isnull=False), distinct=True)
    )
    agreed = {
        row["round__number"]: row
        for row in ItemResult.objects.filter(round__study=study, run__is_current=True, group="")
        .values("round__number")
        .annotate(items=Count("id"), agreed=Count("id", filter=Q(consensus=True)))
        .order_by()
    }
    runs = {
        number: (version, sha, code)
        for number, version, sha, code in AggregationRun.objects.filter(round__study=study, is_current=True)
        .values_list("round__number", "plan_version", "plan_sha256", "code_version")
        .order_by()
    }
    scales = sorted(
        {(low, high) for low, high in Criterion.objects.filter(study=study).values_list("scale_min", "scale_max")}
    )
    rule = study.current_rule()
    current_plan = history[-1].plan if history else None
    method, results, other = _("Methods"), _("Results"), _("Other information")
    reworded_text = ", ".join(
        ngettext("%(areas)d area before round %(n)d", "%(areas)d areas before round %(n)d", count)
        % {"n": number, "areas": count}
        for number, count in sorted(reworded.items())
    )
    scales_text = ", ".join(f"{low}–{high}" for low, high in scales)
    items = [
        AccordItem(
            _("Title"),
            _("Name the consensus method"),
            PARTLY,
            ngettext("A Delphi study: %(mode)s, %(n)d round.", "A Delphi study: %(mode)s, %(n)d rounds.", len(rounds))
            % {"mode": study.get_mode_display(), "n": len(rounds)},
        ),
        AccordItem(_("Introduction"), _("Background and why a consensus method"), AUTHORS, ""),
        AccordItem(_("Introduction"), _("Aim"), PARTLY, _("The question asked: %(q)s") % {"q": study.question or "—"}),
        AccordItem(method, _("Registration"), AUTHORS, ""),
        AccordItem(
            method,
            _("Protocol, analysis plan and deviations"),
            FILLED,
            " ".join(f"{entry.words()} ({entry.plan.content_sha256[:12]})" for entry in history)
            or _("No analysis plan yet: it is frozen when round 1 opens."),
        ),
        AccordItem(method, _("Steering committee and facilitators"), AUTHORS, ""),
        AccordItem(method, _("Selection and eligibility of panellists"), AUTHORS, ""),
        AccordItem(method, _("Panel composition by bloc and sector"), FILLED, _composition_text(composition, study)),
        AccordItem(
            method,
            _("Recruitment and invitation"),
            PARTLY,
            "; ".join(
                _("round %(n)d: %(invited)d invited") % {"n": p.number, "invited": p.total.invited}
                for p in participation
            )
            or "—",
        ),
        AccordItem(method, _("Rounds"), FILLED, _rounds_text(rounds) or "—"),
        AccordItem(
            method,
            _("Items asked in each round"),
            FILLED,
            "; ".join(
                ngettext("round %(n)d: %(items)d item", "round %(n)d: %(items)d items", len(asked[number]))
                % {"n": number, "items": len(asked[number])}
                for number in sorted(asked)
            )
            or "—",
        ),
        AccordItem(
            method,
            _("Changes to items and their provenance"),
            FILLED,
            _join_sentences(
                _("Reworded areas: %(reworded)s.") % {"reworded": reworded_text or _("none")},
                ngettext(
                    "Suggestions from the panel: %(total)d, of which %(adopted)d became an area.",
                    "Suggestions from the panel: %(total)d, of which %(adopted)d became areas.",
                    suggestions["adopted"],
                )
                % {"total": suggestions["total"], "adopted": suggestions["adopted"]},
            ),
        ),
        AccordItem(method, _("Evidence and materials given to the panel"), AUTHORS, ""),
        AccordItem(
            method,
            _("Rating scale"),
            FILLED,
            scales_text + ". " + _("“Cannot judge” is allowed and left out of n."),
        ),
        AccordItem(method, _("Definition of consensus"), FILLED, rule_in_words(rule)),
        AccordItem(
            method,
            _("Feedback between rounds"),
            FILLED,
            study.get_feedback_timing_display()
            + ". "
            + (_("Bloc breakdown shown.") if study.feedback_by_bloc else _("No bloc breakdown.")),
        ),
        AccordItem(
            method,
            _("Anonymity"),
            FILLED,
            _("%(anonymity)s. Group results behind fewer than %(k)d experts are withheld.")
            % {"anonymity": study.get_anonymity_display(), "k": study.min_group_size},
        ),
        AccordItem(
            method,
            _("Stopping rule"),
            PARTLY,
            ngettext(
                "The app records no stopping rule; the study held %(n)d round. State the rule that ended it.",
                "The app records no stopping rule; the study held %(n)d rounds. State the rule that ended it.",
                len(rounds),
            )
            % {"n": len(rounds)},
        ),
        AccordItem(
            method,
            _("Analysis"),
            FILLED,
            quantile_method_in_words(study.quantile_method)
            + " "
            + _("Standard deviations use n − 1. Plan in force: version %(v)s (SHA-256 %(sha)s).")
            % {
                "v": current_plan.version if current_plan else "—",
                "sha": current_plan.content_sha256[:12] if current_plan else "—",
            },
        ),
        AccordItem(method, _("Pilot testing"), AUTHORS, ""),
        AccordItem(
            method,
            _("Ethics approval and consent"),
            PARTLY if study.ethics_approval else AUTHORS,
            study.ethics_approval,
        ),
        AccordItem(
            results,
            _("Response in each round"),
            FILLED,
            "; ".join(
                _("round %(n)d: %(invited)d invited, %(opened)d opened, %(submitted)d submitted")
                % {"n": p.number, "invited": p.total.invited, "opened": p.total.opened, "submitted": p.total.submitted}
                for p in participation
            )
            or "—",
        ),
        AccordItem(
            results,
            _("Outcome of each round"),
            FILLED,
            "; ".join(_round_outcome(number, agreed.get(number), runs.get(number)) for number in sorted(agreed)) or "—",
        ),
        AccordItem(
            results,
            _("Deviations from the plan"),
            FILLED,
            " ".join(
                entry.words() + " " + "; ".join(change_words(change) for change in entry.changes)
                for entry in history
                if entry.is_deviation
            )
            or _("None."),
        ),
        AccordItem(results, _("Final outcome and recommendations"), AUTHORS, ""),
        AccordItem(_("Discussion"), _("Strengths and limitations"), AUTHORS, ""),
        AccordItem(other, _("Funding"), AUTHORS, ""),
        AccordItem(other, _("Conflicts of interest"), AUTHORS, ""),
    ]
    return items


def _composition_text(composition: dict[str, Any], study: Study) -> str:
    k = study.min_group_size
    parts = []
    for name, count in [*composition["composition_blocs"], *composition["composition_sectors"]]:
        shown = _("fewer than %(k)d") % {"k": k} if count is None else str(count)
        parts.append(f"{name or _('(none)')}: {shown}")
    total = composition["panel_size"]
    size = _("fewer than %(k)d") % {"k": k} if total is None else str(total)
    return _("%(size)s active experts. %(groups)s") % {"size": size, "groups": "; ".join(parts)}


def _round_outcome(number: int, row: Mapping[str, Any] | None, run: tuple[int | None, str, str] | None) -> str:
    version = run[0] if run else None
    return _("round %(n)d: %(agreed)d of %(items)d items reached consensus (plan version %(v)s)") % {
        "n": number,
        "agreed": row["agreed"] if row else 0,
        "items": row["items"] if row else 0,
        "v": version if version is not None else "—",
    }


def accord_markdown(study: Study, items: Sequence[AccordItem]) -> str:
    """The checklist as a Markdown file for the bundle."""
    lines = [
        f"# {_('ACCORD checklist')}: {study.title}",
        "",
        _(
            "ACCORD: ACcurate COnsensus Reporting Document (Gattrell et al. 2024, PLoS Med 21:e1004326). "
            "Filled from the study's record; items marked for the authors must be added by them."
        ),
        "",
        f"| {_('Section')} | {_('Item')} | {_('Status')} | {_('What the record says')} |",
        "|---|---|---|---|",
    ]
    for item in items:
        text = (item.text or "").replace("|", "\\|").replace("\n", " ")
        lines.append(f"| {item.section} | {item.topic} | {item.status_words} | {text} |")
    return "\n".join(lines) + "\n"
