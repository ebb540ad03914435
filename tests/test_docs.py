"""Docs and code comments point only at files in the repository, and those exist."""

from __future__ import annotations

import argparse
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
TEXT = [
    *ROOT.glob("*.md"),
    *ROOT.glob("docs/**/*.md"),
    *ROOT.glob("src/**/*.py"),
    *ROOT.glob("src/**/*.html"),
    *ROOT.glob("tests/**/*.py"),
    *ROOT.glob("bench/**/*.py"),
    *ROOT.glob("bench/**/*.md"),
    ROOT / "Makefile",
    ROOT / "Dockerfile",
    ROOT / "compose.yaml",
    ROOT / "pyproject.toml",
]
# A file name such as docs/operations.md (one that starts with "../" is outside);
# and paths of a machine.
REFERENCE = re.compile(r"(?<![\w/.:-])((?:\.\./)*(?:[\w.-]+/)*[\w-]+\.(?:md|py|json|yaml|css))\b")
MACHINE = re.compile(r"(?<![\w.])/(?:work|home|tmp|root)/[\w./-]+")


def test_references_to_files_stay_inside_the_repository_and_exist() -> None:
    missing = []
    for path in TEXT:
        if "node_modules" in path.parts:
            continue
        text = path.read_text(encoding="utf-8")
        missing += [f"{path.relative_to(ROOT)}: {m.group(0)}" for m in MACHINE.finditer(text)]
        for match in REFERENCE.finditer(text):
            name = match.group(1)
            if name.startswith("../"):
                missing.append(f"{path.relative_to(ROOT)}: {name} is outside the repository")
            elif name.endswith(".md") and not any(
                (base / name).exists() for base in (ROOT, path.parent, ROOT / "docs")
            ):
                missing.append(f"{path.relative_to(ROOT)}: {name} does not exist")
    assert not missing, "\n".join(missing)


# --- the README says what the code does ------------------------------------------------------

README = (ROOT / "README.md").read_text(encoding="utf-8")
SETTING_NAME = re.compile(r"\bTREFFPUNKT_[A-Z0-9_]*[A-Z0-9]\b")
# Variables read outside settings.py, and where (the README may name them too).
READ_ELSEWHERE = {
    "TREFFPUNKT_TEST_POSTGRES_URL": ROOT / "tests/conftest.py",
    "TREFFPUNKT_MIGRATIONS_DIR": ROOT / "src/treffpunkt/piccolo_app.py",
}


def _settings_names() -> set[str]:
    from treffpunkt.settings import ENV_PREFIX, Settings

    return {f"{ENV_PREFIX}{name.upper()}" for name in Settings.model_fields}


def test_the_readme_names_every_setting_and_no_setting_that_does_not_exist() -> None:
    named = set(SETTING_NAME.findall(README))
    settings = _settings_names()
    assert not settings - named, f"not in README.md: {sorted(settings - named)}"
    for name, reader in READ_ELSEWHERE.items():
        assert name in reader.read_text(encoding="utf-8"), f"{reader} no longer reads {name}"
    unknown = named - settings - READ_ELSEWHERE.keys()
    assert not unknown, f"README.md names settings that do not exist: {sorted(unknown)}"


def test_the_readme_configuration_table_lists_settings_only() -> None:
    table = README.split("## Configuration", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in table.splitlines() if line.startswith("| `TREFFPUNKT_")]
    in_rows = {name for row in rows for name in SETTING_NAME.findall(row.split("|")[1])}
    assert in_rows == _settings_names()


def test_the_readme_names_every_kind_of_mail_and_task() -> None:
    from treffpunkt.app import wire
    from treffpunkt.notifications.check import TEST_MAIL
    from treffpunkt.notifications.worker import CALENDAR_ENTRY

    registry = wire()
    kinds = {*registry.mails, *registry.tasks, CALENDAR_ENTRY, TEST_MAIL}
    templates = {p.name for p in (ROOT / "email_templates").iterdir() if p.is_dir()}
    assert templates - {"layout"} <= kinds  # no template for a kind nobody sends
    missing = {kind for kind in kinds if f"`{kind}`" not in README}
    assert not missing, f"not in README.md: {sorted(missing)}"


def _env_blocks() -> list[dict[str, str]]:
    """The README's .env examples: code blocks of NAME=value lines (and comments), with
    each <placeholder> filled in as an operator would."""
    blocks = []
    for block in re.findall(r"```sh\n(.*?)```", README, flags=re.S):
        lines = [line for line in block.splitlines() if line and not line.startswith("#")]
        if lines and all(re.fullmatch(r"[A-Z][A-Z0-9_]*=.*", line) for line in lines):
            values = dict(line.split("=", 1) for line in lines)
            blocks.append({k: re.sub(r"<[^>]*>", "x" * 48, v) for k, v in values.items()})
    return blocks


