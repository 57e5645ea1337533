"""Configuration: every setting the service reads, in one place.

Read once from the environment by `Settings.from_env`; each area gets a small
typed object. Defaults give the embedded demo (SQLite, console SMS, mail
outbox, mock FranceConnect), so a fresh checkout runs with no setting at all.
Nothing else in the code base reads `os.environ`.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field
from pathlib import Path


@dataclass(frozen=True)
class PasswordPolicy:
    """SPEC §3: chosen passwords are 8 to 14 characters with letters and digits."""

    min_length: int = 8
    max_length: int = 14
    require_letter: bool = True
    require_digit: bool = True


@dataclass(frozen=True)
class Argon2Params:
    """OWASP's minimum for argon2id (m=19 MiB, t=2, p=1)."""

    time_cost: int = 2
    memory_cost_kib: int = 19 * 1024
    parallelism: int = 1


@dataclass(frozen=True)
class AccountRules:
    """Deadlines of SPEC §4 and §6, kept configurable in one place."""

    # Calendar months in Paris time (SPEC §4): issued on 7 December, valid through 7 March.
    temporary_password_validity_months: int = 3
    activation_link_validity_months: int = 3
    sms_code_validity_minutes: int = 30
    terms_version: str = "2026-09"
    # Lost identifier / password answer no sooner than this, found or not (no timing
    # oracle on whether a contact is known).
    recovery_min_seconds: float = 0.3


@dataclass(frozen=True)
class MessagingConfig:
    """SMS and email transports, and the retry policy of the job queue (docs/messaging.md)."""

    sms_backend: str = "console"  # console | twilio
    mail_backend: str = "outbox"  # outbox | smtp
    mail_sender: str = "Administrateur des services en ligne <ne-pas-repondre@guichet.localhost>"
    smtp_host: str = "localhost"
    smtp_port: int = 587
    smtp_username: str = ""
    smtp_password: str = ""
    smtp_starttls: bool = True
    smtp_ssl: bool = False
    smtp_timeout_seconds: float = 10.0
    smtp_ca_file: str = ""  # extra CA bundle for a relay with a private certificate
    twilio_account_sid: str = ""
    twilio_auth_token: str = ""
    twilio_from: str = ""
    twilio_messaging_service_sid: str = ""
    twilio_timeout_seconds: float = 10.0
    # Where Twilio reports late delivery failures (TWILIO_STATUS_CALLBACK=on): PUBLIC_URL-based.
    twilio_status_callback_url: str = ""
    # Job queue (used when REDIS_URL is set): one attempt plus retries after these delays.
    max_attempts: int = 5
    retry_intervals_seconds: tuple[int, ...] = (15, 60, 240, 960)
    # How long a request waits for the first attempt of the messages it composed.
    wait_seconds: float = 2.0

    @property
    def uses_dev_backends(self) -> bool:
        """Console SMS and outbox email: nothing leaves the machine (the demo's setting)."""
        return self.sms_backend == "console" and self.mail_backend == "outbox"


@dataclass(frozen=True)
class FranceConnectConfig:
    issuer: str = "http://127.0.0.1:5090"
    client_id: str = "guichet-demo"
    client_secret: str = "guichet-demo-secret-please-change"  # noqa: S105 - the mock's demo secret
    scopes: str = "openid given_name family_name birthdate email"
    acr_values: str = "eidas1"
    allow_hs256: bool = False
    timeout_seconds: float = 5.0


@dataclass(frozen=True)
class ProductConfig:
    """Names and addresses printed in letters and pages."""

    name: str = "Guichet"
    service_url: str = "http://127.0.0.1:5000/"
    help_url: str = "http://127.0.0.1:5000/aide"
    # Folder holding DejaVuSans.ttf and DejaVuSans-Bold.ttf for letters and lists;
    # empty: the system's fonts-dejavu-core (admin/pdf.py).
    pdf_font_dir: str = ""


