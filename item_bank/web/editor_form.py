"""The teachers' item editor as plain data: an HTML form's values <-> ItemContent and where the
item is filed. Pure: no Flask, no database (the TT03 codes are checked by the workflow).

Input names
-----------
Shared: ``kind``, ``stem``, ``points``, ``feedback``, ``shuffle``; the rows ``choices[i].id`` /
``choices[i].text`` and, for matching, ``targets[i].id`` / ``targets[i].text``; the filing
``module``, ``code``, ``subject``, ``grade``, ``ic3_domain``, ``difficulty``, ``title``,
``tags`` (comma-separated). The key's inputs are named by the paths the item types use in their
problems (``key.correct``, ``key.truth.A``, ``key.pairs.A``, ``key.gaps[0].accepted`` …), so
every :class:`Problem` returned here names the input it concerns (see :func:`input_field`).
Each kind's key inputs are read and written in :mod:`item_bank.web.editor_keys`.

Rows are read in the order they stand; trailing rows left blank are spare rows, not parts (the
form offers a few), while a blank row in the middle is reported beside itself. Row ids travel
in hidden inputs so that an edited item keeps its part ids.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Protocol

from item_bank.content import ItemContent, ItemKind, Part
from item_bank.types import Problem, item_type
from item_bank.types.base import format_number_vi
from item_bank.web.editor_keys import KIND_FIELDS, Parts
from item_bank.web.editor_values import (
    MAX_ROWS,
    ROW_GROUPS,
    ROW_NAME,
    SPARE_ROWS,
    Form,
    FormValues,
    next_free_id,
    read_number,
    rows_form,
)
from item_bank.workflow import Classification

__all__ = ["content_from_form", "form_from_content", "input_field", "with_row_added",
           "with_row_removed", "with_spare_rows"]


# -- reading the parts and the filing ------------------------------------------------------------

def _without_spare_rows(rows: list[Part]) -> list[Part]:
    while rows and not rows[-1].text:
        rows.pop()
    return rows


def read_parts(form: FormValues, group: str) -> tuple[Part, ...]:
    rows = _without_spare_rows(form.rows(group))
    taken = [row.id for row in rows if row.id]
    parts = []
    for row in rows:
        part_id = row.id or next_free_id(taken, group)
        taken.append(part_id)
        parts.append(Part(part_id, row.text))
    return tuple(parts)


def read_classification(form: FormValues) -> tuple[Classification, list[Problem]]:
    problems: list[Problem] = []
    grade: int | None = None
    if form.text("grade"):
        try:
            grade = int(form.text("grade"))
        except ValueError:
            problems.append(Problem("grade", "Lớp phải là một số từ 1 đến 12.",
                                    "The grade must be a number from 1 to 12."))

    def optional(name: str) -> str | None:
        return form.text(name) or None

    tags = tuple(tag.strip() for tag in form.get("tags").split(",") if tag.strip())
    return Classification(
        module=optional("module"), code=optional("code"), subject=optional("subject"),
        grade=grade, ic3_domain=optional("ic3_domain"), difficulty=optional("difficulty"),
        title=optional("title"), tags=tags), problems


class Filed(Protocol):
    """Where an item is filed: an Item, an ItemRecord or a Classification all have this."""

    module: str | None
    code: str | None
    subject: str | None
    grade: int | None
    ic3_domain: str | None
    difficulty: str | None
    title: str | None
    tags: tuple[str, ...]


def classification_form(filed: Filed) -> dict[str, list[str]]:
    return {"module": [filed.module or ""], "code": [filed.code or ""],
            "subject": [filed.subject or ""],
            "grade": [str(filed.grade) if filed.grade is not None else ""],
            "ic3_domain": [filed.ic3_domain or ""], "difficulty": [filed.difficulty or ""],
            "title": [filed.title or ""], "tags": [", ".join(filed.tags)]}


# -- problems beside their inputs ----------------------------------------------------------------

_FIELD_TO_INPUT: tuple[tuple[re.Pattern[str], str], ...] = (
    # one textarea holds a list: its problems go beside the textarea
    (re.compile(r"^(key(?:\.gaps\[\d+\])?\.accepted)\[\d+\]$"), r"\1"),
    (re.compile(r"^(key\.gaps\[\d+\]\.choices)\[\d+\]\.(?:id|text)$"), r"\1"),
    # ids are hidden: a duplicate id is shown beside the row's text
    (re.compile(r"^((?:choices|targets)\[\d+\])\.id$"), r"\1.text"),
    # the ordering key is the order of the rows
    (re.compile(r"^key\.order$"), "choices"),
)


def input_field(name: str) -> str:
    """The form input a problem's field concerns (``key.accepted[2]`` -> ``key.accepted``)."""
    for pattern, replacement in _FIELD_TO_INPUT:
        if pattern.match(name):
            return pattern.sub(replacement, name)
    return name


