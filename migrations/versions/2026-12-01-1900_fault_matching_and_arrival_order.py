"""faults that match a bridge or a client id, delay without an error, or drop the connection; the
journal ordered by the time requests arrived

Revision ID: 0004_faults_arrival
Revises: 0003_admin_users
Create Date: 2026-12-01 19:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004_faults_arrival"
down_revision: str | None = "0003_admin_users"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("faults") as batch:
        batch.alter_column("status", existing_type=sa.Integer(), nullable=True)
        batch.add_column(sa.Column("bridge_id", sa.String(27), nullable=True))
        batch.add_column(sa.Column("client_id", sa.String(320), nullable=True))
        batch.add_column(sa.Column("drop", sa.Boolean(), nullable=False, server_default=sa.false()))
    # Entries journaled before: in the order they were written, at the time they carry.
    with op.batch_alter_table("journal_entries") as batch:
        batch.add_column(sa.Column("arrived", sa.Float(), nullable=False, server_default="0"))
    with op.batch_alter_table("journal_entries") as batch:
        batch.alter_column("arrived", existing_type=sa.Float(), server_default=None)


def downgrade() -> None:
    with op.batch_alter_table("journal_entries") as batch:
        batch.drop_column("arrived")
    op.execute("DELETE FROM faults WHERE status IS NULL")
    with op.batch_alter_table("faults") as batch:
        batch.drop_column("drop")
        batch.drop_column("client_id")
        batch.drop_column("bridge_id")
        batch.alter_column("status", existing_type=sa.Integer(), nullable=False)
