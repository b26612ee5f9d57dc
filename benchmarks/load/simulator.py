"""Simulated candidates over HTTP (asyncio + aiohttp, one process, one shared connection pool).

Each candidate keeps its own Flask session cookie by hand (no cookie jar: it is cheaper, and
aiohttp's jar refuses cookies from an IP address anyway). Every acknowledged save is kept, with
the response it carried in the page's own ids, to be checked after the run (``verify.py``), and
so is every acknowledged event of the batches the page sends off the answer path
(``POST /thi/api/su-kien``, one batch every ``--event-every`` s).

Like the page, a candidate knows its questions only from the paper it receives: kinds, option
counts and the opaque part ids come from ``/thi/api/paper``, never from the database, so the
simulator follows whatever ids the paper carries. Every item kind is answered; a text answer
(short answer, numeric, a cloze text gap) carries a value unique to its save.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import random
import re
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import aiohttp

from .bench_db import Seat

CSRF = re.compile(rb'name="csrf-token" content="([^"]+)"')


@dataclass
class Stats:
    """Latencies (seconds) of the successful requests of a phase, and its failures by kind."""

    name: str
    latencies: list[float] = field(default_factory=list)
    finished: list[float] = field(default_factory=list)  # time.perf_counter() of each success
    errors: Counter[str] = field(default_factory=Counter)
    wall: float = 0.0  # the phase's own length, for rates
    unsent: int = 0  # paced saves still in a candidate's outbox when the phase ended
    server_cpu: float = 0.0  # CPU seconds the gunicorn workers used during the phase

    def ok(self, seconds: float) -> None:
        self.latencies.append(seconds)
        self.finished.append(time.perf_counter())

    def fail(self, kind: str) -> None:
        self.errors[kind] += 1


CHOICE_KINDS = ("single", "multiple")
# A value no two saves of a run share: text answers carry it, so a stored text names its save.
_UNIQUE = itertools.count(1)


@dataclass(frozen=True)
class Question:
    """One question as the paper shows it: its kind and the opaque ids of its parts."""

    kind: str
    choices: tuple[str, ...] = ()  # option ids (choice kinds) or the view's choice ids
    targets: tuple[str, ...] = ()  # matching
    gaps: tuple[tuple[str, tuple[str, ...] | None], ...] = ()  # cloze: (gap id, option ids)

    @classmethod
    def from_paper(cls, entry: dict[str, Any]) -> Question:
        kind = entry["type"]
        if kind in CHOICE_KINDS:
            return cls(kind, tuple(entry["option_ids"]))
        view = entry.get("view", {})
        return cls(kind, tuple(p["id"] for p in view.get("choices", ())),
                   tuple(p["id"] for p in view.get("targets", ())),
                   tuple((g["id"], tuple(o["id"] for o in g["options"]) if "options" in g
                          else None) for g in view.get("gaps", ())))


def random_response(question: Question, rng: random.Random) -> Any:
    """A response in the page's shape and ids (choice kinds: the ticked ids)."""
    kind, choices = question.kind, list(question.choices)
    if kind == "single":
        return [rng.choice(choices)]
    if kind == "multiple":
        return rng.sample(choices, rng.randint(1, len(choices)))
    if kind == "true_false4":
        return {part: rng.random() < 0.5 for part in choices}
    if kind == "matching":
        return dict(zip(choices, rng.sample(question.targets, len(question.targets)),
                        strict=False))
    if kind == "ordering":
        return rng.sample(choices, len(choices))
    if kind == "short_answer":
        return f"u{next(_UNIQUE)}"
    if kind == "numeric":
        return f"{next(_UNIQUE)},5"  # the decimal comma, as Vietnamese candidates type it
    if kind == "cloze":
        return {gap: rng.choice(options) if options else f"u{next(_UNIQUE)}"
                for gap, options in question.gaps}
    raise ValueError(f"the paper holds a kind this simulator does not know: {kind!r}")


