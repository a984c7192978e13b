"""Panel composition as counts, with small cells suppressed so no expert can be singled out.

Primary suppression: a count from 1 to k - 1 is withheld (k = the study's minimum group size).
Complementary suppression: the table publishes totals, so withheld counts could be recovered by
subtraction (bloc total minus the other cells of its row). For each relation "total = sum of
parts": when the total is shown, the withheld parts' sum is known, so while only one part is
withheld, or the withheld parts add up to fewer than k, the smallest other non-zero part is
withheld too (two withheld cells of one expert each would otherwise be known to be one each);
when the total is withheld and every part shown, the smallest non-zero part is withheld. This
repeats until no relation needs more; then no relation gives a withheld count, alone or pooled
below k.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from exports.cells import neutralise

Key = tuple[str, str, str]  # (grouping, bloc, sector)


def panel_rows(
    pairs: Iterable[tuple[str, str]], *, k: int, blocs: Sequence[str] = (), sectors: Sequence[str] = ()
) -> Iterator[tuple[Any, ...]]:
    """Rows (grouping, bloc, sector, experts, suppressed) for the (bloc, sector) pairs of the active experts."""
    cells = Counter(pairs)
    all_blocs = _ordered(list(blocs), (b for b, _ in cells))
    all_sectors = _ordered(list(sectors), (s for _, s in cells))
    counts: dict[Key, int] = {("total", "", ""): sum(cells.values())}
    for bloc in all_blocs:
        counts[("bloc", bloc, "")] = sum(n for (b, _), n in cells.items() if b == bloc)
    for sector in all_sectors:
        counts[("sector", "", sector)] = sum(n for (_, s), n in cells.items() if s == sector)
    for bloc in all_blocs:
        for sector in all_sectors:
            counts[("bloc_sector", bloc, sector)] = cells.get((bloc, sector), 0)
    withheld = suppressed_keys(counts, all_blocs, all_sectors, k=k)
    for key, count in counts.items():
        grouping, bloc, sector = key
        hidden = key in withheld
        yield (grouping, neutralise(bloc), neutralise(sector), None if hidden else count, hidden)


def suppressed_keys(counts: dict[Key, int], blocs: Sequence[str], sectors: Sequence[str], *, k: int) -> set[Key]:
    withheld = {key for key, count in counts.items() if 0 < count < k}
    relations: list[tuple[Key, list[Key]]] = [
        (("total", "", ""), [("bloc", b, "") for b in blocs]),
        (("total", "", ""), [("sector", "", s) for s in sectors]),
    ]
    relations += [(("bloc", b, ""), [("bloc_sector", b, s) for s in sectors]) for b in blocs]
    relations += [(("sector", "", s), [("bloc_sector", b, s) for b in blocs]) for s in sectors]
    changed = True
    while changed:
        changed = False
        for total, parts in relations:
            hidden_parts = [p for p in parts if p in withheld]
            if total in withheld:
                exposed = not hidden_parts  # the total is the sum of the shown parts
            else:
                pooled = sum(counts[p] for p in hidden_parts)
                exposed = len(hidden_parts) == 1 or (bool(hidden_parts) and pooled < k)
            if not exposed:
                continue
            candidates = [p for p in parts if p not in withheld and counts[p] > 0]
            if not candidates and total not in withheld:
                candidates = [total]
            if candidates:
                withheld.add(min(candidates, key=lambda m: (counts[m], m)))
                changed = True
    return withheld


def _ordered(configured: list[str], observed: Iterable[str]) -> list[str]:
    extra = sorted(set(observed) - set(configured))
    return [*dict.fromkeys(configured), *extra]