@dataclass(frozen=True)
class OidcConfig:
    """The OpenID Connect provider (SPEC §7): lifetimes, signing keys, pairwise subjects."""

    issuer: str = "http://127.0.0.1:5000"
    signing_alg: str = "RS256"  # RS256 | ES256, for keys generated without --alg
    code_lifetime_seconds: int = 60
    access_token_lifetime_seconds: int = 600
    id_token_lifetime_seconds: int = 600
    refresh_token_lifetime_days: int = 30
    # Retired signing keys stay in the JWKS this long, so tokens they signed still verify.
    retired_key_published_days: int = 7
    # Fernet key(s) for the private signing keys; empty: DATA_ENCRYPTION_KEY, else SECRET_KEY.
    signing_keys_encryption_key: str = ""
    # Secret mixed into pairwise subjects; empty: derived from SECRET_KEY.
    pairwise_salt: str = ""
    backchannel_timeout_seconds: float = 5.0
    backchannel_retry_intervals_seconds: tuple[int, ...] = (30, 300, 1800)
    # Sign-in form posts per client address (Flask-Limiter syntax); argon2 makes each costly.
    login_rate_limit: str = "30/minute"


@dataclass(frozen=True)
class ServerConfig:
    """`guichet serve`: gunicorn's gthread workers (docs/operations.md, «Serving»).

    Workers are processes (one per core by default: argon2id and the protocol are CPU
    work a thread cannot share under the GIL); threads let a worker wait on PostgreSQL,
    Redis or a slow client while another request computes."""

    bind: str = "127.0.0.1:8000"
    workers: int = 0  # 0: one per core this process may use
    threads: int = 2
    timeout_seconds: int = 30  # a worker silent this long is killed and replaced
    graceful_timeout_seconds: int = 30  # SIGTERM/SIGHUP: requests in flight get this long
    keepalive_seconds: int = 5
    # A worker is replaced after this many requests (0: never), plus a random share of
    # the jitter, so that the workers of a node never restart together.
    max_requests: int = 20000
    max_requests_jitter: int = 2000
    access_log: bool = False
    # SIGTERM: /readyz answers 503 this long while requests are still served, so the
    # load balancer's checks take the node out before it stops accepting (0: stop at once).
    drain_seconds: float = 0.0


