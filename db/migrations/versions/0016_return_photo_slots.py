"""return photo slots: at most 5 unclaimed photos per order line and uploader, kept by the database

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-05 00:45:00

Each unclaimed photo holds one of the line's 5 slots (`slot`, 1..5), unique per (merchant, order, line, uploader)
among the photos no return holds (a partial unique index), so uploads at the same moment cannot together pass the
limit: the one that loses a slot takes the next free one, or is refused. A photo given back by a return that never
started holds no slot (NULL) but still counts.
"""

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("return_photos", sa.Column("slot", sa.Integer(), nullable=True))
    op.create_index(
        "ux_return_photos_unclaimed_slot",
        "return_photos",
        ["merchant_id", "order_id", "line_id", "uploader", "slot"],
        unique=True,
        postgresql_where=sa.text("return_id IS NULL"),
        sqlite_where=sa.text("return_id IS NULL"),
    )


def downgrade() -> None:
    op.drop_index("ux_return_photos_unclaimed_slot", table_name="return_photos")
    op.drop_column("return_photos", "slot")
