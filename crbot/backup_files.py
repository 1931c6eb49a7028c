"""SQLite files as backups see them: an online copy, a restore into another file, checksums (of the file,
and of every table row by row), the integrity check; and the optional copy of a backup folder to S3."""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path

from crbot.errors import ConfigError, CrbotError
from crbot.golive.settings import BackupSettings
from crbot.sqlite import private_file

BUSY_TIMEOUT_S = 15.0


class BackupFailed(CrbotError):
    """A backup could not be made, verified or restored; nothing was replaced."""

    exit_code = 1


def copy_database(source: Path, target: Path) -> None:
    """SQLite's online backup, all pages in one step (one consistent snapshot), into a self-contained file."""
    private_file(target)
    src = sqlite3.connect(source, timeout=BUSY_TIMEOUT_S)
    dst = sqlite3.connect(target)
    try:
        src.backup(dst)
        dst.execute("PRAGMA journal_mode = DELETE")  # one file, no -wal beside it
        dst.commit()
    except sqlite3.Error as exc:
        raise BackupFailed(f"could not copy {source}: {exc}", hint="check the disk space and the file") from exc
    finally:
        dst.close()
        src.close()


def file_sha(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def table_sums(path: Path) -> dict[str, dict[str, object]]:
    """Row count and a checksum of every row of every table (in rowid order)."""
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        names = [
            r[0]
            for r in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name"
            )
        ]
        result: dict[str, dict[str, object]] = {}
        for table in names:
            digest, rows = hashlib.sha256(), 0
            for row in conn.execute(f'SELECT * FROM "{table}" ORDER BY rowid'):  # names from the file itself
                digest.update(repr(row).encode())
                rows += 1
            result[table] = {"rows": rows, "sha256": digest.hexdigest()}
        return result
    finally:
        conn.close()


def restore_into(backup_file: Path, target: Path) -> None:
    src = sqlite3.connect(f"file:{backup_file}?mode=ro", uri=True)
    dst = sqlite3.connect(target, timeout=BUSY_TIMEOUT_S)
    try:
        src.backup(dst)
    finally:
        dst.close()
        src.close()


def integrity(path: Path) -> str:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return "; ".join(r[0] for r in conn.execute("PRAGMA integrity_check"))
    finally:
        conn.close()


# ---- restore ---------------------------------------------------------------------------------------------------
def upload_s3(path: Path, conf: BackupSettings) -> str:
    """Copy the backup folder's files to s3://bucket/prefix/<name>/; returns that URL (recorded beside it)."""
    try:
        import boto3
        from boto3.exceptions import Boto3Error
        from botocore.exceptions import BotoCoreError, ClientError
    except ImportError as exc:  # pinned in requirements.txt; a broken environment says so
        raise ConfigError("boto3 is not installed", hint="pip install -r requirements.txt") from exc
    client = boto3.client("s3", endpoint_url=conf.aws_endpoint_url or None)
    prefix = f"{conf.s3_prefix.strip('/')}/{path.name}".lstrip("/")
    try:
        for file in sorted(p for p in path.iterdir() if p.is_file()):
            client.upload_file(str(file), conf.s3_bucket, f"{prefix}/{file.name}")
    except (BotoCoreError, ClientError, Boto3Error) as exc:
        raise BackupFailed(
            f"the backup {path.name} was made, but its copy to s3://{conf.s3_bucket}/{prefix} failed: {exc}",
            hint="check CRBOT_BACKUP_S3_BUCKET, CRBOT_AWS_ENDPOINT_URL and the AWS credentials",
        ) from exc
    url = f"s3://{conf.s3_bucket}/{prefix}/"
    (path / "s3.txt").write_text(url + "\n", encoding="utf-8")
    return url
