"""token binding and guard keys: a binding per client record that its access tokens name, and the
brute-force guard's failures kept under a keyed digest of client id and source address

Revision ID: 0002_binding
Revises: 0001_initial
Create Date: 2026-12-01 17:00:00
"""

import secrets
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from c1_mock.core.models import UTCDateTime

revision: str = "0002_binding"
down_revision: str | None = "0001_initial"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Each existing client gets a binding of its own; tokens issued before name none and stop working.
_CLIENTS = (("tunnel_credentials", "id"), ("admin_clients", "client_id"))


def upgrade() -> None:
    connection = op.get_bind()
    for table, key in _CLIENTS:
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("binding", sa.String(32), nullable=False, server_default=""))
        rows = sa.table(table, sa.column(key), sa.column("binding"))
        for row in connection.execute(sa.select(rows.c[key])).scalars().all():
            binding = secrets.token_urlsafe(12)
            connection.execute(rows.update().where(rows.c[key] == row).values(binding=binding))
        with op.batch_alter_table(table) as batch:
            batch.alter_column("binding", server_default=None)
    # Failures are kept for a minute at most: the old ones are dropped, not converted.
    op.drop_index(op.f("ix_auth_failures_client_id"), table_name="auth_failures")
    op.drop_table("auth_failures")
    _auth_failures("key", sa.String(64))


def downgrade() -> None:
    op.drop_index(op.f("ix_auth_failures_key"), table_name="auth_failures")
    op.drop_table("auth_failures")
    _auth_failures("client_id", sa.String(320))
    for table, _ in _CLIENTS:
        with op.batch_alter_table(table) as batch:
            batch.drop_column("binding")


def _auth_failures(column: str, type_: sa.types.TypeEngine[str]) -> None:
    op.create_table(
        "auth_failures",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column(column, type_, nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_auth_failures")),
    )
    op.create_index(op.f(f"ix_auth_failures_{column}"), "auth_failures", [column])
