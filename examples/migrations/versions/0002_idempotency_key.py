"""Add items.idempotency_key: a POST retried with the same Idempotency-Key header finds the
item its first try made instead of making another.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-05
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("items", sa.Column("idempotency_key", sa.String(200), nullable=True))
    op.create_index("ix_items_idempotency_key", "items", ["idempotency_key"], unique=True)


def downgrade() -> None:
    op.drop_index("ix_items_idempotency_key", table_name="items")
    with op.batch_alter_table("items") as batch:
        batch.drop_column("idempotency_key")
