"""Item versions get ``search_text``: stem and parts folded for accent-insensitive search.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24
"""
import sqlalchemy as sa
from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def search_text_of(content) -> str:
    """Frozen copy of the folding as it stood at this revision (stem, choices, targets)."""
    import json

    from item_bank.sanitise import plain_text
    from item_bank.text_normalise import search_key
    if isinstance(content, str):
        content = json.loads(content)
    parts = [content.get("stem") or ""]
    parts += [p.get("text") or "" for p in content.get("choices") or ()]
    parts += [p.get("text") or "" for p in content.get("targets") or ()]
    return search_key(" ".join(plain_text(part) for part in parts))


def upgrade() -> None:
    with op.batch_alter_table('item_versions') as batch:
        batch.add_column(sa.Column('search_text', sa.Text(), nullable=True))
    versions = sa.table('item_versions', sa.column('id', sa.Integer),
                        sa.column('content', sa.JSON), sa.column('search_text', sa.Text))
    conn = op.get_bind()
    for row in conn.execute(sa.select(versions.c.id, versions.c.content)).all():
        conn.execute(versions.update().where(versions.c.id == row.id).values(
            search_text=search_text_of(row.content)))


def downgrade() -> None:
    with op.batch_alter_table('item_versions') as batch:
        batch.drop_column('search_text')
