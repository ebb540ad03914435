"""Settings from TREFFPUNKT_* environment variables, built once at start-up."""

from __future__ import annotations

import ipaddress
import re
import secrets
import tempfile
from email.utils import getaddresses
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

import limits
import limits.storage
from pydantic import Field, SecretStr, ValidationError, ValidationInfo, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

ENV_PREFIX = "TREFFPUNKT_"
POSTGRESQL = ("postgresql://", "postgres://")
DATABASE_URL_FORMS = "use sqlite:///path/to/file.sqlite or postgresql://user@host:5432/database"
MIN_SECRET_BYTES = 32
HOW = 'make one with: python3 -c "import secrets; print(secrets.token_urlsafe(48))"'


_ANYONE = (
    "{!r} would believe the X-Forwarded-For of any client; list the addresses or networks"
    " (CIDR) of your reverse proxies"
)


class SettingsError(Exception):
    """A setting is missing or invalid; the message names the variable."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, extra="ignore", frozen=True)

    environment: Literal["development", "production"] = "development"
    data_dir: Path = Field(default=Path("var"), validate_default=True)
    database_url: str = ""
    # PostgreSQL's password, when the URL carries none: kept out of the URL, which ends
    # up in process lists and logs, and free of URL escaping.
    database_password: SecretStr | None = None
    database_pool_size: int = Field(default=10, ge=1, le=200)
    base_url: str = "http://127.0.0.1:8000"
    # Signs tokens and cookies; at least MIN_SECRET_BYTES, required in production.
    secret_key: SecretStr | None = Field(default=None, validate_default=True)

    smtp_host: str | None = None
    smtp_port: int = Field(default=587, ge=1, le=65535)
    smtp_user: str | None = None
    smtp_password: SecretStr | None = Field(default=None, validate_default=True)
    smtp_tls: Literal["starttls", "tls", "none"] = Field(default="starttls", validate_default=True)
    # The envelope sender (SMTP MAIL FROM, the Return-Path): where bounces go. Unset, it
    # is the sender of each mail, the municipality's `sender_email`.
    mail_from: str | None = None

    # Deliver mail from the web process itself (the embedded default); turn off when
    # `treffpunkt worker` runs separately.
    worker_in_process: bool = True
    # How long the server keeps an idle connection open: longer than clients and reverse
    # proxies keep theirs (nginx: 60 s), so that the server never closes one under them.
    keep_alive_seconds: int = Field(default=75, ge=1, le=3600)
    # A mail a worker claimed and never finished (the worker died) is sent again after this.
    mail_claim_timeout_seconds: int = Field(default=600, ge=5, le=24 * 3600)
    # Memory for rendered calendar feeds per process; the least recently used go first.
    feed_cache_megabytes: int = Field(default=64, ge=1, le=16 * 1024)
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    token_ttl_hours: int = Field(default=12, ge=1, le=24 * 30)
    # A login in the browser (the workspace) ends after this long without a request, and
    # at the latest after TOKEN_TTL_HOURS.
    session_idle_minutes: int = Field(default=120, ge=5, le=24 * 60)
    # `limits` storage URI: memory:// per process, redis://host:6379 shared by all processes.
    rate_limit_storage: str = "memory://"
    login_attempts_per_client: str = "20/minute"
    login_failures_per_account_and_client: str = "5/15minutes"
    # Holds back only addresses that have not logged in to the account lately.
    login_failures_per_account: str = "20/15minutes"
    registrations_per_client: str = "30/minute"
    # Self-registrations per email address and municipality; beyond it the answer is
    # the usual one, but no mail goes to that address (anyone can type anyone's).
    registrations_per_email: str = "10/day"
    # Proposals through a programme's public form per client address (partners send a
    # handful; a 429 page beyond).
    submissions_per_client: str = "10/15minutes"
    # Reverse proxies whose X-Forwarded-For is believed: addresses or networks (CIDR).
    trusted_proxies: str = "127.0.0.1,::1"

    @field_validator("data_dir")
    @classmethod
    def _data_dir_is_writable(cls, value: Path) -> Path:
        problem = _unwritable(value)
        if problem:
            raise ValueError(problem)
        return value

    @field_validator("base_url")
    @classmethod
    def _base_url_is_absolute(cls, value: str) -> str:
        parts = urlsplit(value.strip())
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(
                "must be the public http:// or https:// address, such as"
                " https://treffpunkt.example-kreis.de"
            )
        if parts.query or parts.fragment:
            raise ValueError("must be an address without ?query or #fragment")
        try:
            parts.port  # noqa: B018 -- raises for a port that is not a number
        except ValueError:
            raise ValueError("has a port that is not a number") from None
        return value.strip().rstrip("/")

    @field_validator(
        "login_attempts_per_client",
        "login_failures_per_account_and_client",
        "login_failures_per_account",
        "registrations_per_client",
        "registrations_per_email",
        "submissions_per_client",
    )
    @classmethod
    def _is_a_rate(cls, value: str) -> str:
        try:
            limits.parse(value)
        except ValueError:
            raise ValueError("must be a rate such as 10/minute or 5/15minutes") from None
        return value

    @field_validator("trusted_proxies")
    @classmethod
    def _proxies_are_addresses(cls, value: str) -> str:
        proxies = []
        networks: list[ipaddress.IPv4Network | ipaddress.IPv6Network] = []
        for entry in filter(None, (part.strip() for part in value.split(","))):
            if entry == "*":
                raise ValueError(_ANYONE.format(entry))
            try:
                network = ipaddress.ip_network(entry, strict=False)
            except ValueError:
                raise ValueError(f"{entry!r} is not an IP address or network (CIDR)") from None
            single = network.num_addresses == 1 and "/" not in entry
            proxies.append(str(network.network_address) if single else str(network))
            networks.append(network)
        # 0.0.0.0/0, ::/0, or networks that together cover every address: anyone could
        # name their own client address and escape the rate limits, as with "*".
        for version in (4, 6):
            same = [n for n in networks if n.version == version]
            covered = ipaddress.collapse_addresses(same)  # type: ignore[type-var]
            if any(n.prefixlen == 0 for n in covered):
                everyone = "0.0.0.0/0" if version == 4 else "::/0"
                raise ValueError(_ANYONE.format(everyone))
        return ",".join(proxies)

    @field_validator("database_url")
    @classmethod
    def _database_url_is_supported(cls, value: str) -> str:
        value = value.strip()
        if value:
            problem = _database_url_problem(value)
            if problem:
                raise ValueError(f"{problem}; {DATABASE_URL_FORMS}")
        return value

    @field_validator("database_password")
    @classmethod
    def _password_is_for_postgresql(
        cls, value: SecretStr | None, info: ValidationInfo
    ) -> SecretStr | None:
        if value is None or not value.get_secret_value():
            return None
        if not str(info.data.get("database_url", "")).startswith(POSTGRESQL):
            raise ValueError(
                "is for PostgreSQL, but TREFFPUNKT_DATABASE_URL does not name a PostgreSQL"
                " database (set it, e.g. postgresql://treffpunkt@db:5432/treffpunkt)"
            )
        return value

    @field_validator("smtp_host", "smtp_user", "mail_from")
    @classmethod
    def _empty_is_unset(cls, value: str | None) -> str | None:
        # compose.yaml passes unset variables on as empty strings.
        return (value or "").strip() or None

    @field_validator("smtp_host")
    @classmethod
    def _smtp_host_is_a_name(cls, value: str | None) -> str | None:
        if value is None:
            return None
        if "://" in value or "/" in value or any(char.isspace() for char in value):
            raise ValueError("must be the host name alone, such as smtp.example-kreis.de")
        if re.fullmatch(r"[^:]+:\d+", value):
            raise ValueError("must be the host name alone; the port goes in TREFFPUNKT_SMTP_PORT")
        return value

    @field_validator("smtp_password")
    @classmethod
    def _smtp_login_is_complete(
        cls, value: SecretStr | None, info: ValidationInfo
    ) -> SecretStr | None:
        if value is not None and not value.get_secret_value():
            value = None
        user = info.data.get("smtp_user")
        if user and value is None:
            raise ValueError("is needed with TREFFPUNKT_SMTP_USER (the relay's login)")
        if value is not None and not user:
            raise ValueError("is set, but TREFFPUNKT_SMTP_USER (the login it belongs to) is not")
        return value

    @field_validator("smtp_tls")
    @classmethod
    def _tls_fits_the_port(cls, value: str, info: ValidationInfo) -> str:
        # The two ports of RFC 8314 speak one way each; the other way only times out.
        port = info.data.get("smtp_port")
        if port == 465 and value == "starttls":
            raise ValueError(
                "port 465 (TREFFPUNKT_SMTP_PORT) speaks TLS from the start: set tls, or use"
                " port 587 with starttls"
            )
        if port == 587 and value == "tls":
            raise ValueError(
                "port 587 (TREFFPUNKT_SMTP_PORT) starts plain and turns to TLS: set starttls,"
                " or use port 465 with tls"
            )
        return value

    @field_validator("mail_from")
    @classmethod
    def _mail_from_is_an_address(cls, value: str | None) -> str | None:
        if value is None:
            return None
        found = getaddresses([value])
        address = found[0][1] if len(found) == 1 else ""
        local, at, domain = address.rpartition("@")
        if not (local and at and domain) or not re.fullmatch(r"[^\s@<>,;]+", local + domain):
            raise ValueError(
                "must be one mail address, such as bounces@example-kreis.de"
                " (or Name <bounces@example-kreis.de>)"
            )
        return address

    @field_validator("rate_limit_storage")
    @classmethod
    def _storage_is_known(cls, value: str) -> str:
        scheme = value.partition("://")[0]
        if "://" not in value or f"async+{scheme.removeprefix('async+')}" not in (
            limits.storage.SCHEMES
        ):
            raise ValueError("must be memory:// or a Redis address such as redis://redis:6379")
        return value

    @field_validator("secret_key")
    @classmethod
    def _secret_is_long_enough(
        cls, value: SecretStr | None, info: ValidationInfo
    ) -> SecretStr | None:
        if value is not None and not value.get_secret_value():
            value = None  # set but empty: as if not set
        if value is None:
            if info.data.get("environment") == "production":
                raise ValueError(f"is required when TREFFPUNKT_ENVIRONMENT=production; {HOW}")
            return None
        if len(value.get_secret_value().encode()) < MIN_SECRET_BYTES:
            raise ValueError(f"needs at least {MIN_SECRET_BYTES} bytes; {HOW}")
        return value

    @property
    def resolved_database_url(self) -> str:
        """The configured URL, or the embedded SQLite file under the data directory."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'treffpunkt.sqlite').resolve()}"

    def resolved_database_password(self) -> str | None:
        """TREFFPUNKT_DATABASE_PASSWORD, unless the URL carries a password itself."""
        if self.database_password is None or urlsplit(self.database_url).password:
            return None
        return self.database_password.get_secret_value()

    @property
    def trusted_proxy_list(self) -> list[str]:
        return self.trusted_proxies.split(",") if self.trusted_proxies else []

    @property
    def maildir(self) -> Path:
        return self.data_dir / "mail"

    def resolved_secret_key(self) -> str:
        """The configured key; in development one is generated once and kept under var/."""
        if self.secret_key is not None:
            return self.secret_key.get_secret_value()
        path = self.data_dir / "secret_key"
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(secrets.token_urlsafe(48))
            path.chmod(0o600)
        return path.read_text().strip()


