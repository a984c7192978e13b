"""Saves beside the trivial view on the same server, interleaved: the autosave's throughput as a ratio of
``/livez``'s, measured in alternating windows so both see the same machine load.

Run by ``bench.load`` after its checks, in a second round of the same study (the first is closed by then):
``clients`` experts open their links and the form, then, ``windows`` times, all of them autosave back to
back (a random item, a random value) for ``seconds``, then all of them ask for ``/livez`` back to back for
``seconds``. Each pair of windows gives one ratio; the median and range are printed. ``/livez`` is asked
as a health probe asks for it, with no cookie: with the experts' session cookie the time-zone middleware
would read the session from the database, and the trivial view would no longer be trivial.
"""

from __future__ import annotations

import asyncio
import random
import statistics
from dataclasses import dataclass

from bench.load_client import _RADIO, _SAVE_URL, Browser, Recorder


@dataclass(frozen=True)
class RatioResult:
    saves_per_second: list[float]
    livez_per_second: list[float]
    refused_saves: int

    @property
    def ratios(self) -> list[float]:
        return [s / z for s, z in zip(self.saves_per_second, self.livez_per_second, strict=True) if z > 0]


async def _open(browser: Browser, secret: str) -> tuple[str, dict[str, list[str]]] | None:
    response, _record = await browser.timed("ratio_setup", "GET", f"/e/{secret}/")
    if response is None or response.status != 302:
        return None
    page, _record = await browser.timed("ratio_setup", "GET", "/e/round/")
    if page is None or page.status != 200:
        return None
    options: dict[str, list[str]] = {}
    for name, value in _RADIO.findall(page.text):
        options.setdefault(name, []).append(value)
    save_url = _SAVE_URL.search(page.text)
    return (save_url.group(1), options) if save_url and options else None


async def interleaved_ratio(
    host: str, port: int, *, secrets: list[str], windows: int, seconds: float, seed: int = 1
) -> RatioResult:
    recorder = Recorder()
    browsers = [Browser(host, port, recorder) for _ in secrets]
    opened = await asyncio.gather(*(_open(b, s) for b, s in zip(browsers, secrets, strict=True)))
    clients = [(b, o) for b, o in zip(browsers, opened, strict=True) if o is not None]
    if not clients:
        raise RuntimeError("no expert could open the second round's form")
    rng = random.Random(seed)
    saves, livez, refused = [], [], 0

    async def save_loop(browser: Browser, save_url: str, options: dict[str, list[str]], stop: float) -> int:
        nonlocal refused
        done = 0
        names = list(options)
        while recorder.now() < stop:
            name = rng.choice(names)
            form = {name: rng.choice(options[name])}
            response, _record = await browser.timed("ratio_save", "POST", save_url, form=form, htmx=True)
            if response is not None and response.status == 200:
                done += 1
            else:
                refused += 1
        return done

    async def livez_loop(browser: Browser, stop: float) -> int:
        done = 0
        while recorder.now() < stop:
            response, _record = await browser.timed("ratio_livez", "GET", "/livez")
            done += response is not None and response.status == 200
        return done

    for _window in range(windows):
        start = recorder.now()
        counts = await asyncio.gather(*(save_loop(b, url, opts, start + seconds) for b, (url, opts) in clients))
        saves.append(sum(counts) / (recorder.now() - start))
        start = recorder.now()
        probes = [Browser(host, port, recorder) for _ in clients]  # no cookie, as a health probe
        counts = await asyncio.gather(*(livez_loop(b, start + seconds) for b in probes))
        livez.append(sum(counts) / (recorder.now() - start))
    return RatioResult(saves_per_second=saves, livez_per_second=livez, refused_saves=refused)


def print_ratio(result: RatioResult) -> None:
    pairs = " ".join(f"{s:.0f}/{z:.0f}" for s, z in zip(result.saves_per_second, result.livez_per_second, strict=True))
    ratios = result.ratios
    print(f"interleaved windows (autosaves/s / livez/s): {pairs}; refused saves {result.refused_saves}")
    if ratios:
        print(
            f"ratio saves/livez: median {statistics.median(ratios):.3f} "
            f"(range {min(ratios):.3f}-{max(ratios):.3f}, {len(ratios)} pairs; target >= 0.2)"
        )