@dataclass(frozen=True)
class Settings:
    database_url: str
    redis_url: str | None
    secret_key: str
    data_encryption_key: str | None
    public_url: str
    secure_cookies: bool
    dsfr_dist: Path
    passwords: PasswordPolicy = field(default_factory=PasswordPolicy)
    argon2: Argon2Params = field(default_factory=Argon2Params)
    accounts: AccountRules = field(default_factory=AccountRules)
    messaging: MessagingConfig = field(default_factory=MessagingConfig)
    franceconnect: FranceConnectConfig = field(default_factory=FranceConnectConfig)
    product: ProductConfig = field(default_factory=ProductConfig)
    oidc: OidcConfig = field(default_factory=OidcConfig)
    server: ServerConfig = field(default_factory=ServerConfig)
    # Connect and read timeout of every Redis client (limits, job queue, readiness): a
    # hung Redis delays a request by this much, after which limits fall back to memory.
    redis_timeout_seconds: float = 0.5
    # Reverse proxies in front of the service whose X-Forwarded-For is trusted (0: none).
    trusted_proxy_hops: int = 0
    # Observability (docs/operations.md): `text` or `json` log lines; a bearer token
    # /metrics requires when set; the directory of the workers' metric files, set by
    # the service before its workers start (empty: one process's own figures).
    log_format: str = "text"
    metrics_token: str = ""
    metrics_multiprocess_dir: str = ""

    @classmethod
    def from_env(cls, environ: Mapping[str, str], instance_path: Path) -> Settings:
        env = _Env(environ)
        public_url = env.str("PUBLIC_URL", "http://127.0.0.1:5000").rstrip("/")
        return cls(
            database_url=_normalise_database_url(
                env.str("DATABASE_URL", f"sqlite:///{instance_path / 'guichet.sqlite3'}")
            ),
            redis_url=env.str("REDIS_URL", "") or None,
            redis_timeout_seconds=env.float("REDIS_TIMEOUT", 0.5),
            trusted_proxy_hops=env.int("TRUSTED_PROXY_HOPS", 0),
            log_format=_log_format(env.str("LOG_FORMAT", "text")),
            metrics_token=env.str("METRICS_TOKEN", ""),
            metrics_multiprocess_dir=env.str("PROMETHEUS_MULTIPROC_DIR", ""),
            secret_key=env.str("SECRET_KEY", "") or _instance_secret(instance_path),
            data_encryption_key=env.str("DATA_ENCRYPTION_KEY", "") or None,
            public_url=public_url,
            secure_cookies=env.bool("SECURE_COOKIES", public_url.startswith("https://")),
            dsfr_dist=Path(
                env.str(
                    "DSFR_DIST", str(_repo_root() / "node_modules" / "@gouvfr" / "dsfr" / "dist")
                )
            ),
            passwords=PasswordPolicy(
                min_length=env.int("PASSWORD_MIN_LENGTH", 8),
                max_length=env.int("PASSWORD_MAX_LENGTH", 14),
            ),
            argon2=Argon2Params(
                time_cost=env.int("ARGON2_TIME_COST", 2),
                memory_cost_kib=env.int("ARGON2_MEMORY_KIB", 19 * 1024),
                parallelism=env.int("ARGON2_PARALLELISM", 1),
            ),
            accounts=AccountRules(
                temporary_password_validity_months=env.int("TEMPORARY_PASSWORD_VALIDITY_MONTHS", 3),
                activation_link_validity_months=env.int("ACTIVATION_LINK_VALIDITY_MONTHS", 3),
                sms_code_validity_minutes=env.int("SMS_CODE_VALIDITY_MINUTES", 30),
                terms_version=env.str("TERMS_VERSION", "2026-09"),
                recovery_min_seconds=env.float("RECOVERY_MIN_SECONDS", 0.3),
            ),
            messaging=MessagingConfig(
                sms_backend=env.str("SMS_BACKEND", "console"),
                mail_backend=env.str("MAIL_BACKEND", "outbox"),
                mail_sender=env.str("MAIL_SENDER", MessagingConfig.mail_sender),
                smtp_host=env.str("SMTP_HOST", "localhost"),
                smtp_port=env.int("SMTP_PORT", 587),
                smtp_username=env.str("SMTP_USERNAME", ""),
                smtp_password=env.str("SMTP_PASSWORD", ""),
                smtp_starttls=env.bool("SMTP_STARTTLS", True),
                smtp_ssl=env.bool("SMTP_SSL", False),
                smtp_timeout_seconds=env.float("SMTP_TIMEOUT", 10.0),
                smtp_ca_file=env.str("SMTP_CA_FILE", ""),
                twilio_account_sid=env.str("TWILIO_ACCOUNT_SID", ""),
                twilio_auth_token=env.str("TWILIO_AUTH_TOKEN", ""),
                twilio_from=env.str("TWILIO_FROM", ""),
                twilio_messaging_service_sid=env.str("TWILIO_MESSAGING_SERVICE_SID", ""),
                twilio_timeout_seconds=env.float("TWILIO_TIMEOUT", 10.0),
                twilio_status_callback_url=(
                    public_url + "/messaging/twilio/status"
                    if env.bool("TWILIO_STATUS_CALLBACK", False)
                    else ""
                ),
                max_attempts=env.int("MESSAGE_MAX_ATTEMPTS", 5),
                retry_intervals_seconds=env.ints(
                    "MESSAGE_RETRY_INTERVALS", MessagingConfig.retry_intervals_seconds
                ),
                wait_seconds=env.float("MESSAGE_WAIT_SECONDS", MessagingConfig.wait_seconds),
            ),
            franceconnect=FranceConnectConfig(
                issuer=env.str("FRANCECONNECT_ISSUER", FranceConnectConfig.issuer).rstrip("/"),
                client_id=env.str("FRANCECONNECT_CLIENT_ID", FranceConnectConfig.client_id),
                client_secret=env.str(
                    "FRANCECONNECT_CLIENT_SECRET", FranceConnectConfig.client_secret
                ),
                scopes=env.str("FRANCECONNECT_SCOPES", FranceConnectConfig.scopes),
                acr_values=env.str("FRANCECONNECT_ACR_VALUES", "eidas1"),
                allow_hs256=env.bool("FRANCECONNECT_ALLOW_HS256", False),
                timeout_seconds=float(env.str("FRANCECONNECT_TIMEOUT", "5")),
            ),
            product=ProductConfig(
                name=env.str("PRODUCT_NAME", "Guichet"),
                service_url=env.str("PRODUCT_SERVICE_URL", public_url + "/"),
                help_url=env.str("PRODUCT_HELP_URL", public_url + "/aide"),
                pdf_font_dir=env.str("PDF_FONT_DIR", ""),
            ),
            server=ServerConfig(
                bind=env.str("WEB_BIND", ServerConfig.bind),
                workers=env.int("WEB_WORKERS", 0),
                threads=env.int("WEB_THREADS", ServerConfig.threads),
                timeout_seconds=env.int("WEB_TIMEOUT", ServerConfig.timeout_seconds),
                graceful_timeout_seconds=env.int(
                    "WEB_GRACEFUL_TIMEOUT", ServerConfig.graceful_timeout_seconds
                ),
                keepalive_seconds=env.int("WEB_KEEPALIVE", ServerConfig.keepalive_seconds),
                max_requests=env.int("WEB_MAX_REQUESTS", ServerConfig.max_requests),
                max_requests_jitter=env.int(
                    "WEB_MAX_REQUESTS_JITTER", ServerConfig.max_requests_jitter
                ),
                access_log=env.bool("WEB_ACCESS_LOG", False),
                drain_seconds=env.float("WEB_DRAIN_SECONDS", 0.0),
            ),
            oidc=OidcConfig(
                issuer=env.str("OIDC_ISSUER", public_url).rstrip("/"),
                signing_alg=env.str("OIDC_SIGNING_ALG", "RS256"),
                code_lifetime_seconds=min(env.int("OIDC_CODE_LIFETIME", 60), 60),
                access_token_lifetime_seconds=env.int("OIDC_ACCESS_TOKEN_LIFETIME", 600),
                id_token_lifetime_seconds=env.int("OIDC_ID_TOKEN_LIFETIME", 600),
                refresh_token_lifetime_days=env.int("OIDC_REFRESH_TOKEN_DAYS", 30),
                retired_key_published_days=env.int("OIDC_RETIRED_KEY_DAYS", 7),
                signing_keys_encryption_key=env.str("SIGNING_KEYS_ENCRYPTION_KEY", ""),
                pairwise_salt=env.str("OIDC_PAIRWISE_SALT", ""),
                backchannel_timeout_seconds=env.float("BACKCHANNEL_LOGOUT_TIMEOUT", 5.0),
                backchannel_retry_intervals_seconds=env.ints(
                    "BACKCHANNEL_LOGOUT_RETRY_INTERVALS",
                    OidcConfig.backchannel_retry_intervals_seconds,
                ),
                login_rate_limit=env.str("LOGIN_RATE_LIMIT", OidcConfig.login_rate_limit),
            ),
        )


