from __future__ import annotations

import os
import subprocess
import sys
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


def test_cli_stops_with_one_clear_line_on_an_invalid_setting() -> None:
    env = {**os.environ, "TREFFPUNKT_SMTP_PORT": "seventy"}
    result = subprocess.run(
        [sys.executable, "-m", "treffpunkt.cli", "migrate"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("treffpunkt: invalid setting TREFFPUNKT_SMTP_PORT:")


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
