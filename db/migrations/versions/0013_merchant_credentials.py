"""merchant credentials: a merchant's own EasyPost and Stripe keys, encrypted

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-04 22:10:00

`merchant_credentials`, one row per merchant that set a key: each key as a Fernet token (encrypted with
RETURNFLOW_CREDENTIALS_KEY, db/credentials.py) and its last 4 characters (all the API ever shows).
A key unset: the platform's is used.
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

import db.types

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "merchant_credentials",
        sa.Column("merchant_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("easypost_api_key", sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=True),
        sa.Column("easypost_last4", sqlmodel.sql.sqltypes.AutoString(length=4), nullable=True),
        sa.Column("stripe_secret_key", sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=True),
        sa.Column("stripe_last4", sqlmodel.sql.sqltypes.AutoString(length=4), nullable=True),
        sa.Column("updated_at", db.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["merchant_id"], ["merchants.id"]),
        sa.PrimaryKeyConstraint("merchant_id"),
    )


def downgrade() -> None:
    op.drop_table("merchant_credentials")
