"""Importing a 10,000-item Excel file into a bank that already holds a few thousand items.

Run: ``.venv/bin/python benchmarks/item_import.py [--items 10000] [--existing 3000]
[--backend sqlite|postgresql|both] [--seed 0]``

Target (exam-engine issue "Large files"): 10,000 items import *well under a minute*, end to end,
as the teacher's import runs it: the preview (parse the file, check every record, look for
duplicates in the file and in the bank), then the confirmed import (the same checks again, since
the bank may have changed since the preview, then write every item) and the one commit.

The file is synthetic but shaped like a real one: Vietnamese stems and options templated on the
demo bank (``item_bank.seed``, some syllables and every number varied), seven item types,
TT03 module and requirement codes from the seeded tree, some items also filed by subject and
grade, IC3 domain, difficulty and free tags, some with their own item ids (most get generated
keys, which must continue after the bank's), a few with pictures in the attachment sheet. No
record is an exact duplicate (that would refuse the file); near duplicates are warnings and
stay. The bank is inserted with Core before the clock starts.

SQLite runs on a temporary file migrated with ``exam_engine.migrate.upgrade``; PostgreSQL
(``BENCH_POSTGRES_URL``, default the test server) in a schema of its own, dropped afterwards.
The phases come from the services' ``progress`` callback (phase name, done, total): the time of
a phase is from its first report to the next phase's.
"""

from __future__ import annotations

import argparse
import inspect
import os
import random
import re
import struct
import sys
import tempfile
import time
import uuid
import zlib
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import func, insert, select, text  # noqa: E402
from sqlalchemy.orm import Session, sessionmaker  # noqa: E402

from exam_engine.kernel.db import make_engine, make_session_factory, utcnow  # noqa: E402
from exam_engine.migrate import upgrade  # noqa: E402
from item_bank.content import ItemContent, ItemKind, ItemRecord, Part, content_to_json  # noqa: E402
from item_bank.duplicates import item_fingerprint  # noqa: E402
from item_bank.formats import write  # noqa: E402
from item_bank.importing import commit_import, preview_import  # noqa: E402
from item_bank.models import (  # noqa: E402
    Item,
    ItemStatus,
    ItemVersion,
    search_text_of,  # noqa: E402
)
from item_bank.seed import load_basic_bank, load_requirements  # noqa: E402
from item_bank.seeding import seed_requirements  # noqa: E402
from item_bank.taxonomy import IC3_DOMAINS  # noqa: E402

TARGET_SECONDS = 60.0
POSTGRES_URL = os.environ.get("BENCH_POSTGRES_URL",
                              "postgresql+psycopg://postgres@127.0.0.1:5432/test")
_NUMBER = re.compile(r"\d+")
KINDS = [(ItemKind.SINGLE, 50), (ItemKind.MULTIPLE, 15), (ItemKind.TRUE_FALSE4, 12),
         (ItemKind.SHORT_ANSWER, 8), (ItemKind.NUMERIC, 6), (ItemKind.ORDERING, 5),
         (ItemKind.MATCHING, 4)]
TAGS = ["bảng tính", "hàm", "định dạng", "thư điện tử", "an toàn thông tin", "mạng", "phím tắt",
        "soạn thảo", "trình chiếu", "hệ điều hành", "ôn thi", "lớp 10", "kiểm tra giữa kỳ"]