def _unwritable(folder: Path) -> str | None:
    """Why `folder` cannot hold treffpunkt's files (it is made when missing), or None."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        return f"the folder {folder} cannot be created: {error.strerror or error}"
    try:
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as error:
        return f"the folder {folder} cannot be written: {error.strerror or error}"
    return None


def _database_url_problem(url: str) -> str | None:
    """What is wrong with a database URL, or None. Never repeats the URL: it may hold a
    password."""
    scheme, found, rest = url.partition("://")
    if not found or not re.fullmatch(r"[a-z][a-z0-9+.-]*", scheme):
        return "is not a database URL"
    if scheme == "sqlite":
        if not rest.startswith("/") or not rest[1:]:
            return "names no file: sqlite:/// is followed by the file's path"
        return _unwritable(Path(rest[1:]).parent)
    if scheme not in ("postgresql", "postgres"):
        return f"has the unknown scheme {scheme}://"
    parts = urlsplit(url)
    try:
        parts.port  # noqa: B018 -- raises for a port that is not a number
    except ValueError:
        return "has a port that is not a number"
    if not parts.hostname and "host=" not in parts.query:
        return "names no host"
    if not parts.path.strip("/"):
        # asyncpg would quietly take a database named like the user.
        return "names no database: put it at the end, after the host and a /"
    return None


def load_settings(**overrides: object) -> Settings:
    """Build settings from the environment; errors name the offending variable."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as error:
        first = error.errors()[0]
        field = ".".join(str(part) for part in first["loc"])
        name = f"{ENV_PREFIX}{field.upper()}" if field else "settings"
        message = str(first["msg"]).removeprefix("Value error, ")
        raise SettingsError(f"invalid setting {name}: {message}") from None
