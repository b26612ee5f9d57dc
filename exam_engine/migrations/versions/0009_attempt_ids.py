"""Every attempt gets its own secret for the opaque part ids its candidate's page sees (part and
option ids are keyed hashes of it, so nothing the browser receives correlates with the key).

Revision ID: 0009_attempt_ids
Revises: 0008_auth
Create Date: 2026-12-05
"""
import secrets

import sqlalchemy as sa
from alembic import op

revision = '0009_attempt_ids'
down_revision = '0008_auth'
branch_labels = None
depends_on = None


def _new_part_secret() -> str:
    # frozen copy of exam_engine.exams.models.new_part_secret
    return secrets.token_hex(16)


def upgrade() -> None:
    with op.batch_alter_table('attempts') as batch:
        batch.add_column(sa.Column('part_secret', sa.String(length=32), nullable=True))
    attempts = sa.table('attempts', sa.column('id', sa.Integer()),
                        sa.column('part_secret', sa.String(length=32)))
    conn = op.get_bind()
    for (attempt_id,) in conn.execute(sa.select(attempts.c.id)).all():
        conn.execute(attempts.update().where(attempts.c.id == attempt_id)
                     .values(part_secret=_new_part_secret()))
    with op.batch_alter_table('attempts') as batch:
        batch.alter_column('part_secret', existing_type=sa.String(length=32), nullable=False)


def downgrade() -> None:
    with op.batch_alter_table('attempts') as batch:
        batch.drop_column('part_secret')
