"""Docs and code comments point only at files in the repository, and those exist."""

from __future__ import annotations

import re
from pathlib import Path

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
