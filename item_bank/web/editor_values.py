"""The values an item-editor form posts, read the same way whether Flask gives a MultiDict or a
test a mapping of lists; and the small readers the form and the per-kind keys share. Pure.

Rows are groups of inputs named ``choices[i].…``, ``targets[i].…`` and ``key.gaps[i].…``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from item_bank.content import Part
from item_bank.types import InvalidResponse, Problem, parse_number

MAX_ROWS = 40  # more rows than any item needs; a forged form cannot make us loop for long
SPARE_ROWS = {"choices": 4, "targets": 4, "key.gaps": 2}
ROW_GROUPS = tuple(SPARE_ROWS)
ROW_NAME = re.compile(r"^(choices|targets|key\.gaps)\[(\d+)\]\.(.+)$")

Form = Mapping[str, Any]  # a werkzeug MultiDict, or a mapping of names to lists of strings


class FormValues:
    """Read access to submitted values, whether a MultiDict or a plain mapping of lists."""

    def __init__(self, form: Form) -> None:
        self._form = form

    def getlist(self, name: str) -> list[str]:
        if hasattr(self._form, "getlist"):
            return list(self._form.getlist(name))
        value = self._form.get(name, [])
        return [value] if isinstance(value, str) else list(value)

    def get(self, name: str, default: str = "") -> str:
        values = self.getlist(name)
        return values[0] if values else default

    def text(self, name: str) -> str:
        """A typed value with browser line ends (CRLF) made plain and the ends trimmed."""
        return self.get(name).replace("\r\n", "\n").strip()

    def lines(self, name: str) -> list[str]:
        return [line.strip() for line in self.text(name).split("\n") if line.strip()]

    def names(self) -> list[str]:
        return list(self._form.keys())

    def as_lists(self) -> dict[str, list[str]]:
        return {name: self.getlist(name) for name in self.names()}

    def count(self, group: str) -> int:
        """How many rows of ``group`` ("choices", "targets", "key.gaps") the form holds."""
        indices = [int(m.group(2)) for name in self.names()
                   if (m := ROW_NAME.match(name)) and m.group(1) == group]
        return min(max(indices, default=-1) + 1, MAX_ROWS)

    def rows(self, group: str) -> list[Part]:
        """Every row of ``group`` as typed, spare ones included (for showing the form)."""
        return [Part(self.get(f"{group}[{i}].id").strip(), self.text(f"{group}[{i}].text"))
                for i in range(self.count(group))]


def next_free_id(taken: Iterable[str], group: str) -> str:
    """A, B, C … for choices (the exam convention), 1, 2, 3 … for targets and gaps."""
    used = set(taken)
    if group == "choices":
        candidates = [chr(ord("A") + n) for n in range(26)]
        candidates += [f"{a}{b}" for a in candidates for b in candidates]
    else:
        candidates = [str(n) for n in range(1, MAX_ROWS + 2)]
    return next(c for c in candidates if c not in used)


def read_number(form: FormValues, name: str, problems: list[Problem], *,
                blank: float | None = None) -> float | None:
    """A number typed the Vietnamese way ("3,5") or the English way; ``blank`` when empty
    (``None``: it is required)."""
    text = form.text(name)
    if not text:
        if blank is None:
            problems.append(Problem(name, "Chưa nhập số.", "A number is required."))
        return blank
    try:
        return parse_number(text)
    except InvalidResponse as error:
        problems.append(Problem(name, error.message_vi, error.message_en))
        return None


def rows_form(group: str, parts: Iterable[Part]) -> dict[str, list[str]]:
    fields: dict[str, list[str]] = {}
    for index, part in enumerate(parts):
        fields[f"{group}[{index}].id"] = [part.id]
        fields[f"{group}[{index}].text"] = [part.text]
    return fields
