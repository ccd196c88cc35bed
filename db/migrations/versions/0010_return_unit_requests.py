"""return units name their request: request_fingerprint, and one claim row per return

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-29 09:00:00

The same Idempotency-Key with two different bodies is one return id: its reservation rows carry
the request's fingerprint (a mismatch is a 409, not a retry), and exactly one of them carries the
return id in `claim`, unique, so two reservations for one return id never both commit.

Backfill: each row gets its return's `request_fingerprint` (NULL when the return row is missing:
treated as a match), and each return's first row (order, line, unit) its claim.
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("return_units", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("request_fingerprint", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True)
        )
        batch_op.add_column(sa.Column("claim", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True))
        batch_op.create_index(batch_op.f("ix_return_units_claim"), ["claim"], unique=True)

    units = sa.table(
        "return_units",
        *(
            sa.column(c, sa.String)
            for c in ("merchant_id", "order_id", "line_id", "return_id", "request_fingerprint", "claim")
        ),
        sa.column("unit", sa.Integer),
    )
    returns = sa.table("returns", sa.column("id", sa.String), sa.column("request_fingerprint", sa.String))
    bind = op.get_bind()
    fingerprint = sa.select(returns.c.request_fingerprint).where(returns.c.id == units.c.return_id).scalar_subquery()
    bind.execute(units.update().values(request_fingerprint=fingerprint))
    rows = bind.execute(
        sa.select(units.c.merchant_id, units.c.order_id, units.c.line_id, units.c.unit, units.c.return_id).order_by(
            units.c.return_id, units.c.order_id, units.c.line_id, units.c.unit
        )
    ).all()
    claimed: set[str] = set()
    for row in rows:
        if row.return_id in claimed:
            continue
        claimed.add(row.return_id)
        bind.execute(
            units.update()
            .where(
                units.c.merchant_id == row.merchant_id,
                units.c.order_id == row.order_id,
                units.c.line_id == row.line_id,
                units.c.unit == row.unit,
            )
            .values(claim=row.return_id)
        )


def downgrade() -> None:
    with op.batch_alter_table("return_units", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_return_units_claim"))
        batch_op.drop_column("claim")
        batch_op.drop_column("request_fingerprint")