def beside_inputs(problems: Iterable[Problem]) -> list[Problem]:
    return [Problem(input_field(p.field), p.message_vi, p.message_en) for p in problems]


# -- the whole form ------------------------------------------------------------------------------

def content_from_form(form: Form) -> tuple[ItemContent | None, Classification, list[Problem]]:
    """The item a submitted editor form describes, where it is filed, and every problem, each
    named by its input. The content is built as far as it goes even with problems (the live
    preview shows it); it is ``None`` only when the kind is unknown."""
    values = FormValues(form)
    where, problems = read_classification(values)
    try:
        kind = ItemKind(values.text("kind"))
    except ValueError:
        return None, where, [Problem("kind", "Hãy chọn loại câu hỏi.", "Choose the item type."),
                             *problems]
    fields = KIND_FIELDS[kind]
    points = read_number(values, "points", problems)
    parts = Parts(read_parts(values, "choices") if "choices" in fields.groups else (),
                  read_parts(values, "targets") if "targets" in fields.groups else ())
    key = fields.read(values, parts)
    problems.extend(key.problems)
    content = ItemContent(
        kind=kind, stem=values.text("stem"),
        choices=key.choices if key.choices is not None else parts.choices,
        targets=parts.targets, key=key.key, points=points if points is not None else 1.0,
        feedback=values.text("feedback") or None, shuffle=bool(values.get("shuffle")))
    reported = {p.field for p in problems}  # the form's own reading says it more precisely
    problems.extend(p for p in beside_inputs(item_type(kind).validate(content))
                    if p.field not in reported)
    return content, where, problems


def form_from_content(content: ItemContent, item: Filed | None = None) -> dict[str, list[str]]:
    """The editor's input values for ``content`` (and where ``item`` is filed): what
    :func:`content_from_form` reads back into the same content."""
    form: dict[str, list[str]] = {
        "kind": [content.kind.value], "stem": [content.stem],
        "points": [format_number_vi(float(content.points))],
        "feedback": [content.feedback or ""], "shuffle": ["1"] if content.shuffle else [],
        **rows_form("choices", content.choices), **rows_form("targets", content.targets)}
    form.update(KIND_FIELDS[content.kind].write(content))
    if item is not None:
        form.update(classification_form(item))
    return form


# -- shaping the form for display (spare rows, rows added or removed without JavaScript) --------

def _group_rows(form: FormValues, group: str) -> list[dict[str, list[str]]]:
    rows: list[dict[str, list[str]]] = [{} for _ in range(form.count(group))]
    for name in form.names():
        match = ROW_NAME.match(name)
        if match and match.group(1) == group and int(match.group(2)) < len(rows):
            rows[int(match.group(2))][match.group(3)] = form.getlist(name)
    return rows


def _with_rows(form: FormValues, group: str,
               rows: list[dict[str, list[str]]]) -> dict[str, list[str]]:
    kept = {name: values for name, values in form.as_lists().items()
            if not ((m := ROW_NAME.match(name)) and m.group(1) == group)}
    taken = [row["id"][0] for row in rows if row.get("id") and row["id"][0]]
    for index, row in enumerate(rows):
        if not (row.get("id") and row["id"][0]):
            row = {**row, "id": [next_free_id(taken, group)]}
            taken.append(row["id"][0])
        kept.update({f"{group}[{index}].{suffix}": values for suffix, values in row.items()})
    return kept


def with_spare_rows(form: Form) -> dict[str, list[str]]:
    """The form with at least a few rows in every group, each with an id, ready to show."""
    values = FormValues(form)
    for group in ROW_GROUPS:
        rows = _group_rows(values, group)
        rows += [{} for _ in range(SPARE_ROWS[group] - len(rows))]
        values = FormValues(_with_rows(values, group, rows))
    return values.as_lists()


def with_row_added(form: Form, group: str) -> dict[str, list[str]]:
    values = FormValues(form)
    rows = _group_rows(values, group)
    return _with_rows(values, group, rows + [{}] if len(rows) < MAX_ROWS else rows)


def with_row_removed(form: Form, group: str, index: int) -> dict[str, list[str]]:
    """Without the row; the key inputs of a removed part vanish with it when the form is
    shown again, since only existing rows get key inputs."""
    values = FormValues(form)
    rows = _group_rows(values, group)
    return _with_rows(values, group, [row for i, row in enumerate(rows) if i != index])
