"""Password hashing, signed session cookies, the failed-login brake and the start-up policy (no server)."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from crbot.access.core import Access, AccessSettings, is_loopback, login_required
from crbot.access.gate import _safe_next
from crbot.access.limiter import Limiter, Limits
from crbot.access.passwords import PROFILES, PasswordStore, hash_password, verify_password
from crbot.access.server import check_start
from crbot.access.sessions import SECRET_FILE, SessionBook, load_secret
from crbot.clock import ManualClock
from crbot.domain import Mode
from crbot.errors import ConfigError, InvalidInput

CHEAP = PROFILES["cheap"]
PASSWORD = "correct horse battery"


def test_hash_is_argon2id_with_a_fresh_salt_and_verifies() -> None:
    first, second = hash_password(PASSWORD, CHEAP), hash_password(PASSWORD, CHEAP)
    assert first.startswith("$argon2id$v=19$m=8,t=1,p=1$")
    assert first != second  # a new salt each time
    assert PASSWORD not in first
    assert verify_password(PASSWORD, first) and verify_password(PASSWORD, second)
    assert not verify_password(PASSWORD + "!", first)
    assert not verify_password(PASSWORD, "$argon2id$garbage")


def test_standard_profile_is_owasp_argon2id() -> None:
    encoded = hash_password(PASSWORD, PROFILES["standard"])
    assert encoded.startswith("$argon2id$v=19$m=47104,t=1,p=1$")
    assert verify_password(PASSWORD, encoded)


def test_store_keeps_only_the_hash_private_and_fingerprints_changes(tmp_path: Path) -> None:
    store = PasswordStore(tmp_path)
    assert not store.is_set() and store.fingerprint() == "" and not store.verify(PASSWORD)
    store.set(PASSWORD, CHEAP)
    assert stat.S_IMODE(store.path.stat().st_mode) == 0o600
    assert PASSWORD.encode() not in store.path.read_bytes()
    assert store.verify(PASSWORD) and not store.verify("wrong password!")
    before = store.fingerprint()
    store.set(PASSWORD, CHEAP)  # same password, new salt: still a change
    assert store.fingerprint() not in ("", before)
    assert list(tmp_path.iterdir()) == [store.path]  # no temporary file left behind


@pytest.mark.parametrize("bad", ["short", " leading space pw", "x" * 1025, ""])
def test_store_refuses_bad_passwords(tmp_path: Path, bad: str) -> None:
    with pytest.raises(InvalidInput):
        PasswordStore(tmp_path).set(bad, CHEAP)
    assert not PasswordStore(tmp_path).is_set()


def test_a_corrupted_hash_file_is_a_config_error(tmp_path: Path) -> None:
    (tmp_path / "dashboard_password").write_text("plain text password\n")
    with pytest.raises(ConfigError, match="set-password"):
        PasswordStore(tmp_path).is_set()


def test_secret_is_created_once_0600(tmp_path: Path) -> None:
    secret = load_secret(tmp_path)
    assert len(secret) == 32 and load_secret(tmp_path) == secret
    assert stat.S_IMODE((tmp_path / SECRET_FILE).stat().st_mode) == 0o600


def _book(clock: ManualClock, secret: bytes = b"k" * 32) -> SessionBook:
    return SessionBook(secret, clock, idle_s=600, max_s=3600)


def test_cookie_is_signed_and_bound_to_the_password() -> None:
    clock = ManualClock()
    book = _book(clock)
    cookie = book.issue("10.0.0.1", "fp1")
    assert book.check(cookie, "fp1") is not None
    assert book.check(cookie, "fp2") is None  # the password changed
    body, _, mac = cookie.rpartition(".")
    forged = body.replace(body.split(".")[2], str(int(body.split(".")[2]) + 1))
    assert book.check(f"{forged}.{mac}", "fp1") is None  # any edit breaks the HMAC
    assert book.check(f"{body}.{mac[:-1]}A" if mac[-1] != "A" else f"{body}.{mac[:-1]}B", "fp1") is None
    assert _book(clock, b"z" * 32).check(cookie, "fp1") is None  # another server's secret
    for junk in (None, "", "v1.a.b", "x" * 300):
        assert book.check(junk, "fp1") is None


def test_idle_and_absolute_expiry_with_an_injected_clock() -> None:
    clock = ManualClock()
    book = _book(clock)
    cookie = book.issue("c", "fp")
    clock.advance(599)
    assert book.check(cookie, "fp") is not None  # used: idle timer restarts
    clock.advance(599)
    assert book.check(cookie, "fp", touch=False) is not None  # looked at, not used
    clock.advance(2)
    assert book.check(cookie, "fp") is None  # 601 s since the last use
    assert book.check(cookie, "fp") is None  # and gone for good

    active = book.issue("c", "fp")
    for _ in range(6):  # busy all along: the absolute limit still ends it for a new page load
        clock.advance(590)
        assert book.check(active, "fp") is not None
    clock.advance(590)
    assert book.check(active, "fp") is None
    # ... but not for the tab still open on it (STOP stays at hand), until it goes idle
    assert book.check(active, "fp", open_tab=True) is not None
    assert book.check(active, "fp") is None
    clock.advance(601)
    assert book.check(active, "fp", open_tab=True) is None


def test_logout_ends_only_that_session() -> None:
    book = _book(ManualClock())
    one, two = book.issue("a", "fp"), book.issue("b", "fp")
    assert book.end(one) and not book.end(one)
    assert book.check(one, "fp") is None and book.check(two, "fp") is not None
    assert not book.end("v1.forged.1.fp.AAAA")


def test_growing_delay_then_lockout_per_client() -> None:
    clock = ManualClock()
    lim = Limiter(clock, Limits(free=3, base_s=1, max_delay_s=60, lock_after=10, lock_s=900, global_after=100))
    waits = [lim.failure("a").wait_s for _ in range(3)]
    assert waits == [0, 0, 0]
    delays = []
    for _ in range(6):  # failures 4..9, each made as soon as allowed
        verdict = lim.failure("a")
        delays.append(verdict.wait_s)
        assert not lim.check("a").allowed and not verdict.locked
        clock.advance(verdict.wait_s)
        assert lim.check("a").allowed
    assert delays == [1, 2, 4, 8, 16, 32]
    locked = lim.failure("a")  # the 10th
    assert locked.locked and locked.wait_s == 900 and not locked.overall
    assert lim.check("b").allowed  # another client is not affected
    clock.advance(899)
    assert not lim.check("a").allowed
    clock.advance(1)
    assert lim.check("a").allowed
    assert lim.failure("a").wait_s == 0  # a lockout served in full: the count starts again


def test_delay_is_capped_and_success_clears_it() -> None:
    lim = Limiter(ManualClock(), Limits(free=0, base_s=1, max_delay_s=5, lock_after=50))
    assert [lim.delay_after(n) for n in (1, 2, 3, 4, 9)] == [1, 2, 4, 5, 5]
    lim.failure("a")
    lim.success("a")
    assert lim.check("a").allowed


def test_overall_lockout_from_many_clients() -> None:
    clock = ManualClock()
    lim = Limiter(clock, Limits(free=3, lock_after=10, lock_s=900, global_after=20))
    for i in range(19):
        lim.failure(f"10.0.0.{i}")
        clock.advance(1)
    assert lim.check("192.168.1.1").allowed
    verdict = lim.failure("10.0.1.1")
    assert verdict.overall and verdict.locked
    assert not lim.check("192.168.1.1").allowed and lim.check("192.168.1.1").overall
    clock.advance(900)
    assert lim.check("192.168.1.1").allowed


def _access(tmp_path: Path, clock: ManualClock, events: list, **kw: object) -> Access:
    settings = AccessSettings(profile="cheap", limits=Limits(free=1, base_s=2, lock_after=3, lock_s=60))
    return Access(tmp_path, settings=settings, clock=clock, audit=lambda *e: events.append(e), **kw)


def test_login_audits_every_outcome_and_refused_tries_never_reach_the_hash(tmp_path: Path) -> None:
    clock, events = ManualClock(), []
    access = _access(tmp_path, clock, events)
    access.store.set(PASSWORD, CHEAP)
    assert access.login("nope nope nope", "1.2.3.4")[0] is None  # free failure
    cookie, verdict = access.login("nope nope nope", "1.2.3.4")
    assert cookie is None and verdict is not None and verdict.wait_s == 2
    cookie, refused = access.login(PASSWORD, "1.2.3.4")  # right, but still waiting: not even checked
    assert cookie is None and refused is not None and not refused.allowed
    clock.advance(2)
    cookie, _ = access.login(PASSWORD, "1.2.3.4")
    assert cookie and access.sessions.check(cookie, access.store.fingerprint())
    access.logout(cookie, "1.2.3.4")
    assert access.sessions.check(cookie, access.store.fingerprint()) is None
    actions = [e[1] for e in events]
    assert actions == ["dashboard_login_failed", "dashboard_login_failed", "dashboard_login", "dashboard_logout"]
    assert all(e[0] == "dashboard@1.2.3.4" for e in events)
    assert all(PASSWORD not in str(e) for e in events)


def test_lockout_is_audited_and_a_password_change_ends_sessions(tmp_path: Path) -> None:
    clock, events = ManualClock(), []
    access = _access(tmp_path, clock, events)
    access.store.set(PASSWORD, CHEAP)
    cookie, _ = access.login(PASSWORD, "9.9.9.9")
    for _ in range(3):
        access.login("wrong wrong wrong", "6.6.6.6")
        clock.advance(10)
    assert "locked for 60 s" in events[-1][2]
    access.store.set("another password", CHEAP)
    assert access.sessions.check(cookie, access.store.fingerprint()) is None


def test_loopback_policy() -> None:
    assert all(is_loopback(a) for a in ("127.0.0.1", "127.0.0.2", "::1", "localhost", "[::1]"))
    assert not any(is_loopback(a) for a in ("", None, "0.0.0.0", "::", "192.168.1.5", "dashboard.example"))
    assert not login_required("127.0.0.1", Mode.PAPER)
    assert login_required("127.0.0.1", Mode.LIVE)
    assert login_required("0.0.0.0", Mode.PAPER) and login_required(None, Mode.TESTNET)


def test_start_is_refused_without_a_password_when_required(tmp_path: Path) -> None:
    events: list = []
    required = _access(tmp_path, ManualClock(), events, required=True)
    with pytest.raises(ConfigError, match="dashboard set-password"):
        check_start(required, address="0.0.0.0", agent_api=False, live=False)
    with pytest.raises(ConfigError, match="enableAgentApi"):
        check_start(required, address="127.0.0.1", agent_api=True, live=False)
    required.store.set(PASSWORD, CHEAP)
    check_start(required, address="0.0.0.0", agent_api=False, live=True)
    assert required.enabled


def test_settings_from_env() -> None:
    s = AccessSettings.load({"CRBOT_DASHBOARD_IDLE_MINUTES": "5", "CRBOT_DASHBOARD_KDF": "cheap"})
    assert s.idle_s == 300 and s.max_s == 12 * 3600 and s.kdf == CHEAP
    for bad in (
        {"CRBOT_DASHBOARD_KDF": "md5"},
        {"CRBOT_DASHBOARD_IDLE_MINUTES": "0"},
        {"CRBOT_DASHBOARD_SESSION_HOURS": "x"},
    ):
        with pytest.raises(ConfigError):
            AccessSettings.load(bad)


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("/ticket", "/ticket"),
        ("/risk?x=1", "/risk?x=1"),
        ("//evil.example/x", "/"),
        ("/\\evil.example", "/"),
        ("https://evil.example/", "/"),
        ("ticket", "/"),
        ("/login", "/"),
        (None, "/"),
    ],
)
def test_after_login_only_local_paths(target: str | None, expected: str) -> None:
    assert _safe_next(target) == expected