class _Env:
    def __init__(self, environ: Mapping[str, str]):
        self._environ = environ

    def str(self, name: str, default: str) -> str:
        return self._environ.get(name, default)

    def int(self, name: str, default: int) -> int:
        raw = self._environ.get(name)
        if raw in (None, ""):
            return default
        try:
            return int(raw)
        except ValueError as exc:
            raise ValueError(f"{name} must be a whole number, got {raw!r}") from exc

    def float(self, name: str, default: float) -> float:
        raw = self._environ.get(name)
        if raw in (None, ""):
            return default
        try:
            return float(raw)
        except ValueError as exc:
            raise ValueError(f"{name} must be a number, got {raw!r}") from exc

    def ints(self, name: str, default: tuple[int, ...]) -> tuple[int, ...]:
        """A comma-separated list of whole numbers (`15,60,240`)."""
        raw = self._environ.get(name)
        if raw in (None, ""):
            return default
        try:
            return tuple(int(part) for part in raw.split(",") if part.strip())
        except ValueError as exc:
            raise ValueError(f"{name} must be whole numbers separated by commas") from exc

    def bool(self, name: str, default: bool) -> bool:
        raw = self._environ.get(name)
        if raw in (None, ""):
            return default
        return raw.strip().lower() in {"1", "true", "yes", "on", "oui"}


def _log_format(raw: str) -> str:
    value = raw.strip().lower() or "text"
    if value not in ("text", "json"):
        raise ValueError(f"LOG_FORMAT must be text or json, got {raw!r}")
    return value


def _normalise_database_url(url: str) -> str:
    """Accept the `postgres://` and `postgresql://` forms operators paste; use psycopg 3."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def _instance_secret(instance_path: Path) -> str:
    """A SECRET_KEY generated once per installation, kept out of the repository."""
    path = instance_path / "secret_key"
    if path.exists():
        return path.read_text().strip()
    instance_path.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(key)
    return key


def _repo_root() -> Path:
    return Path(__file__).resolve().parent.parent