def test_the_readmes_env_examples_give_valid_settings_with_compose_yaml(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """compose.yaml hands the .env on to treffpunkt; what it then reads must be valid."""
    from treffpunkt.settings import ENV_PREFIX, load_settings

    compose = yaml.safe_load((ROOT / "compose.yaml").read_text())
    app_environment = compose["services"]["app"]["environment"]
    base, *mail = _env_blocks()
    assert {"TREFFPUNKT_SECRET_KEY", "POSTGRES_PASSWORD"} <= base.keys()
    assert len(mail) == 2, "one block for the mail catcher, one for an SMTP relay"
    for extra in mail:
        dotenv = {**base, **extra}

        def substitute(match: re.Match[str], dotenv: dict[str, str] = dotenv) -> str:
            name, default = match.group(1), match.group(3) or ""
            return dotenv.get(name, default)

        for name, value in app_environment.items():
            if name.startswith(ENV_PREFIX):
                resolved = re.sub(r"\$\{(\w+)(:-([^}]*)|:\?[^}]*)?\}", substitute, str(value))
                monkeypatch.setenv(name, resolved)
        monkeypatch.setenv("TREFFPUNKT_DATA_DIR", str(tmp_path))  # the image's is not here
        settings = load_settings()
        assert settings.smtp_host == dotenv["TREFFPUNKT_SMTP_HOST"]
        assert settings.smtp_port == int(dotenv["TREFFPUNKT_SMTP_PORT"])
        assert settings.resolved_database_password() == dotenv["POSTGRES_PASSWORD"]


def test_the_readme_shows_each_command_with_its_real_options_and_defaults(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from treffpunkt.cli import _parser

    monkeypatch.delenv("HOST", raising=False)  # they would replace the defaults
    monkeypatch.delenv("PORT", raising=False)

    commands = README.split("## Commands", 1)[1].split("\n## ", 1)[0]
    [subparsers] = [a for a in _parser()._actions if isinstance(a, argparse._SubParsersAction)]
    for name, command in subparsers.choices.items():
        assert f"`treffpunkt {name}" in commands, f"README.md does not show {name}"
        shown = re.search(rf"`treffpunkt {name}([^`]*)`", commands)
        assert shown is not None
        defaults = {a.option_strings[0]: a.default for a in command._actions if a.option_strings}
        for option, value in re.findall(r"\[(--[\w-]+) ([^\]…]+)\]", shown.group(1)):
            assert option in defaults, f"{name} has no {option}"
            assert str(defaults[option]) == value, (name, option)


def test_the_readme_configuration_table_gives_the_real_defaults() -> None:
    from treffpunkt.settings import ENV_PREFIX, Settings

    table = README.split("## Configuration", 1)[1].split("\n## ", 1)[0]
    for row in table.splitlines():
        if not row.startswith("| `TREFFPUNKT_"):
            continue
        names, default = (cell.strip() for cell in row.split("|")[1:3])
        for name in SETTING_NAME.findall(names):
            field = Settings.model_fields[name.removeprefix(ENV_PREFIX).lower()]
            real = field.default
            if default == "–":
                assert real in (None, ""), name
            elif re.fullmatch(r"`[^`]*`", default):
                shown = str(real).lower() if isinstance(real, bool) else str(real)
                assert default == f"`{shown}`", name


async def test_every_operation_the_readme_names_exists(client: Any) -> None:
    """Each `METHOD /path` of the README's API table (the ones written out in full)."""
    schema = (await client.get("/schema/openapi.json")).json()
    operations = {
        (method.upper(), re.sub(r"\{[^}]*\}", "{}", path))
        for path, item in schema["paths"].items()
        for method in item
    }
    operations |= {(method, path.replace(".csv", "")) for method, path in operations}
    named = re.findall(r"`((?:GET|POST|PUT|PATCH|DELETE)(?:, [A-Z]+)*) (/[^`…]+)`", README)
    assert len(named) > 20
    missing = []
    for methods, path in named:
        optional = re.fullmatch(r"(.*)\[(/[^\]]+)\]", path)
        paths = [optional.group(1), optional.group(1) + optional.group(2)] if optional else [path]
        for one in paths:
            for method in methods.split(", "):
                # `{id}.ics` is one path parameter (a file name) to the router.
                generic = re.sub(r"\{[^}]*\}(\.ics)?", "{}", one)
                if (method, generic) not in operations:
                    missing.append(f"{method} {one}")
    assert not missing, missing
