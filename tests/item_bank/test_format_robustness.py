"""Damaged files of every format end in FormatErrors — never another exception, never records."""

from __future__ import annotations

import io
import random
import zipfile

import pytest

from item_bank import formats
from item_bank.content import ItemKind
from item_bank.formats import FORMATS, FormatErrors
from tests.item_bank.fixtures.samples import sample

ZIPPED = {"excel", "qti21", "qti30"}


def damaged(data: bytes, rng: random.Random, zipped: bool) -> bytes:
    def mutate(blob: bytes) -> bytes:
        out = bytearray(blob)
        for _ in range(rng.randint(1, 5)):
            at = rng.randrange(len(out))
            roll = rng.random()
            if roll < 0.4:
                del out[at:at + rng.randint(1, 20)]
            elif roll < 0.7:
                out[at:at] = bytes([rng.choice(b"{}=~#:\n<>&/%\"")])
            else:
                out[at] = rng.randrange(32, 127)
        return bytes(out)

    if not zipped:
        return mutate(data)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        files = {name: archive.read(name) for name in archive.namelist()}
    target = rng.choice(sorted(n for n in files if n.endswith(".xml")))
    files[target] = mutate(files[target])
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, blob in files.items():
            archive.writestr(name, blob)
    return buffer.getvalue()


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_damaged_files_give_format_errors_and_nothing_else(fmt: str) -> None:
    rng = random.Random(20260601)
    original = formats.write(fmt, [sample(kind, media=True) for kind in ItemKind]).data
    for _ in range(60):
        try:
            formats.read(fmt, damaged(original, rng, fmt in ZIPPED), "hong")
        except FormatErrors as errors:
            assert errors.issues and all(i.file == "hong" for i in errors.issues)


def test_a_workbook_part_with_entities_is_refused() -> None:
    data = formats.write("excel", [sample(ItemKind.SINGLE)]).data
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        files = {name: archive.read(name) for name in archive.namelist()}
    sheet = "xl/worksheets/sheet1.xml"
    files[sheet] = b'<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>' + files[sheet]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, blob in files.items():
            archive.writestr(name, blob)
    with pytest.raises(FormatErrors) as caught:
        formats.read("excel", buffer.getvalue(), "xxe.xlsx")
    assert [(i.location, i.field) for i in caught.value.issues] == [(f"tệp {sheet}", "xml")]
