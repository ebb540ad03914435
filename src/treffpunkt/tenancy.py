"""Tenant scoping, written once: every lookup of a municipality's own object goes
through `owned`, so another municipality's object is simply not found (404)."""

from __future__ import annotations

from typing import Any

from piccolo.table import Table


def owned(table: type[Table], municipality_id: int, object_id: int | None = None) -> Any:
    """Where-clause: rows of `table` (which carries its municipality) that belong to
    `municipality_id`; with `object_id`, the one row with that id."""
    clause = table._meta.get_column_by_name("municipality") == municipality_id
    if object_id is None:
        return clause
    return clause & (table._meta.primary_key == object_id)
