"""Exam-day load: a synchronized start, paced autosave, a saturation burst, a synchronized submit.

    python -m benchmarks.load.run --candidates 1000 [--db postgresql|sqlite] [--workers 4]
                                  [--save-every 5] [--duration 60] [--events on|off]

Creates and seeds its own database (never `test`), starts gunicorn on a free loopback port with
`-c python:exam_engine.gunicorn_conf wsgi:app`, drives it with simulated candidates, then checks
every acknowledged save against the app's response log and every acknowledged event against
`exam_events` (verify.py). With `--events on` each candidate also sends an event batch every
`--event-every` s, and the closed-loop burst runs in rounds with events off and on, so saves/s
with events is printed beside the same run without them. In the same run it measures the floor
(floor_app.py: one-row commits under the same gunicorn settings) and prints the ratio.
`--self-check` plants dropped saves and events and checks that exactly they are reported.
See benchmarks/load/README.md.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from . import bench_db, simulator, verify
from .floor_app import create_floor_table
from .servers import gunicorn, workers_cpu_seconds
from .simulator import Candidate, Client, Stats

PG_ADMIN_URL = os.environ.get("BENCH_POSTGRES_URL",
                              "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")
PLANTED_CANDIDATES = 5  # --self-check drops saves and event batches of this many candidates
EVENT_CONNECTIONS = 16  # the event batches' own client pool


def _options() -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.load.run", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--candidates", type=int, default=1000)
    parser.add_argument("--db", choices=("postgresql", "sqlite"), default="postgresql")
    parser.add_argument("--pg-db", default="exam_bench", help="PostgreSQL database to (re)create")
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--worker-class", default="sync", help="sync, or gevent if installed")
    parser.add_argument("--save-every", type=float, default=5.0,
                        help="seconds between one candidate's saves (paced phase)")
    parser.add_argument("--duration", type=float, default=60.0, help="paced phase, seconds")
    parser.add_argument("--saturation", type=float, default=10.0,
                        help="closed-loop phase, seconds (0 = skip)")
    parser.add_argument("--floor-seconds", type=float, default=10.0)
    parser.add_argument("--connections", type=int, default=64,
                        help="client connection pool; also the lanes of the closed-loop phases")
    parser.add_argument("--room-size", type=int, default=30)
    parser.add_argument("--items-per-module", type=int, default=5, help="× 6 modules")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--kinds", choices=("all", "choice"), default="all",
                        help="the bank: every item kind (default) or choice items only, as in "
                             "runs before 2026-12-05")
    parser.add_argument("--events", choices=("on", "off"), default="on",
                        help="event capture: each candidate sends a batch every --event-every "
                             "s, and the closed loop runs with events off and on in turns")
    parser.add_argument("--event-every", type=float, default=30.0,
                        help="seconds between one candidate's event batches")
    parser.add_argument("--rounds", type=int, default=2,
                        help="with --events on: closed-loop rounds of each kind, in the order "
                             "off, on, on, off, … (--saturation s each)")
    parser.add_argument("--check", choices=("log", "final"), default="log",
                        help="log: every acknowledged save against the response log; final: "
                             "only the final answers, for an --app-dir checkout from before "
                             "the response log")
    parser.add_argument("--self-check", action="store_true",
                        help="serve through dropping_app, which acknowledges one save (and one "
                             "event batch) in --drop-every of the first five candidates' "
                             "without storing it; the verifier must report exactly those "
                             "(exit status 1 otherwise)")
    parser.add_argument("--drop-every", type=int, default=5, help="with --self-check")
    parser.add_argument("--app-dir", type=Path, metavar="DIR",
                        help="run the exam app from another checkout, e.g. a patched copy "
                             "(same venv); default: this one")
    parser.add_argument("--profile", type=Path, metavar="FILE",
                        help="py-spy (if installed) samples the workers (GIL holders: CPU) during the closed-loop "
                             "phase into FILE (collapsed stacks)")
    return parser.parse_args()


def _pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def _windows(stats: Stats, width: float = 10.0) -> str:
    """Saves/s and p99 per `width`-second window, by completion time: when did it hurt?"""
    if not stats.finished:
        return ""
    first = min(stats.finished)
    buckets: dict[int, list[float]] = {}
    for done, latency in zip(stats.finished, stats.latencies, strict=True):
        buckets.setdefault(int((done - first) // width), []).append(latency * 1000)
    return ", ".join(f"{int(k * width)}–{int((k + 1) * width)} s: {len(v) / width:.0f}/s "
                     f"p99 {_pct(v, .99):.0f} ms" for k, v in sorted(buckets.items()))


def _row(stats: Stats, rate: bool = False) -> str:
    ms = [v * 1000 for v in stats.latencies]
    errors = sum(stats.errors.values())
    per_second = f"{len(ms) / stats.wall:8.0f}" if rate and stats.wall else f"{'':8}"
    return (f"| {stats.name:<28} | {len(ms):7} | {errors:6} | {_pct(ms, .5):8.1f} | "
            f"{_pct(ms, .99):8.1f} | {max(ms, default=float('nan')):8.1f} | {per_second} | "
            f"{stats.wall:6.1f} |")


HEADER = ("| phase                        |      ok | errors |  p50 ms |  p99 ms |  max ms |"
          "   ok/s  | wall s |\n|---|---:|---:|---:|---:|---:|---:|---:|")


async def _timed(stats: Stats, coroutines, master_pid: int | None = None) -> None:
    cpu = workers_cpu_seconds(master_pid) if master_pid else 0.0
    began = time.perf_counter()
    await asyncio.gather(*coroutines)
    stats.wall = time.perf_counter() - began
    if master_pid:
        stats.server_cpu = workers_cpu_seconds(master_pid) - cpu


async def measure_floor(base: str, args: argparse.Namespace, master_pid: int) -> Stats:
    stats = Stats(f"floor: 1-row commit ×{args.connections}")
    client = Client(base, args.connections)
    try:
        until = time.perf_counter() + args.floor_seconds
        await _timed(stats, [simulator.floor_lane(client, lane, stats, until=until)
                             for lane in range(args.connections)], master_pid)
    finally:
        await client.close()
    return stats


def _start_profiler(args: argparse.Namespace, master_pid: int | None):
    if not args.profile or master_pid is None:
        return None
    py_spy = Path(sys.executable).with_name("py-spy")
    return subprocess.Popen([str(py_spy), "record", "--pid", str(master_pid), "--subprocesses",
                             "--format", "raw", "--rate", "200", "--nonblocking", "--gil",
                             "--duration", str(int(args.saturation)), "-o", str(args.profile)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


@dataclass
class Phases:
    """What the run measured, phase by phase (``burst_off``/``burst_on``: closed-loop rounds
    without and with event capture, added up)."""

    logins: Stats
    starts: Stats
    papers: Stats
    paced: Stats
    burst_off: Stats
    burst_on: Stats
    submits: Stats
    events_paced: Stats   # event batches sent during the paced phase
    events_burst: Stats   # … and during the closed-loop rounds with events

    def table(self) -> list[Stats]:
        return [self.logins, self.starts, self.papers, self.paced, self.events_paced,
                self.burst_off, self.burst_on, self.events_burst, self.submits]


def _add(total: Stats, part: Stats) -> None:
    total.latencies += part.latencies
    total.finished += part.finished
    total.errors.update(part.errors)
    total.wall += part.wall
    total.server_cpu += part.server_cpu


def _round_order(rounds: int) -> list[bool]:
    """Closed-loop rounds, events off (False) and on (True) in turns, ABBA so that a drift of
    the machine's load during the run falls on both alike."""
    order: list[bool] = []
    for pair in range(rounds):
        order += [False, True] if pair % 2 == 0 else [True, False]
    return order


