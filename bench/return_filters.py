"""GET /v1/returns' filters at scale: bulk-load N returns into PostgreSQL, then time each filter.

    .venv/bin/python -m bench.return_filters --returns 1000000 \\
        --database-url postgresql+psycopg://postgres@127.0.0.1:5432/test

Works in a schema of its own (`--schema`, dropped at the end unless `--keep`), migrated with the
real migrations, so the indexes measured are migration 0012's. The data: `--merchants` shops, the
first holding `--big-share` of the returns (the filters are timed for it: the worst case); about
1.3 returns per order and 2 orders per shopper; 1-3 lines per return over a catalogue of 20,000
skus (50 bestsellers take 30% of the lines) and the 9 reasons; every return a tracking code, one in ten a second parcel;
2% with an open attention item, 3% with a resolved one; created over two years. Loaded with COPY.

Each filter runs `--repeat` times with values drawn from the data, through db/returns.py's
list_returns (the API's query, first page of 20); it prints p50 and p95 in milliseconds. It prints
figures and asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from sqlmodel import Session

from db import returns as queries
from db.migrate import upgrade
from db.returns import ReturnFilters
from db.seed import seed_merchant
from db.session import make_engine
from domain.returns import ReturnReason

END = datetime(2026, 12, 1, tzinfo=UTC)
SPAN = timedelta(days=730)
REASONS = [r.value for r in ReturnReason]
STATUSES = [  # (status, weight): most returns are done
    ("completed", 70),
    ("label_created", 10),
    ("in_transit", 6),
    ("received", 3),
    ("settling", 1),
    ("pending_review", 2),
    ("rejected", 3),
    ("cancelled", 4),
    ("expired", 1),
]
SKUS = 20_000


def sku_of(rng: random.Random) -> str:
    # 50 bestsellers take 30% of the lines (each about 0.6%: SKU-00001 is one), a long tail the rest.
    return f"SKU-{rng.randrange(1, 51) if rng.random() < 0.3 else rng.randrange(51, SKUS):05d}"


def load(engine: sa.Engine, schema: str, n: int, merchants: list[str], big_share: float, seed: int) -> dict:
    """COPY n returns and their orders, lines, parcels and attention items; what the queries sample from."""
    rng = random.Random(seed)
    statuses, weights = zip(*STATUSES)
    sample: dict[str, list] = {"order_id": [], "email": [], "tracking_code": [], "parcel_code": [], "sku": []}
    tables: dict[str, list] = {"orders": [], "returns": [], "return_lines": [], "return_parcels": [], "attention": []}
    big = merchants[0]
    t0 = time.perf_counter()
    i = order_n = 0
    while i < n:
        merchant = big if rng.random() < big_share else rng.choice(merchants[1:])
        order_n += 1
        order_id = f"o{order_n}"
        shopper = rng.randrange(max(n // 3, 1))
        email = f"Shopper.{shopper}@Example.com"
        placed = END - SPAN * rng.random()
        customer = {"email": email, "name": f"Shopper {shopper}", "address": {"country": "NL"}}
        tables["orders"].append((merchant, order_id, placed, "EUR", json.dumps(customer), "[]", placed))
        for _ in range(1 if rng.random() < 0.75 else 2):  # ~1.3 returns per order
            if i >= n:
                break
            i += 1
            rid = f"ret_{i:024x}"
            created = min(placed + timedelta(days=rng.uniform(1, 30)), END)
            items = [
                {"line_id": f"L{k}", "sku": sku_of(rng), "quantity": 1, "reason": rng.choice(REASONS)}
                for k in range(rng.choice((1, 1, 1, 2, 2, 3)))
            ]
            code = f"TRK{i:012d}"
            status = rng.choices(statuses, weights)[0]
            tables["returns"].append(
                (rid, merchant, order_id, status, "refund", json.dumps(items), "fp", code, 1, created, created)
            )
            tables["return_lines"] += [(rid, it["line_id"], merchant, it["sku"], it["reason"], created) for it in items]
            if two := rng.random() < 0.1:  # a second parcel: both parcels are in return_parcels
                tables["return_parcels"] += [(code, merchant, rid, 1), (code + "B", merchant, rid, 2)]
            roll = rng.random()
            if roll < 0.05:  # 2% open, 3% resolved
                resolved = created + timedelta(days=2) if roll >= 0.02 else None
                key = f"{rid}:carrier_exception:"
                tables["attention"].append((merchant, key, "carrier_exception", rid, "why", created, resolved))
            if merchant == big and rng.random() < 0.01:
                sample["order_id"].append(order_id)
                sample["email"].append(email.lower() if rng.random() < 0.5 else email.upper())
                sample["tracking_code"].append(code)
                sample["sku"].append(items[0]["sku"])
                if two:
                    sample["parcel_code"].append(code + "B")
    print(f"  generated in {time.perf_counter() - t0:.0f}s", flush=True)
    copies = {
        "orders": "orders (merchant_id, id, placed_at, currency, customer, lines, updated_at)",
        "returns": "returns (id, merchant_id, order_id, status, resolution, items, request_fingerprint,"
        " tracking_code, version, created_at, updated_at)",
        "return_lines": "return_lines (return_id, line_id, merchant_id, sku, reason, created_at)",
        "return_parcels": "return_parcels (tracking_code, merchant_id, return_id, parcel)",
        "attention": "attention_items (merchant_id, key, kind, return_id, reason, created_at, resolved_at)",
    }
    raw = engine.raw_connection()
    conn = raw.driver_connection
    with conn.cursor() as cur:
        cur.execute(f'SET search_path TO "{schema}"')
        cur.execute("SET synchronous_commit TO off")
        for table, target in copies.items():
            with cur.copy(f"COPY {target} FROM STDIN") as copy:
                for row in tables[table]:
                    copy.write_row(row)
            print(f"  {table}: {len(tables[table]):,} rows, {time.perf_counter() - t0:.0f}s", flush=True)
            tables[table] = []
        conn.commit()
        for table in ("orders", "returns", "return_lines", "return_parcels", "attention_items"):
            cur.execute(f"ANALYZE {table}")
        conn.commit()
    raw.close()
    print(f"  loaded and analysed in {time.perf_counter() - t0:.0f}s", flush=True)
    return sample


def p(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1] if len(values) > 1 else values[0]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--returns", type=int, default=100_000)
    ap.add_argument("--database-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/test")
    ap.add_argument("--schema", default="bench_return_filters")
    ap.add_argument("--merchants", type=int, default=10)
    ap.add_argument("--big-share", type=float, default=0.5)
    ap.add_argument("--repeat", type=int, default=200)
    ap.add_argument("--seed", type=int, default=12)
    ap.add_argument("--keep", action="store_true", help="keep the schema (and reuse it with --no-load)")
    ap.add_argument("--no-load", action="store_true", help="time an already loaded --schema")
    args = ap.parse_args()

    admin = make_engine(args.database_url)
    url = f"{args.database_url}{'&' if '?' in args.database_url else '?'}options=-csearch_path%3D{args.schema}"
    merchants = [f"bench_m{k}" for k in range(args.merchants)]
    if not args.no_load:
        with admin.begin() as c:
            c.execute(sa.text(f'DROP SCHEMA IF EXISTS "{args.schema}" CASCADE'))
            c.execute(sa.text(f'CREATE SCHEMA "{args.schema}"'))
        upgrade(url)
    engine = make_engine(url)
    try:
        if not args.no_load:
            for m in merchants:
                seed_merchant(engine, merchant_id=m, name=m, merchant_key=f"rf_test_{m}_k", warehouse_key=f"w_{m}_k")
            print(f"loading {args.returns:,} returns ({args.big_share:.0%} of them {merchants[0]}'s)", flush=True)
            sample = load(engine, args.schema, args.returns, merchants, args.big_share, args.seed)
        else:
            sample = _sample_from(engine, merchants[0], args.seed)
        run_queries(engine, merchants[0], sample, args.repeat, args.seed)
    finally:
        engine.dispose()
        if not args.keep:
            with admin.begin() as c:
                c.execute(sa.text(f'DROP SCHEMA IF EXISTS "{args.schema}" CASCADE'))
        admin.dispose()


def _sample_from(engine: sa.Engine, merchant: str, seed: int) -> dict:
    with engine.connect() as c:
        rows = c.execute(
            sa.text(
                "SELECT r.order_id, o.customer ->> 'email', r.tracking_code, l.sku FROM returns r"
                " JOIN orders o ON o.merchant_id = r.merchant_id AND o.id = r.order_id"
                " JOIN return_lines l ON l.return_id = r.id WHERE r.merchant_id = :m AND random() < 0.01 LIMIT 2000"
            ),
            {"m": merchant},
        ).all()
        parcels = c.execute(
            sa.text("SELECT tracking_code FROM return_parcels WHERE merchant_id = :m AND parcel = 2 LIMIT 2000"),
            {"m": merchant},
        ).all()
    return {
        "order_id": [r[0] for r in rows],
        "email": [r[1] for r in rows],
        "tracking_code": [r[2] for r in rows],
        "sku": [r[3] for r in rows],
        "parcel_code": [r[0] for r in parcels],
    }


def run_queries(engine: sa.Engine, merchant: str, sample: dict, repeat: int, seed: int) -> None:
    rng = random.Random(seed)

    def day() -> dict:
        start = END - SPAN * rng.random()
        return {"created_from": start, "created_to": start + timedelta(days=1)}

    def month() -> dict:
        start = END - SPAN * rng.random()
        return {"created_from": start, "created_to": start + timedelta(days=30)}

    cases: list[tuple[str, Callable[[], dict]]] = [
        ("no filter", lambda: {}),
        ("status (any)", lambda: {"status": rng.choice(STATUSES)[0]}),
        ("status=pending_review", lambda: {"status": "pending_review"}),
        ("order_id", lambda: {"order_id": rng.choice(sample["order_id"])}),
        ("email (any case)", lambda: {"email": rng.choice(sample["email"])}),
        ("tracking_code (label)", lambda: {"tracking_code": rng.choice(sample["tracking_code"])}),
        ("tracking_code (2nd parcel)", lambda: {"tracking_code": rng.choice(sample["parcel_code"])}),
        ("sku (as sampled)", lambda: {"sku": rng.choice(sample["sku"])}),
        ("sku (rare)", lambda: {"sku": f"SKU-{rng.randrange(5000, SKUS):05d}"}),
        ("sku (bestseller)", lambda: {"sku": "SKU-00001"}),
        ("reason", lambda: {"reason": rng.choice(REASONS)}),
        ("needs_attention=true", lambda: {"needs_attention": True}),
        ("needs_attention=false", lambda: {"needs_attention": False}),
        ("created (1 day)", day),
        ("created (30 days)", month),
        ("email + status", lambda: {"email": rng.choice(sample["email"]), "status": "completed"}),
        ("sku + reason", lambda: {"sku": rng.choice(sample["sku"]), "reason": rng.choice(REASONS)}),
        ("status + created (30 days)", lambda: {"status": "label_created", **month()}),
        ("reason + needs_attention=true", lambda: {"reason": rng.choice(REASONS), "needs_attention": True}),
        ("sku + created (30 days)", lambda: {"sku": rng.choice(sample["sku"]), **month()}),
    ]
    print(f"\n{'filter (first page of 20)':34} {'p50 ms':>8} {'p95 ms':>8} {'rows/page':>10}")
    with Session(engine) as session:
        for name, make in cases:
            times, found = [], []
            for k in range(repeat + 5):
                filters = ReturnFilters(**make())
                t = time.perf_counter()
                rows = queries.list_returns(session, merchant, filters, 21, None)
                if k >= 5:  # the first few warm the cache and the connection
                    times.append((time.perf_counter() - t) * 1000)
                    found.append(len(rows))
            print(f"{name:34} {p(times, 50):8.2f} {p(times, 95):8.2f} {statistics.mean(found):10.1f}", flush=True)
        # a second page: the keyset cursor under a filter
        times = []
        for _ in range(repeat):
            filters = ReturnFilters(reason=rng.choice(REASONS))
            first = queries.list_returns(session, merchant, filters, 21, None)
            t = time.perf_counter()
            queries.list_returns(session, merchant, filters, 21, (first[19].created_at, first[19].id))
            times.append((time.perf_counter() - t) * 1000)
        print(f"{'reason, page 2 (cursor)':34} {p(times, 50):8.2f} {p(times, 95):8.2f}")


if __name__ == "__main__":
    main()
