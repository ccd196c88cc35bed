"""return units: one row per order-line unit held by an open or completed return

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-28 09:00:00

Backfill: every return not cancelled, rejected or expired holds its items' units, numbered per
(merchant, order, line) in the order the returns were created. Orders already returned more than
once (the race this table closes) get units numbered past the line's quantity: still held, so
nothing more of those lines can be returned.
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

import db.types

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

RELEASED = ("cancelled", "rejected", "expired")


def upgrade() -> None:
    units = op.create_table(
        "return_units",
        sa.Column("merchant_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("order_id", sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
        sa.Column("line_id", sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
        sa.Column("unit", sa.Integer(), nullable=False),
        sa.Column("return_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("created_at", db.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("merchant_id", "order_id", "line_id", "unit"),
    )
    with op.batch_alter_table("return_units", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_return_units_return_id"), ["return_id"], unique=False)

    returns = sa.table(
        "returns",
        sa.column("id", sa.String),
        sa.column("merchant_id", sa.String),
        sa.column("order_id", sa.String),
        sa.column("status", sa.String),
        sa.column("items", sa.JSON),
        sa.column("created_at", db.types.UTCDateTime()),
    )
    rows = (
        op.get_bind()
        .execute(
            sa.select(returns).where(returns.c.status.not_in(RELEASED)).order_by(returns.c.created_at, returns.c.id)
        )
        .all()
    )
    next_unit: dict[tuple[str, str, str], int] = {}
    backfill = []
    for row in rows:
        for item in row.items or []:
            key = (row.merchant_id, row.order_id, item["line_id"])
            for _ in range(int(item["quantity"])):
                next_unit[key] = next_unit.get(key, 0) + 1
                backfill.append(
                    dict(
                        merchant_id=key[0],
                        order_id=key[1],
                        line_id=key[2],
                        unit=next_unit[key],
                        return_id=row.id,
                        created_at=row.created_at,
                    )
                )
    if backfill:
        op.bulk_insert(units, backfill)


def downgrade() -> None:
    with op.batch_alter_table("return_units", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_return_units_return_id"))
    op.drop_table("return_units")
