"""the journal without its indexes on operation_id and status: every request inserts a row and
paid for both, while the journal holds at most C1MOCK_JOURNAL_SIZE rows, which a listing filters
by scanning

Revision ID: 0005_journal_indexes
Revises: 0004_faults_arrival
Create Date: 2026-12-01 20:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0005_journal_indexes"
down_revision: str | None = "0004_faults_arrival"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_index("ix_journal_entries_status", table_name="journal_entries")
    op.drop_index("ix_journal_entries_operation_id", table_name="journal_entries")


def downgrade() -> None:
    op.create_index("ix_journal_entries_operation_id", "journal_entries", ["operation_id"])
    op.create_index("ix_journal_entries_status", "journal_entries", ["status"])
