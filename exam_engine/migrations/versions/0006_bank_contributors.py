"""Every contributor of an item version is recorded (its author and everyone who edited it), so
that none of them approves it: an edit used to keep only the first author.

Existing versions get their author and every actor of their "created", "edited" and
"new_version" events.

Revision ID: 0006_bank
Revises: 0005_certs
Create Date: 2026-12-05
"""
import sqlalchemy as sa
from alembic import op

revision = '0006_bank'
down_revision = '0005_certs'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'item_version_contributors',
        sa.Column('version_id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['version_id'], ['item_versions.id'],
                                name=op.f('fk_item_version_contributors_version_id_item_versions')),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'],
                                name=op.f('fk_item_version_contributors_user_id_users')),
        sa.PrimaryKeyConstraint('version_id', 'user_id',
                                name=op.f('pk_item_version_contributors')))
    # UNION (not UNION ALL) drops the pairs found twice, so the primary key holds.
    op.execute(sa.text(
        "INSERT INTO item_version_contributors (version_id, user_id) "
        "SELECT id, author_id FROM item_versions WHERE author_id IS NOT NULL "
        "UNION "
        "SELECT version_id, actor_id FROM item_events "
        "WHERE action IN ('created', 'edited', 'new_version') "
        "AND version_id IS NOT NULL AND actor_id IS NOT NULL"))


def downgrade() -> None:
    op.drop_table('item_version_contributors')