def _event_senders(events_client: Client | None, ready: list[Candidate], stats: Stats,
                   args: argparse.Namespace, until: float, rng: random.Random) -> list:
    if events_client is None:
        return []
    return [simulator.paced_events(events_client, c, stats, every=args.event_every,
                                   until=until, rng=random.Random(rng.random())) for c in ready]


async def sit_exam(base: str, seats: list[bench_db.Seat], args: argparse.Namespace,
                   master_pid: int | None = None) -> tuple[list[Candidate], Phases]:
    rng = random.Random(args.seed)
    candidates = [Candidate(seat) for seat in seats]
    if args.self_check:
        for candidate in candidates[:PLANTED_CANDIDATES]:
            candidate.drop_every = args.drop_every
    client = Client(base, args.connections)
    # Events have their own small pool: the page sends them on their own requests, and they
    # must not wait in the client behind the closed loop's lanes (the server's work is shared).
    events_client = Client(base, EVENT_CONNECTIONS) if args.events == "on" else None
    phases = Phases(Stats("login (3 requests)*"), Stats("start (bat-dau)*"), Stats("paper"),
                    Stats(f"save, 1 per {args.save_every:g} s each"),
                    Stats(f"save, closed loop ×{args.connections}"),
                    Stats(f"save, closed loop ×{args.connections}, events"),
                    Stats("submit*"),
                    Stats(f"event batch, 1 per {args.event_every:g} s each"),
                    Stats("event batch, closed-loop rounds"))
    try:
        released = time.perf_counter()  # everyone logs in at once (the room opens)
        await _timed(phases.logins, [simulator.login(client, c, phases.logins, released)
                                     for c in candidates])
        released = time.perf_counter()  # the barrier: "you may start now"
        await _timed(phases.starts, [simulator.start(client, c, phases.starts, released)
                                     for c in candidates])
        await _timed(phases.papers, [simulator.load_paper(client, c, phases.papers)
                                     for c in candidates])
        ready = [c for c in candidates if c.ready]
        until = time.perf_counter() + args.duration
        await _timed(phases.paced, [
            *(simulator.paced_saves(client, c, phases.paced, every=args.save_every, until=until,
                                    rng=random.Random(rng.random())) for c in ready),
            *_event_senders(events_client, ready, phases.events_paced, args, until, rng)],
            master_pid)
        order = _round_order(args.rounds) if events_client else [False]
        for number, with_events in enumerate(order if args.saturation > 0 else []):
            profiler = _start_profiler(args, master_pid) if number == 0 else None
            part = Stats("round")
            until = time.perf_counter() + args.saturation
            lanes = [ready[lane::args.connections] for lane in range(args.connections)]
            senders = _event_senders(events_client if with_events else None, ready,
                                     phases.events_burst, args, until, rng)
            await _timed(part, [*(simulator.back_to_back_saves(client, lane, part, until=until,
                                                               rng=random.Random(rng.random()))
                                  for lane in lanes), *senders], master_pid)
            _add(phases.burst_on if with_events else phases.burst_off, part)
            if profiler is not None:
                await asyncio.to_thread(profiler.wait)
        released = time.perf_counter()  # the deadline: everyone submits in the same second
        await _timed(phases.submits, [simulator.submit(client, c, phases.submits, released)
                                      for c in candidates])
    finally:
        await client.close()
        if events_client is not None:
            await events_client.close()
    return candidates, phases


