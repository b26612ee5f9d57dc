"""Items are filed by subject and grade too (TT03 module and code become optional), with an IC3
GS6 domain, a title, the author's difficulty and free tags; item images are stored by hash.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-04
"""
import sqlalchemy as sa
from alembic import op

import exam_engine.kernel.db

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('items') as batch:
        batch.alter_column('module', existing_type=sa.String(length=4), nullable=True)
        batch.alter_column('code', existing_type=sa.String(length=20), nullable=True)
        batch.add_column(sa.Column('title', sa.String(length=200), nullable=True))
        batch.add_column(sa.Column('subject', sa.String(length=100), nullable=True))
        batch.add_column(sa.Column('grade', sa.Integer(), nullable=True))
        batch.add_column(sa.Column('ic3_domain', sa.String(length=2), nullable=True))
        batch.add_column(sa.Column('difficulty', sa.String(length=10), nullable=True))
        batch.create_index(batch.f('ix_items_subject'), ['subject'], unique=False)
    op.create_table(
        'item_tags',
        sa.Column('item_id', sa.Integer(), nullable=False),
        sa.Column('folded', sa.String(length=60), nullable=False),
        sa.Column('tag', sa.String(length=60), nullable=False),
        sa.Column('position', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['item_id'], ['items.id'],
                                name=op.f('fk_item_tags_item_id_items')),
        sa.PrimaryKeyConstraint('item_id', 'folded', name=op.f('pk_item_tags')))
    with op.batch_alter_table('item_tags') as batch:
        batch.create_index(batch.f('ix_item_tags_folded'), ['folded'], unique=False)
    op.create_table(
        'media_files',
        sa.Column('sha256', sa.String(length=64), nullable=False),
        sa.Column('extension', sa.String(length=5), nullable=False),
        sa.Column('mime_type', sa.String(length=40), nullable=False),
        sa.Column('size', sa.Integer(), nullable=False),
        sa.Column('data', sa.LargeBinary(), nullable=False),
        sa.Column('original_name', sa.String(length=200), nullable=True),
        sa.Column('created_by', sa.Integer(), nullable=True),
        sa.Column('created_at', exam_engine.kernel.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['created_by'], ['users.id'],
                                name=op.f('fk_media_files_created_by_users')),
        sa.PrimaryKeyConstraint('sha256', name=op.f('pk_media_files')))


def downgrade() -> None:
    op.drop_table('media_files')
    with op.batch_alter_table('item_tags') as batch:
        batch.drop_index(batch.f('ix_item_tags_folded'))
    op.drop_table('item_tags')
    with op.batch_alter_table('items') as batch:
        batch.drop_index(batch.f('ix_items_subject'))
        for column in ('difficulty', 'ic3_domain', 'grade', 'subject', 'title'):
            batch.drop_column(column)
        batch.alter_column('code', existing_type=sa.String(length=20), nullable=False)
        batch.alter_column('module', existing_type=sa.String(length=4), nullable=False)
