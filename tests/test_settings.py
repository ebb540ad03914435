from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from treffpunkt.settings import Settings, SettingsError, load_settings


def test_defaults_use_an_embedded_sqlite_file_under_the_data_dir(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("TREFFPUNKT_DATABASE_URL", raising=False)
    settings = load_settings(data_dir=tmp_path)
    assert settings.resolved_database_url == f"sqlite:///{tmp_path.resolve()}/treffpunkt.sqlite"


def test_development_secret_is_generated_once_and_kept(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, secret_key=None)
    first = settings.resolved_secret_key()
    assert len(first) >= 32
    assert Settings(data_dir=tmp_path, secret_key=None).resolved_secret_key() == first
    assert (tmp_path / "secret_key").stat().st_mode & 0o777 == 0o600


def test_production_without_a_secret_key_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TREFFPUNKT_SECRET_KEY")
    with pytest.raises(SettingsError, match="invalid setting TREFFPUNKT_SECRET_KEY: is required"):
        load_settings(environment="production")


@pytest.mark.parametrize("key", ["", "   ", "short", "x" * 31, "ü" * 15])
def test_production_refuses_an_empty_or_short_secret_key(
    monkeypatch: pytest.MonkeyPatch, key: str
) -> None:
    monkeypatch.setenv("TREFFPUNKT_ENVIRONMENT", "production")
    monkeypatch.setenv("TREFFPUNKT_SECRET_KEY", key)
    with pytest.raises(SettingsError, match="invalid setting TREFFPUNKT_SECRET_KEY:"):
        load_settings()


def test_a_secret_key_of_32_bytes_is_enough(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TREFFPUNKT_ENVIRONMENT", "production")
    monkeypatch.setenv("TREFFPUNKT_SECRET_KEY", "ü" * 16)  # 16 characters, 32 bytes
    assert load_settings().resolved_secret_key() == "ü" * 16


def test_the_cli_names_a_short_production_secret_key_and_stops() -> None:
    env = {**os.environ, "TREFFPUNKT_ENVIRONMENT": "production", "TREFFPUNKT_SECRET_KEY": "x"}
    result = subprocess.run(
        [sys.executable, "-m", "treffpunkt.cli", "serve"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert result.stderr.startswith("treffpunkt: invalid setting TREFFPUNKT_SECRET_KEY:")


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("TREFFPUNKT_SMTP_PORT", "not-a-port"),
        ("TREFFPUNKT_SMTP_TLS", "sometimes"),
        ("TREFFPUNKT_DATABASE_URL", "mysql://localhost/x"),
        ("TREFFPUNKT_BASE_URL", "treffpunkt.example"),
        ("TREFFPUNKT_LOG_LEVEL", "LOUD"),
        ("TREFFPUNKT_LOGIN_FAILURES_PER_ACCOUNT_AND_CLIENT", "often"),
    ],
)
def test_invalid_setting_names_the_variable(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str
) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(SettingsError, match=f"invalid setting {variable}:"):
        load_settings()


@pytest.mark.parametrize(
    ("variable", "value", "says"),
    [
        ("TREFFPUNKT_DATABASE_URL", "mysql://localhost/x", "unknown scheme mysql://"),
        # asyncpg would take a database named like the user: refuse, don't guess.
        ("TREFFPUNKT_DATABASE_URL", "postgresql://treffpunkt@db:5432", "names no database"),
        ("TREFFPUNKT_DATABASE_URL", "postgresql://treffpunkt@db:5432/", "names no database"),
        ("TREFFPUNKT_DATABASE_URL", "postgresql:///treffpunkt", "names no host"),
        ("TREFFPUNKT_DATABASE_URL", "postgresql://db:54x2/treffpunkt", "port that is not"),
        ("TREFFPUNKT_DATABASE_URL", "sqlite:///", "names no file"),
        ("TREFFPUNKT_DATABASE_URL", "var/treffpunkt.sqlite", "is not a database URL"),
        ("TREFFPUNKT_MAIL_FROM", "noreply", "must be one mail address"),
        ("TREFFPUNKT_MAIL_FROM", "a@kreis.example, b@kreis.example", "must be one mail address"),
        ("TREFFPUNKT_MAIL_FROM", "Treffpunkt <noreply>", "must be one mail address"),
        ("TREFFPUNKT_SMTP_PORT", "70000", "less than or equal to 65535"),
        ("TREFFPUNKT_SMTP_TLS", "yes", "'starttls', 'tls' or 'none'"),
        ("TREFFPUNKT_SMTP_HOST", "smtp://smtp.kreis.example", "the host name alone"),
        ("TREFFPUNKT_SMTP_HOST", "smtp.kreis.example:587", "TREFFPUNKT_SMTP_PORT"),
        ("TREFFPUNKT_BASE_URL", "https://", "http:// or https:// address"),
        ("TREFFPUNKT_BASE_URL", "ftp://treffpunkt.example", "http:// or https:// address"),
        ("TREFFPUNKT_BASE_URL", "https://treffpunkt.example/?x=1", "without ?query"),
        ("TREFFPUNKT_RATE_LIMIT_STORAGE", "redis:6379", "memory:// or a Redis address"),
    ],
)
def test_a_malformed_value_is_named_with_what_is_wrong(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str, says: str
) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(SettingsError) as error:
        load_settings()
    assert str(error.value).startswith(f"invalid setting {variable}: ")
    assert says in str(error.value)


def test_a_database_url_with_a_password_is_never_repeated(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TREFFPUNKT_DATABASE_URL", "postgresql://treffpunkt:s3cr3t@db:x/tp")
    with pytest.raises(SettingsError) as error:
        load_settings()
    assert "s3cr3t" not in str(error.value)


@pytest.mark.parametrize(
    ("port", "tls", "says"),
    [(465, "starttls", "port 465"), (587, "tls", "port 587")],
)
def test_an_smtp_port_that_speaks_the_other_tls_is_refused(
    monkeypatch: pytest.MonkeyPatch, port: int, tls: str, says: str
) -> None:
    monkeypatch.setenv("TREFFPUNKT_SMTP_PORT", str(port))
    monkeypatch.setenv("TREFFPUNKT_SMTP_TLS", tls)
    with pytest.raises(SettingsError, match=f"invalid setting TREFFPUNKT_SMTP_TLS: {says}"):
        load_settings()
    monkeypatch.delenv("TREFFPUNKT_SMTP_TLS")
    if port == 465:
        with pytest.raises(SettingsError, match="TREFFPUNKT_SMTP_TLS"):  # the default, too
            load_settings()


def test_an_smtp_login_needs_both_halves(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TREFFPUNKT_SMTP_USER", "treffpunkt@kreis.example")
    with pytest.raises(SettingsError, match="TREFFPUNKT_SMTP_PASSWORD: is needed"):
        load_settings()
    monkeypatch.delenv("TREFFPUNKT_SMTP_USER")
    monkeypatch.setenv("TREFFPUNKT_SMTP_PASSWORD", "secret")
    with pytest.raises(SettingsError, match="TREFFPUNKT_SMTP_PASSWORD: is set, but"):
        load_settings()


def test_empty_values_from_compose_count_as_unset(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("SMTP_HOST", "SMTP_USER", "SMTP_PASSWORD", "MAIL_FROM", "DATABASE_PASSWORD"):
        monkeypatch.setenv(f"TREFFPUNKT_{name}", "")
    settings = load_settings()
    assert settings.smtp_host is None
    assert settings.smtp_user is None
    assert settings.mail_from is None
    assert settings.database_password is None


def test_mail_from_is_kept_as_its_address(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TREFFPUNKT_MAIL_FROM", "Treffpunkt Betrieb <bounces@kreis.example>")
    assert load_settings().mail_from == "bounces@kreis.example"


def test_a_data_dir_that_cannot_be_created_is_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "a-file").write_text("")
    monkeypatch.setenv("TREFFPUNKT_DATA_DIR", str(tmp_path / "a-file" / "var"))
    with pytest.raises(SettingsError) as error:
        load_settings()
    assert str(error.value).startswith("invalid setting TREFFPUNKT_DATA_DIR: the folder ")
    assert "cannot be created: Not a directory" in str(error.value)
    monkeypatch.setenv("TREFFPUNKT_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("TREFFPUNKT_DATABASE_URL", f"sqlite:///{tmp_path}/a-file/x.sqlite")
    with pytest.raises(SettingsError, match="TREFFPUNKT_DATABASE_URL: the folder "):
        load_settings()


def test_a_data_dir_that_cannot_be_written_is_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o500)
    if os.geteuid() == 0:  # root writes into any folder, but not into sysfs
        locked = Path("/sys")
        if not _unwritable_for_root(locked):
            pytest.skip("no folder here that root cannot write")
    monkeypatch.setenv("TREFFPUNKT_DATA_DIR", str(locked))
    with pytest.raises(SettingsError, match=r"DATA_DIR: the folder .* cannot be written"):
        load_settings()


def _unwritable_for_root(folder: Path) -> bool:
    try:
        with tempfile.TemporaryFile(dir=folder):
            return False
    except OSError:
        return True


def test_the_database_password_is_for_postgresql_and_the_urls_own_wins(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TREFFPUNKT_DATABASE_PASSWORD", "from-the-variable")
    monkeypatch.setenv("TREFFPUNKT_DATABASE_URL", "sqlite:///var/x.sqlite")
    with pytest.raises(SettingsError, match="TREFFPUNKT_DATABASE_PASSWORD: is for PostgreSQL"):
        load_settings()
    monkeypatch.setenv("TREFFPUNKT_DATABASE_URL", "postgresql://treffpunkt@db/treffpunkt")
    assert load_settings().resolved_database_password() == "from-the-variable"
    monkeypatch.setenv("TREFFPUNKT_DATABASE_URL", "postgresql://treffpunkt:in-url@db/treffpunkt")
    assert load_settings().resolved_database_password() is None


@pytest.mark.parametrize("command", ["serve", "worker", "migrate", "demo"])
@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("TREFFPUNKT_SMTP_PORT", "seventy"),
        ("TREFFPUNKT_DATABASE_URL", "postgres://db"),
        ("TREFFPUNKT_MAIL_FROM", "noreply"),
    ],
)
def test_cli_stops_with_one_clear_line_on_an_invalid_setting(
    command: str, variable: str, value: str
) -> None:
    env = {**os.environ, variable: value}
    result = subprocess.run(
        [sys.executable, "-m", "treffpunkt.cli", command],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"treffpunkt: invalid setting {variable}:")


@pytest.mark.parametrize(
    "value",
    [
        "*",
        "127.0.0.1,*",
        "proxy.internal",
        "10.0.0.0/33",
        "0.0.0.0/0",
        "::/0",
        "10.0.0.1, ::/0",
        "192.0.2.1/0",  # the same network, written from one of its addresses
        "0.0.0.0/1,128.0.0.0/1",  # every address all the same
    ],
)
def test_trusted_proxies_are_addresses_or_networks_never_anyone(
    monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    monkeypatch.setenv("TREFFPUNKT_TRUSTED_PROXIES", value)
    with pytest.raises(SettingsError, match="invalid setting TREFFPUNKT_TRUSTED_PROXIES:"):
        load_settings()


def test_trusted_proxies_are_written_as_the_proxy_middleware_reads_them() -> None:
    settings = load_settings(trusted_proxies=" 10.1.2.3/8, 192.0.2.1 ,, ::1 ")
    assert settings.trusted_proxy_list == ["10.0.0.0/8", "192.0.2.1", "::1"]
    assert load_settings(trusted_proxies="").trusted_proxy_list == []


@pytest.mark.parametrize("value", ["0.0.0.0/0", "::/0", "*"])
def test_trusting_every_address_as_a_proxy_stops_the_start_with_one_line(value: str) -> None:
    env = {**os.environ, "TREFFPUNKT_TRUSTED_PROXIES": value}
    result = subprocess.run(
        [sys.executable, "-m", "treffpunkt.cli", "serve", "--port", "1"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    [line] = result.stderr.strip().splitlines()
    assert line.startswith("treffpunkt: invalid setting TREFFPUNKT_TRUSTED_PROXIES:")
    assert "X-Forwarded-For of any client" in line