def _self_check(verdict: verify.Verdict, events: verify.EventVerdict | None,
                candidates: list[Candidate]) -> bool:
    """Print whether the verifier reported exactly the planted drops (saves, and events when
    they were sent); True when it did."""
    planted = {(c.seat.candidate_number, a.position, a.seq)
               for c in candidates for a in c.acks if a.planted_drop}
    reported = set(verdict.lost)
    latest = {}
    for c in candidates:
        for a in c.acks:
            key = (c.seat.candidate_number, a.position)
            latest[key] = max(latest.get(key, 0), a.seq)
    seen_by_latest_only = sum(1 for number, position, seq in planted
                              if latest[(number, position)] == seq)
    passed = bool(planted) and reported == planted and not verdict.altered
    print(f"\nself-check: planted {len(planted)} dropped saves (one in "
          f"{candidates[0].drop_every} of the first {PLANTED_CANDIDATES} candidates'); the verifier "
          f"reported {len(reported)} lost, {len(reported & planted)} of them planted, "
          f"{len(reported - planted)} others, {len(verdict.altered)} altered: "
          f"{'PASS' if passed else 'FAIL'}")
    print(f"  (a check of only the latest save per question would have seen "
          f"{seen_by_latest_only} of the {len(planted)})")
    for key in sorted(planted ^ reported):
        print(f"  {'missed' if key in planted else 'not planted'}: {key}")
    if events is None:
        return passed
    planted_events = {(c.seat.candidate_number, e.seq)
                      for c in candidates for e in c.event_acks if e.planted_drop}
    reported_events = set(events.lost)
    events_passed = (bool(planted_events) and reported_events == planted_events
                     and not events.altered)
    print(f"self-check, events: planted {len(planted_events)} acknowledged events never stored "
          f"(one batch in {candidates[0].drop_every} of the same candidates'); the verifier "
          f"reported {len(reported_events)} lost, {len(reported_events & planted_events)} of "
          f"them planted, {len(events.altered)} altered: "
          f"{'PASS' if events_passed else 'FAIL'}")
    for key in sorted(planted_events ^ reported_events):
        print(f"  {'missed' if key in planted_events else 'not planted'}: event {key}")
    return passed and events_passed


