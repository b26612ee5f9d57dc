"""The item types: one class per :class:`~item_bank.content.ItemKind`, each knowing how to
validate, show, read and score its items (see :mod:`item_bank.types.base` for the contract).

Usage: ``item_type(content.kind).score(content, response)``.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from item_bank.content import ItemKind
from item_bank.types.base import InvalidResponse, ItemType, Problem
from item_bank.types.cloze import Cloze
from item_bank.types.matching import Matching
from item_bank.types.multiple import MultipleResponse
from item_bank.types.numeric import NumericAnswer, parse_number
from item_bank.types.ordering import Ordering
from item_bank.types.short_answer import ShortAnswer
from item_bank.types.single import SingleChoice
from item_bank.types.true_false4 import TrueFalse4

__all__ = [
    "ITEM_TYPES",
    "InvalidResponse",
    "ItemType",
    "Problem",
    "item_type",
    "parse_number",
]

ITEM_TYPES: Mapping[ItemKind, ItemType] = MappingProxyType({
    item.kind: item for item in (
        SingleChoice(), MultipleResponse(), TrueFalse4(), Matching(), Ordering(), ShortAnswer(),
        NumericAnswer(), Cloze(),
    )
})


def item_type(kind: ItemKind | str) -> ItemType:
    """The type object for ``kind`` ("single", ItemKind.CLOZE …); ``ValueError`` if unknown."""
    try:
        return ITEM_TYPES[ItemKind(kind)]
    except ValueError:
        raise ValueError(f"unknown item kind {kind!r}; known: "
                         f"{', '.join(map(str, ITEM_TYPES))}") from None
