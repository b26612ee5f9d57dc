"""Form assembly (pure): each candidate's own random form meeting the per-module counts.

Forms are assembled when a session is scheduled, never when the room presses Start. The rng is
injected, and a form is replayable from the seed stored with the attempt.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from item_bank.content import ItemContent
from item_bank.types import item_type


@dataclass(frozen=True)
class FormSlot:
    position: int
    module: str
    item_version_id: int
    # choice items: shown position -> original option index; other kinds: the type's display
    # order of part ids (``ItemType.candidate_view(...)["order"]``)
    option_order: tuple[int, ...] | dict[str, Any]


class InsufficientItems(ValueError):
    """The bank cannot fill the blueprint for a module."""

    def __init__(self, module: str, needed: int, available: int) -> None:
        super().__init__(f"module {module}: the form needs {needed} approved items, "
                         f"the bank has {available}")
        self.module, self.needed, self.available = module, needed, available


def check_pools(pools: Mapping[str, Sequence[int]], counts: Mapping[str, int]) -> None:
    """Raise InsufficientItems for the first module the bank cannot fill."""
    for module, needed in sorted(counts.items()):
        available = len(pools.get(module, ()))
        if needed > available:
            raise InsufficientItems(module, needed, available)


def assemble_form(pools: Mapping[str, Sequence[int]], counts: Mapping[str, int],
                  shapes: Mapping[int, int | ItemContent],
                  rng: np.random.Generator) -> list[FormSlot]:
    """One random form: ``counts[module]`` distinct items drawn from ``pools[module]``
    (item version ids), modules in code order, items and their parts shuffled.

    ``shapes[item_version_id]`` is, for a single/multiple choice item, how many options it has
    (its options are permuted); for any other kind, its content, whose type draws the display
    order from the same ``rng`` (``candidate_view``), so the whole form replays from one seed.
    """
    check_pools(pools, counts)
    slots: list[FormSlot] = []
    for module in sorted(counts):
        pool = np.asarray(pools[module])
        chosen = rng.choice(pool, size=counts[module], replace=False)
        for version_id in chosen.tolist():
            shape = shapes[version_id]
            order: tuple[int, ...] | dict[str, Any]
            if isinstance(shape, ItemContent):
                order = item_type(shape.kind).candidate_view(shape, rng)["order"]
            else:
                order = tuple(int(i) for i in rng.permutation(shape))
            slots.append(FormSlot(len(slots), module, version_id, order))
    return slots
