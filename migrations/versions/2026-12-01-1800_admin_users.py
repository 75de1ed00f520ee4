"""admin users: the display name and email of the user every admin client is (GetUser)

Revision ID: 0003_admin_users
Revises: 0002_binding
Create Date: 2026-12-01 18:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003_admin_users"
down_revision: str | None = "0002_binding"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Existing admins get an empty display name and email, as GetUser shows unset strings.
    with op.batch_alter_table("admin_clients") as batch:
        batch.add_column(
            sa.Column("user_display_name", sa.String(512), nullable=False, server_default="")
        )
        batch.add_column(sa.Column("user_email", sa.String(320), nullable=False, server_default=""))


def downgrade() -> None:
    with op.batch_alter_table("admin_clients") as batch:
        batch.drop_column("user_email")
        batch.drop_column("user_display_name")
