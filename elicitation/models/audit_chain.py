"""The audit log as a hash chain: the hash of each event and the check that finds tampering.

Each study's events form one chain (events without a study form one more). An event's hash
is SHA-256 over the previous event's hash and the event's canonical content (study, actors,
action, target, detail, time), so editing an event changes its hash, and removing or moving
one breaks the link the next event holds. The position number (``sequence``) is not hashed:
the order is the links, and the numbers only show where an event claims to stand.

No Django import: the migration that chains existing events and ``verify_audit`` use the
same two functions, and an auditor can run them on rows read any other way.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

GENESIS = "0" * 64
CONTENT_FIELDS = ("study_id", "actor_user_id", "actor_expert_id", "action", "target", "detail", "created_at")


def _plain(value: Any) -> Any:
    """JSON values as the database gives them back: a float with no fraction is stored as an integer."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def _timestamp(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def canonical_content(event: Mapping[str, Any]) -> bytes:
    """The event's content as one deterministic byte string (sorted keys, no spaces, UTC microseconds)."""
    content = {name: event[name] for name in CONTENT_FIELDS}
    content["created_at"] = _timestamp(event["created_at"])
    content["detail"] = _plain(event["detail"] or {})
    return json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def canonical_content_gaps(event: Mapping[str, Any], gaps: Sequence[int]) -> list[bytes]:
    """The canonical content of ``event`` cut where each of ``gaps`` (numbers of ``GAPS``) is written: the
    pieces around them, one more than the gaps. A gap stands for a whole number known only to the database
    (the save's count of changed ratings, the round's number): as a detail value, or as digits inside a
    string (``"round 7000…2"``), where digits need no escaping either. JSON writes an integer as its
    decimal digits, as PostgreSQL's ``bigint::text`` does, so the statement can hash the event without a
    second serialiser to keep in step with this one.

    ``pieces[0] + str(n0).encode() + pieces[1] + … == canonical_content(event with the numbers put in)``.
    Each gap must be written once, in the order given (the content's keys are sorted: ``detail`` comes
    before ``target``), and nothing else in the event may look like one.
    """
    content = canonical_content(event)
    pieces: list[bytes] = []
    for gap in gaps:
        marker = str(gap).encode()
        piece, found, content = content.partition(marker)
        if not found:
            raise ValueError("the event's content must hold each gap once, in the order given, and nothing like it")
        pieces.append(piece)
    pieces.append(content)
    if any(str(gap).encode() in piece for piece in pieces for gap in GAPS):
        raise ValueError("the event's content must hold each gap once, in the order given, and nothing like it")
    return pieces


_MARKER = 7 * 10**40 + 1  # far beyond any count, so never a real value
GAPS = (_MARKER, _MARKER + 1)  # as many as a statement fills in; the same length, so none holds another


def event_hash(previous_hash: str, event: Mapping[str, Any]) -> str:
    return hashlib.sha256(previous_hash.encode("ascii") + b"\n" + canonical_content(event)).hexdigest()


@dataclass(frozen=True)
class Finding:
    kind: str  # edited, removed, reordered, renumbered
    event_id: int
    sequence: int
    message: str


def _name(event: Mapping[str, Any]) -> str:
    return f"event {event['id']} (#{event['sequence']} {event['action']} at {_timestamp(event['created_at'])})"


def chain_findings(events: Iterable[Mapping[str, Any]]) -> list[Finding]:
    """Every place where one chain's events no longer match what was written.

    ``events`` are one chain's rows with ``id``, ``sequence``, ``previous_hash``, ``hash`` and the
    content fields. They are walked in the order they claim (sequence, then id); each finding names
    the event where the chain stops matching:

    - *edited*: the event's content no longer gives its stored hash;
    - *removed*: the event was chained after an event that is no longer there;
    - *reordered*: the event was chained after another event than the one it now follows;
    - *edited* (the event before): the link is broken but nothing is missing or moved, so the event
      before was rewritten together with its hash;
    - *renumbered*: the links hold but the position numbers jump.

    Removing the newest events leaves a shorter chain that is consistent: compare the head
    (``chain_head``) with one recorded earlier, e.g. in an export bundle.
    """
    rows = sorted(events, key=lambda e: (e["sequence"], e["id"]))
    by_hash = {row["hash"]: row for row in rows}
    findings: list[Finding] = []
    moved: set[int] = set()
    previous: Mapping[str, Any] | None = None
    for row in rows:
        here = _name(row)
        expected_link = previous["hash"] if previous is not None else GENESIS
        after = _name(previous) if previous is not None else "the start of the chain"
        if event_hash(row["previous_hash"], row) != row["hash"]:
            findings.append(
                Finding(
                    "edited", row["id"], row["sequence"], f"{here} was edited: its content no longer gives its hash"
                )
            )
        if row["previous_hash"] != expected_link:
            written_after = by_hash.get(row["previous_hash"])
            if written_after is not None and written_after["id"] in moved:
                pass  # it still follows the event it was written after, which moved: one move, one finding
            elif row["previous_hash"] == GENESIS or written_after is not None:
                moved.add(row["id"])
                origin = _name(written_after) if written_after is not None else "the start of the chain"
                findings.append(
                    Finding(
                        "reordered",
                        row["id"],
                        row["sequence"],
                        f"{here} was reordered: it was written after {origin} but now follows {after}",
                    )
                )
            elif previous is None or row["sequence"] > previous["sequence"] + 1:
                findings.append(
                    Finding(
                        "removed",
                        row["id"],
                        row["sequence"],
                        f"an event was removed before {here}: the event it was written after is missing "
                        f"(it now follows {after})",
                    )
                )
            else:
                assert previous is not None
                findings.append(
                    Finding(
                        "edited",
                        previous["id"],
                        previous["sequence"],
                        f"{_name(previous)} was edited and its hash rewritten: {here} was written after other content",
                    )
                )
        elif previous is not None and row["sequence"] != previous["sequence"] + 1:
            findings.append(
                Finding(
                    "renumbered",
                    row["id"],
                    row["sequence"],
                    f"{here} was renumbered: it follows #{previous['sequence']} in the chain",
                )
            )
        previous = row
    return findings


def chain_head(events: Iterable[Mapping[str, Any]]) -> tuple[int, str]:
    """The newest event's position and hash: (0, GENESIS) for an empty chain."""
    last = max(events, key=lambda e: (e["sequence"], e["id"]), default=None)
    return (last["sequence"], last["hash"]) if last is not None else (0, GENESIS)
