"""Where a paper test's book lives: every test runs on a SQLite file and on a fresh PostgreSQL database."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.pg import PostgresServer, unavailable

Book = Callable[[str], "Path | str"]


@pytest.fixture(params=["sqlite", "postgresql"])
def book(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Book]:
    """``book(name)``: the place of the paper book ``name`` (the same name, the same book): a SQLite file in
    tmp_path, or the URL of a fresh PostgreSQL database, dropped after the test."""
    if request.param == "sqlite":
        yield lambda name: tmp_path / f"{name}.db"
        return
    server = request.getfixturevalue("postgres_server")
    if isinstance(server, str):
        unavailable(server)
    assert isinstance(server, PostgresServer)
    made: dict[str, str] = {}

    def place(name: str) -> str:
        if name not in made:
            made[name] = server.create_database(prefix="crbot_paper")
        return made[name]

    try:
        yield place
    finally:
        for url in made.values():
            server.drop_database(url)
