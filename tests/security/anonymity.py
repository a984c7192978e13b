"""A cast of experts with distinctive identities, and a scan of any text for what belongs to them.

``build_world`` sets up two studies. In study A one expert ("me") is logged in; everyone else (the other
experts of study A and all of study B) is an *other*: their names, organisations, emails, pseudonyms,
UUIDs, link secrets, hidden or suppressed rationales, suggestions and exact times are markers that must
never appear in what "me" can see. ``leaks`` names every marker found in a text.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from django.contrib.auth.models import User
from django.utils import timezone

from elicitation.models import (
    Area,
    AreaResponse,
    Criterion,
    Expert,
    Participation,
    Rating,
    Round,
    Study,
    Suggestion,
)
from elicitation.setup.services.tokens import token_issue
from tests.factories import make_round, make_study

K = 5
# Blocs of study A: one bloc of a single expert (below k), two of at least k.
BIG, MIDDLE, LONE = "Atlantis", "Borealis", "Cascadia"
# Every time stored for another expert: its date and time of day are markers.
OTHER_TIME = dt.datetime(2025, 2, 13, 3, 47, 29, 123456, tzinfo=dt.UTC)
# My own submission and answer times: shown at most to the day, never to the second.
OWN_TIME = dt.datetime(2025, 2, 14, 5, 21, 53, 654321, tzinfo=dt.UTC)
DEADLINE = dt.datetime(2031, 6, 30, 12, 0, tzinfo=dt.UTC)

SURNAMES = [
    "Quillfeather", "Marrowdale", "Thistlewood", "Okonkwo-Brandt", "Vantongeren", "Pemberhollow",
    "Zarkovian", "Ellingbrook", "Castellanox", "Huxtabright", "Murgatroyd", "Wexlerhaus",
    "Fennimorrow", "Grimsditch", "Yellowhammer", "Drakensberg", "Applethwaite", "Ravenscroft",
]  # fmt: skip
ORGANISATIONS = [
    "Brackenfell Institute", "Ostrakon Foundation", "Lumenwick Labs", "Thornbury Policy Forum",
    "Quasimodal Research", "Halcyonet University", "Verdigris Centre", "Ambergrist Council",
    "Solvay-Mirren Trust", "Kestrelhurst College", "Nimbostrate Group", "Pellucid Systems",
    "Orrery Analytics", "Wyvernmoor Academy", "Glimmerfen Observatory", "Tessellate Partners",
    "Cobaltine Society", "Larkspur Commons",
]  # fmt: skip


@dataclass
class Person:
    expert: Expert
    secret: str  # their personal link's token
    markers: dict[str, str] = field(default_factory=dict)  # what -> text


@dataclass
class World:
    study: Study
    other_study: Study
    me: Person
    others: list[Person]
    previous: Round  # round 1 of study A, closed, rated: the feedback source
    current: Round  # round 2 of study A, open
    other_round: Round  # study B's open round
    # Items of round 1 (area_id, criterion_id) with what feeds back from them.
    shown_item: tuple[int, int] = (0, 0)  # everyone rated it: n >= k; LONE < k, and MIDDLE withheld with it
    pair_item: tuple[int, int] = (0, 0)  # only me and one other rated it: n = 2 < k
    bloc_item: tuple[int, int] = (0, 0)  # rated by BIG and MIDDLE only: a breakdown by bloc is allowed
    visible_rationales: list[str] = field(default_factory=list)  # may be shown, never with their author
    shared_markers: dict[str, str] = field(default_factory=dict)  # free text that must never be shown

    def other_markers(self) -> dict[str, str]:
        found = dict(self.shared_markers)
        for person in self.others:
            found.update({f"{person.expert.pseudonym}/{what}": text for what, text in person.markers.items()})
        return found


def _person(expert: Expert, index: int, *, others_study: bool) -> Person:
    secret = token_issue(expert=expert)
    surname = SURNAMES[index % len(SURNAMES)] + ("-B" if others_study else "")
    organisation = ORGANISATIONS[index % len(ORGANISATIONS)]
    expert.name = f"Ysolde {surname} ({organisation})"
    expert.email = f"ysolde.{surname.lower()}@{organisation.split()[0].lower()}.example"
    expert.save()
    markers = {
        "name": expert.name,
        "surname": surname,
        "organisation": organisation,
        "email": expert.email,
        "email local part": expert.email.split("@")[0],
        "uuid": str(expert.uuid),
        "link secret": secret,
    }
    if not others_study:
        markers["pseudonym"] = expert.pseudonym  # study B's pseudonyms repeat study A's numbers
    return Person(expert=expert, secret=secret, markers=markers)


def _experts(study: Study, blocs: list[str], first_number: int) -> list[Expert]:
    return [
        Expert.objects.create(
            study=study,
            number=first_number + index * 7,  # E-31, E-38, ...: nothing else on a page reads like them
            email=f"placeholder{index}.{study.pk}@example.org",
            bloc=bloc,
            sector=study.sectors[index % len(study.sectors)],
            time_zone="Asia/Kolkata" if index % 2 else "America/Chicago",  # half-hour and whole-hour zones
        )
        for index, bloc in enumerate(blocs)
    ]


def _rate(round_: Round, expert: Expert, item: tuple[int, int], value: int) -> None:
    Rating.objects.create(round=round_, expert=expert, area_id=item[0], criterion_id=item[1], value=value)


def build_world(coordinator_a: User, coordinator_b: User) -> World:
    """Study A (k = 5): round 1 closed and rated, round 2 open; study B (real time) with its own panel."""
    study = make_study(coordinator=coordinator_a, title="Study A", blocs=[BIG, MIDDLE, LONE], min_group_size=K)
    blocs = [BIG] * 6 + [MIDDLE] * 5 + [LONE]
    experts = _experts(study, blocs, first_number=31)
    other_study = make_study(coordinator=coordinator_b, title="Study B", mode=Study.Mode.REALTIME)
    b_experts = _experts(other_study, ["China", "Europe"] * 3, first_number=31)

    me = _person(experts[0], 0, others_study=False)
    others = [_person(e, i, others_study=False) for i, e in enumerate(experts[1:], start=1)]
    others += [_person(e, i, others_study=True) for i, e in enumerate(b_experts, start=len(experts))]

    previous = make_round(study, number=1, status=Round.Status.CLOSED)
    areas = list(Area.objects.filter(study=study).order_by("order"))
    criteria = list(Criterion.objects.filter(study=study).order_by("order"))
    world = World(
        study=study,
        other_study=other_study,
        me=me,
        others=others,
        previous=previous,
        current=previous,
        other_round=previous,
        shown_item=(areas[0].pk, criteria[0].pk),
        pair_item=(areas[1].pk, criteria[0].pk),
        bloc_item=(areas[0].pk, criteria[1].pk),
    )
    for index, expert in enumerate(experts):
        _rate(previous, expert, world.shown_item, 2 + index % 7)
        if expert.bloc != LONE:
            _rate(previous, expert, world.bloc_item, 3 + index % 5)
    _rate(previous, experts[0], world.pair_item, 4)
    _rate(previous, experts[1], world.pair_item, 9)  # with n = 2, any statistic would give this away

    for index, person in enumerate(others[: len(experts) - 1]):
        expert = person.expert
        visible = f"Visible reason number {index} about verification, written by someone"
        hidden = f"Hidden reason {person.markers['surname']} wrote, naming their employer"
        AreaResponse.objects.create(round=previous, expert=expert, area=areas[0], rationale=visible)
        world.visible_rationales.append(visible)
        if index == 0:
            # Area 2 had only two raters: its reasons are suppressed, whoever wrote them.
            AreaResponse.objects.create(
                round=previous, expert=expert, area=areas[1], rationale="Suppressed reason of a pair of raters"
            )
            world.shared_markers["suppressed rationale"] = "Suppressed reason of a pair of raters"
        if index == 1:
            AreaResponse.objects.filter(round=previous, expert=expert, area=areas[0]).update(
                rationale=hidden, hidden_at=timezone.now()
            )
            world.visible_rationales.remove(visible)
            world.shared_markers["hidden rationale"] = hidden
        person.markers["suggestion"] = f"Suggested area from {person.markers['surname']}"
        Suggestion.objects.create(round=previous, expert=expert, text=person.markers["suggestion"])

    world.current = make_round(study, number=2, status=Round.Status.OPEN, deadline=DEADLINE)
    world.other_round = make_round(other_study, number=1, status=Round.Status.OPEN, deadline=DEADLINE)
    for person in others[len(experts) - 1 :]:
        AreaResponse.objects.create(
            round=world.other_round,
            expert=person.expert,
            area=other_study.areas.earliest("order"),
            rationale=f"Study B reason by {person.markers['surname']}",
        )
        person.markers["rationale"] = f"Study B reason by {person.markers['surname']}"
    for item in world.other_round.items.all()[:3]:
        for person in others[len(experts) - 1 :]:
            _rate(world.other_round, person.expert, (item.area_id, item.criterion_id), 6)

    _stamp_times(world)
    world.shared_markers["lone bloc"] = LONE
    return world


def _stamp_times(world: World) -> None:
    """Every time of the others at OTHER_TIME; my own submission and answers at OWN_TIME."""
    other_ids = [person.expert.pk for person in world.others]
    Participation.objects.filter(expert_id__in=other_ids).update(
        opened_at=OTHER_TIME, started_at=OTHER_TIME, submitted_at=OTHER_TIME, last_reminded_at=OTHER_TIME
    )
    Rating.objects.filter(expert_id__in=other_ids).update(updated_at=OTHER_TIME, created_at=OTHER_TIME)
    AreaResponse.objects.filter(expert_id__in=other_ids).update(updated_at=OTHER_TIME, created_at=OTHER_TIME)
    Suggestion.objects.filter(expert_id__in=other_ids).update(created_at=OTHER_TIME)
    Expert.objects.filter(pk__in=other_ids).update(consented_at=OTHER_TIME)
    Participation.objects.filter(expert=world.me.expert, round=world.previous).update(
        opened_at=OWN_TIME, started_at=OWN_TIME, submitted_at=OWN_TIME
    )
    Rating.objects.filter(expert=world.me.expert).update(updated_at=OWN_TIME, created_at=OWN_TIME)


def time_markers(moment: dt.datetime, label: str) -> dict[str, str]:
    """How a moment could be written: ISO dates and times, the time of day in a few zones, epoch seconds."""
    markers = {f"{label} epoch": str(int(moment.timestamp()))}
    for zone in ("UTC", "Asia/Kolkata", "America/Chicago"):
        local = timezone.localtime(moment, dt.UTC if zone == "UTC" else _zone(zone))
        markers[f"{label} time {zone}"] = local.strftime("%H:%M:%S")
        markers[f"{label} minutes {zone}"] = local.strftime(":%M:%S")
    return markers


def _zone(name: str) -> dt.tzinfo:
    import zoneinfo

    return zoneinfo.ZoneInfo(name)


# A time of day to the second, as ISO 8601 or a clock would write it.
SECONDS = re.compile(r"(?<!\d)\d{1,2}:\d{2}:\d{2}(?!\d)")


def leaks(text: str, markers: dict[str, str]) -> list[str]:
    """The markers found in ``text`` (case-insensitive), as "what: text"."""
    # Whole tokens only, ignoring case: "E-94" must not match inside a UUID such as "3017ceae-9430-...".
    return [
        f"{what}: {marker!r}"
        for what, marker in markers.items()
        if marker and re.search(rf"(?<![0-9A-Za-z]){re.escape(marker)}(?![0-9A-Za-z])", text, re.IGNORECASE)
    ]


def exact_times(text: str, allowed: tuple[dt.datetime, ...] = (DEADLINE,)) -> list[str]:
    """Times of day to the second in ``text`` other than those of public moments (the round's deadline)."""
    public = {
        timezone.localtime(moment, zone).strftime("%H:%M:%S")
        for moment in allowed
        for zone in (dt.UTC, _zone("Asia/Kolkata"), _zone("America/Chicago"))
    }
    return [found for found in SECONDS.findall(text) if found.zfill(8) not in public]
