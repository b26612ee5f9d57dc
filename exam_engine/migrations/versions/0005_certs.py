"""One certificate per result (and per roster row) and type; one issue row and one revocation
row per certificate in the master register (issue 10, hole 2).

Revision ID: 0005_certs
Revises: 0004
Create Date: 2026-12-05
"""
import sqlalchemy as sa
from alembic import op

revision = '0005_certs'
down_revision = '0004'
branch_labels = None
depends_on = None

_KINDS = ('issue', 'revoke')


def upgrade() -> None:
    with op.batch_alter_table('certificates') as batch:
        batch.create_unique_constraint('uq_certificates_result_type',
                                       ['result_id', 'certificate_type'])
        batch.create_unique_constraint('uq_certificates_candidate_type',
                                       ['candidate_id', 'certificate_type'])
    for kind in _KINDS:
        where = sa.text(f"kind = '{kind}'")
        op.create_index(f'uq_register_entries_one_{kind}', 'register_entries',
                        ['certificate_id'], unique=True, sqlite_where=where,
                        postgresql_where=where)


def downgrade() -> None:
    for kind in _KINDS:
        op.drop_index(f'uq_register_entries_one_{kind}', table_name='register_entries')
    with op.batch_alter_table('certificates') as batch:
        batch.drop_constraint('uq_certificates_candidate_type', type_='unique')
        batch.drop_constraint('uq_certificates_result_type', type_='unique')
