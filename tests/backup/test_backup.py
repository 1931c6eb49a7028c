"""Backups of the journal and the paper book: taken while trading, verified by a restore, restored exactly."""

from __future__ import annotations

import json
import sqlite3
import threading
from decimal import Decimal
from pathlib import Path

import pytest

from crbot import backup
from crbot.backup_files import file_sha, table_sums
from crbot.config import Settings
from crbot.domain import OrderRequest, OrderType, Side
from crbot.errors import CrbotError, InvalidInput
from crbot.golive.settings import BackupSettings
from crbot.risk import RiskLimits
from tests.conftest import make_env


def _conf(settings: Settings, **env: str) -> BackupSettings:
    return BackupSettings.load(settings, make_env(settings.home, **env))


def _tables(path: Path) -> dict[str, dict[str, object]]:
    return table_sums(path)


def _buy(service, price: Decimal) -> None:
    req = OrderRequest(symbol="BTCUSDT", side=Side.BUY, type=OrderType.LIMIT, quantity=Decimal("0.001"), price=price)
    service.place(req, actor="bot:test", source="test")


def test_a_backup_taken_while_orders_are_written_restores_exactly(runtime, settings, clock) -> None:
    service = runtime.service
    # The bot may outrun a slow backup: room for all its 60 orders, so no limit ends it early.
    roomy = RiskLimits().with_changes(max_open_orders=1000, max_orders_per_minute=100000)
    service.save_risk_limits(roomy, actor="cli:tester", reason="backup test")
    price = (runtime.broker.last_price("BTCUSDT") * Decimal("0.97")).quantize(Decimal("0.01"))
    stop, placed, errors = threading.Event(), [], []

    def trade() -> None:  # a bot placing paper orders the whole time
        while not stop.is_set() and len(placed) < 60:
            try:
                _buy(service, price)
                placed.append(1)
            except CrbotError as exc:  # pragma: no cover - reported below
                errors.append(exc)
                return

    thread = threading.Thread(target=trade)
    thread.start()
    try:
        while len(placed) < 5 and thread.is_alive():
            thread.join(0.01)
        assert len(placed) >= 5, errors  # the bot died early: say why instead of waiting out the test timeout
        made = backup.create_backup(settings, clock, actor="cli:tester", conf=_conf(settings), journal=runtime.journal)
        during = len(placed)
    finally:
        stop.set()
        thread.join()
    assert not errors
    assert made.verified_ok is True and made.problems == ()
    assert {f.name for f in made.files} == {"journal.db", "paper_exchange.db"}
    journal_sum = next(f for f in made.files if f.name == "journal.db")
    orders_in_backup = journal_sum.tables["orders"]["rows"]
    assert 5 <= orders_in_backup <= during + 1  # a consistent snapshot taken mid-way, not the end state
    book_orders = next(f for f in made.files if f.name == "paper_exchange.db")
    assert book_orders.tables  # the paper book is in the same backup

    runtime.journal.close()  # restore puts back both files, exactly the snapshot
    done = backup.restore_backup(settings, clock, name=made.name, confirm=True, actor="cli:tester")
    assert sorted(Path(p).name for p in done.restored) == ["journal.db", "paper_exchange.db"]
    for f in made.files:
        restored = _tables(Path(f.source))
        for table, expected in f.tables.items():
            if table == "audit_events":  # the restore itself is audited after the copy
                assert restored[table]["rows"] == expected["rows"] + 1
            else:
                assert restored[table] == expected, table
    for kept in done.kept:
        assert Path(kept).exists()  # the replaced files are kept beside
    assert _tables(Path(next(k for k in done.kept if "journal.db" in k)))["orders"]["rows"] == len(placed)


def test_verify_detects_a_corrupted_backup(runtime, settings, clock, capsys, monkeypatch) -> None:
    made = backup.create_backup(settings, clock, actor="cli:tester", conf=_conf(settings), journal=runtime.journal)
    file = made.path / "journal.db"
    data = bytearray(file.read_bytes())
    middle = len(data) // 2
    data[middle : middle + 64] = bytes(b ^ 0xFF for b in data[middle : middle + 64])
    file.write_bytes(bytes(data))
    result = backup.verify_backup(made.path, clock)
    assert not result.ok
    assert any("checksum differs" in p for p in result.problems), result.problems
    assert backup.load_backup(made.path).verified_ok is False  # recorded: the checklist sees it
    with pytest.raises(backup.BackupFailed, match="failed verification"):
        backup.restore_backup(settings, clock, name=made.name, confirm=True, actor="cli:tester")

    from crbot.cli import main

    monkeypatch.chdir(settings.home)
    for name, value in make_env(settings.home).items():
        monkeypatch.setenv(name, value)
    assert main(["backup", "verify", made.name]) == 1
    assert "FAILED" in capsys.readouterr().out


def test_a_table_rewritten_inside_the_backup_is_caught_by_the_restore_check(runtime, settings, clock) -> None:
    made = backup.create_backup(settings, clock, actor="cli:tester", conf=_conf(settings), journal=runtime.journal)
    manifest = json.loads((made.path / "manifest.json").read_text())
    raw = sqlite3.connect(made.path / "paper_exchange.db")
    table = next(t for t, v in _tables(made.path / "paper_exchange.db").items() if v["rows"])
    raw.execute(f'DELETE FROM "{table}"')
    raw.commit()
    raw.close()
    for f in manifest["files"]:  # someone even fixed the file checksum: the table check still catches it
        if f["name"] == "paper_exchange.db":
            f["sha256"] = file_sha(made.path / "paper_exchange.db")
    (made.path / "manifest.json").write_text(json.dumps(manifest))
    result = backup.verify_backup(made.path, clock)
    assert not result.ok and any(f"table {table} restores 0 rows" in p for p in result.problems), result.problems


