"""Helpers for revisions that must also work on journals where a table already exists.

Before Alembic, CRBOT created every model's table on each open (``create_all``), so a journal from that time
may already hold a table a revision creates: those revisions use ``create_table_if_missing``. A table added
from now on is created only by its revision, so a new revision may use plain ``op.create_table``.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


def has_table(name: str) -> bool:
    return sa.inspect(op.get_bind()).has_table(name)


def has_column(table: str, column: str) -> bool:
    return column in {c["name"] for c in sa.inspect(op.get_bind()).get_columns(table)}


def has_index(table: str, name: str) -> bool:
    return name in {i["name"] for i in sa.inspect(op.get_bind()).get_indexes(table)}


def create_table_if_missing(
    name: str, *elements: sa.schema.SchemaItem, indexes: Sequence[tuple[str, Sequence[str]]] = ()
) -> bool:
    """Create table ``name`` with ``elements`` and ``indexes`` ((index name, columns), ...) unless it exists;
    an existing table gets any of those indexes it lacks. True when the table was created."""
    created = not has_table(name)
    if created:
        op.create_table(name, *elements)
    for index, columns in indexes:
        if created or not has_index(name, index):
            op.create_index(index, name, list(columns), unique=False)
    return created
