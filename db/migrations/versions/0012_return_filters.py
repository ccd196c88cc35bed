"""return filters: what GET /v1/returns narrows by, each with an index

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-04 21:50:00

- `return_lines`: each returned line's sku and reason (the items stay in the return's JSON),
  indexed by (merchant, sku, created, return) and (merchant, reason, created, return); backfilled from the
  returns' items.
- `returns (merchant_id, order_id, created_at)`: a merchant's returns of one order.
- `returns (merchant_id, created_at, id)`: the list's whole order (replaces `(merchant_id, created_at)`).
- `attention_items (merchant_id, return_id) WHERE resolved_at IS NULL`: a return's open items.
- `orders (merchant_id, lower(customer's email))`: an expression index, the query in db/returns.py
  writes the same expression out literally so both databases match it.
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

import db.types

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

ORDER_EMAIL = {
    "postgresql": "lower(customer ->> 'email')",
    "sqlite": "lower(json_extract(customer, '$.email'))",
}


def upgrade() -> None:
    op.create_table(
        "return_lines",
        sa.Column("return_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("line_id", sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
        sa.Column("merchant_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("sku", sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
        sa.Column("reason", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("created_at", db.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["return_id"], ["returns.id"]),
        sa.PrimaryKeyConstraint("return_id", "line_id"),
    )
    # In the list's order (created_at, return_id): db/returns.py walks them on PostgreSQL.
    op.create_index(
        "ix_return_lines_merchant_sku_created", "return_lines", ["merchant_id", "sku", "created_at", "return_id"]
    )
    op.create_index(
        "ix_return_lines_merchant_reason_created", "return_lines", ["merchant_id", "reason", "created_at", "return_id"]
    )
    op.create_index("ix_returns_merchant_order_created", "returns", ["merchant_id", "order_id", "created_at"])
    # The list's whole order (created_at, id): replaces (merchant_id, created_at), its prefix.
    op.create_index("ix_returns_merchant_created_id", "returns", ["merchant_id", "created_at", "id"])
    op.drop_index("ix_returns_merchant_created", table_name="returns")
    op.create_index(
        "ix_attention_open_return",
        "attention_items",
        ["merchant_id", "return_id"],
        postgresql_where=sa.text("resolved_at IS NULL"),
        sqlite_where=sa.text("resolved_at IS NULL"),
    )
    bind = op.get_bind()
    email = ORDER_EMAIL[bind.dialect.name]
    op.execute(f"CREATE INDEX ix_orders_merchant_email ON orders (merchant_id, ({email}))")

    returns = sa.table(
        "returns",
        sa.column("id", sa.String),
        sa.column("merchant_id", sa.String),
        sa.column("items", sa.JSON),
        sa.column("created_at", db.types.UTCDateTime()),
    )
    lines = sa.table(
        "return_lines",
        *(sa.column(c, sa.String) for c in ("return_id", "line_id", "merchant_id", "sku", "reason")),
        sa.column("created_at", db.types.UTCDateTime()),
    )
    batch: list[dict] = []
    for row in bind.execute(sa.select(returns.c.id, returns.c.merchant_id, returns.c["items"], returns.c.created_at)):
        seen: set[str] = set()
        for item in row._mapping["items"] or []:
            if not isinstance(item, dict) or item.get("line_id") in seen or not item.get("line_id"):
                continue
            seen.add(item["line_id"])
            batch.append(
                dict(
                    return_id=row.id,
                    line_id=item["line_id"],
                    merchant_id=row.merchant_id,
                    sku=str(item.get("sku") or ""),
                    reason=str(item.get("reason") or ""),
                    created_at=row.created_at,
                )
            )
    if batch:
        bind.execute(lines.insert(), batch)


def downgrade() -> None:
    op.drop_index("ix_orders_merchant_email", table_name="orders")
    op.drop_index("ix_attention_open_return", table_name="attention_items")
    op.create_index("ix_returns_merchant_created", "returns", ["merchant_id", "created_at"])
    op.drop_index("ix_returns_merchant_created_id", table_name="returns")
    op.drop_index("ix_returns_merchant_order_created", table_name="returns")
    op.drop_index("ix_return_lines_merchant_reason_created", table_name="return_lines")
    op.drop_index("ix_return_lines_merchant_sku_created", table_name="return_lines")
    op.drop_table("return_lines")
