"""character boxes of pages

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27 23:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Nullable, no default: pages ingested before this have no boxes (the boxes endpoint says so).
    with op.batch_alter_table("pages", schema=None) as batch_op:
        batch_op.add_column(sa.Column("boxes", sa.LargeBinary(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("pages", schema=None) as batch_op:
        batch_op.drop_column("boxes")
