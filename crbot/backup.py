"""Backups of the journals and the paper book together, proven to restore.

    create_backup(settings, clock, actor=...)   one folder <backups>/crbot-<UTC stamp>/ holding every SQLite
                                                journal of the home and the paper book, plus manifest.json
    verify_backup(folder, clock)                file checksums, then a restore into a scratch database:
                                                integrity check, row count and checksum of every table
    restore_backup(settings, name, confirm=...) puts every file back (the replaced ones kept beside them)
    backup_if_due(settings, clock, ...)         the schedule: a new backup when the newest is older than `every`

Each copy uses SQLite's online backup API in one step (one read transaction): consistent while other
processes keep trading. A backup is written to ``<name>.partial`` and renamed when complete, so a folder
without that suffix is whole. Rotation keeps the newest ``keep`` backups. Optionally each backup is copied
to S3 (boto3; any S3-compatible endpoint).
"""

from __future__ import annotations

import contextlib
import json
import logging
import shutil
import sqlite3
import tempfile
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from crbot.backup_files import (
    BackupFailed,
    copy_database,
    file_sha,
    integrity,
    restore_into,
    table_sums,
    upload_s3,
)
from crbot.clock import Clock
from crbot.config import Settings
from crbot.domain import Mode
from crbot.errors import CrbotError, InvalidInput
from crbot.golive.journals import journal_url_for, sqlite_path
from crbot.golive.settings import BackupSettings
from crbot.home import PAPER_BOOK
from crbot.journal import Journal
from crbot.sqlite import PRIVATE_DIR, SIDECARS, private_file

logger = logging.getLogger(__name__)

PREFIX, PARTIAL, MANIFEST, VERIFIED = "crbot-", ".partial", "manifest.json", "verify.json"


@dataclass(frozen=True, slots=True, kw_only=True)
class FileSum:
    name: str  # file name inside the backup
    source: str  # absolute path it was copied from (and is restored to)
    sha256: str
    size: int
    tables: dict[str, dict[str, object]]  # table -> {"rows": n, "sha256": ...}


@dataclass(frozen=True, slots=True, kw_only=True)
class Backup:
    name: str
    path: Path
    created_at: datetime
    files: tuple[FileSum, ...]
    verified_at: datetime | None = None
    verified_ok: bool | None = None
    problems: tuple[str, ...] = ()
    s3: str = ""

    @property
    def rows(self) -> int:
        return sum(int(t["rows"]) for f in self.files for t in f.tables.values())  # type: ignore[call-overload]


@dataclass(frozen=True, slots=True, kw_only=True)
class Verification:
    name: str
    ok: bool
    verified_at: datetime
    problems: tuple[str, ...] = ()
    checked: tuple[str, ...] = field(default=())


# ---- what is backed up ----------------------------------------------------------------------------------
def sources(settings: Settings) -> list[Path]:
    """Every SQLite journal of this home's modes that exists, then the paper book (if any)."""
    found: list[Path] = []
    for mode in Mode:
        path = sqlite_path(journal_url_for(settings, mode))
        if path is not None and path.exists() and path not in found:
            found.append(path)
    book = settings.home / PAPER_BOOK
    if book.exists() and book.resolve() not in found:
        found.append(book.resolve())
    return found


