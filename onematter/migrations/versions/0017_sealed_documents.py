"""电子印章: a document's content hash (its first revision: the PDF as rendered, before the PAdES
signature was appended) and whether it was sealed

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-07
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # a document issued before sealing: its content is the whole file
    op.add_column('documents', sa.Column('content_sha256', sqlmodel.sql.sqltypes.AutoString(length=64),
                                         nullable=True))
    op.execute("UPDATE documents SET content_sha256 = pdf_sha256")
    with op.batch_alter_table('documents') as batch:
        batch.alter_column('content_sha256', nullable=False)
    op.create_index('ix_documents_content_sha256', 'documents', ['content_sha256'])
    op.add_column('documents', sa.Column('sealed', sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade() -> None:
    op.drop_column('documents', 'sealed')
    op.drop_index('ix_documents_content_sha256', 'documents')
    op.drop_column('documents', 'content_sha256')
