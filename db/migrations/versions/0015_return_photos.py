"""return photos: shoppers' photos of the items they return

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-05 00:30:00

`return_photos`, one row per photo a shopper (or the merchant's API) uploaded for an order line: where its
bytes are in the photo store, its type and size as stored, and the return that claimed it (NULL until the
return is created with it).
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

import db.types

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "return_photos",
        sa.Column("id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("merchant_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("order_id", sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
        sa.Column("line_id", sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
        sa.Column("uploader", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("return_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("content_type", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("storage_key", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
        sa.Column("created_at", db.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_return_photos_merchant_order_line", "return_photos", ["merchant_id", "order_id", "line_id"])
    op.create_index("ix_return_photos_return_id", "return_photos", ["return_id"])


def downgrade() -> None:
    op.drop_index("ix_return_photos_return_id", table_name="return_photos")
    op.drop_index("ix_return_photos_merchant_order_line", table_name="return_photos")
    op.drop_table("return_photos")