# ---- create ------------------------------------------------------------------------------------------------
def create_backup(
    settings: Settings,
    clock: Clock,
    *,
    actor: str,
    conf: BackupSettings | None = None,
    journal: Journal | None = None,
) -> Backup:
    """Back up, verify, rotate, optionally copy to S3; audited in ``journal`` (when given)."""
    conf = conf or BackupSettings.load(settings)
    files = sources(settings)
    if not files:
        raise InvalidInput(
            f"nothing to back up under {settings.home}: no SQLite journal or paper book",
            hint="a journal on PostgreSQL is backed up with pg_dump",
        )
    now = clock.now()
    conf.folder.mkdir(mode=PRIVATE_DIR, parents=True, exist_ok=True)
    name = _free_name(conf.folder, now)
    partial = conf.folder / (name + PARTIAL)
    partial.mkdir(mode=PRIVATE_DIR)
    try:
        sums = []
        for index, source in enumerate(files):
            inside = source.name if sum(f.name == source.name for f in files) == 1 else f"{index}-{source.name}"
            target = partial / inside
            copy_database(source, target)
            sums.append(_summarise(target, inside, str(source)))
        manifest = {"name": name, "created_at": now.isoformat(), "files": [_sum_json(s) for s in sums]}
        (partial / MANIFEST).write_text(json.dumps(manifest, indent=2), encoding="utf-8")
        partial.rename(conf.folder / name)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    verification = verify_backup(conf.folder / name, clock)
    s3, s3_error = "", None
    if conf.s3_bucket:
        try:
            s3 = upload_s3(conf.folder / name, conf)
        except BackupFailed as exc:  # the local backup stands; the failed copy is audited, then raised
            s3_error = exc
    removed = rotate(conf.folder, conf.keep)
    backup = load_backup(conf.folder / name)
    detail = (
        f"{name}: {', '.join(f'{s.name} ({_rows(s)} rows)' for s in sums)}"
        f"; verified {'ok' if verification.ok else 'FAILED: ' + '; '.join(verification.problems)}"
        + (f"; copied to {s3}" if s3 else "")
        + (f"; S3 copy FAILED: {s3_error.message}" if s3_error else "")
        + (f"; rotated out {', '.join(removed)}" if removed else "")
    )
    if journal is not None:
        journal.audit(actor=actor, action="backup_create", detail=detail)
    logger.info("backup %s", detail)
    if s3_error is not None:
        raise s3_error
    return backup


def _rows(s: FileSum) -> int:
    return sum(int(t["rows"]) for t in s.tables.values())  # type: ignore[call-overload]


def _free_name(folder: Path, now: datetime) -> str:
    base = PREFIX + now.strftime("%Y%m%dT%H%M%S%fZ")
    name, n = base, 1
    while (folder / name).exists() or (folder / (name + PARTIAL)).exists():
        n += 1
        name = f"{base}-{n}"
    return name


def _summarise(path: Path, name: str, source: str) -> FileSum:
    return FileSum(name=name, source=source, sha256=file_sha(path), size=path.stat().st_size, tables=table_sums(path))


def _sum_json(s: FileSum) -> dict[str, object]:
    return {"name": s.name, "source": s.source, "sha256": s.sha256, "size": s.size, "tables": s.tables}


# ---- list / load ---------------------------------------------------------------------------------------------
def list_backups(conf: BackupSettings) -> list[Backup]:
    """Complete backups, newest first (an unreadable manifest is listed with its problem)."""
    if not conf.folder.is_dir():
        return []
    names = sorted((p for p in conf.folder.iterdir() if _is_backup(p)), key=lambda p: p.name, reverse=True)
    return [load_backup(p) for p in names]


def _is_backup(path: Path) -> bool:
    return path.is_dir() and path.name.startswith(PREFIX) and not path.name.endswith(PARTIAL)


def newest_name(conf: BackupSettings) -> str | None:
    """The newest complete backup's name, from the folder listing only (cheap: the schedule polls it)."""
    if not conf.folder.is_dir():
        return None
    names = [p.name for p in conf.folder.iterdir() if _is_backup(p)]
    return max(names) if names else None


def load_backup(path: Path) -> Backup:
    try:
        manifest = json.loads((path / MANIFEST).read_text(encoding="utf-8"))
        files = tuple(
            FileSum(name=f["name"], source=f["source"], sha256=f["sha256"], size=f["size"], tables=f["tables"])
            for f in manifest["files"]
        )
        created = datetime.fromisoformat(manifest["created_at"])
    except (OSError, ValueError, KeyError, TypeError) as exc:
        return Backup(
            name=path.name, path=path, created_at=_stamp_time(path.name), files=(), problems=(f"manifest: {exc}",)
        )
    verified_at = ok = None
    problems: tuple[str, ...] = ()
    with contextlib.suppress(OSError, ValueError, KeyError):
        record = json.loads((path / VERIFIED).read_text(encoding="utf-8"))
        verified_at, ok, problems = (
            datetime.fromisoformat(record["verified_at"]),
            bool(record["ok"]),
            tuple(record["problems"]),
        )
    s3 = ""
    with contextlib.suppress(OSError):
        s3 = (path / "s3.txt").read_text(encoding="utf-8").strip()
    return Backup(
        name=path.name, path=path, created_at=created, files=files, verified_at=verified_at, verified_ok=ok,
        problems=problems, s3=s3,
    )  # fmt: skip


