"""Logins that can be ended and throttling that survives the cache: server-side login sessions
(logout and a password change end every copy of a cookie) and login-failure counters in the
database (a cache that is down neither unlocks an account nor gives a 500).

Revision ID: 0008_auth
Revises: 0007_exams
Create Date: 2026-12-05
"""
import sqlalchemy as sa
from alembic import op

import exam_engine.kernel.db

revision = '0008_auth'
down_revision = '0007_exams'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'login_sessions',
        sa.Column('id_hash', sa.String(length=64), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=True),
        sa.Column('attempt_id', sa.Integer(), nullable=True),
        sa.Column('created_at', exam_engine.kernel.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column('ended_at', exam_engine.kernel.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'],
                                name=op.f('fk_login_sessions_user_id_users')),
        sa.PrimaryKeyConstraint('id_hash', name=op.f('pk_login_sessions')))
    with op.batch_alter_table('login_sessions') as batch:
        batch.create_index(batch.f('ix_login_sessions_user_id'), ['user_id'], unique=False)
        batch.create_index(batch.f('ix_login_sessions_attempt_id'), ['attempt_id'], unique=False)
    op.create_table(
        'login_failures',
        sa.Column('key', sa.String(length=64), nullable=False),
        sa.Column('tries', sa.Integer(), nullable=False),
        sa.Column('window_started_at', exam_engine.kernel.db.UTCDateTime(timezone=True),
                  nullable=False),
        sa.PrimaryKeyConstraint('key', name=op.f('pk_login_failures')))
    with op.batch_alter_table('login_failures') as batch:
        batch.create_index(batch.f('ix_login_failures_window_started_at'), ['window_started_at'],
                           unique=False)


def downgrade() -> None:
    op.drop_table('login_failures')
    op.drop_table('login_sessions')
