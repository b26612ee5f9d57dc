"""Loading seed data (the TT03 requirement tree and the demo bank) into the database.

Idempotent: rows that already exist (by code or key) are left as they are.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from item_bank.content import choice_item, content_to_json
from item_bank.models import Item, ItemStatus, ItemVersion, RequirementCode
from item_bank.seed import demo_irt_parameters
from item_bank.workflow import clean_content


def seed_requirements(db: Session, tree: Mapping[str, Any]) -> int:
    """Insert the module / area / sub-area nodes not yet present; returns how many were added."""
    existing = set(db.scalars(select(RequirementCode.code)))
    added = 0

    def walk(node: Mapping[str, Any], parent: str | None, module: str) -> None:
        nonlocal added
        if node["code"] not in existing:
            db.add(RequirementCode(code=node["code"], parent_code=parent, module=module,
                                   name=node["name"], name_en=node.get("name_en"),
                                   level=node.get("level")))
            existing.add(node["code"])
            added += 1
        for child in node.get("areas", []) + node.get("children", []):
            walk(child, node["code"], module)

    for module in tree["modules"]:
        walk(module, None, module["code"])
    db.flush()
    return added


def seed_items(db: Session, items: Iterable[Mapping[str, Any]], *,
               status: ItemStatus = ItemStatus.APPROVED) -> int:
    """Insert bank items (version 1) with demo IRT parameters; returns how many were added."""
    existing = set(db.scalars(select(Item.key)))
    added = 0
    for data in items:
        if data["key"] in existing:
            continue
        item = Item(key=data["key"], module=data["module"], code=data["code"])
        db.add(item)
        db.flush()
        irt = demo_irt_parameters(dict(data))
        # Stored as every other path stores content: sanitised HTML ("A > B" -> "A &gt; B").
        content = clean_content(choice_item(data["type"], data["stem"], list(data["options"]),
                                            list(data["correct"]), data.get("explanation")))
        db.add(ItemVersion(item_id=item.id, version=1, kind=content.kind.value,
                           content=content_to_json(content), status=status,
                           irt_a=irt["a"], irt_b=irt["b"], irt_c=irt["c"], irt_is_demo=True))
        existing.add(data["key"])
        added += 1
    db.flush()
    return added
