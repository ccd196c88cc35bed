"""merchant onboarding and keys: slug, country, currency and shopper-facing settings; key name, expiry, last use

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-04 21:40:00

Merchants get a unique slug (the platform operator's handle for them; existing merchants get their
id as slug), the country and currency they were created for, and the settings a shopper sees.
API keys get an optional name, an expiry and the time they were last used; their prefix is indexed,
since keys are revoked by it.
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

import db.types

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

_STRINGS = (
    ("slug", 64),
    ("country", 2),
    ("currency", 3),
    ("display_name", 128),
    ("support_email", 254),
    ("logo_url", 2000),
    ("brand_color", 7),
    ("locale", 8),
    ("timezone", 64),
)


def upgrade() -> None:
    with op.batch_alter_table("merchants", schema=None) as batch_op:
        for name, length in _STRINGS:
            batch_op.add_column(sa.Column(name, sqlmodel.sql.sqltypes.AutoString(length=length), nullable=True))
        batch_op.add_column(sa.Column("return_reasons", sa.JSON(), nullable=True))

    merchants = sa.table("merchants", sa.column("id", sa.String), sa.column("slug", sa.String))
    op.get_bind().execute(merchants.update().values(slug=merchants.c.id))

    with op.batch_alter_table("merchants", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_merchants_slug"), ["slug"], unique=True)

    with op.batch_alter_table("api_keys", schema=None) as batch_op:
        batch_op.add_column(sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=128), nullable=True))
        batch_op.add_column(sa.Column("expires_at", db.types.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("last_used_at", db.types.UTCDateTime(timezone=True), nullable=True))
        batch_op.create_index(batch_op.f("ix_api_keys_key_prefix"), ["key_prefix"], unique=False)


def downgrade() -> None:
    # ALTER TABLE ... DROP COLUMN in place (SQLite 3.35+): a batch copy would drop and recreate `merchants`,
    # which the foreign keys pointing at it refuse.
    with op.batch_alter_table("api_keys", schema=None, recreate="never") as batch_op:
        batch_op.drop_index(batch_op.f("ix_api_keys_key_prefix"))
        batch_op.drop_column("last_used_at")
        batch_op.drop_column("expires_at")
        batch_op.drop_column("name")

    with op.batch_alter_table("merchants", schema=None, recreate="never") as batch_op:
        batch_op.drop_index(batch_op.f("ix_merchants_slug"))
        batch_op.drop_column("return_reasons")
        for name, _ in reversed(_STRINGS):
            batch_op.drop_column(name)