@dataclass
class Ack:
    """An acknowledged save: what was sent (in the page's ids) and whether it was planted."""

    position: int
    seq: int
    response: Any
    planted_drop: bool = False
    ms_on_item: int | None = None  # the page's time on the question sent with the save


@dataclass(frozen=True)
class EventAck:
    """An acknowledged event: its per-attempt seq, kind and the client's time (epoch ms)."""

    seq: int
    kind: str
    at_ms: int
    planted_drop: bool = False


@dataclass
class Candidate:
    seat: Seat
    cookie: str | None = None
    token: str = ""
    questions: list[Question] = field(default_factory=list)
    seq: list[int] = field(default_factory=list)
    acks: list[Ack] = field(default_factory=list)
    ready: bool = False  # logged in, started, paper loaded
    drop_every: int = 0  # self-check: mark every n-th save (and batch) for dropping_app
    sent: int = 0
    event_seq: int = 0  # the page's per-attempt event counter
    event_outbox: list[dict[str, Any]] = field(default_factory=list)  # sent, not yet acked
    event_acks: list[EventAck] = field(default_factory=list)
    batches_sent: int = 0


class HttpError(Exception):
    def __init__(self, kind: str) -> None:
        super().__init__(kind)
        self.kind = kind


class Client:
    """The shared aiohttp session; requests carry the candidate's own cookie."""

    def __init__(self, base: str, connections: int) -> None:
        self.base = base
        self.http = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=connections, limit_per_host=connections),
            cookie_jar=aiohttp.DummyCookieJar(),
            timeout=aiohttp.ClientTimeout(total=600, sock_connect=30, sock_read=120))

    async def close(self) -> None:
        await self.http.close()

    async def call(self, candidate: Candidate | None, method: str, path: str, *,
                   expect: int, **kwargs: Any) -> bytes:
        headers = kwargs.pop("headers", {})
        if candidate is not None and candidate.cookie:
            headers["Cookie"] = f"session={candidate.cookie}"
        try:
            async with self.http.request(method, self.base + path, headers=headers,
                                         allow_redirects=False, **kwargs) as response:
                body = await response.read()
                if candidate is not None and "session" in response.cookies:
                    candidate.cookie = response.cookies["session"].value or None
                if response.status != expect:
                    raise HttpError(f"HTTP {response.status}")
                return body
        except (TimeoutError, aiohttp.ClientError) as error:
            raise HttpError(type(error).__name__) from None


def _token(body: bytes) -> str:
    found = CSRF.search(body)
    if found is None:
        raise HttpError("no csrf token")
    return found.group(1).decode()


async def login(client: Client, candidate: Candidate, stats: Stats, released: float) -> None:
    """GET the login page, POST the số báo danh + personal code, GET /thi/ for the token."""
    try:
        token = _token(await client.call(candidate, "GET", "/thi/dang-nhap", expect=200))
        await client.call(candidate, "POST", "/thi/dang-nhap", expect=302, data={
            "candidate_number": candidate.seat.candidate_number,
            "login_code": candidate.seat.login_code, "csrf_token": token})
        candidate.token = _token(await client.call(candidate, "GET", "/thi/", expect=200))
    except HttpError as error:
        stats.fail(error.kind)
        return
    stats.ok(time.perf_counter() - released)


async def start(client: Client, candidate: Candidate, stats: Stats, released: float) -> None:
    if not candidate.token:
        return
    try:
        await client.call(candidate, "POST", "/thi/bat-dau", expect=302,
                          data={"csrf_token": candidate.token})
    except HttpError as error:
        stats.fail(error.kind)
        return
    stats.ok(time.perf_counter() - released)


async def load_paper(client: Client, candidate: Candidate, stats: Stats) -> None:
    if not candidate.token:
        return
    began = time.perf_counter()
    try:
        paper = await client.call(candidate, "GET", "/thi/api/paper", expect=200)
    except HttpError as error:
        stats.fail(error.kind)
        return
    questions = json.loads(paper)["questions"]
    candidate.questions = [Question.from_paper(q) for q in questions]
    candidate.seq = [q["seq"] for q in questions]
    candidate.ready = True
    stats.ok(time.perf_counter() - began)


