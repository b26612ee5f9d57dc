"""Who sits (issue 11): a session's login mode, each candidate's personal one-time login code
(stored as a hash only), and the append-only admission audit (requests and admissions).

Existing sessions keep working the new way: they default to the personal code, and their
candidates have none until the cards are printed (the proctor prints them, or switches the
session to proctor admission).

Revision ID: 0010_admission
Revises: 0009_attempt_ids
Create Date: 2026-12-05
"""
import sqlalchemy as sa
from alembic import op

import exam_engine.kernel.db

revision = '0010_admission'
down_revision = '0009_attempt_ids'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('exam_sessions') as batch:
        batch.add_column(sa.Column('login_mode', sa.String(length=20), nullable=False,
                                   server_default='personal_code'))
    with op.batch_alter_table('exam_sessions') as batch:
        batch.alter_column('login_mode', existing_type=sa.String(length=20), server_default=None)
    with op.batch_alter_table('candidates') as batch:
        batch.add_column(sa.Column('login_code_hash', sa.String(length=64), nullable=True))
        batch.add_column(sa.Column('login_code_issued_at',
                                   exam_engine.kernel.db.UTCDateTime(timezone=True),
                                   nullable=True))
        batch.add_column(sa.Column('login_code_spent_at',
                                   exam_engine.kernel.db.UTCDateTime(timezone=True),
                                   nullable=True))
    op.create_table(
        'admission_requests',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('attempt_id', sa.Integer(), nullable=False),
        sa.Column('requested_at', exam_engine.kernel.db.UTCDateTime(timezone=True),
                  nullable=False),
        sa.Column('remote_addr', sa.String(length=45), nullable=True),
        sa.ForeignKeyConstraint(['attempt_id'], ['attempts.id'],
                                name=op.f('fk_admission_requests_attempt_id_attempts')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_admission_requests')))
    with op.batch_alter_table('admission_requests') as batch:
        batch.create_index(batch.f('ix_admission_requests_attempt_id'), ['attempt_id'],
                           unique=False)
    op.create_table(
        'admissions',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('request_id', sa.Integer(), nullable=False),
        sa.Column('admitted_by', sa.Integer(), nullable=False),
        sa.Column('admitted_at', exam_engine.kernel.db.UTCDateTime(timezone=True),
                  nullable=False),
        sa.Column('entered_at', exam_engine.kernel.db.UTCDateTime(timezone=True),
                  nullable=True),
        sa.ForeignKeyConstraint(['request_id'], ['admission_requests.id'],
                                name=op.f('fk_admissions_request_id_admission_requests')),
        sa.ForeignKeyConstraint(['admitted_by'], ['users.id'],
                                name=op.f('fk_admissions_admitted_by_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_admissions')),
        sa.UniqueConstraint('request_id', name=op.f('uq_admissions_request_id')))


def downgrade() -> None:
    op.drop_table('admissions')
    with op.batch_alter_table('admission_requests') as batch:
        batch.drop_index(batch.f('ix_admission_requests_attempt_id'))
    op.drop_table('admission_requests')
    with op.batch_alter_table('candidates') as batch:
        batch.drop_column('login_code_spent_at')
        batch.drop_column('login_code_issued_at')
        batch.drop_column('login_code_hash')
    with op.batch_alter_table('exam_sessions') as batch:
        batch.drop_column('login_mode')