def _stamp_time(name: str) -> datetime:
    from datetime import UTC

    try:
        return datetime.strptime(name.removeprefix(PREFIX)[:22], "%Y%m%dT%H%M%S%fZ").replace(tzinfo=UTC)
    except ValueError:
        return datetime.min.replace(tzinfo=UTC)


def find_backup(conf: BackupSettings, name: str | None) -> Backup:
    """``name`` (or the newest when None)."""
    backups = list_backups(conf)
    if not backups:
        raise InvalidInput(f"no backup in {conf.folder}", hint="create one: python -m crbot backup create")
    if name is None:
        return backups[0]
    for backup in backups:
        if backup.name == name:
            return backup
    raise InvalidInput(f"no backup named {name!r} in {conf.folder}", hint="see python -m crbot backup list")


# ---- verify --------------------------------------------------------------------------------------------------
def verify_backup(path: Path, clock: Clock) -> Verification:
    """Checksums of the files, then each restored into a scratch database and compared table by table.

    The result is recorded beside the backup (verify.json) for the go-live checklist."""
    backup = load_backup(path)
    problems = list(backup.problems)
    checked: list[str] = []
    if not backup.files and not problems:
        problems.append("the manifest lists no file")
    with tempfile.TemporaryDirectory(prefix="crbot-verify-") as scratch:
        for f in backup.files:
            file = path / f.name
            if not file.exists():
                problems.append(f"{f.name}: missing")
                continue
            if file_sha(file) != f.sha256:
                problems.append(f"{f.name}: checksum differs from the manifest (the file changed or is corrupted)")
            restored = Path(scratch) / f.name
            try:
                restore_into(file, restored)
                checked_ok = integrity(restored)
                if checked_ok != "ok":
                    problems.append(f"{f.name}: integrity check: {checked_ok}")
                    continue
                tables = table_sums(restored)
            except (sqlite3.Error, BackupFailed) as exc:
                problems.append(f"{f.name}: cannot be restored: {exc}")
                continue
            for table, expected in f.tables.items():
                got = tables.get(table)
                if got is None:
                    problems.append(f"{f.name}: table {table} missing after restore")
                elif got != expected:
                    problems.append(
                        f"{f.name}: table {table} restores {got['rows']} rows, the manifest says {expected['rows']}"
                        + ("" if got["rows"] != expected["rows"] else " (same count, different content)")
                    )
            checked.append(f"{f.name}: {len(tables)} tables, {sum(int(t['rows']) for t in tables.values())} rows")  # type: ignore[call-overload]
    result = Verification(
        name=backup.name, ok=not problems, verified_at=clock.now(), problems=tuple(problems), checked=tuple(checked)
    )
    record = {
        "verified_at": result.verified_at.isoformat(),
        "ok": result.ok,
        "problems": list(problems),
        "checked": checked,
    }
    with contextlib.suppress(OSError):  # a read-only backup folder still gets its answer
        (path / VERIFIED).write_text(json.dumps(record, indent=2), encoding="utf-8")
    (logger.info if result.ok else logger.error)("backup %s verified: %s", backup.name, "ok" if result.ok else problems)
    return result


@dataclass(frozen=True, slots=True, kw_only=True)
class Restored:
    name: str
    restored: tuple[str, ...]
    kept: tuple[str, ...]  # the replaced files, saved beside them


