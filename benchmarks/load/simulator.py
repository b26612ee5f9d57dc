"""Simulated candidates over HTTP (asyncio + aiohttp, one process, one shared connection pool).

Each candidate keeps its own Flask session cookie by hand (no cookie jar: it is cheaper, and
aiohttp's jar refuses cookies from an IP address anyway). Every acknowledged save is kept, to be
checked against the `answers` table after the run.
"""

from __future__ import annotations

import asyncio
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


@dataclass
class Ack:
    position: int
    seq: int
    selected: list[int]


@dataclass
class Candidate:
    seat: Seat
    cookie: str | None = None
    token: str = ""
    shape: list[tuple[str, int]] = field(default_factory=list)  # (type, n options) per position
    seq: list[int] = field(default_factory=list)
    acks: list[Ack] = field(default_factory=list)
    ready: bool = False  # logged in, started, paper loaded


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
    """GET the login page, POST the số báo danh + session code, GET /thi/ for the token."""
    try:
        token = _token(await client.call(candidate, "GET", "/thi/dang-nhap", expect=200))
        await client.call(candidate, "POST", "/thi/dang-nhap", expect=302, data={
            "candidate_number": candidate.seat.candidate_number,
            "session_code": candidate.seat.session_code, "csrf_token": token})
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
    candidate.shape = [(q["type"], len(q["options"])) for q in questions]
    candidate.seq = [q["seq"] for q in questions]
    candidate.ready = True
    stats.ok(time.perf_counter() - began)


def _choice(rng: random.Random, kind: str, n_options: int) -> list[int]:
    if kind == "single":
        return [rng.randrange(n_options)]
    return sorted(rng.sample(range(n_options), rng.randint(1, n_options)))


async def save(client: Client, candidate: Candidate, stats: Stats, rng: random.Random,
               since: float | None = None) -> None:
    """One autosave of a random question with the next seq; an ack is remembered.

    Latency runs from `since` (when the answer changed, time.perf_counter()) if given.
    """
    position = rng.randrange(len(candidate.shape))
    selected = _choice(rng, *candidate.shape[position])
    candidate.seq[position] += 1
    seq = candidate.seq[position]
    began = time.perf_counter() if since is None else since
    try:
        body = await client.call(candidate, "POST", "/thi/api/answers", expect=200,
                                 json={"position": position, "selected": selected,
                                       "flagged": False, "seq": seq},
                                 headers={"X-CSRFToken": candidate.token})
    except HttpError as error:
        stats.fail(error.kind)
        return
    stats.ok(time.perf_counter() - began)
    if b'"ok":true' in body:
        candidate.acks.append(Ack(position, seq, selected))
    else:
        stats.fail("200 without ok")


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
