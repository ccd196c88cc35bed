"""Merchants and keys on real SQLite and PostgreSQL: what a new merchant starts with, keys stored as hashes
with a readable prefix, revoked and expired keys refused, last_used_at written at most once a minute, and
migration 0011's backfill."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from alembic import command
from sqlmodel import select

from db.merchants import authenticate, note_use
from db.migrate import alembic_config
from db.onboarding import OnboardingError, create_key, create_merchant, list_keys, revoke_key
from db.registry import load_disposition_rules, load_registry
from db.session import session_scope
from db.tables import ApiKey, Merchant, PolicyVersion
from domain.labels import LabelRules
from domain.merchant import MerchantProfile
from domain.policy import ReturnPolicy
from tests.conftest import POSTGRES_URL, postgres_reachable

NOW = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)


def profile(slug: str = "fiets", **kw) -> MerchantProfile:
    return MerchantProfile(name="Fietsenwinkel", slug=slug, country="NL", currency="EUR", **kw)


def onboard(engine, slug: str = "fiets", test_mode: bool = False):
    with session_scope(engine) as session:
        return create_merchant(session, profile(slug), test_mode=test_mode, now=NOW)


def key_row(engine, key: str) -> ApiKey:
    with session_scope(engine) as session:
        return session.exec(select(ApiKey).where(ApiKey.key_hash == ApiKey.hash(key))).one()


def test_a_new_merchant_starts_with_the_example_documents_and_one_key_per_scope(engine):
    made = onboard(engine)
    assert made.merchant.id.startswith("mer_") and made.merchant.slug == "fiets"
    assert set(made.keys) == {"merchant", "warehouse", "ops"}
    with session_scope(engine) as session:
        merchant = session.get(Merchant, made.merchant.id)
        assert (merchant.country, merchant.currency, merchant.name) == ("NL", "EUR", "Fietsenwinkel")
        policy = session.get(PolicyVersion, (merchant.id, 1))
        assert ReturnPolicy.model_validate(policy.document).currency == "EUR"
        assert merchant.warehouse_id in {f.id for f in load_registry(session, merchant.id).facilities}
        assert load_disposition_rules(session, merchant.id) is not None
        assert LabelRules.model_validate(merchant.label_rules) == LabelRules()
        rows = list_keys(session, merchant.id)
    for scope, new in made.keys.items():
        assert new.key.startswith("rf_live_") and len(new.key) == 48
        row = next(r for r in rows if r.scope == scope)
        # Stored as its hash, named by its prefix; the key itself is nowhere in the row.
        assert row.key_hash == ApiKey.hash(new.key) and row.key_prefix == new.key[:16]
        assert new.key not in {row.key_hash, row.key_prefix, row.name}


def test_test_mode_keys_read_rf_test(engine):
    made = onboard(engine, test_mode=True)
    assert all(new.key.startswith("rf_test_") for new in made.keys.values())


def test_a_slug_is_unique(engine):
    onboard(engine)
    with pytest.raises(OnboardingError, match="slug 'fiets' is taken"):
        onboard(engine)
    with session_scope(engine) as session:
        assert len(session.exec(select(Merchant).where(Merchant.slug == "fiets")).all()) == 1


def test_revoked_and_expired_keys_are_refused_at_once(engine):
    made = onboard(engine)
    with session_scope(engine) as session:
        short = create_key(session, made.merchant.id, "read", test_mode=False, now=NOW, expires_in_days=1)
    digest = ApiKey.hash(short.key)
    with session_scope(engine) as session:
        assert authenticate(session, digest, NOW + timedelta(hours=23)) is not None
        assert authenticate(session, digest, NOW + timedelta(days=1)) is None  # expired on the dot
    merchant_key = made.keys["merchant"].key
    with session_scope(engine) as session:
        assert authenticate(session, ApiKey.hash(merchant_key), NOW).scope == "merchant"
        revoke_key(session, merchant_key[:16], now=NOW)
    with session_scope(engine) as session:
        assert authenticate(session, ApiKey.hash(merchant_key), NOW) is None
        assert authenticate(session, ApiKey.hash(made.keys["ops"].key), NOW) is not None  # the others still work


def test_revoke_by_prefix_names_one_key(engine):
    made = onboard(engine)
    with session_scope(engine) as session:
        with pytest.raises(OnboardingError, match="no key"):
            revoke_key(session, "rf_live_nothing", now=NOW)
        with pytest.raises(OnboardingError, match="more than one key"):
            _two_with_one_prefix(session, made.merchant.id)
    with pytest.raises(OnboardingError, match="1 to 3650 days"):
        with session_scope(engine) as session:
            create_key(session, made.merchant.id, "read", test_mode=False, now=NOW, expires_in_days=0)
    with pytest.raises(OnboardingError, match="unknown scope"):
        with session_scope(engine) as session:
            create_key(session, made.merchant.id, "admin", test_mode=False, now=NOW)


def _two_with_one_prefix(session, merchant_id: str) -> None:
    # Seeded keys (db.seed) may share a prefix; revoking by it must not pick one at random.
    for n in (1, 2):
        session.add(ApiKey(merchant_id=merchant_id, scope="read", key_hash=f"{n:064d}", key_prefix="rf_test_shared"))
    session.flush()
    revoke_key(session, "rf_test_shared", now=NOW)


def test_last_used_is_written_at_most_once_a_minute(engine):
    made = onboard(engine)
    digest = ApiKey.hash(made.keys["merchant"].key)
    for seconds in (0, 10, 59):
        with session_scope(engine) as session:
            authenticate(session, digest, NOW + timedelta(seconds=seconds))
    assert key_row(engine, made.keys["merchant"].key).last_used_at == NOW
    with session_scope(engine) as session:
        authenticate(session, digest, NOW + timedelta(seconds=60))
    assert key_row(engine, made.keys["merchant"].key).last_used_at == NOW + timedelta(seconds=60)


def test_two_requests_reading_the_same_stale_time_write_once(engine):
    made = onboard(engine)
    key = made.keys["warehouse"].key
    first, second = key_row(engine, key), key_row(engine, key)  # both read last_used_at = None
    with session_scope(engine) as session:
        assert note_use(session, first, NOW) is True
    with session_scope(engine) as session:
        assert note_use(session, second, NOW + timedelta(seconds=1)) is False  # the row moved on: no write
    assert key_row(engine, key).last_used_at == NOW
    stale = key_row(engine, key)
    later = NOW + timedelta(minutes=2)
    with session_scope(engine) as session:
        assert note_use(session, stale, later) is True
    with session_scope(engine) as session:
        assert note_use(session, stale, later + timedelta(seconds=5)) is False  # stale copy of the old value
    assert key_row(engine, key).last_used_at == later


@pytest.fixture(params=["sqlite", "postgres"])
def url_at_0010(request, tmp_path):
    """A database migrated to 0010, the schema before merchant onboarding."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'before.db'}"
        command.upgrade(alembic_config(url), "0010")
        yield url
        return
    if not postgres_reachable():
        pytest.fail(f"PostgreSQL is not reachable at {POSTGRES_URL}")
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(POSTGRES_URL)
    with admin.begin() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    url = f"{POSTGRES_URL}?options=-csearch_path%3D{schema}"
    command.upgrade(alembic_config(url), "0010")
    yield url
    with admin.begin() as conn:
        conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


def test_migration_0011_gives_existing_merchants_their_id_as_slug_and_keeps_their_keys(url_at_0010):
    engine = sa.create_engine(url_at_0010)
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO merchants (id, name, return_window_days, label_expiry_days, warehouse_id,"
                " warehouse_address, created_at) VALUES ('demo', 'Demo', 30, 30, 'wh', '{}', :now)"
            ),
            {"now": NOW},
        )
        conn.execute(
            sa.text(
                "INSERT INTO api_keys (merchant_id, scope, key_hash, key_prefix, created_at)"
                " VALUES ('demo', 'merchant', :hash, 'rf_test_demo', :now)"
            ),
            {"hash": ApiKey.hash("rf_test_demo_key"), "now": NOW},
        )
    engine.dispose()
    command.upgrade(alembic_config(url_at_0010), "0011")
    engine = sa.create_engine(url_at_0010)
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT slug FROM merchants")).scalar_one() == "demo"
        row = conn.execute(sa.text("SELECT expires_at, last_used_at, name FROM api_keys")).one()
        assert tuple(row) == (None, None, None)
    engine.dispose()
    command.downgrade(alembic_config(url_at_0010), "0010")  # and back, on both databases
