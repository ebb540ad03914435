"""Settings from TREFFPUNKT_* environment variables, built once at start-up."""

from __future__ import annotations

import ipaddress
import secrets
from pathlib import Path
from typing import Literal

import limits
from pydantic import Field, SecretStr, ValidationError, ValidationInfo, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

ENV_PREFIX = "TREFFPUNKT_"
MIN_SECRET_BYTES = 32
HOW = 'make one with: python3 -c "import secrets; print(secrets.token_urlsafe(48))"'


class SettingsError(Exception):
    """A setting is missing or invalid; the message names the variable."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, extra="ignore", frozen=True)

    environment: Literal["development", "production"] = "development"
    data_dir: Path = Path("var")
    database_url: str = ""
    database_pool_size: int = Field(default=10, ge=1, le=200)
    base_url: str = "http://127.0.0.1:8000"
    # Signs tokens and cookies; at least MIN_SECRET_BYTES, required in production.
    secret_key: SecretStr | None = Field(default=None, validate_default=True)

    smtp_host: str | None = None
    smtp_port: int = Field(default=587, ge=1, le=65535)
    smtp_user: str | None = None
    smtp_password: SecretStr | None = None
    smtp_tls: Literal["starttls", "tls", "none"] = "starttls"
    mail_from: str = "treffpunkt <noreply@localhost>"

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
    # `limits` storage URI: memory:// per process, redis://host:6379 shared by all processes.
    rate_limit_storage: str = "memory://"
    login_attempts_per_client: str = "20/minute"
    login_failures_per_account_and_client: str = "5/15minutes"
    # Holds back only addresses that have not logged in to the account lately.
    login_failures_per_account: str = "20/15minutes"
    registrations_per_client: str = "30/minute"
    # Reverse proxies whose X-Forwarded-For is believed: addresses or networks (CIDR).
    trusted_proxies: str = "127.0.0.1,::1"

    @field_validator("base_url")
    @classmethod
    def _base_url_is_absolute(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value.rstrip("/")

    @field_validator(
        "login_attempts_per_client",
        "login_failures_per_account_and_client",
        "login_failures_per_account",
        "registrations_per_client",
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
        for entry in filter(None, (part.strip() for part in value.split(","))):
            if entry == "*":
                raise ValueError(
                    "'*' would believe the X-Forwarded-For of any client; list the addresses"
                    " or networks (CIDR) of your reverse proxies"
                )
            try:
                network = ipaddress.ip_network(entry, strict=False)
            except ValueError:
                raise ValueError(f"{entry!r} is not an IP address or network (CIDR)") from None
            single = network.num_addresses == 1 and "/" not in entry
            proxies.append(str(network.network_address) if single else str(network))
        return ",".join(proxies)

    @field_validator("database_url")
    @classmethod
    def _database_url_is_supported(cls, value: str) -> str:
        if value and not value.startswith(("sqlite:///", "postgresql://", "postgres://")):
            raise ValueError("must start with sqlite:/// or postgresql://")
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
