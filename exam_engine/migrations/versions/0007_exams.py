"""Exam sessions get a sitting window, a closed state and an audit history of their status
changes; attempts may end absent (issue 10, hole 4). Statuses are stored as strings
(non-native enums), so the new values need no column change.

Revision ID: 0007_exams
Revises: 0006_bank
Create Date: 2026-12-05
"""
import sqlalchemy as sa
from alembic import op

import exam_engine.kernel.db

revision = '0007_exams'
down_revision = '0006_bank'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('exam_sessions') as batch:
        batch.add_column(sa.Column('sitting_opens_at',
                                   exam_engine.kernel.db.UTCDateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column('sitting_closes_at',
                                   exam_engine.kernel.db.UTCDateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column('closed_at',
                                   exam_engine.kernel.db.UTCDateTime(timezone=True), nullable=True))
    op.create_table(
        'exam_session_events',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('exam_session_id', sa.Integer(), nullable=False),
        sa.Column('from_status', sa.String(length=20), nullable=False),
        sa.Column('to_status', sa.String(length=20), nullable=False),
        sa.Column('actor', sa.String(length=40), nullable=False),
        sa.Column('detail', sa.Text(), nullable=True),
        sa.Column('at', exam_engine.kernel.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['exam_session_id'], ['exam_sessions.id'],
                                name=op.f('fk_exam_session_events_exam_session_id_exam_sessions')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_exam_session_events')),
    )
    with op.batch_alter_table('exam_session_events') as batch:
        batch.create_index(batch.f('ix_exam_session_events_exam_session_id'),
                           ['exam_session_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('exam_session_events') as batch:
        batch.drop_index(batch.f('ix_exam_session_events_exam_session_id'))
    op.drop_table('exam_session_events')
    with op.batch_alter_table('exam_sessions') as batch:
        batch.drop_column('closed_at')
        batch.drop_column('sitting_closes_at')
        batch.drop_column('sitting_opens_at')
