"""notifications: webhook endpoints, the event outbox and its deliveries, the shopper's emails

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-05 03:30:00

Several endpoints per merchant (`webhook_endpoints`); a merchant's single endpoint (merchants.webhook_url)
becomes its first endpoint, with the same secret. Events some endpoint wants are written with the return's
projection (`merchant_events`, one `event_deliveries` row per endpoint); the attempt log
(`webhook_deliveries`) gains the endpoint, the delivery and the latency. `shopper_emails` holds every
email a return's progress implies; `merchants.mail_off` the kinds a merchant switched off.
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

import db.types

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None

S = sqlmodel.sql.sqltypes.AutoString
T = db.types.UTCDateTime


def upgrade() -> None:
    op.create_table(
        "webhook_endpoints",
        sa.Column("id", S(length=64), nullable=False),
        sa.Column("merchant_id", S(length=64), nullable=False),
        sa.Column("url", S(length=2000), nullable=False),
        sa.Column("description", S(length=200), nullable=True),
        sa.Column("events", sa.JSON(), nullable=True),
        sa.Column("secret", S(length=128), nullable=False),
        sa.Column("previous_secret", S(length=128), nullable=True),
        sa.Column("previous_secret_until", T(timezone=True), nullable=True),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("disabled_reason", S(length=500), nullable=True),
        sa.Column("created_at", T(timezone=True), nullable=False),
        sa.Column("updated_at", T(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["merchant_id"], ["merchants.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_webhook_endpoints_merchant_id", "webhook_endpoints", ["merchant_id"])
    op.create_table(
        "merchant_events",
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("id", S(length=200), nullable=False),
        sa.Column("merchant_id", S(length=64), nullable=False),
        sa.Column("return_id", S(length=64), nullable=True),
        sa.Column("type", S(length=64), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("created_at", T(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("seq"),
        sa.UniqueConstraint("id"),
    )
    op.create_index("ix_merchant_events_merchant_id", "merchant_events", ["merchant_id"])
    op.create_index("ix_merchant_events_return_id", "merchant_events", ["return_id"])
    op.create_table(
        "event_deliveries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_seq", sa.Integer(), nullable=False),
        sa.Column("event_id", S(length=200), nullable=False),
        sa.Column("endpoint_id", S(length=64), nullable=False),
        sa.Column("merchant_id", S(length=64), nullable=False),
        sa.Column("return_id", S(length=64), nullable=True),
        sa.Column("status", S(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", T(timezone=True), nullable=False),
        sa.Column("first_attempt_at", T(timezone=True), nullable=True),
        sa.Column("last_status_code", sa.Integer(), nullable=True),
        sa.Column("last_latency_ms", sa.Integer(), nullable=True),
        sa.Column("last_error", S(length=500), nullable=True),
        sa.Column("delivered_at", T(timezone=True), nullable=True),
        sa.Column("created_at", T(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("endpoint_id", "event_id"),
    )
    op.create_index("ix_event_deliveries_event_seq", "event_deliveries", ["event_seq"])
    op.create_index("ix_event_deliveries_endpoint_id", "event_deliveries", ["endpoint_id"])
    op.create_index("ix_event_deliveries_due", "event_deliveries", ["status", "next_attempt_at"])
    op.create_index("ix_event_deliveries_merchant", "event_deliveries", ["merchant_id", "id"])
    op.create_table(
        "shopper_emails",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("return_id", S(length=64), nullable=False),
        sa.Column("merchant_id", S(length=64), nullable=False),
        sa.Column("kind", S(length=32), nullable=False),
        sa.Column("key", S(length=200), nullable=False),
        sa.Column("about", S(length=200), nullable=True),
        sa.Column("status", S(length=16), nullable=False),
        sa.Column("scheduled", sa.Boolean(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", T(timezone=True), nullable=False),
        sa.Column("first_attempt_at", T(timezone=True), nullable=True),
        sa.Column("claimed_until", T(timezone=True), nullable=True),
        sa.Column("message_id", S(length=300), nullable=True),
        sa.Column("smtp_code", sa.Integer(), nullable=True),
        sa.Column("last_error", S(length=500), nullable=True),
        sa.Column("sent_at", T(timezone=True), nullable=True),
        sa.Column("created_at", T(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("return_id", "key"),
    )
    op.create_index("ix_shopper_emails_return_id", "shopper_emails", ["return_id"])
    op.create_index("ix_shopper_emails_due", "shopper_emails", ["status", "next_attempt_at"])
    with op.batch_alter_table("merchants", recreate="never") as batch:
        batch.add_column(sa.Column("mail_off", sa.JSON(), nullable=True))
    with op.batch_alter_table("webhook_deliveries", recreate="never") as batch:
        batch.add_column(sa.Column("endpoint_id", S(length=64), nullable=True))
        batch.add_column(sa.Column("delivery_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("latency_ms", sa.Integer(), nullable=True))
    op.create_index("ix_webhook_deliveries_delivery_id", "webhook_deliveries", ["delivery_id"])
    # An event id is up to 200 characters now (an attention item's subject is part of it); SQLite does not
    # enforce a VARCHAR's length, PostgreSQL does.
    if op.get_bind().dialect.name != "sqlite":
        op.alter_column("webhook_deliveries", "event_id", type_=S(length=200), existing_nullable=False)
    # The single endpoint a merchant had becomes its first endpoint, every event, the same secret.
    op.execute(
        sa.text(
            "INSERT INTO webhook_endpoints (id, merchant_id, url, events, secret, enabled, created_at, updated_at) "
            "SELECT 'we_' || id, id, webhook_url, NULL, webhook_secret, :yes, created_at, created_at "
            "FROM merchants WHERE webhook_url IS NOT NULL AND webhook_secret IS NOT NULL"
        ).bindparams(yes=True)
    )


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        op.alter_column("webhook_deliveries", "event_id", type_=S(length=128), existing_nullable=False)
    op.drop_index("ix_webhook_deliveries_delivery_id", table_name="webhook_deliveries")
    with op.batch_alter_table("webhook_deliveries", recreate="never") as batch:
        batch.drop_column("latency_ms")
        batch.drop_column("delivery_id")
        batch.drop_column("endpoint_id")
    with op.batch_alter_table("merchants", recreate="never") as batch:  # SQLite drops a column in place
        batch.drop_column("mail_off")
    for table in ("shopper_emails", "event_deliveries", "merchant_events", "webhook_endpoints"):
        op.drop_table(table)