def test_restore_refuses_without_confirmation_and_keeps_the_replaced_file(runtime, settings, clock) -> None:
    made = backup.create_backup(settings, clock, actor="cli:tester", conf=_conf(settings), journal=runtime.journal)
    runtime.journal.audit(actor="cli:tester", action="order_cancel", detail="after the backup")
    with pytest.raises(InvalidInput, match="would overwrite") as refused:
        backup.restore_backup(settings, clock, name=None, confirm=False, actor="cli:tester")
    assert "in use now" in str(refused.value)  # the runtime has the journal open (its -wal file is there)
    assert runtime.journal.audit_events(1)[0].detail == "after the backup"  # nothing replaced
    done = backup.restore_backup(settings, clock, name=None, confirm=True, actor="cli:tester")
    assert done.name == made.name
    events = runtime.journal.audit_events(5)  # the open journal sees the restored content
    assert events[0].action == "backup_restore" and made.name in events[0].detail
    assert all(e.detail != "after the backup" for e in events)
    kept = Path(next(k for k in done.kept if "journal.db" in k))
    kept_db = sqlite3.connect(kept)
    assert kept_db.execute("SELECT count(*) FROM audit_events WHERE detail = 'after the backup'").fetchone() == (1,)
    kept_db.close()


def test_rotation_and_schedule(runtime, settings, clock) -> None:
    env = {"CRBOT_BACKUP_KEEP": "2", "CRBOT_BACKUP_EVERY_HOURS": "1"}
    conf = _conf(settings, **env)
    made = []
    for _ in range(3):
        made.append(backup.create_backup(settings, clock, actor="t", conf=conf, journal=runtime.journal).name)
        clock.advance(60)
    assert [b.name for b in backup.list_backups(conf)] == [made[2], made[1]]  # newest first, the oldest rotated

    import os

    os.environ.update(env)  # backup_if_due reads the environment like the dashboard does
    try:
        assert backup.backup_if_due(settings, clock, journal=runtime.journal) is None  # 2 minutes old: not due
        clock.advance(3600)
        due = backup.backup_if_due(settings, clock, journal=runtime.journal)
        assert due is not None and due.verified_ok
        scheduler = backup.BackupScheduler(settings, clock, runtime.journal)
        assert scheduler.tick() is False  # the newest is fresh: nothing started
        clock.advance(3600)
        scheduler._checked = float("-inf")  # as if a minute had passed since its last look
        assert scheduler.tick() is True
        scheduler.join(30)
        assert scheduler.tick() is False  # looked a moment ago
        assert scheduler.last_error is None and len(backup.list_backups(conf)) == 2
        assert backup.list_backups(conf)[0].created_at == clock.now()
    finally:
        for name in env:
            os.environ.pop(name, None)
    assert any(e.action == "backup_create" for e in runtime.journal.audit_events(10))


def test_backup_copies_to_s3(runtime, settings, clock, moto_s3) -> None:
    import boto3

    s3 = boto3.client("s3", endpoint_url=moto_s3)
    s3.create_bucket(Bucket="crbot-test")
    conf = _conf(settings, CRBOT_BACKUP_S3_BUCKET="crbot-test", CRBOT_AWS_ENDPOINT_URL=moto_s3)
    made = backup.create_backup(settings, clock, actor="t", conf=conf, journal=runtime.journal)
    assert made.s3 == f"s3://crbot-test/crbot-backups/{made.name}/"
    listed = s3.list_objects_v2(Bucket="crbot-test", Prefix=f"crbot-backups/{made.name}/")
    keys = {o["Key"].rsplit("/", 1)[1] for o in listed["Contents"]}
    assert {"journal.db", "paper_exchange.db", "manifest.json", "verify.json"} <= keys
    body = s3.get_object(Bucket="crbot-test", Key=f"crbot-backups/{made.name}/journal.db")["Body"].read()
    manifest = json.loads((made.path / "manifest.json").read_text())
    import hashlib

    expected = next(f["sha256"] for f in manifest["files"] if f["name"] == "journal.db")
    assert hashlib.sha256(body).hexdigest() == expected

    missing = _conf(settings, CRBOT_BACKUP_S3_BUCKET="no-such-bucket", CRBOT_AWS_ENDPOINT_URL=moto_s3)
    with pytest.raises(backup.BackupFailed, match="copy to s3://no-such-bucket"):
        backup.create_backup(settings, clock, actor="t", conf=missing, journal=runtime.journal)


def test_cli_backup_create_list_verify(settings, monkeypatch, capsys) -> None:
    from crbot.cli import main
    from crbot.clock import SystemClock
    from crbot.journal import Journal

    monkeypatch.chdir(settings.home)
    for name, value in make_env(settings.home).items():
        monkeypatch.setenv(name, value)
    Journal(settings.database_url, SystemClock()).close()
    assert main(["backup", "create"]) == 0
    assert "verified: restores exactly" in capsys.readouterr().out
    assert main(["--json", "backup", "list"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert len(listed) == 1 and listed[0]["verified_ok"] is True
    assert main(["backup", "verify"]) == 0
    assert main(["backup", "restore"]) == 2  # refuses without --confirm
    assert "would overwrite" in capsys.readouterr().err
