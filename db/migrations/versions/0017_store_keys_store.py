"""store keys tied to a store: api_keys.facility_id

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-05 01:00:00

A store key made with `returnflow keys create --scope store --store <facility id>` receives returns only at that
store. Existing keys keep NULL: a store key without a store receives at any of the merchant's stores, as before.
"""

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("api_keys") as batch:
        batch.add_column(sa.Column("facility_id", sa.String(length=128), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("api_keys") as batch:
        batch.drop_column("facility_id")
