"""Opaque per-attempt part ids: what the candidate's browser calls the parts of a question.

Part ids are the author's ("A", "B", … or a source file's own), and authors and imports store
them in key order (ordering steps A→B→C, matching pairs A→1, B→2), so a page that showed them
would hand out the key. The browser instead sees, for every option, statement, item to order,
target and cloze option, a keyed hash of (attempt secret, question position, field, part id):
stable for the attempt (a resumed page and its outbox keep working), unrelated across attempts
and questions, and meaningless without ``Attempt.part_secret``, which never leaves the server.
The server maps them back here, so from the save onwards every kind's answer is in part ids.

Fields: ``choices``, ``targets`` and ``gap:<gap id>`` (the options of a cloze choice gap).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from item_bank.content import ItemContent, ItemKind
from item_bank.types import InvalidResponse
from item_bank.types.base import is_blank, part_ids
from item_bank.types.cloze import gap_options

_TOKEN_BYTES = 9  # 72 bits: never guessed; 18 hex characters on the page


def _keyed(secret: str) -> Any:
    # BLAKE2b in keyed mode is a MAC (RFC 7693 §2.5), and a few times faster than HMAC-SHA-256
    # here: a choice save computes one id per option on the hot path.
    return hashlib.blake2b(key=secret.encode(), digest_size=_TOKEN_BYTES)


def _token(keyed: Any, position: int, field: str, part_id: str) -> str:
    mac = keyed.copy()
    mac.update(f"{position}\x1f{field}\x1f{part_id}".encode())
    return mac.hexdigest()


def part_token(secret: str, position: int, field: str, part_id: str) -> str:
    """The opaque id the page sees for ``part_id`` of ``field`` in question ``position``."""
    return _token(_keyed(secret), position, field, part_id)


def content_fields(content: ItemContent) -> dict[str, list[str]]:
    """The part ids of every field of ``content`` that the page names by opaque ids."""
    fields = {"choices": part_ids(content.choices), "targets": part_ids(content.targets)}
    if content.kind is ItemKind.CLOZE:
        for gap in content.key.get("gaps", ()):
            if isinstance(gap, Mapping) and "choices" in gap:
                fields[f"gap:{gap['id']}"] = part_ids(gap_options(dict(gap)))
    return fields


class QuestionTokens:
    """The opaque ids of one question of one attempt, both ways."""

    def __init__(self, secret: str, position: int, fields: Mapping[str, Sequence[str]]) -> None:
        self.position, self.fields = position, fields
        self._keyed = _keyed(secret)
        self._reverse: dict[str, dict[str, str]] = {}

    def token(self, field: str, part_id: str) -> str:
        return _token(self._keyed, self.position, field, part_id)

    def part_id(self, field: str, value: Any) -> Any:
        """The part id behind the opaque id ``value``; a value of another type is returned as
        it is, for the item type to refuse with its own message."""
        if not isinstance(value, str) or not value.strip():
            return value
        reverse = self._reverse.get(field)
        if reverse is None:
            reverse = self._reverse[field] = {
                self.token(field, part_id): part_id for part_id in self.fields.get(field, ())}
        try:
            return reverse[value]
        except KeyError:
            raise InvalidResponse(
                "Câu trả lời nêu một phương án không có trong câu hỏi này; hãy tải lại trang.",
                "the response names a part this question does not have", "response") from None


def response_in_part_ids(kind: str, raw: Any, tokens: QuestionTokens) -> Any:
    """The browser's response with its opaque ids replaced by part ids (same shape)."""
    return _map_response(kind, raw, tokens, tokens.part_id)


def response_in_tokens(kind: str, response: Any, tokens: QuestionTokens) -> Any:
    """A stored (part-id) response as the page knows it, in opaque ids."""
    return _map_response(kind, response, tokens, tokens.token)


def _map_response(kind: str, raw: Any, tokens: QuestionTokens,
                  name: Callable[[str, Any], Any]) -> Any:
    if is_blank(raw):
        return raw
    if kind in (ItemKind.SINGLE, ItemKind.MULTIPLE, ItemKind.ORDERING):
        if isinstance(raw, list | tuple):
            return [name("choices", value) for value in raw]
        return name("choices", raw) if isinstance(raw, str) else raw
    if not isinstance(raw, Mapping):
        return raw
    if kind == ItemKind.TRUE_FALSE4:
        return {name("choices", key): value for key, value in raw.items()}
    if kind == ItemKind.MATCHING:
        return {name("choices", key): (name("targets", value) if isinstance(value, str)
                                       and value else value) for key, value in raw.items()}
    if kind == ItemKind.CLOZE:
        return {gap_id: (name(f"gap:{gap_id}", value)
                         if f"gap:{gap_id}" in tokens.fields and isinstance(value, str) else value)
                for gap_id, value in raw.items()}
    return raw


def tokenised_view(view: Mapping[str, Any], tokens: QuestionTokens) -> dict[str, Any]:
    """A type's candidate view with every part id replaced by its opaque id."""
    out = dict(view)
    for field in ("choices", "targets"):
        if field in view:
            out[field] = [{**part, "id": tokens.token(field, part["id"])} for part in view[field]]
    if "gaps" in view:
        out["gaps"] = [{**gap, "options": [{**option, "id": tokens.token(f"gap:{gap['id']}",
                                                                           option["id"])}
                                           for option in gap["options"]]}
                       if "options" in gap else gap for gap in view["gaps"]]
    return out