def _body(position: int, response: Any, seq: int,
          ms_on_item: int | None = None) -> dict[str, Any]:
    """The save as exam.js sends it: every kind, choice included, as its ``response`` in the
    paper's opaque ids (the page sent a choice's shown positions, ``selected``, until
    2026-12-05; the server still takes both), with the time spent on the question so far
    (``ms_on_item``, for the response log; issue 11)."""
    body = {"position": position, "response": response, "flagged": False, "seq": seq}
    if ms_on_item is not None:
        body["ms_on_item"] = ms_on_item
    return body


def _acknowledged(body: bytes, position: int, seq: int) -> bool:
    """The server's JSON says this very save is stored (not merely some bytes in the body)."""
    try:
        ack = json.loads(body)
    except ValueError:
        return False
    return (isinstance(ack, dict) and ack.get("ok") is True and ack.get("position") == position
            and ack.get("seq") == seq)


async def save(client: Client, candidate: Candidate, stats: Stats, rng: random.Random,
               since: float | None = None) -> None:
    """One autosave of a random question with the next seq; an ack is remembered.

    Latency runs from `since` (when the answer changed, time.perf_counter()) if given.
    """
    position = rng.randrange(len(candidate.questions))
    question = candidate.questions[position]
    response = random_response(question, rng)
    candidate.seq[position] += 1
    seq = candidate.seq[position]
    ms_on_item = rng.randrange(1_000, 600_000)
    payload = _body(position, response, seq, ms_on_item)
    candidate.sent += 1
    planted = bool(candidate.drop_every) and candidate.sent % candidate.drop_every == 0
    if planted:
        payload["bench_drop"] = True  # dropping_app acknowledges it and never stores it
    began = time.perf_counter() if since is None else since
    try:
        body = await client.call(candidate, "POST", "/thi/api/answers", expect=200,
                                 json=payload, headers={"X-CSRFToken": candidate.token})
    except HttpError as error:
        stats.fail(error.kind)
        return
    stats.ok(time.perf_counter() - began)
    if _acknowledged(body, position, seq):
        candidate.acks.append(Ack(position, seq, response, planted, ms_on_item))
    else:
        stats.fail("200 without this save's ack")


async def paced_saves(client: Client, candidate: Candidate, stats: Stats, *, every: float,
                      until: float, rng: random.Random) -> None:
    """The candidate changes an answer every `every` s (±20 %), at a fixed rate.

    Like exam.js, one save is in flight at a time and later changes wait in the outbox; the
    latency is from the change to its acknowledgement, so a slow server shows as waiting, not as
    fewer requests. Changes still queued at `until` are counted as unsent.
    """
    due = time.perf_counter() + rng.uniform(0, every)
    while due < until:
        now = time.perf_counter()
        if due > now:
            await asyncio.sleep(due - now)
        await save(client, candidate, stats, rng, since=due)
        due += every * rng.uniform(0.8, 1.2)
        if time.perf_counter() >= until:
            break
    while due < until:
        stats.unsent += 1
        due += every * rng.uniform(0.8, 1.2)


async def back_to_back_saves(client: Client, candidates: list[Candidate], stats: Stats, *,
                             until: float, rng: random.Random) -> None:
    """Closed loop: one lane, saving for its candidates in turn as fast as the server answers."""
    i = 0
    while time.perf_counter() < until and candidates:
        await save(client, candidates[i % len(candidates)], stats, rng)
        i += 1


EVENTS_PATH = "/thi/api/su-kien"
# What a sitting page mostly reports: the heartbeat, and now and then a look elsewhere.
_NOTABLE_EVENTS = (("tab_hidden", "tab_visible"), ("blur", "focus"), ("copy",), ("paste",))


