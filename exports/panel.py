"""Panel composition as counts, through disclosure control (``analysis.disclosure``).

The table publishes the total, the counts by bloc and by sector and the bloc-by-sector cells, so every
"total = sum of parts" it contains is a relation along which a withheld count could be derived:
primary suppression withholds counts from 1 to k - 1, complementary suppression what those relations
would otherwise give away (alone or pooled below k).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from analysis import disclosure
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
    withheld = disclosure.withheld(counts, _relations(all_blocs, all_sectors), k=k)
    for key, count in counts.items():
        grouping, bloc, sector = key
        hidden = key in withheld
        yield (grouping, neutralise(bloc), neutralise(sector), None if hidden else count, hidden)


def _relations(blocs: Sequence[str], sectors: Sequence[str]) -> list[tuple[Key, list[Key]]]:
    """The sums the table publishes: the total by bloc and by sector, each bloc by sector, each sector by bloc."""
    relations: list[tuple[Key, list[Key]]] = [
        (("total", "", ""), [("bloc", b, "") for b in blocs]),
        (("total", "", ""), [("sector", "", s) for s in sectors]),
    ]
    relations += [(("bloc", b, ""), [("bloc_sector", b, s) for s in sectors]) for b in blocs]
    relations += [(("sector", "", s), [("bloc_sector", b, s) for b in blocs]) for s in sectors]
    return relations


def _ordered(configured: list[str], observed: Iterable[str]) -> list[str]:
    extra = sorted(set(observed) - set(configured))
    return [*dict.fromkeys(configured), *extra]
