"""The one settings object. Every value comes from a `RETURNFLOW_*` env var.

With nothing set, everything runs embedded on this machine: a SQLite file and
the Temporal dev server under `.data/`, and the EasyPost, payments and mail sandboxes.
Setting a real URL or key switches that part to the real service; no code changes.
Never imported by workflow code.
"""

from __future__ import annotations

import base64
import hashlib
from functools import lru_cache
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from cryptography.fernet import Fernet
from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

# Documented development defaults: `make run` prints them; production must override.
DEV_MERCHANT_KEY = "rf_test_merchant_demo_0000000000000000"
DEV_WAREHOUSE_KEY = "rf_test_warehouse_demo_000000000000000"
DEV_OPS_KEY = "rf_test_ops_demo_00000000000000000000000"
DEV_EASYPOST_KEY = "EZTKreturnflowsandbox"
DEV_STRIPE_KEY = "sk_test_returnflow_sandbox"
DEV_WEBHOOK_SECRET = "returnflow-dev-webhook-secret"
DEV_PORTAL_SECRET = "returnflow-dev-portal-secret"
# Unset RETURNFLOW_CREDENTIALS_KEY: a Fernet key derived from this public text (so `make run` and the
# sandboxes work); refused when the platform's EasyPost or Stripe key is a live one (Settings.uses_live_accounts).
DEV_CREDENTIALS_KEY_SEED = b"returnflow-dev-credentials-key"
# sandboxes.env's credentials key (the compose sandboxes profile): as public as the seed.
DEV_CREDENTIALS_KEY_SANDBOXES = "cmV0dXJuZmxvdy1kZXYtY3JlZGVudGlhbHMta2V5ISE="
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")
LIVE_STRIPE = ("sk_live_", "rk_live_")
MIN_ADMIN_KEY_LENGTH = 24  # guessing it must stay out of reach


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="RETURNFLOW_", extra="ignore")

    data_dir: Path = Path(".data")
    database_url: str = ""  # empty: SQLite file under data_dir

    temporal_address: str = "127.0.0.1:7233"
    temporal_namespace: str = "default"
    temporal_ui_port: int = 8233
    # A Temporal cluster or Temporal Cloud (README "Running on a Temporal cluster"): TLS with client certificates
    # (PEM files), or an API key (Cloud; implies TLS). Empty: plain gRPC, as the embedded dev server wants.
    temporal_tls: bool = False
    temporal_tls_cert: Path | None = None
    temporal_tls_key: Path | None = None
    temporal_tls_ca: Path | None = None  # unset: the system's roots
    temporal_tls_server_name: str = ""
    temporal_api_key: SecretStr = SecretStr("")
    # Histories encrypted (workers/codec.py): "kid:base64-32-byte-key,..." (the first encrypts; all decrypt).
    # Empty: payloads are plain JSON, as before.
    payload_codec_keys: SecretStr = SecretStr("")
    # Where ops' browsers open the Temporal UI (e.g. https://temporal.example.com), so its codec calls to the API
    # (api/routers/temporal_codec.py) pass CORS. The dev server's UI on temporal_ui_port always does.
    temporal_ui_url: str = ""

    api_host: str = "127.0.0.1"
    api_port: int = 8000
    # The API's address as shoppers reach it, for the portal links (empty: http://127.0.0.1:api_port).
    public_base_url: str = ""
    # Signs the shopper portal links (api/portal_links.py); changing it invalidates every link sent.
    portal_secret: SecretStr = SecretStr(DEV_PORTAL_SECRET)
    # The portal's order lookup limits (the `limits` library): memory:// counts per API process; a shared store
    # (redis://127.0.0.1:6379/0) counts across processes. Per client address, and wrong tries per order number
    # (the last allowed wrong try locks that order's lookup for an hour).
    rate_limit_storage: str = "memory://"
    portal_lookup_limits: str = "30/minute;300/hour"
    portal_order_tries: str = "10/hour"

    easypost_api_key: SecretStr = SecretStr(DEV_EASYPOST_KEY)
    easypost_base_url: str = ""  # empty: the EasyPost sandbox on easypost_sandbox_port
    easypost_sandbox_port: int = 8010
    easypost_webhook_secret: SecretStr = SecretStr(DEV_WEBHOOK_SECRET)
    # EasyPost documents no fixed request limit for a production account's buying and rating: a load-based
    # limiter answers 429 when it wants callers to slow down; its fixed 5 requests/s is for index (list)
    # endpoints only, which Returnflow does not call (https://docs.easypost.com/guides/rate-limiting-guide).
    # So by default no fixed ceiling: each process slows down on a 429 and honours its Retry-After
    # (activities/carrier_pace.py). Set a number when EasyPost gives the account one: it caps each process's
    # EasyPost requests/s per account and the carrier task queue's activities/s across all workers.
    carrier_requests_per_second: float | None = None
    # --- observability (workers/telemetry.py, api/metrics.py, workers/tracing.py, logs) ---
    # The worker's Prometheus endpoint (the Temporal SDK's metrics and the business counters); empty: none.
    worker_metrics_address: str = "127.0.0.1:9464"
    # The API's GET /metrics: set, it wants 'Authorization: Bearer <key>' (what Prometheus's `authorization` sends);
    # unset, it is open where the deployment is not exposed (make run, a private bind) and 404 where it is.
    metrics_key: SecretStr = SecretStr("")
    # Workflows each worker process keeps in memory between their tasks (Temporal's sticky cache); one not cached
    # is replayed from its history when it next has work (a scan, an update: milliseconds). A cached return costs
    # ~0.3 MiB of the worker's RSS: with the SDK's default 1000 a worker passed 320 MiB at 500 open returns and kept
    # growing; 200 keeps it flat under 300 MiB however many are open (`python -m bench.open_returns`).
    worker_max_cached_workflows: int = Field(default=200, ge=0)
    # OTLP/HTTP traces endpoint (e.g. http://collector:4318); empty: the standard OTEL_EXPORTER_OTLP_ENDPOINT,
    # else no export (spans are still made, and cost nothing noticeable).
    otlp_endpoint: str = ""
    log_format: Literal["json", "console"] = "json"
    log_level: str = "INFO"
    # A call to the outside (email, carrier, payments, webhook) failing this many times in a row is
    # flagged on its return while Temporal keeps retrying it (workers/trouble.py).
    side_effect_alert_attempts: int = Field(default=3, ge=1, le=100)
    # The notification outbox: how often an idle drain looks again, and how long a webhook delivery or an
    # email keeps being retried before it is given up (a webhook's endpoint is then disabled).
    outbox_poll_seconds: float = Field(default=1.0, gt=0, le=60)
    notification_give_up_hours: float = Field(default=72.0, gt=0, le=24 * 30)
    # May a merchant's webhook point at a loopback/private/link-local address? Unset: only where the deployment is
    # not exposed (make run, the tests); an exposed one refuses them (activities/webhook_targets.py).
    webhook_private_targets: bool | None = None

    stripe_api_key: SecretStr = SecretStr(DEV_STRIPE_KEY)
    stripe_base_url: str = ""  # empty: the payments sandbox on payments_sandbox_port
    payments_sandbox_port: int = 8020

    # Mail to shoppers (the label email). Empty host: the mail sandbox, an SMTP sink on
    # 127.0.0.1:smtp_port whose inbox is served on mail_sandbox_port.
    smtp_host: str = ""
    smtp_port: int = 8025
    smtp_username: str = ""  # set: AUTH LOGIN with smtp_password
    smtp_password: SecretStr = SecretStr("")
    smtp_starttls: bool = False  # a real submission server on 587 wants True
    mail_from: str = "returns@returnflow.example"  # the sender address; the merchant's name is its display name
    mail_sandbox_port: int = 8030

    # Keys minted by `returnflow` and the admin API read rf_test_… in test mode, rf_live_… otherwise.
    # Unset: test mode exactly while payments go to the sandbox, so a key says which money it moves.
    test_mode: bool | None = None
    # The platform operator's key for /v1/admin/* (compared in constant time); empty: those routes answer 404.
    admin_key: SecretStr = SecretStr("")
    # Encrypts merchants' own EasyPost/Stripe keys at rest (db/credentials.py): a Fernet key
    # (`python -c "from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())"`).
    # Changing it makes the stored keys unreadable (merchants set them again). Unset: see DEV_CREDENTIALS_KEY_SEED.
    credentials_key: SecretStr = SecretStr("")

    # Shoppers' photos (api/photo_store.py): under data_dir/photos, or in an S3-compatible bucket when the
    # endpoint is set (then bucket and both keys must be too; the bucket must exist).
    photo_s3_endpoint: str = ""
    photo_s3_bucket: str = ""
    photo_s3_access_key: str = ""
    photo_s3_secret_key: SecretStr = SecretStr("")
    photo_s3_region: str = "us-east-1"

    demo_merchant_key: SecretStr = SecretStr(DEV_MERCHANT_KEY)
    demo_warehouse_key: SecretStr = SecretStr(DEV_WAREHOUSE_KEY)
    demo_ops_key: SecretStr = SecretStr(DEV_OPS_KEY)

    # Every request body (JSON endpoints and the EasyPost webhook) is refused above this: 413.
    max_request_body_bytes: int = Field(default=1024 * 1024, ge=1024)

    # How long POST /v1/returns waits for the workflow's answer (with the label) before a 202.
    submit_timeout_seconds: float = 25.0

    return_window_days: int = 30
    label_expiry_days: int = 30
    # Escalate (NeedsAttention) when a received return is not inspected within this time.
    inspection_sla_hours: int = Field(default=48, ge=1)
    # Escalate when a facility has not confirmed an item sent to it within this time.
    transfer_timeout_days: int = Field(default=14, ge=1)
    # Store credit issued for returns expires after this many days; unset: never.
    store_credit_expiry_days: int | None = Field(default=None, ge=1)
    # Advance exchanges: the replacement ships first; the original must be scanned within this time,
    # else the shopper is charged for the replacement ("charge") or the exchange is cancelled ("cancel").
    advance_exchange_days: int = Field(default=14, ge=1)
    advance_exchange_on_missing: Literal["charge", "cancel"] = "charge"

    # Set by the validator below: whether the local sandboxes stand in for the real services.
    uses_easypost_sandbox: bool = False
    uses_payments_sandbox: bool = False
    uses_mail_sandbox: bool = False

    @property
    def public_url(self) -> str:
        """Where shoppers reach the API (portal links): public_base_url, else the local API."""
        return self.public_base_url.rstrip("/") or f"http://127.0.0.1:{self.api_port}"

    @model_validator(mode="after")
    def _embedded_defaults(self) -> Settings:
        if not self.database_url:
            self.database_url = f"sqlite:///{self.data_dir.resolve() / 'returnflow.db'}"
        self.uses_easypost_sandbox = not self.easypost_base_url
        if self.uses_easypost_sandbox:
            self.easypost_base_url = f"http://127.0.0.1:{self.easypost_sandbox_port}/v2"
        self.uses_payments_sandbox = not self.stripe_base_url
        if self.uses_payments_sandbox:
            self.stripe_base_url = f"http://127.0.0.1:{self.payments_sandbox_port}"
        if self.test_mode is None:
            self.test_mode = self.uses_payments_sandbox
        if 0 < len(self.admin_key.get_secret_value()) < MIN_ADMIN_KEY_LENGTH:
            raise ValueError(f"RETURNFLOW_ADMIN_KEY must be at least {MIN_ADMIN_KEY_LENGTH} characters (or unset)")
        self.uses_mail_sandbox = not self.smtp_host
        if self.uses_mail_sandbox:
            self.smtp_host = "127.0.0.1"
        return self

    @property
    def uses_live_accounts(self) -> bool:
        """The platform's EasyPost or Stripe key is a production one (EZAK…, sk_live_…, rk_live_…)."""
        stripe_key = self.stripe_api_key.get_secret_value()
        return self.easypost_api_key.get_secret_value().startswith("EZAK") or stripe_key.startswith(LIVE_STRIPE)

    def stored_credentials_key(self) -> SecretStr:
        """The Fernet key for merchants' stored EasyPost/Stripe keys: credentials_key; unset, a key derived from
        the public DEV_CREDENTIALS_KEY_SEED, except with live platform keys (uses_live_accounts): ValueError.
        The API's factory and the worker call it as they start, so production without a key refuses to start."""
        if self.credentials_key.get_secret_value():
            try:
                Fernet(self.credentials_key.get_secret_value().encode())
            except ValueError:
                raise ValueError("RETURNFLOW_CREDENTIALS_KEY is not a Fernet key (32 url-safe base64 bytes)") from None
            return self.credentials_key
        if self.uses_live_accounts:
            raise ValueError("RETURNFLOW_CREDENTIALS_KEY must be set with live EasyPost/Stripe keys (a Fernet key)")
        return SecretStr(base64.urlsafe_b64encode(hashlib.sha256(DEV_CREDENTIALS_KEY_SEED).digest()).decode())

    @property
    def is_exposed(self) -> bool:
        """A deployment others reach or that moves real money and parcels: live platform keys (uses_live_accounts),
        or shoppers reach it at an address other than this machine (public_base_url names a non-loopback host).
        `make run`, the tests and the compose sandboxes profile (http://localhost:8000) are not exposed."""
        host = urlsplit(self.public_base_url).hostname or ""
        return self.uses_live_accounts or (bool(self.public_base_url) and host not in LOOPBACK_HOSTS)

    @property
    def allows_private_webhook_targets(self) -> bool:
        return self.webhook_private_targets if self.webhook_private_targets is not None else not self.is_exposed

    def public_secrets(self) -> list[str]:
        """The settings still holding a public development default that grants access when set so: the portal
        secret (signs shoppers' sessions, drafts and return links), the EasyPost webhook secret (a forged tracking
        event marks parcels delivered) and the credentials key (unset: derived from the public seed). The demo keys
        are not among them: they grant access only where `make run` seeds the demo shop (cli/stack.py)."""
        public = []
        if self.portal_secret.get_secret_value() == DEV_PORTAL_SECRET:
            public.append("RETURNFLOW_PORTAL_SECRET")
        if self.easypost_webhook_secret.get_secret_value() == DEV_WEBHOOK_SECRET:
            public.append("RETURNFLOW_EASYPOST_WEBHOOK_SECRET")
        if self.credentials_key.get_secret_value() in ("", DEV_CREDENTIALS_KEY_SANDBOXES):
            public.append("RETURNFLOW_CREDENTIALS_KEY")
        return public

    def refuse_public_secrets(self) -> None:
        """The one start-up check of the API (api/app.py app_factory) and the worker (workers/main.py): an exposed
        deployment (is_exposed) with any secret still at its public development default refuses to start, naming
        each such setting (ValueError). Also checks the credentials key is a Fernet key (stored_credentials_key)."""
        public = self.public_secrets() if self.is_exposed else []
        if public:
            raise ValueError(
                "refusing to start with public development secrets on a live or publicly reachable deployment; "
                f"set {', '.join(public)} to secret values of your own"
            )
        self.stored_credentials_key()

    @property
    def uses_embedded_temporal(self) -> bool:
        """A loopback address means `make run` starts the Temporal dev server itself."""
        host = self.temporal_address.rpartition(":")[0]
        return host in ("127.0.0.1", "localhost", "::1", "[::1]")

    @property
    def mail_sandbox_url(self) -> str:
        return f"http://127.0.0.1:{self.mail_sandbox_port}"

    @property
    def api_base_url(self) -> str:
        return f"http://{self.api_host}:{self.api_port}"


@lru_cache
def get_settings() -> Settings:
    return Settings()
