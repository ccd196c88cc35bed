"""`returnflow merchants ...` and `returnflow keys ...`: put merchants on the configured database and hand out
their keys (db/onboarding.py does the work; the admin API calls the same functions).

Keys are printed once, when made, and never again (`keys list` shows their prefixes). Bad input is a
one-line message and a non-zero exit, never a traceback: 2 for a value refused, 1 for a refusal of the
database (a taken slug, an unknown merchant or key, a database not reachable or not migrated).
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Annotated, Any, TypeVar

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.table import Column, Table
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session

from db.onboarding import (
    OnboardingError,
    create_key,
    create_merchant,
    find_merchant,
    list_keys,
    list_merchants,
    revoke_key,
)
from db.session import make_engine, session_scope
from db.types import utcnow
from domain.merchant import API_KEY_SCOPES, MerchantProfile
from settings import Settings

merchants_app = typer.Typer(help="Merchants on this Returnflow (the configured database).", no_args_is_help=True)
keys_app = typer.Typer(help="A merchant's API keys: create, list, revoke.", no_args_is_help=True)
out = Console()
err = Console(stderr=True)
T = TypeVar("T")
JsonOption = Annotated[bool, typer.Option("--json", help="print JSON for scripts instead of a table")]


def _fail(message: str, code: int) -> typer.Exit:
    err.print(f"[red]error:[/red] {message}", highlight=False, soft_wrap=True)
    return typer.Exit(code)


def _refused(error: ValidationError) -> typer.Exit:
    problems = "; ".join(f"--{'.'.join(map(str, e['loc'])) or 'value'}: {e['msg']}" for e in error.errors())
    return _fail(problems, 2)


def _where(url: str) -> str:
    """The database URL without its password (it is printed)."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return "RETURNFLOW_DATABASE_URL"  # unparseable: do not echo it, it may hold a password


@contextmanager
def _database() -> Iterator[tuple[Settings, Any]]:
    try:
        settings = Settings()
    except ValidationError as error:
        problems = "; ".join(
            (f"RETURNFLOW_{'_'.join(map(str, e['loc'])).upper()}: " if e["loc"] else "")
            + e["msg"].removeprefix("Value error, ")
            for e in error.errors()
        )
        raise _fail(f"the settings are not valid: {problems}", 2) from None
    engine = None
    try:
        engine = make_engine(settings.database_url)
        yield settings, engine
    except SQLAlchemyError as error:
        raise _fail(
            f"the database at {_where(settings.database_url)} did not answer as expected ({type(error).__name__});"
            " is it running, and migrated (`make run`, or `python -m db.migrate`)?",
            1,
        ) from None
    finally:
        if engine is not None:
            engine.dispose()


def _run(fn: Callable[[Session, Settings], T]) -> T:
    """`fn` in one transaction on the configured database; its refusals become a clear exit."""
    with _database() as (settings, engine):
        try:
            with session_scope(engine) as session:
                return fn(session, settings)
        except OnboardingError as error:
            raise _fail(str(error), 1) from None


def _merchant_id(session: Session, ref: str) -> str:
    merchant = find_merchant(session, ref)
    if merchant is None:
        raise OnboardingError(f"no merchant with the slug or id {ref!r} (`returnflow merchants list` shows them)")
    return merchant.id