def _flush_redis() -> None:
    """Cached form shapes are keyed by attempt id: a fresh database needs a fresh cache."""
    import redis
    redis.Redis.from_url(REDIS_URL).flushdb()


def _rate(stats: Stats) -> float:
    return len(stats.latencies) / stats.wall if stats.wall else float("nan")


def _cpu_per_request(stats: Stats, requests: int | None = None) -> float:
    return 1000 * stats.server_cpu / max(1, len(stats.latencies) if requests is None else requests)


def _report(args: argparse.Namespace, phases: Phases, floor: Stats, candidates: list[Candidate],
            load_at_start: tuple[float, float, float]) -> None:
    paced = phases.paced
    floor_rate, paced_rate = _rate(floor), _rate(paced)
    offered = len([c for c in candidates if c.ready]) / args.save_every
    print(f"\nload average (1, 5, 15 min) at start {load_at_start}, at end {os.getloadavg()}")
    print(f"\n### {args.candidates} candidates, {args.db}, gunicorn {args.worker_class} ×"
          f"{args.workers}, saves every {args.save_every:g} s for {args.duration:g} s, events "
          f"{args.events}" + (f" (a batch every {args.event_every:g} s each)"
                              if args.events == "on" else "") + "\n")
    print(HEADER)
    shown = [s for s in [*phases.table(), floor] if s.latencies or s.errors]
    for stats in shown:
        print(_row(stats, rate=stats in (paced, phases.burst_off, phases.burst_on, floor)))
    print("\n\\* timed from the synchronized release (login: from the room opening), so it "
          "includes waiting for one of the client's connections")
    for stats in shown:
        if stats.errors:
            print(f"errors in {stats.name}: {dict(stats.errors)}")
    p99_paced = _pct(paced.latencies, .99) * 1000
    print(f"\npaced saves per 10 s window: {_windows(paced)}")
    print(f"\n- floor: {floor_rate:.0f} commits/s (p99 {_pct(floor.latencies, .99) * 1000:.1f} ms)")
    print(f"- paced saves: offered {offered:.0f}/s, served {paced_rate:.0f}/s "
          f"({paced_rate / offered:.0%} of offered, {paced_rate / floor_rate:.0%} of the floor); "
          f"p99 {p99_paced:.0f} ms from the change (target ≤ 250: "
          f"{'met' if p99_paced <= 250 else 'MISSED'}); still in outboxes at the end: "
          f"{paced.unsent}")
    if args.saturation > 0:
        off = _rate(phases.burst_off)
        print(f"- saturation (closed loop, {args.connections} lanes"
              + (f", {args.rounds} round(s) of {args.saturation:g} s each way" if args.events
                 == "on" else "") + f"): {off:.0f} saves/s = {off / floor_rate:.0%} of the "
              f"floor (target ≥ 70 %: {'met' if off / floor_rate >= .7 else 'MISSED'}); p99 "
              f"{_pct(phases.burst_off.latencies, .99) * 1000:.0f} ms")
        if args.events == "on":
            on = _rate(phases.burst_on)
            print(f"- saturation with event capture on: {on:.0f} saves/s = {on / floor_rate:.0%} "
                  f"of the floor, **{on / off:.1%} of the same run without events** (target "
                  f"≥ 90 %: {'met' if on / off >= .9 else 'MISSED'}); p99 "
                  f"{_pct(phases.burst_on.latencies, .99) * 1000:.0f} ms")
        paced_requests = len(paced.latencies) + len(phases.events_paced.latencies)
        print(f"- gunicorn workers' CPU per request: floor {_cpu_per_request(floor):.2f} ms, "
              f"save {_cpu_per_request(phases.burst_off):.2f} ms (closed loop), "
              f"{_cpu_per_request(paced, paced_requests):.2f} ms (paced"
              + (": saves and event batches" if args.events == "on" else "") + ")")
    if args.events == "on":
        batches = phases.events_paced.latencies + phases.events_burst.latencies
        print(f"- event batches: {len(batches)} acknowledged, p50 "
              f"{_pct(batches, .5) * 1000:.1f} ms, p99 {_pct(batches, .99) * 1000:.1f} ms; "
              f"events still unacknowledged at the end: "
              f"{sum(len(c.event_outbox) for c in candidates)}")