def _new_events(candidate: Candidate, rng: random.Random) -> list[dict[str, Any]]:
    """This batch's new events, numbered on from the candidate's counter: a heartbeat, and
    one time in four a pair like tab hidden / visible."""
    kinds = ["heartbeat"]
    if rng.random() < 0.25:
        kinds[:0] = rng.choice(_NOTABLE_EVENTS)
    now_ms = int(time.time() * 1000)
    events = []
    for offset, kind in enumerate(kinds):
        candidate.event_seq += 1
        events.append({"seq": candidate.event_seq, "kind": kind,
                       "at": now_ms - 10 * (len(kinds) - 1 - offset),
                       "detail": {"bench": True} if kind != "heartbeat" else {}})
    return events


def _acked_events(body: bytes) -> set[int] | None:
    """The seqs the server's JSON acknowledges (``ok`` true, ``acked`` a list), else None."""
    try:
        answer = json.loads(body)
    except ValueError:
        return None
    if not isinstance(answer, dict) or answer.get("ok") is not True \
            or not isinstance(answer.get("acked"), list):
        return None
    return {seq for seq in answer["acked"] if isinstance(seq, int) and not isinstance(seq, bool)}


async def send_events(client: Client, candidate: Candidate, stats: Stats,
                      rng: random.Random) -> None:
    """One batch, as the page sends it: the events not yet acknowledged, then the new ones.
    Acknowledged events are remembered; the rest stay in the outbox for the next batch."""
    candidate.event_outbox.extend(_new_events(candidate, rng))
    batch = list(candidate.event_outbox)
    payload: dict[str, Any] = {"events": batch, "client_now": int(time.time() * 1000)}
    candidate.batches_sent += 1
    planted = bool(candidate.drop_every) and candidate.batches_sent % candidate.drop_every == 0
    if planted:
        payload["bench_drop"] = True  # dropping_app acknowledges it and never stores it
    began = time.perf_counter()
    try:
        body = await client.call(candidate, "POST", EVENTS_PATH, expect=200, json=payload,
                                 headers={"X-CSRFToken": candidate.token})
    except HttpError as error:
        stats.fail(error.kind)
        return
    acked = _acked_events(body)
    if acked is None:
        stats.fail("200 without an events ack")
        return
    stats.ok(time.perf_counter() - began)
    for event in batch:
        if event["seq"] in acked:
            candidate.event_acks.append(EventAck(event["seq"], event["kind"], event["at"],
                                                 planted))
    candidate.event_outbox = [e for e in candidate.event_outbox if e["seq"] not in acked]


async def paced_events(client: Client, candidate: Candidate, stats: Stats, *, every: float,
                       until: float, rng: random.Random) -> None:
    """A batch every `every` s (±20 %), the first at a random point of the first interval, so
    N candidates send N / `every` batches per second; one batch in flight at a time."""
    due = time.perf_counter() + rng.uniform(0, every)
    while due < until:
        now = time.perf_counter()
        if due > now:
            await asyncio.sleep(due - now)
        await send_events(client, candidate, stats, rng)
        due += every * rng.uniform(0.8, 1.2)


async def submit(client: Client, candidate: Candidate, stats: Stats, released: float) -> None:
    if not candidate.ready:
        return
    try:
        body = await client.call(candidate, "POST", "/thi/api/submit", expect=200, json={},
                                 headers={"X-CSRFToken": candidate.token})
    except HttpError as error:
        stats.fail(error.kind)
        return
    if b'"receipt"' not in body:
        stats.fail("no receipt")
        return
    stats.ok(time.perf_counter() - released)


async def floor_lane(client: Client, lane: int, stats: Stats, *, until: float) -> None:
    """Back-to-back one-row commits on the floor app, with a body the size of a save."""
    seq = 0
    while time.perf_counter() < until:
        seq += 1
        began = time.perf_counter()
        try:
            await client.call(None, "POST", "/floor", expect=200,
                              json={"candidate": lane, "position": seq % 30, "selected": [1, 3],
                                    "flagged": False, "seq": seq})
        except HttpError as error:
            stats.fail(error.kind)
            continue
        stats.ok(time.perf_counter() - began)