def restore_backup(settings: Settings, clock: Clock, *, name: str | None, confirm: bool, actor: str) -> Restored:
    """Put every file of the backup back where it came from, after verifying the backup.

    An existing file is only replaced with ``confirm`` (it may be in use); it is first copied beside itself
    as ``<file>.replaced-<stamp>``. The copy goes through SQLite (the backup API into the live file), so a
    process that has the journal open sees the restored content, never a torn file; restart dashboards,
    monitors and bots anyway, their in-memory caches predate the restore."""
    conf = BackupSettings.load(settings)
    backup = find_backup(conf, name)
    check = verify_backup(backup.path, clock)
    if not check.ok:
        raise BackupFailed(
            f"backup {backup.name} failed verification: {'; '.join(check.problems)}",
            hint="restore another backup (python -m crbot backup list)",
        )
    existing = [Path(f.source) for f in backup.files if Path(f.source).exists()]
    if existing and not confirm:
        busy = [str(p) for p in existing if any(p.with_name(p.name + s).exists() for s in SIDECARS[:2])]
        raise InvalidInput(
            f"restoring {backup.name} would overwrite {', '.join(map(str, existing))}"
            + (f" (in use now: {', '.join(busy)})" if busy else ""),
            hint="stop trading first (STOP) and re-run with --confirm; the replaced files are kept beside them",
        )
    stamp = clock.now().strftime("%Y%m%dT%H%M%SZ")
    kept, restored = [], []
    for f in backup.files:
        target = Path(f.source)
        target.parent.mkdir(mode=PRIVATE_DIR, parents=True, exist_ok=True)
        if target.exists():
            aside = target.with_name(f"{target.name}.replaced-{stamp}")
            copy_database(target, aside)
            kept.append(str(aside))
        private_file(target)
        try:
            restore_into(backup.path / f.name, target)
        except sqlite3.Error as exc:
            raise BackupFailed(
                f"restoring {target} failed: {exc}",
                hint=f"the file before the restore is kept as {kept[-1] if kept else '-'}",
            ) from exc
        cache = target.with_name(target.name + ".fills.arrow")
        cache.unlink(missing_ok=True)  # a cache of the journal before the restore
        restored.append(str(target))
    journal = Journal(settings.database_url, clock)
    try:
        journal.audit(
            actor=actor,
            action="backup_restore",
            detail=f"{backup.name} -> {', '.join(restored)}; replaced files kept: {', '.join(kept) or 'none'}",
        )
    finally:
        journal.close()
    return Restored(name=backup.name, restored=tuple(restored), kept=tuple(kept))


# ---- rotation, schedule, S3 ------------------------------------------------------------------------------------
def rotate(folder: Path, keep: int) -> list[str]:
    backups = sorted((p for p in folder.iterdir() if _is_backup(p)), key=lambda p: p.name, reverse=True)
    removed = []
    for old in backups[keep:]:
        shutil.rmtree(old, ignore_errors=True)
        removed.append(old.name)
    return removed


def backup_if_due(
    settings: Settings, clock: Clock, *, journal: Journal | None, actor: str = "crbot:schedule"
) -> Backup | None:
    """A new backup when the newest is older than CRBOT_BACKUP_EVERY_HOURS (None when not due). Cheap when
    not due: one folder listing."""
    conf = BackupSettings.load(settings)
    newest = newest_name(conf)
    if newest is not None and clock.now() - _stamp_time(newest) < conf.every:
        return None
    if not sources(settings):
        return None
    return create_backup(settings, clock, actor=actor, conf=conf, journal=journal)


class BackupScheduler:
    """``tick()`` from a periodic refresh: once a minute (the first a minute after start) it looks at the newest
    backup's name (one folder listing) and, when a backup is due, runs it in a thread: a page never waits."""

    CHECK_EVERY_S = 60.0

    def __init__(self, settings: Settings, clock: Clock, journal: Journal | None) -> None:
        self.settings, self.clock, self.journal = settings, clock, journal
        self.conf = BackupSettings.load(settings)
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._checked = time.monotonic()  # the first look a minute after start: short-lived test homes never back up
        self.last_error: str | None = None

    def tick(self) -> bool:
        """True when a backup was started."""
        with self._lock:
            now = time.monotonic()
            if (self._thread is not None and self._thread.is_alive()) or now - self._checked < self.CHECK_EVERY_S:
                return False
            self._checked = now
            newest = newest_name(self.conf)
            if newest is not None and self.clock.now() - _stamp_time(newest) < self.conf.every:
                return False
            self._thread = threading.Thread(target=self._run, name="crbot-backup", daemon=True)
            self._thread.start()
            return True

    def _run(self) -> None:
        try:
            if sources(self.settings):
                create_backup(self.settings, self.clock, actor="crbot:schedule", conf=self.conf, journal=self.journal)
            self.last_error = None
        except (CrbotError, OSError, sqlite3.Error) as exc:
            self.last_error = str(exc)
            logger.error("scheduled backup failed: %s", exc)

    def join(self, timeout: float | None = None) -> None:
        thread = self._thread
        if thread is not None:
            thread.join(timeout)
