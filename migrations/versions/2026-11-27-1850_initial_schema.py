"""initial schema: bridges, tunnel credentials, admin clients, signing keys, nonces, control plane

Revision ID: 0001_initial
Revises:
Create Date: 2026-11-27 18:50:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from c1_mock.core.models import UTCDateTime

revision: str = "0001_initial"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ACTIVE = "status = 'TUNNEL_CREDENTIAL_STATUS_ACTIVE'"


def upgrade() -> None:
    op.create_table(
        "bridges",
        sa.Column("id", sa.String(27), nullable=False),
        sa.Column("display_name", sa.String(512), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("appliance_status", sa.String(64), nullable=False),
        sa.Column("appliance_last_seen_at", UTCDateTime(), nullable=True),
        sa.Column("announced_services", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bridges")),
    )
    op.create_table(
        "tunnel_credentials",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("bridge_id", sa.String(27), nullable=False),
        sa.Column("client_id", sa.String(320), nullable=False),
        sa.Column("status", sa.String(64), nullable=False),
        sa.Column("secret_hash", sa.String(255), nullable=False),
        sa.Column("public_key", sa.String(64), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        sa.Column("revoked_at", UTCDateTime(), nullable=True),
        sa.Column("last_used_at", UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["bridge_id"],
            ["bridges.id"],
            name=op.f("fk_tunnel_credentials_bridge_id_bridges"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tunnel_credentials")),
        sa.UniqueConstraint("client_id", name=op.f("uq_tunnel_credentials_client_id")),
    )
    op.create_index(op.f("ix_tunnel_credentials_bridge_id"), "tunnel_credentials", ["bridge_id"])
    op.create_index(
        "uq_tunnel_credentials_one_active_per_bridge",
        "tunnel_credentials",
        ["bridge_id"],
        unique=True,
        sqlite_where=sa.text(ACTIVE),
        postgresql_where=sa.text(ACTIVE),
    )
    op.create_table(
        "admin_clients",
        sa.Column("client_id", sa.String(320), nullable=False),
        sa.Column("secret_hash", sa.String(255), nullable=False),
        sa.Column("public_key", sa.String(64), nullable=True),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("last_used_at", UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("client_id", name=op.f("pk_admin_clients")),
    )
    op.create_table(
        "signing_keys",
        sa.Column("kid", sa.String(64), nullable=False),
        sa.Column("private_key", sa.String(64), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("kid", name=op.f("pk_signing_keys")),
    )
    op.create_table(
        "used_nonces",
        sa.Column("client_id", sa.String(320), nullable=False),
        sa.Column("value", sa.String(300), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("client_id", "value", name=op.f("pk_used_nonces")),
    )
    op.create_index(op.f("ix_used_nonces_expires_at"), "used_nonces", ["expires_at"])
    op.create_table(
        "auth_failures",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("client_id", sa.String(320), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_auth_failures")),
    )
    op.create_index(op.f("ix_auth_failures_client_id"), "auth_failures", ["client_id"])
    op.create_table(
        "clock_state",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("offset_seconds", sa.Float(), nullable=False),
        sa.Column("frozen_at", UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_clock_state")),
    )
    op.create_table(
        "journal_entries",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("method", sa.String(16), nullable=False),
        sa.Column("path", sa.String(2048), nullable=False),
        sa.Column("operation_id", sa.String(128), nullable=False),
        sa.Column("status", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.String(320), nullable=False),
        sa.Column("latency_ms", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_journal_entries")),
    )
    op.create_index(op.f("ix_journal_entries_operation_id"), "journal_entries", ["operation_id"])
    op.create_index(op.f("ix_journal_entries_status"), "journal_entries", ["status"])
    op.create_table(
        "faults",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("operation", sa.String(128), nullable=False),
        sa.Column("status", sa.Integer(), nullable=False),
        sa.Column("remaining", sa.Integer(), nullable=False),
        sa.Column("delay_ms", sa.Integer(), nullable=False),
        sa.Column("retry_after", sa.Integer(), nullable=True),
        sa.Column("error", sa.String(64), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_faults")),
    )
    op.create_index(op.f("ix_faults_operation"), "faults", ["operation"])


def downgrade() -> None:
    op.drop_index(op.f("ix_faults_operation"), table_name="faults")
    op.drop_table("faults")
    op.drop_index(op.f("ix_journal_entries_status"), table_name="journal_entries")
    op.drop_index(op.f("ix_journal_entries_operation_id"), table_name="journal_entries")
    op.drop_table("journal_entries")
    op.drop_table("clock_state")
    op.drop_index(op.f("ix_auth_failures_client_id"), table_name="auth_failures")
    op.drop_table("auth_failures")
    op.drop_index(op.f("ix_used_nonces_expires_at"), table_name="used_nonces")
    op.drop_table("used_nonces")
    op.drop_table("signing_keys")
    op.drop_table("admin_clients")
    op.drop_index("uq_tunnel_credentials_one_active_per_bridge", table_name="tunnel_credentials")
    op.drop_index(op.f("ix_tunnel_credentials_bridge_id"), table_name="tunnel_credentials")
    op.drop_table("tunnel_credentials")
    op.drop_table("bridges")