def tiny_png(seed: int) -> bytes:
    """A real 1×1 PNG of a colour picked by ``seed`` (distinct bytes, stored once each)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))
    pixel = bytes([0, seed % 256, (seed * 7) % 256, (seed * 13) % 256, 255])
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 6, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(pixel)) + chunk(b"IEND", b""))


class Generator:
    """Varied Vietnamese items on the demo bank's stems, options and requirement codes."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.bank = load_basic_bank()
        self.options = [o for item in self.bank for o in item["options"]]
        texts = [item["stem"] for item in self.bank] + self.options
        self.vocabulary = sorted({w for t in texts for w in t.split()})
        self.seen: set[str] = set()

    def _vary(self, text_: str, n_words: int) -> str:
        words = _NUMBER.sub(lambda _: str(self.rng.randrange(1, 1000)), text_).split()
        for _ in range(min(n_words, len(words))):
            words[self.rng.randrange(len(words))] = self.rng.choice(self.vocabulary)
        return " ".join(words)

    def _parts(self, n: int, first: str = "A") -> tuple[Part, ...]:
        ids = [chr(ord(first) + i) for i in range(n)] if first == "A" else \
            [str(i + 1) for i in range(n)]
        return tuple(Part(i, self._vary(self.rng.choice(self.options), 1)) for i in ids)

    def content(self, kind: ItemKind, stem: str) -> ItemContent:
        rng = self.rng
        if kind is ItemKind.SINGLE:
            return ItemContent(kind, stem, self._parts(4), key={"correct": rng.choice("ABCD")})
        if kind is ItemKind.MULTIPLE:
            return ItemContent(kind, stem, self._parts(5), key={
                "correct": sorted(rng.sample("ABCDE", 2)), "scoring": "partial"})
        if kind is ItemKind.TRUE_FALSE4:
            return ItemContent(kind, f"Mỗi mệnh đề sau đúng hay sai? {stem}", self._parts(4),
                               key={"truth": {p: rng.random() < 0.5 for p in "ABCD"}})
        if kind is ItemKind.SHORT_ANSWER:
            words = rng.sample(self.vocabulary, 2)
            accepted = words if words[0].casefold() != words[1].casefold() else words[:1]
            return ItemContent(kind, stem, key={"accepted": accepted, "case_sensitive": False})
        if kind is ItemKind.NUMERIC:
            return ItemContent(kind, f"{stem} (trả lời bằng một số)", key={
                "value": rng.randrange(1, 500) / 10, "tolerance": 0.1,
                "tolerance_kind": "absolute"})
        if kind is ItemKind.ORDERING:
            order = list("ABCD")
            rng.shuffle(order)
            return ItemContent(kind, f"Sắp xếp theo đúng thứ tự: {stem}", self._parts(4),
                               key={"order": order})
        targets = self._parts(3, first="1")
        return ItemContent(kind, f"Ghép mỗi ý với vế phải phù hợp: {stem}", self._parts(3),
                           targets, key={"pairs": {"A": "2", "B": "3", "C": "1"}})

    def record(self, number: int) -> ItemRecord:
        """One record that is no exact duplicate of any record made before."""
        rng = self.rng
        while True:
            seed = rng.choice(self.bank)
            kind = rng.choices([k for k, _ in KINDS], [w for _, w in KINDS])[0]
            content = self.content(kind, self._vary(seed["stem"], rng.randint(2, 4)))
            fingerprint = item_fingerprint(content)
            if fingerprint not in self.seen:
                self.seen.add(fingerprint)
                break
        record = ItemRecord(content=replace(content, feedback=seed.get("explanation")),
                            module=seed["module"], code=seed["code"],
                            difficulty=seed.get("difficulty"))
        if rng.random() < 0.3:
            record = replace(record, subject="Tin học", grade=rng.choice((10, 11, 12)))
        if rng.random() < 0.5:
            record = replace(record, tags=tuple(rng.sample(TAGS, rng.randint(1, 3))))
        if rng.random() < 0.2:
            record = replace(record, ic3_domain=rng.choice(IC3_DOMAINS).code)
        if rng.random() < 0.1:
            record = replace(record, external_id=f"GV-{number:05d}", title=f"Câu {number}")
        if rng.random() < 0.01:
            name = f"hinh_{number}.png"
            record = replace(record, content=replace(
                record.content, stem=f'<p>{record.content.stem}</p><p><img src="{name}"></p>'),
                media={name: tiny_png(number)})
        return record


def seed_bank(session_factory: sessionmaker[Session], n_existing: int, generator: Generator) -> None:
    """The TT03 tree and ``n_existing`` approved items, keyed like imported ones (Core)."""
    with session_factory() as db:
        seed_requirements(db, load_requirements())
        db.commit()
        per_module: dict[str, int] = {}
        items, versions = [], []
        for i in range(n_existing):
            record = generator.record(i)
            per_module[record.module] = per_module.get(record.module, 0) + 1
            items.append({"id": i + 1, "key": f"{record.module}-I{per_module[record.module]:04d}",
                          "module": record.module, "code": record.code, "created_at": utcnow()})
            document = content_to_json(record.content)
            versions.append({"item_id": i + 1, "version": 1, "kind": document["kind"],
                             "content": document, "search_text": search_text_of(document),
                             "status": ItemStatus.APPROVED, "irt_is_demo": True,
                             "created_at": utcnow()})
        db.execute(insert(Item), items)
        db.execute(insert(ItemVersion), versions)
        if db.bind.dialect.name == "postgresql":  # explicit ids: move the sequence past them
            db.execute(text("SELECT setval(pg_get_serial_sequence('items', 'id'), :n)"),
                       {"n": n_existing})
        db.commit()


class PhaseClock:
    """A ``progress`` callback that notes when each phase first reports."""

    def __init__(self, stage: str) -> None:
        self.stage = stage
        self.marks: list[tuple[str, float]] = []

    def __call__(self, phase: str, done: int, total: int) -> None:
        if not self.marks or self.marks[-1][0] != phase:
            self.marks.append((phase, time.perf_counter()))

    def phases(self, end: float) -> list[tuple[str, float]]:
        if not self.marks:
            return []
        ends = [t for _, t in self.marks[1:]] + [end]
        return [(f"{self.stage}: {p}", e - t) for (p, t), e in zip(self.marks, ends, strict=True)]


