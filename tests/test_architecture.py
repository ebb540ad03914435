"""The arrows between packages run one way (docs/contributing.md), checked on the import graph.

The layers are import-linter's contract in pyproject.toml ([tool.importlinter]):
municipalities <- accounts <- events <- registrations, with the core modules below
and the adapters (calendars, notifications, web) and entry points above.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from importlinter.cli import lint_imports

PYPROJECT = Path(__file__).resolve().parents[1] / "pyproject.toml"


def test_no_import_runs_against_the_layers(capsys: pytest.CaptureFixture[str]) -> None:
    result = lint_imports(config_filename=str(PYPROJECT), no_cache=True, no_logo=True)
    report = capsys.readouterr().out
    assert result == 0, report
    assert "1 kept, 0 broken" in report
