"""A real PostgreSQL server for tests (registered from tests/conftest.py as a pytest plugin).

- ``CRBOT_TEST_POSTGRES_URL`` set (CI): that server is used; its role needs CREATEDB (and pg_signal_backend,
  which .ci/run grants, or a drop waits until autovacuum has left the database).
- Otherwise a throw-away server is started for the session (one per xdist worker) with PostgreSQL's own
  ``initdb`` and ``postgres`` in a temporary directory, on 127.0.0.1 and a free port. PostgreSQL refuses to
  run as root (and CI runs as root), so as root both run as the ``postgres`` user through ``runuser``. The
  server is the session's child and is told to stop when the session dies, even by SIGKILL.
- No server to be had: the PostgreSQL tests skip with the reason, and the terminal summary says the
  PostgreSQL half was not run; with ``CRBOT_REQUIRE_POSTGRES=1`` (CI) they fail instead.

Fixtures: ``postgres_server`` (session), ``postgres_url`` (a fresh, empty database per test, dropped after)
and ``journal_url`` (parametrized: the same test on a SQLite file and on a fresh PostgreSQL database).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ProgrammingError

URL_ENV = "CRBOT_TEST_POSTGRES_URL"
REQUIRE_ENV = "CRBOT_REQUIRE_POSTGRES"
BIN_ENV = "CRBOT_POSTGRES_BIN"  # a directory holding initdb and pg_ctl, when not Debian's
DEFAULT_BINS = ("/usr/lib/postgresql/15/bin", "/usr/lib/postgresql/16/bin", "/usr/lib/postgresql/17/bin")
SKIP_PREFIX = "PostgreSQL not available"  # the terminal summary finds skipped PostgreSQL tests by this
START_TIMEOUT_S = 60
DIR_PREFIX = "crbot-pg-"


class PostgresUnavailable(Exception):
    """No PostgreSQL server could be found or started (the message says why)."""


class PostgresServer:
    """A PostgreSQL server reachable through ``admin_url`` (a role allowed to CREATE DATABASE)."""

    def __init__(
        self,
        admin_url: URL,
        *,
        data_dir: Path | None = None,
        as_postgres: bool = False,
        process: subprocess.Popen[bytes] | None = None,
    ) -> None:
        self.admin_url = admin_url
        self._data_dir = data_dir
        self._as_postgres = as_postgres
        self._process = process
        self._engine = create_engine(admin_url, isolation_level="AUTOCOMMIT", pool_size=1, max_overflow=2)

    def url_for(self, database: str) -> str:
        return self.admin_url.set(database=database).render_as_string(hide_password=False)

    def create_database(self, prefix: str = "crbot_test") -> str:
        """A new, empty database; returns its SQLAlchemy URL (``postgresql+psycopg://...``)."""
        name = f"{prefix}_{uuid.uuid4().hex[:12]}"
        with self._engine.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        return self.url_for(name)

    def drop_database(self, url: str) -> None:
        name = make_url(url).database
        deadline = time.monotonic() + 10
        while True:
            try:
                with self._engine.connect() as conn:
                    # FORCE: a test that left a connection open (or failed half way) must not leak its database
                    conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
                return
            except ProgrammingError as exc:
                # FORCE also terminates an autovacuum worker on that database, which a role without
                # pg_signal_backend may not do (.ci/run grants it): that worker finishes soon, try again
                if "pg_signal_backend" not in str(exc) or time.monotonic() > deadline:
                    raise
                time.sleep(0.2)

    def stop(self, *, remove: bool = True) -> None:
        self._engine.dispose()
        if self._data_dir is None:
            return
        pg_ctl = _binaries()[1]
        subprocess.run(
            [*self._prefix(), str(pg_ctl), "-D", str(self._data_dir / "data"), "-m", "immediate", "-w", "stop"],
            capture_output=True,
            check=False,
            timeout=60,
        )
        if self._process is not None:
            try:
                self._process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait(timeout=10)
        if remove:
            shutil.rmtree(self._data_dir, ignore_errors=True)

    def _prefix(self) -> list[str]:
        return ["runuser", "-u", "postgres", "--"] if self._as_postgres else []


def required() -> bool:
    return os.environ.get(REQUIRE_ENV) == "1"


def unavailable(reason: str) -> None:
    """Skip (or fail when CRBOT_REQUIRE_POSTGRES=1) a test that needs PostgreSQL."""
    message = f"{SKIP_PREFIX}: {reason}"
    if required():
        pytest.fail(f"{message} (and {REQUIRE_ENV}=1)", pytrace=False)
    pytest.skip(message)


def server_from_env() -> PostgresServer | None:
    raw = os.environ.get(URL_ENV)
    if not raw:
        return None
    url = make_url(raw)
    if url.drivername in ("postgresql", "postgres", "postgresql+psycopg2"):
        url = url.set(drivername="postgresql+psycopg")
    server = PostgresServer(url)
    try:
        with server._engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as exc:
        server.stop()
        raise PostgresUnavailable(f"{URL_ENV} is set but the server does not answer: {_one_line(exc)}") from exc
    return server


def start_server() -> PostgresServer:
    """Start a throw-away server in a temporary directory (initdb, then the postmaster in the foreground as our
    child), trust auth on 127.0.0.1 only. The postmaster gets SIGTERM when this process dies, however it dies
    (pytest killed by a timeout included): no server outlives its test session."""
    initdb, pg_ctl = _binaries()
    as_postgres = os.geteuid() == 0
    if as_postgres and shutil.which("runuser") is None:
        raise PostgresUnavailable("running as root and 'runuser' is missing (PostgreSQL refuses to run as root)")
    _sweep_stale()
    # Not under pytest's tmp_path: as root that is private to root, and the server runs as postgres.
    base = Path(tempfile.mkdtemp(prefix=DIR_PREFIX))
    data, sock = base / "data", base / "sock"
    sock.mkdir()
    if as_postgres:
        shutil.chown(base, "postgres", "postgres")
        shutil.chown(sock, "postgres", "postgres")
    prefix = ["runuser", "-u", "postgres", "--"] if as_postgres else []
    init = subprocess.run(
        [*prefix, str(initdb), "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync"],
        capture_output=True,
        text=True,
        check=False,
        timeout=START_TIMEOUT_S,
    )
    if init.returncode != 0:
        shutil.rmtree(base, ignore_errors=True)
        raise PostgresUnavailable(f"initdb failed: {_one_line(init.stderr or init.stdout)}")
    last = ""
    for _ in range(3):  # the free port may be taken between the probe and the server's bind
        port = _free_port()
        command = [*prefix, str(pg_ctl.with_name("postgres")), "-D", str(data), "-p", str(port), "-k", str(sock)]
        command += ["-c", "listen_addresses=127.0.0.1", "-c", "fsync=off", "-c", "synchronous_commit=off"]
        command += ["-c", "full_page_writes=off", "-c", "shared_buffers=16MB", "-c", "max_connections=200"]
        log = base / "server.log"
        with log.open("ab") as out:
            process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, preexec_fn=_die_with_parent)
        url = URL.create("postgresql+psycopg", username="postgres", host="127.0.0.1", port=port, database="postgres")
        server = PostgresServer(url, data_dir=base, as_postgres=as_postgres, process=process)
        if _answers(server, process):
            return server
        server.stop(remove=False)
        last = log.read_text(errors="replace")[-400:]
    shutil.rmtree(base, ignore_errors=True)
    raise PostgresUnavailable(f"the PostgreSQL server did not start: {_one_line(last)}")


