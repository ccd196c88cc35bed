"""return choices: the shopper's language and how the parcel is sent

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-05 00:10:00

`return_choices`, one row per return created from now on (the portal and POST /v1/returns): the
language its emails, packing slip and portal page use, and the send method (label, qr, pickup,
store) with the store's facility id. A return without a row: the merchant's locale, a label.
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

import db.types

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "return_choices",
        sa.Column("return_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("merchant_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("language", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.Column("send_method", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("store_id", sqlmodel.sql.sqltypes.AutoString(length=128), nullable=True),
        sa.Column("created_at", db.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("return_id"),
    )
    op.create_index("ix_return_choices_merchant_id", "return_choices", ["merchant_id"])


def downgrade() -> None:
    op.drop_index("ix_return_choices_merchant_id", table_name="return_choices")
    op.drop_table("return_choices")