def _when(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M") if value else "—"  # UTC


@merchants_app.command("create")
def merchants_create(
    name: Annotated[str, typer.Argument(help="the merchant's name, as shoppers know it")],
    slug: Annotated[str, typer.Option(help="unique handle: lower-case letters, digits, hyphens")],
    country: Annotated[str, typer.Option(help="ISO 3166 alpha-2, like NL")],
    currency: Annotated[str, typer.Option(help="ISO 4217, like EUR")],
    locale: Annotated[str, typer.Option(help="nl, en, de or fr")] = "en",
    timezone: Annotated[str, typer.Option(help="IANA time zone, like Europe/Amsterdam")] = "UTC",
    as_json: JsonOption = False,
) -> None:
    """Create a merchant (example policy and facilities, default rules) and print one key per scope, once."""
    try:
        profile = MerchantProfile(
            name=name, slug=slug, country=country, currency=currency, locale=locale, timezone=timezone
        )
    except ValidationError as error:
        raise _refused(error) from None

    def create(session: Session, settings: Settings) -> tuple[str, str, dict[str, str]]:
        made = create_merchant(session, profile, test_mode=bool(settings.test_mode), now=utcnow())
        return made.merchant.id, made.merchant.slug, {scope: new.key for scope, new in made.keys.items()}

    merchant_id, made_slug, keys = _run(create)
    if as_json:
        typer.echo(json.dumps({"merchant_id": merchant_id, "slug": made_slug, "keys": keys}))
        return
    table = Table(title=f"{profile.name} ({made_slug}, id {merchant_id})", title_justify="left")
    table.add_column("scope")
    table.add_column("key", overflow="fold")
    for scope, key in keys.items():
        table.add_row(scope, key)
    out.print(table)
    out.print("These keys are shown once and only here: store them now.")


@merchants_app.command("list")
def merchants_list(as_json: JsonOption = False) -> None:
    """Every merchant: id, slug, name, country, currency, created."""
    rows = _run(lambda session, _: list_merchants(session))
    if as_json:
        fields = ("id", "slug", "name", "country", "currency")
        data = [{f: getattr(m, f) for f in fields} | {"created_at": m.created_at.isoformat()} for m in rows]
        typer.echo(json.dumps(data))
        return
    table = Table("slug", "name", "country", "currency", "created")
    table.columns.insert(0, Column("id", no_wrap=True, min_width=28))  # ids and prefixes are never cut
    for m in rows:
        table.add_row(m.id, m.slug or "—", m.name, m.country or "—", m.currency or "—", _when(m.created_at))
    out.print(table)


@keys_app.command("create")
def keys_create(
    merchant: Annotated[str, typer.Option(help="the merchant's slug (or id)")],
    scope: Annotated[str, typer.Option(help=" | ".join(API_KEY_SCOPES))],
    expires_in_days: Annotated[int | None, typer.Option(help="unset: the key never expires")] = None,
    name: Annotated[str | None, typer.Option(help="what the key is for")] = None,
    store: Annotated[
        str | None, typer.Option(help="a store key only: the store (facility id) it receives at; unset: any store")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Make a key for a merchant and print it, once."""

    def create(session: Session, settings: Settings) -> tuple[str, str, str, datetime | None]:
        new = create_key(
            session,
            _merchant_id(session, merchant),
            scope,
            test_mode=bool(settings.test_mode),
            now=utcnow(),
            expires_in_days=expires_in_days,
            name=name,
            store_id=store,
        )
        return new.key, new.row.key_prefix, new.row.merchant_id, new.row.expires_at

    key, prefix, merchant_id, expires_at = _run(create)
    if as_json:
        expiry = expires_at.isoformat() if expires_at else None
        data = {"merchant_id": merchant_id, "scope": scope, "prefix": prefix, "key": key, "expires_at": expiry}
        data |= {"store": store} if store else {}
        typer.echo(json.dumps(data))
        return
    at = f" at store {store}" if store else ""
    out.print(f"{scope} key for {merchant}{at} (expires: {_when(expires_at)}):")
    out.print(key, highlight=False, soft_wrap=True)
    out.print("Shown once and only here: store it now.")


@keys_app.command("list")
def keys_list(
    merchant: Annotated[str, typer.Option(help="the merchant's slug (or id)")], as_json: JsonOption = False
) -> None:
    """A merchant's keys by prefix (never the keys): scope, created, last used, expiry, revoked."""
    rows = _run(lambda session, _: list_keys(session, _merchant_id(session, merchant)))
    if as_json:
        times = ("created_at", "last_used_at", "expires_at", "revoked_at")
        data = [
            {"prefix": k.key_prefix, "scope": k.scope, "name": k.name}
            | {t: getattr(k, t).isoformat() if getattr(k, t) else None for t in times}
            for k in rows
        ]
        typer.echo(json.dumps(data))
        return
    table = Table("scope", "name", "created", "last used", "expires", "revoked")
    table.columns.insert(0, Column("prefix", no_wrap=True, min_width=16))
    for k in rows:
        table.add_row(
            k.key_prefix,
            k.scope,
            k.name or "—",
            _when(k.created_at),
            _when(k.last_used_at),
            _when(k.expires_at),
            _when(k.revoked_at),
        )
    out.print(table)


@keys_app.command("revoke")
def keys_revoke(prefix: Annotated[str, typer.Argument(help="the key's prefix, as `keys list` shows it")]) -> None:
    """Revoke a key: from now on it answers 401."""
    revoked = _run(lambda session, _: revoke_key(session, prefix, now=utcnow()))
    out.print(f"revoked {revoked.key_prefix} ({revoked.scope} key) at {_when(revoked.revoked_at)}")


def _env(name: str, default: str | None = None) -> str | None:
    return os.environ.get(f"RETURNFLOW_BOOTSTRAP_MERCHANT_{name}") or default


@merchants_app.command("bootstrap")
def merchants_bootstrap(as_json: JsonOption = False) -> None:
    """The first merchant, from RETURNFLOW_BOOTSTRAP_MERCHANT_{NAME,SLUG,COUNTRY,CURRENCY,LOCALE,TIMEZONE}, unless
    a merchant with that slug exists (then nothing is made and the exit is 0: a restart of the bootstrap job is
    harmless). The keys are printed once, when made. NAME and SLUG unset: nothing to do (exit 0)."""
    name, slug = _env("NAME"), _env("SLUG")
    if not name and not slug:
        out.print("RETURNFLOW_BOOTSTRAP_MERCHANT_NAME and _SLUG are unset: no merchant to bootstrap.")
        return
    if not name or not slug:
        raise _fail("set both RETURNFLOW_BOOTSTRAP_MERCHANT_NAME and RETURNFLOW_BOOTSTRAP_MERCHANT_SLUG", 2)
    if _run(lambda session, _: find_merchant(session, slug) is not None):
        out.print(f"a merchant with the slug {slug!r} exists: nothing to do (its keys were printed when it was made).")
        return
    merchants_create(
        name=name,
        slug=slug,
        country=_env("COUNTRY", "US"),
        currency=_env("CURRENCY", "USD"),
        locale=_env("LOCALE", "en"),
        timezone=_env("TIMEZONE", "UTC"),
        as_json=as_json,
    )