def _die_with_parent() -> None:
    """In the child before exec: SIGTERM when the parent (pytest) dies (runuser passes it on to postgres)."""
    import ctypes

    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def _sweep_stale() -> None:
    """Remove data directories a killed session left behind: no postmaster.pid (stopped) and over an hour old."""
    for old in Path(tempfile.gettempdir()).glob(f"{DIR_PREFIX}*"):
        with contextlib.suppress(OSError):
            if not (old / "data" / "postmaster.pid").exists() and time.time() - old.stat().st_mtime > 3600:
                shutil.rmtree(old, ignore_errors=True)


def _answers(server: PostgresServer, process: subprocess.Popen[bytes]) -> bool:
    deadline = time.monotonic() + START_TIMEOUT_S
    while process.poll() is None:
        try:
            with server._engine.connect() as conn:
                conn.execute(text("SELECT 1"))
            return True
        except Exception:
            if time.monotonic() > deadline:
                return False
            time.sleep(0.1)
    return False  # the postmaster exited (e.g. the port was taken)


def _binaries() -> tuple[Path, Path]:
    candidates = [os.environ[BIN_ENV]] if os.environ.get(BIN_ENV) else list(DEFAULT_BINS)
    for directory in candidates:
        initdb, pg_ctl = Path(directory) / "initdb", Path(directory) / "pg_ctl"
        if initdb.exists() and pg_ctl.exists():
            return initdb, pg_ctl
    raise PostgresUnavailable(
        f"no {URL_ENV} and no initdb/pg_ctl in {', '.join(candidates)}"
        " (apt-get install postgresql, or set CRBOT_TEST_POSTGRES_URL)"
    )


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _one_line(value: object) -> str:
    return " ".join(str(value).split())[:400]


# --- fixtures -----------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer | str]:
    """The session's server, or the reason there is none (a str: each test using it then skips/fails)."""
    try:
        server = server_from_env() or start_server()
    except PostgresUnavailable as exc:
        yield str(exc)
        return
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def postgres_url(postgres_server: PostgresServer | str) -> Iterator[str]:
    """A fresh, empty PostgreSQL database for this test (``postgresql+psycopg://...``), dropped after it."""
    if isinstance(postgres_server, str):
        unavailable(postgres_server)
    assert isinstance(postgres_server, PostgresServer)
    url = postgres_server.create_database()
    try:
        yield url
    finally:
        postgres_server.drop_database(url)


@pytest.fixture(params=["sqlite", "postgresql"])
def journal_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The same test on both journal backends: a SQLite file, then a fresh PostgreSQL database."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'journal.db'}"
    return request.getfixturevalue("postgres_url")


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    skipped = [r for r in terminalreporter.stats.get("skipped", []) if SKIP_PREFIX in str(getattr(r, "longrepr", ""))]
    if not skipped:
        return
    longrepr = skipped[0].longrepr
    message = longrepr[2] if isinstance(longrepr, tuple) else str(longrepr)
    reason = message.split(SKIP_PREFIX, 1)[1].lstrip(": ")
    terminalreporter.write_sep("=", "PostgreSQL half NOT run", yellow=True, bold=True)
    terminalreporter.write_line(f"{len(skipped)} PostgreSQL test(s) skipped, only the SQLite half ran: {reason}")
    terminalreporter.write_line(f"CI sets {REQUIRE_ENV}=1, which makes this a failure.")