def main() -> None:
    args = _options()
    if args.self_check and args.check != "log":
        raise SystemExit("--self-check needs --check log: it plants saves the log must miss")
    load_at_start = os.getloadavg()
    scratch = Path(tempfile.mkdtemp(prefix="exam-load-"))
    log = scratch / "gunicorn.log"
    print(f"exam load: {args.candidates} candidates, {args.db}, gunicorn {args.worker_class} "
          f"×{args.workers}, client pool {args.connections}, events {args.events}; logs in "
          f"{scratch}", flush=True)
    url = bench_db.fresh_database(args.db, PG_ADMIN_URL, args.pg_db, scratch)
    seats = bench_db.seed(url, args.candidates, room_size=args.room_size,
                          items_per_module=args.items_per_module, bank_per_module=40,
                          duration_minutes=180, kinds=args.kinds)
    create_floor_table(url)
    _flush_redis()
    key_file = scratch / "cert_signing_key.pem"
    from certs.signing import generate_signing_key
    key_file.write_bytes(generate_signing_key())
    common = {"workers": args.workers, "worker_class": args.worker_class, "log": log}

    with gunicorn("benchmarks.load.floor_app:app", config=None, cwd=None, probe_path="/floor",
                  env={"FLOOR_DATABASE_URL": url}, **common) as (base, floor_pid):
        floor = asyncio.run(measure_floor(base, args, floor_pid))
    env = {"DATABASE_URL": url, "REDIS_URL": REDIS_URL, "EXAM_SECRET_KEY": "bench-" + os.urandom(8).hex(),
           "EXAM_CERT_SIGNING_KEY_FILE": str(key_file)}
    if args.app_dir:
        env["PYTHONPATH"] = str(args.app_dir.resolve())
    exam_app = "benchmarks.load.dropping_app:app" if args.self_check else "wsgi:app"
    if args.self_check:
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [env.get("PYTHONPATH"),
                                                          str(Path(__file__).parents[2])]))
    with gunicorn(exam_app, config="python:exam_engine.gunicorn_conf", cwd=args.app_dir,
                  probe_path="/thi/dang-nhap", env=env, **common) as (base, master_pid):
        candidates, phases = asyncio.run(sit_exam(base, seats, args, master_pid))

    verdict = verify.verify_saves(url, candidates, final_only=args.check == "final")
    events = verify.verify_events(url, candidates) if args.events == "on" else None
    submitted = bench_db.submitted_count(url)
    _report(args, phases, floor, candidates, load_at_start)
    kinds = Counter(q.kind for c in candidates for q in c.questions)
    print(f"- questions sat, by kind: {dict(sorted(kinds.items()))}")
    if verdict.final_only:
        print(f"- answers: {verdict.checked} acknowledged saves; no response log to check them "
              f"against (--check final): questions whose final row is older than their latest "
              f"ack: {len(verdict.stale)}")
    else:
        print(f"- answers: {verdict.checked} acknowledged saves, each checked against the "
              f"response log: lost {len(verdict.lost)}, stored with other content or time "
              f"{len(verdict.altered)}; questions whose final row is older than their latest "
              f"ack: {len(verdict.stale)}")
    for kind, keys in (("lost", verdict.lost), ("altered", verdict.altered)):
        for key in keys[:10]:
            print(f"  {kind}: số báo danh {key[0]}, question {key[1]}, seq {key[2]}")
    if events is not None:
        print(f"- events: {events.checked} acknowledged, each checked against exam_events: "
              f"lost {len(events.lost)}, stored with another kind or time {len(events.altered)}")
        for kind, event_keys in (("lost", events.lost), ("altered", events.altered)):
            for number, seq in event_keys[:10]:
                print(f"  {kind}: số báo danh {number}, event seq {seq}")
    print(f"- submitted attempts in the database: {submitted} of {len(candidates)}")
    if args.self_check and not _self_check(verdict, events, candidates):
        sys.exit(1)


if __name__ == "__main__":
    main()