def supports_progress() -> bool:
    """Whether the services report progress: without it (the importer before this script's
    work) the script times preview and import as wholes, which gave the "before" figures."""
    return "progress" in inspect.signature(preview_import).parameters


def time_import(url: str, data: bytes, n_items: int, n_existing: int
                ) -> list[tuple[str, float]]:
    """Preview, then import and commit; the (phase, seconds) rows, the totals last."""
    engine = make_engine(url)
    sessions = make_session_factory(engine, writes=True)
    progress = supports_progress()
    rows: list[tuple[str, float]] = []
    try:
        with sessions() as db:
            clock = PhaseClock("preview")
            start = time.perf_counter()
            preview = (preview_import(db, data, "ngan-hang-lon.xlsx", progress=clock)
                       if progress else preview_import(db, data, "ngan-hang-lon.xlsx"))
            previewed = time.perf_counter()
            db.rollback()
            assert preview.ok, preview.errors[:5]
            rows += clock.phases(previewed) or [("preview", previewed - start)]
        with sessions() as db:
            clock = PhaseClock("import")
            started = time.perf_counter()
            kwargs = {"progress": clock} if progress else {}
            created = commit_import(db, data, "ngan-hang-lon.xlsx", author_id=None, **kwargs)
            written = time.perf_counter()
            db.commit()
            committed = time.perf_counter()
            rows += clock.phases(written) or [("import: check + write", written - started)]
            rows.append(("import: commit", committed - written))
            assert len(created) == n_items
            assert db.scalar(select(func.count(Item.id))) == n_items + n_existing
        rows.append(("preview total", previewed - start))
        rows.append(("import total (with commit)", committed - started))
        rows.append(("end to end", previewed - start + committed - started))
    finally:
        engine.dispose()
    return rows


def _postgres_schema() -> tuple[str, str] | None:
    try:
        engine = make_engine(POSTGRES_URL)
        schema = f"bench_import_{os.getpid()}_{uuid.uuid4().hex[:8]}"
        with engine.begin() as conn:
            conn.execute(text(f"CREATE SCHEMA {schema}"))
        engine.dispose()
    except Exception as error:  # noqa: BLE001 - any failure means "not here"
        print(f"PostgreSQL skipped: not reachable at {POSTGRES_URL} ({error.__class__.__name__})")
        return None
    separator = "&" if "?" in POSTGRES_URL else "?"
    return schema, f"{POSTGRES_URL}{separator}options=-csearch_path%3D{schema}"


def run_backend(backend: str, data: bytes, args: argparse.Namespace) -> None:
    schema = None
    with tempfile.TemporaryDirectory() as folder:
        if backend == "sqlite":
            url = f"sqlite:///{Path(folder) / 'bench.sqlite3'}"
        else:
            made = _postgres_schema()
            if made is None:
                return
            schema, url = made
        try:
            upgrade(url)
            engine = make_engine(url)
            seed_bank(make_session_factory(engine, writes=True), args.existing,
                      Generator(random.Random(args.seed + 1)))
            engine.dispose()
            rows = time_import(url, data, args.items, args.existing)
        finally:
            if schema:
                engine = make_engine(POSTGRES_URL)
                with engine.begin() as conn:
                    conn.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
                engine.dispose()
    total = rows[-1][1]
    print(f"\n### {backend}: {args.items:,} items into a bank of {args.existing:,}\n")
    print("| phase | seconds |")
    print("|---|---:|")
    for name, seconds in rows:
        print(f"| {name} | {seconds:.2f} |")
    verdict = "met" if total < TARGET_SECONDS else "NOT met"
    print(f"\nend to end {total:.1f} s, target {TARGET_SECONDS:.0f} s: {verdict}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument("--existing", type=int, default=3_000)
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    start = time.perf_counter()
    # The bank each backend gets is made again from the same seed; make it here too, so the
    # file holds no exact duplicate of it.
    bank_maker = Generator(random.Random(args.seed + 1))
    for i in range(args.existing):
        bank_maker.record(i)
    generator = Generator(random.Random(args.seed))
    generator.seen = bank_maker.seen
    records = [generator.record(i) for i in range(args.items)]
    data = write("excel", records).data
    print(f"file: {args.items:,} items, {len(data) / 1e6:.1f} MB, made in "
          f"{time.perf_counter() - start:.1f} s (not timed); kinds "
          + ", ".join(f"{k.value} {sum(r.content.kind is k for r in records):,}"
                      for k, _ in KINDS))
    for backend in (("sqlite", "postgresql") if args.backend == "both" else (args.backend,)):
        run_backend(backend, data, args)


if __name__ == "__main__":
    main()
