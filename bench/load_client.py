"""The load benchmark's client: simulated experts (and a coordinator) driving the real pages over HTTP.

One asyncio loop drives every simulated browser, so 200 experts cost one process and no threads.
The HTTP/1.1 client is deliberately tiny (a fresh connection per request, ``Connection: close``, as
gunicorn's sync workers close every connection anyway); it keeps cookies and sends Django's CSRF
token from the ``csrftoken`` cookie, as the pages' forms and htmx do.

Every request is recorded (what was sent, the status, the latency and when it ended) so that the
checks (``bench.load_check``) can compare what the client was told against what the database holds.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlencode

REQUEST_TIMEOUT = 60.0
_RADIO = re.compile(r'<input type="radio" name="(r-\d+-\d+)" value="([^"]+)"')
_FORM_ACTION = re.compile(r'<form id="round-form" method="post" action="(/e/round/[0-9a-f-]+/)"')
_SAVE_URL = re.compile(r'hx-post="(/e/round/[0-9a-f-]+/save/)"')


@dataclass
class Response:
    status: int
    headers: dict[str, list[str]]
    body: bytes

    def header(self, name: str) -> str:
        values = self.headers.get(name.lower(), [])
        return values[0] if values else ""

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")


@dataclass
class Record:
    """One request as the client saw it. ``answers`` maps a rating field to the value sent."""

    kind: str  # link, welcome, consent, form, autosave, form_save, submit, livez, login, close
    status: int  # 0: no answer (connection failed or timed out)
    started: float  # seconds since the run began
    latency: float
    expert_id: int | None = None
    answers: dict[str, str] = field(default_factory=dict)
    body: str = ""  # kept for refusals only, to check that they say why

    @property
    def ended(self) -> float:
        return self.started + self.latency


class Browser:
    """Cookies, CSRF and one connection per request to ``127.0.0.1:port``."""

    def __init__(self, host: str, port: int, recorder: Recorder) -> None:
        self.host, self.port = host, port
        self.cookies: dict[str, str] = {}
        self.recorder = recorder

    @property
    def csrf(self) -> str:
        return self.cookies.get("csrftoken", "")

    async def request(
        self, method: str, path: str, *, form: dict[str, str] | None = None, htmx: bool = False
    ) -> Response:
        origin = f"http://{self.host}:{self.port}"
        lines = [f"{method} {path} HTTP/1.1", f"Host: {self.host}:{self.port}", "Connection: close"]
        lines.append("User-Agent: coopsurvey-load")
        if self.cookies:
            lines.append("Cookie: " + "; ".join(f"{name}={value}" for name, value in self.cookies.items()))
        body = b""
        if method == "POST":
            body = urlencode(form or {}).encode()
            lines += [f"Origin: {origin}", f"Referer: {origin}{path}", f"X-CSRFToken: {self.csrf}"]
            lines += ["Content-Type: application/x-www-form-urlencoded", f"Content-Length: {len(body)}"]
        if htmx:
            lines += ["HX-Request: true", "Accept: */*"]
        reader, writer = await asyncio.open_connection(self.host, self.port)
        try:
            writer.write(("\r\n".join(lines) + "\r\n\r\n").encode() + body)
            raw = await reader.read()  # to EOF: the server closes after the response
        finally:
            writer.close()
        response = _parse(raw)
        self._keep_cookies(response)
        return response

    async def timed(self, kind: str, method: str, path: str, **kwargs: object) -> tuple[Response | None, Record]:
        """Send and record; a request without an answer is recorded with status 0, never raised."""
        start = time.perf_counter()
        response: Response | None = None
        try:
            response = await asyncio.wait_for(self.request(method, path, **kwargs), REQUEST_TIMEOUT)  # type: ignore[arg-type]
        except (TimeoutError, OSError, ValueError):
            response = None
        record = Record(
            kind=kind,
            status=response.status if response else 0,
            started=start - self.recorder.t0,
            latency=time.perf_counter() - start,
        )
        if response is not None and response.status >= 400:
            record.body = response.text[:2000]
        self.recorder.records.append(record)
        return response, record

    def _keep_cookies(self, response: Response) -> None:
        for cookie in response.headers.get("set-cookie", []):
            pair, _sep, attributes = cookie.partition(";")
            name, _eq, value = pair.strip().partition("=")
            expired = "max-age=0" in attributes.lower().replace(" ", "")
            if expired or not value.strip('"'):
                self.cookies.pop(name, None)
            else:
                self.cookies[name] = value


def _parse(raw: bytes) -> Response:
    head, _sep, body = raw.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    headers: dict[str, list[str]] = {}
    for line in lines[1:]:
        name, _colon, value = line.partition(":")
        headers.setdefault(name.strip().lower(), []).append(value.strip())
    if "chunked" in ",".join(headers.get("transfer-encoding", [])).lower():
        body = _dechunk(body)
    return Response(status=status, headers=headers, body=body)


def _dechunk(data: bytes) -> bytes:
    out, position = bytearray(), 0
    while True:
        line_end = data.index(b"\r\n", position)
        size = int(data[position:line_end].split(b";")[0], 16)
        if size == 0:
            return bytes(out)
        out += data[line_end + 2 : line_end + 2 + size]
        position = line_end + 2 + size + 2


@dataclass
class Recorder:
    t0: float = field(default_factory=time.perf_counter)
    records: list[Record] = field(default_factory=list)

    def now(self) -> float:
        return time.perf_counter() - self.t0


@dataclass(frozen=True)
class Behaviour:
    """How the simulated experts act; times in seconds since the run began."""

    think: float  # mean pause before each change; 0 = closed loop (the next request as soon as one ends)
    ramp: float  # experts arrive spread over this long
    stop_at: float  # nobody starts a request after this, once the round has closed (see ``closed``)
    no_js_every: int = 5  # every n-th expert saves with the plain form (no JavaScript) instead of autosave
    cannot_judge_share: float = 0.03
    seed: int = 1
    # Set once the coordinator's close has answered: until then experts keep working past ``stop_at``,
    # so that saves are in flight when the round closes even when a loaded machine delays the close.
    closed: asyncio.Event = field(default_factory=asyncio.Event)


@dataclass
class ExpertOutcome:
    expert_id: int
    fields: list[str] = field(default_factory=list)
    refused: bool = False  # stopped after a refusal (the round closed)
    error: str = ""


async def expert_session(
    browser: Browser,
    *,
    expert_id: int,
    secret: str,
    index: int,
    behaviour: Behaviour,
    arrived: Callable[[], None] = lambda: None,
) -> ExpertOutcome:
    """Open the link, consent, load the form, rate every item, submit, then keep revising until refused.

    ``arrived`` is called once the expert has the form (or has stopped before it), so the close can
    wait for every expert to be at work: on a loaded machine a late expert would otherwise find the
    round already closed, which is right but tests nothing.
    """
    outcome = ExpertOutcome(expert_id=expert_id)
    try:
        return await _expert_work(browser, outcome, secret=secret, index=index, behaviour=behaviour, arrived=arrived)
    finally:
        arrived()


async def _expert_work(
    browser: Browser,
    outcome: ExpertOutcome,
    *,
    secret: str,
    index: int,
    behaviour: Behaviour,
    arrived: Callable[[], None],
) -> ExpertOutcome:
    expert_id = outcome.expert_id
    rng = random.Random(behaviour.seed * 100_003 + index)
    recorder = browser.recorder
    await asyncio.sleep(rng.uniform(0, behaviour.ramp))

    async def step(kind: str, method: str, path: str, expect: int, **kwargs: object) -> Response | None:
        response, record = await browser.timed(kind, method, path, **kwargs)
        record.expert_id = expert_id
        if response is None or response.status != expect:
            outcome.error = f"{kind} {path.split('/')[1]}: {record.status}"
            return None
        return response

    if await step("link", "GET", f"/e/{secret}/", 302) is None:
        return outcome
    if await step("welcome", "GET", "/e/", 200) is None:
        return outcome
    consent = {"consent": "yes", "csrfmiddlewaretoken": browser.csrf}
    if await step("consent", "POST", "/e/consent/", 302, form=consent) is None:
        return outcome
    page = await step("form", "GET", "/e/round/", 200)
    if page is None:
        return outcome
    html = page.text
    options: dict[str, list[str]] = {}
    for name, value in _RADIO.findall(html):
        options.setdefault(name, []).append(value)
    post_url, save_url = _FORM_ACTION.search(html), _SAVE_URL.search(html)
    if not options or post_url is None or save_url is None:
        outcome.error = "form: no rating fields"
        return outcome
    outcome.fields = list(options)
    arrived()
    no_js = behaviour.no_js_every > 0 and index % behaviour.no_js_every == 0
    current: dict[str, str] = {}  # the values the server acknowledged
    pending = list(options)
    rng.shuffle(pending)
    submitted = False

    def choose(name: str) -> str:
        values = [value for value in options[name] if value != "cj"]
        if "cj" in options[name] and rng.random() < behaviour.cannot_judge_share:
            return "cj"
        return rng.choice(values)

    while True:
        if behaviour.think > 0:
            await asyncio.sleep(behaviour.think * rng.uniform(0.5, 1.5))
        if recorder.now() >= behaviour.stop_at and behaviour.closed.is_set():
            return outcome
        if not pending and not submitted:
            kind, answers, path, expect = "submit", dict(current), post_url.group(1), 302
            form = {**answers, "action": "submit", "csrfmiddlewaretoken": browser.csrf}
            htmx = False
        else:
            name = pending.pop() if pending else rng.choice(outcome.fields)
            value = choose(name)
            if no_js:
                kind, answers, path, expect = "form_save", {**current, name: value}, post_url.group(1), 302
                form = {**answers, "action": "save", "csrfmiddlewaretoken": browser.csrf}
                htmx = False
            else:
                kind, answers, path, expect = "autosave", {name: value}, save_url.group(1), 200
                form, htmx = {name: value}, True
        response, record = await browser.timed(kind, "POST", path, form=form, htmx=htmx)
        record.expert_id = expert_id
        record.answers = answers
        if response is None or response.status >= 500:
            outcome.error = f"{kind}: {record.status}"
            return outcome
        if response.status >= 400:
            outcome.refused = True  # the round closed (the checks look at the status and the wording)
            return outcome
        if response.status != expect:
            outcome.error = f"{kind}: unexpected {record.status}"
            return outcome
        current.update(answers)
        if kind == "submit":
            submitted = True
        if not htmx:  # the plain form answers with a redirect, which a browser follows
            await browser.timed("form" if kind == "form_save" else "thanks", "GET", response.header("location"))


async def coordinator_close(
    browser: Browser,
    *,
    username: str,
    password: str,
    close_path: str,
    close_at: float,
    everyone_arrived: asyncio.Event | None = None,
) -> Record | None:
    """Log in as the study's coordinator, wait until ``close_at`` (and until every expert has the form,
    when ``everyone_arrived`` is given), then close the round through its page."""
    recorder = browser.recorder
    await browser.timed("login", "GET", "/accounts/login/")
    form = {"username": username, "password": password, "csrfmiddlewaretoken": browser.csrf}
    response, _record = await browser.timed("login", "POST", "/accounts/login/", form=form)
    if response is None or response.status != 302:
        return None
    await asyncio.sleep(max(0.0, close_at - recorder.now()))
    if everyone_arrived is not None:
        await everyone_arrived.wait()
    await browser.timed("close", "GET", close_path)  # the confirmation page, as a person sees it
    _response, record = await browser.timed("close", "POST", close_path, form={"csrfmiddlewaretoken": browser.csrf})
    return record


async def probe(browser: Browser, *, path: str, every: float, until: asyncio.Event) -> None:
    """The trivial view at a steady rate while the experts work: its latency under the same load."""
    while not until.is_set():
        await browser.timed("livez", "GET", path)
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(until.wait(), every)


async def closed_loop(host: str, port: int, recorder: Recorder, *, path: str, clients: int, seconds: float) -> None:
    """``clients`` loops asking for ``path`` back to back for ``seconds``: the trivial view's capacity."""
    stop = recorder.now() + seconds

    async def loop() -> None:
        browser = Browser(host, port, recorder)
        while recorder.now() < stop:
            await browser.timed("livez_closed_loop", "GET", path)

    await asyncio.gather(*(loop() for _ in range(clients)))
