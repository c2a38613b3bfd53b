"""Create the items table (kept if it exists: databases made before migrations have it).

Revision ID: 0001
Revises:
Create Date: 2026-12-05
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "items",
        # A 64-bit id on PostgreSQL; SQLite's rowid (INTEGER PRIMARY KEY) is 64-bit already.
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("price", sa.Float, nullable=False),
        sa.Column("tags", sa.JSON, nullable=False),
        sqlite_autoincrement=True,  # ids are never reused after a delete
        if_not_exists=True,
    )


def downgrade() -> None:
    op.drop_table("items")
