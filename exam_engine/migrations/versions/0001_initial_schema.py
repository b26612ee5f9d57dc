"""Initial schema: accounts, item bank, exams, certificates and the master register.

Revision ID: 0001
Revises: (none)
Create Date: 2026-11-24
"""
import sqlalchemy as sa
from alembic import op

import exam_engine.kernel.db

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('register_counters',
    sa.Column('certificate_type', sa.String(length=10), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('last_seq', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('certificate_type', 'year', name=op.f('pk_register_counters'))
    )
    op.create_table('requirement_codes',
    sa.Column('code', sa.String(length=20), nullable=False),
    sa.Column('parent_code', sa.String(length=20), nullable=True),
    sa.Column('module', sa.String(length=4), nullable=False),
    sa.Column('name', sa.String(length=300), nullable=False),
    sa.Column('name_en', sa.String(length=300), nullable=True),
    sa.Column('level', sa.String(length=10), nullable=True),
    sa.ForeignKeyConstraint(['parent_code'], ['requirement_codes.code'], name=op.f('fk_requirement_codes_parent_code_requirement_codes')),
    sa.PrimaryKeyConstraint('code', name=op.f('pk_requirement_codes'))
    )
    with op.batch_alter_table('requirement_codes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_requirement_codes_module'), ['module'], unique=False)

    op.create_table('users',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('username', sa.String(length=80), nullable=False),
    sa.Column('full_name', sa.String(length=200), nullable=False),
    sa.Column('role', sa.Enum('candidate', 'student', 'teacher', 'reviewer', 'proctor', 'staff', 'admin', name='role', native_enum=False, length=20), nullable=False),
    sa.Column('password_hash', sa.String(length=200), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', exam_engine.kernel.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_users')),
    sa.UniqueConstraint('username', name=op.f('uq_users_username'))
    )
    op.create_table('exam_sessions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('certificate_type', sa.String(length=10), nullable=False),
    sa.Column('exam_date', sa.Date(), nullable=False),
    sa.Column('room', sa.String(length=100), nullable=False),
    sa.Column('exam_council', sa.String(length=200), nullable=False),
    sa.Column('duration_minutes', sa.Integer(), nullable=False),
    sa.Column('items_per_module', sa.JSON(), nullable=False),
    sa.Column('pass_percent', sa.Float(), nullable=False),
    sa.Column('session_code', sa.String(length=12), nullable=False),
    sa.Column('status', sa.Enum('draft', 'scheduled', 'approved', name='sessionstatus', native_enum=False, length=20), nullable=False),
    sa.Column('form_seed', sa.Integer(), nullable=True),
    sa.Column('created_by', sa.Integer(), nullable=True),
    sa.Column('approved_by', sa.Integer(), nullable=True),
    sa.Column('approved_at', exam_engine.kernel.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_at', exam_engine.kernel.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['approved_by'], ['users.id'], name=op.f('fk_exam_sessions_approved_by_users')),
    sa.ForeignKeyConstraint(['created_by'], ['users.id'], name=op.f('fk_exam_sessions_created_by_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_exam_sessions')),
    sa.UniqueConstraint('session_code', name=op.f('uq_exam_sessions_session_code'))
    )
    op.create_table('items',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=40), nullable=False),
    sa.Column('module', sa.String(length=4), nullable=False),
    sa.Column('code', sa.String(length=20), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=True),
    sa.Column('created_at', exam_engine.kernel.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['author_id'], ['users.id'], name=op.f('fk_items_author_id_users')),
    sa.ForeignKeyConstraint(['code'], ['requirement_codes.code'], name=op.f('fk_items_code_requirement_codes')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_items')),
    sa.UniqueConstraint('key', name=op.f('uq_items_key'))
    )
    with op.batch_alter_table('items', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_items_module'), ['module'], unique=False)

    op.create_table('candidates',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('exam_session_id', sa.Integer(), nullable=False),
    sa.Column('candidate_number', sa.String(length=20), nullable=False),
    sa.Column('full_name', sa.String(length=200), nullable=False),
    sa.Column('date_of_birth', sa.Date(), nullable=False),
    sa.Column('place_of_birth', sa.String(length=200), nullable=False),
    sa.Column('gender', sa.String(length=10), nullable=False),
    sa.Column('ethnicity', sa.String(length=50), nullable=False),
    sa.Column('citizen_id', sa.String(length=12), nullable=False),
    sa.ForeignKeyConstraint(['exam_session_id'], ['exam_sessions.id'], name=op.f('fk_candidates_exam_session_id_exam_sessions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_candidates')),
    sa.UniqueConstraint('exam_session_id', 'candidate_number', name=op.f('uq_candidates_exam_session_id'))
    )
    with op.batch_alter_table('candidates', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_candidates_exam_session_id'), ['exam_session_id'], unique=False)

    op.create_table('item_versions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('type', sa.Enum('single', 'multiple', name='itemtype', native_enum=False, length=20), nullable=False),
    sa.Column('stem', sa.Text(), nullable=False),
    sa.Column('options', sa.JSON(), nullable=False),
    sa.Column('correct', sa.JSON(), nullable=False),
    sa.Column('explanation', sa.Text(), nullable=True),
    sa.Column('status', sa.Enum('draft', 'in_review', 'approved', 'retired', name='itemstatus', native_enum=False, length=20), nullable=False),
    sa.Column('irt_a', sa.Float(), nullable=True),
    sa.Column('irt_b', sa.Float(), nullable=True),
    sa.Column('irt_c', sa.Float(), nullable=True),
    sa.Column('irt_is_demo', sa.Boolean(), nullable=False),
    sa.Column('created_at', exam_engine.kernel.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['item_id'], ['items.id'], name=op.f('fk_item_versions_item_id_items')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_item_versions')),
    sa.UniqueConstraint('item_id', 'version', name=op.f('uq_item_versions_item_id'))
    )
    with op.batch_alter_table('item_versions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_item_versions_item_id'), ['item_id'], unique=False)

    op.create_table('attempts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('candidate_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.Enum('assigned', 'in_progress', 'submitted', name='attemptstatus', native_enum=False, length=20), nullable=False),
    sa.Column('form_seed', sa.Integer(), nullable=False),
    sa.Column('started_at', exam_engine.kernel.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('deadline', exam_engine.kernel.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('extra_seconds', sa.Integer(), nullable=False),
    sa.Column('submitted_at', exam_engine.kernel.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['candidate_id'], ['candidates.id'], name=op.f('fk_attempts_candidate_id_candidates')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_attempts')),
    sa.UniqueConstraint('candidate_id', name=op.f('uq_attempts_candidate_id'))
    )
    op.create_table('answers',
    sa.Column('attempt_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('selected', sa.JSON(), nullable=False),
    sa.Column('flagged', sa.Boolean(), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('saved_at', exam_engine.kernel.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['attempt_id'], ['attempts.id'], name=op.f('fk_answers_attempt_id_attempts')),
    sa.PrimaryKeyConstraint('attempt_id', 'position', name=op.f('pk_answers'))
    )
    op.create_table('attempt_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('attempt_id', sa.Integer(), nullable=False),
    sa.Column('from_status', sa.String(length=20), nullable=True),
    sa.Column('to_status', sa.String(length=20), nullable=False),
    sa.Column('actor', sa.String(length=40), nullable=False),
    sa.Column('detail', sa.Text(), nullable=True),
    sa.Column('at', exam_engine.kernel.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['attempt_id'], ['attempts.id'], name=op.f('fk_attempt_events_attempt_id_attempts')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_attempt_events'))
    )
    with op.batch_alter_table('attempt_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_attempt_events_attempt_id'), ['attempt_id'], unique=False)

    op.create_table('attempt_items',
    sa.Column('attempt_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('item_version_id', sa.Integer(), nullable=False),
    sa.Column('module', sa.String(length=4), nullable=False),
    sa.Column('option_order', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['attempt_id'], ['attempts.id'], name=op.f('fk_attempt_items_attempt_id_attempts')),
    sa.ForeignKeyConstraint(['item_version_id'], ['item_versions.id'], name=op.f('fk_attempt_items_item_version_id_item_versions')),
    sa.PrimaryKeyConstraint('attempt_id', 'position', name=op.f('pk_attempt_items'))
    )
    op.create_table('results',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('attempt_id', sa.Integer(), nullable=False),
    sa.Column('supersedes_id', sa.Integer(), nullable=True),
    sa.Column('n_correct', sa.Integer(), nullable=False),
    sa.Column('n_items', sa.Integer(), nullable=False),
    sa.Column('percent', sa.Float(), nullable=False),
    sa.Column('module_scores', sa.JSON(), nullable=False),
    sa.Column('passed', sa.Boolean(), nullable=False),
    sa.Column('theta', sa.Float(), nullable=True),
    sa.Column('theta_se', sa.Float(), nullable=True),
    sa.Column('graded_at', exam_engine.kernel.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['attempt_id'], ['attempts.id'], name=op.f('fk_results_attempt_id_attempts')),
    sa.ForeignKeyConstraint(['supersedes_id'], ['results.id'], name=op.f('fk_results_supersedes_id_results')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_results'))
    )
    with op.batch_alter_table('results', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_results_attempt_id'), ['attempt_id'], unique=False)

    op.create_table('certificates',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('candidate_id', sa.Integer(), nullable=False),
    sa.Column('result_id', sa.Integer(), nullable=False),
    sa.Column('certificate_type', sa.String(length=10), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('register_seq', sa.Integer(), nullable=False),
    sa.Column('register_number', sa.String(length=30), nullable=False),
    sa.Column('serial', sa.String(length=30), nullable=False),
    sa.Column('verify_code', sa.String(length=40), nullable=False),
    sa.Column('issue_date', sa.Date(), nullable=False),
    sa.Column('issued_at', exam_engine.kernel.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('issued_by', sa.Integer(), nullable=True),
    sa.Column('decision_number', sa.String(length=50), nullable=True),
    sa.Column('status', sa.Enum('valid', 'revoked', name='certificatestatus', native_enum=False, length=10), nullable=False),
    sa.Column('payload', sa.JSON(), nullable=False),
    sa.Column('signature', sa.Text(), nullable=False),
    sa.Column('key_id', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['candidate_id'], ['candidates.id'], name=op.f('fk_certificates_candidate_id_candidates')),
    sa.ForeignKeyConstraint(['issued_by'], ['users.id'], name=op.f('fk_certificates_issued_by_users')),
    sa.ForeignKeyConstraint(['result_id'], ['results.id'], name=op.f('fk_certificates_result_id_results')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_certificates')),
    sa.UniqueConstraint('certificate_type', 'year', 'register_seq', name=op.f('uq_certificates_certificate_type')),
    sa.UniqueConstraint('register_number', name=op.f('uq_certificates_register_number')),
    sa.UniqueConstraint('serial', name=op.f('uq_certificates_serial')),
    sa.UniqueConstraint('verify_code', name=op.f('uq_certificates_verify_code'))
    )
    with op.batch_alter_table('certificates', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_certificates_candidate_id'), ['candidate_id'], unique=False)

    op.create_table('register_entries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('certificate_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=12), nullable=False),
    sa.Column('full_name', sa.String(length=200), nullable=False),
    sa.Column('date_of_birth', sa.Date(), nullable=False),
    sa.Column('place_of_birth', sa.String(length=200), nullable=False),
    sa.Column('gender', sa.String(length=10), nullable=False),
    sa.Column('ethnicity', sa.String(length=50), nullable=False),
    sa.Column('result', sa.String(length=100), nullable=False),
    sa.Column('serial', sa.String(length=30), nullable=False),
    sa.Column('register_number', sa.String(length=30), nullable=False),
    sa.Column('issue_date', sa.Date(), nullable=False),
    sa.Column('decision_number', sa.String(length=50), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('recorded_by', sa.Integer(), nullable=True),
    sa.Column('recorded_at', exam_engine.kernel.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['certificate_id'], ['certificates.id'], name=op.f('fk_register_entries_certificate_id_certificates')),
    sa.ForeignKeyConstraint(['recorded_by'], ['users.id'], name=op.f('fk_register_entries_recorded_by_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_register_entries'))
    )
    with op.batch_alter_table('register_entries', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_register_entries_certificate_id'), ['certificate_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('register_entries', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_register_entries_certificate_id'))

    op.drop_table('register_entries')
    with op.batch_alter_table('certificates', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_certificates_candidate_id'))

    op.drop_table('certificates')
    with op.batch_alter_table('results', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_results_attempt_id'))

    op.drop_table('results')
    op.drop_table('attempt_items')
    with op.batch_alter_table('attempt_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_attempt_events_attempt_id'))

    op.drop_table('attempt_events')
    op.drop_table('answers')
    op.drop_table('attempts')
    with op.batch_alter_table('item_versions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_item_versions_item_id'))

    op.drop_table('item_versions')
    with op.batch_alter_table('candidates', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_candidates_exam_session_id'))

    op.drop_table('candidates')
    with op.batch_alter_table('items', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_items_module'))

    op.drop_table('items')
    op.drop_table('exam_sessions')
    op.drop_table('users')
    with op.batch_alter_table('requirement_codes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_requirement_codes_module'))

    op.drop_table('requirement_codes')
    op.drop_table('register_counters')
