"""Item versions hold their content as one JSON document (every item type, one shape);
item history (who did what, when) for the review workflow.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24
"""
import json

import sqlalchemy as sa
from alembic import op

import exam_engine.kernel.db

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def _content(kind: str, stem: str, options, correct, explanation):
    options = json.loads(options) if isinstance(options, str) else options
    correct = json.loads(correct) if isinstance(correct, str) else correct
    ids = [chr(ord("A") + i) for i in range(len(options))]
    right = [ids[i] for i in correct]
    key = ({"correct": right[0]} if kind == "single"
           else {"correct": right, "scoring": "all_or_nothing"})
    choices = [{"id": i, "text": t} for i, t in zip(ids, options, strict=True)]
    return {"kind": kind, "stem": stem, "choices": choices,
            "targets": [], "key": key, "points": 1.0, "feedback": explanation, "shuffle": True}


def upgrade() -> None:
    with op.batch_alter_table('item_versions') as batch:
        batch.add_column(sa.Column('kind', sa.String(length=20), nullable=True))
        batch.add_column(sa.Column('content', sa.JSON(), nullable=True))
        batch.add_column(sa.Column('author_id', sa.Integer(), nullable=True))
        batch.create_foreign_key(op.f('fk_item_versions_author_id_users'), 'users',
                                 ['author_id'], ['id'])
    versions = sa.table('item_versions', sa.column('id', sa.Integer), sa.column('type', sa.String),
                        sa.column('stem', sa.Text), sa.column('options', sa.JSON),
                        sa.column('correct', sa.JSON), sa.column('explanation', sa.Text),
                        sa.column('kind', sa.String), sa.column('content', sa.JSON))
    conn = op.get_bind()
    for row in conn.execute(sa.select(versions)).all():
        conn.execute(versions.update().where(versions.c.id == row.id).values(
            kind=row.type, content=_content(row.type, row.stem, row.options, row.correct,
                                            row.explanation)))
    with op.batch_alter_table('item_versions') as batch:
        batch.alter_column('kind', existing_type=sa.String(length=20), nullable=False)
        batch.alter_column('content', existing_type=sa.JSON(), nullable=False)
        for column in ('type', 'stem', 'options', 'correct', 'explanation'):
            batch.drop_column(column)
    op.create_table('item_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('version_id', sa.Integer(), nullable=True),
    sa.Column('action', sa.String(length=20), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('comment', sa.Text(), nullable=True),
    sa.Column('at', exam_engine.kernel.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_item_events_actor_id_users')),
    sa.ForeignKeyConstraint(['item_id'], ['items.id'], name=op.f('fk_item_events_item_id_items')),
    sa.ForeignKeyConstraint(['version_id'], ['item_versions.id'], name=op.f('fk_item_events_version_id_item_versions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_item_events'))
    )
    op.create_index(op.f('ix_item_events_item_id'), 'item_events', ['item_id'], unique=False)


def downgrade() -> None:
    raise NotImplementedError("item content of every type cannot be folded back into the "
                              "choice columns of revision 0001")
