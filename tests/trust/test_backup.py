"""`make backup` / `make restore` for the embedded default: consistent while writes go on, checked on restore."""

from __future__ import annotations

import io
import os
import secrets
import sqlite3
import subprocess
import sys
import tarfile
import threading
import time
from pathlib import Path

import pytest

from scripts.backup import backup
from scripts.restore import restore

ROOT = Path(__file__).resolve().parents[2]


def _live_database(path: Path) -> None:
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("CREATE TABLE material (id INTEGER PRIMARY KEY, storage_key TEXT NOT NULL)")
    conn.execute("CREATE TABLE ledger (id INTEGER PRIMARY KEY, side TEXT NOT NULL, amount INTEGER NOT NULL)")
    conn.commit()
    conn.close()


class Writer(threading.Thread):
    """Writes like the service does: the file first, then its row and a balanced pair of ledger rows in one commit."""

    def __init__(self, db: Path, storage: Path) -> None:
        super().__init__(daemon=True)
        self.db, self.storage = db, storage
        self.stop = threading.Event()
        self.committed = 0

    def run(self) -> None:
        conn = sqlite3.connect(self.db, timeout=30)
        while not self.stop.is_set():
            key = secrets.token_hex(12)
            target = self.storage / key[:2] / key
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(os.urandom(2048))
            with conn:
                conn.execute("INSERT INTO material (storage_key) VALUES (?)", (key,))
                conn.execute("INSERT INTO ledger (side, amount) VALUES ('debit', 7)")
                conn.execute("INSERT INTO ledger (side, amount) VALUES ('credit', -7)")
            self.committed += 1
        conn.close()


def test_a_backup_taken_during_writes_restores_a_consistent_state(tmp_path):
    db, storage = tmp_path / "live" / "dachuan.sqlite3", tmp_path / "live" / "materials"
    storage.mkdir(parents=True)
    _live_database(db)
    writer = Writer(db, storage)
    writer.start()
    time.sleep(0.3)
    before = writer.committed
    archive = backup(f"sqlite://{db}", storage, tmp_path / "backups")
    time.sleep(0.2)
    writer.stop.set()
    writer.join()
    target_db, target_storage = tmp_path / "restored" / "db.sqlite3", tmp_path / "restored" / "materials"

    manifest = restore(archive, f"sqlite://{target_db}", target_storage)

    conn = sqlite3.connect(target_db)
    keys = [r[0] for r in conn.execute("SELECT storage_key FROM material")]
    balance, rows = conn.execute("SELECT sum(amount), count(*) FROM ledger").fetchone()
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    conn.close()
    assert before > 0 and len(keys) >= before  # everything committed before the backup began is in it
    assert len(keys) < writer.committed  # writes went on during and after it
    assert (balance, rows) == (0, 2 * len(keys))  # no half-written transaction
    assert [k for k in keys if not (target_storage / k[:2] / k).is_file()] == []  # every row has its file
    assert manifest["material_rows"] == len(keys)
    assert oct(archive.stat().st_mode & 0o777) == "0o600"


def test_restore_moves_the_current_data_aside(tmp_path):
    db, storage = tmp_path / "d.sqlite3", tmp_path / "materials"
    storage.mkdir()
    _live_database(db)
    (storage / "old.bin").write_bytes(b"old")
    archive = backup(f"sqlite://{db}", storage, tmp_path / "b")
    (storage / "newer.bin").write_bytes(b"after the backup")

    restore(archive, f"sqlite://{db}", storage)

    assert sorted(p.name for p in storage.rglob("*")) == ["old.bin"]
    aside = [p for p in tmp_path.iterdir() if p.name.startswith("materials.before-restore-")]
    assert len(aside) == 1 and (aside[0] / "newer.bin").read_bytes() == b"after the backup"
    assert any(p.name.startswith("d.sqlite3.before-restore-") for p in tmp_path.iterdir())


def test_a_damaged_archive_is_refused_and_nothing_changes(tmp_path):
    db, storage = tmp_path / "d.sqlite3", tmp_path / "materials"
    storage.mkdir()
    _live_database(db)
    archive = backup(f"sqlite://{db}", storage, tmp_path / "b")
    damaged = tmp_path / "damaged.tar.gz"
    with tarfile.open(archive) as src, tarfile.open(damaged, "w:gz") as dst:
        for member in src.getmembers():
            data = src.extractfile(member).read()
            if member.name == "database.sqlite3":
                data = data[:-10] + b"x" * 10
            member.size = len(data)
            dst.addfile(member, io.BytesIO(data))
    before = db.read_bytes()

    with pytest.raises(SystemExit, match="校验和不符"):
        restore(damaged, f"sqlite://{db}", storage)

    assert db.read_bytes() == before
    assert not any("before-restore" in p.name for p in tmp_path.iterdir())


def test_backup_refuses_postgres_with_a_pointer_to_the_procedure(tmp_path):
    with pytest.raises(SystemExit, match="docs/operations.md"):
        backup("postgres://u:p@localhost/dachuan", tmp_path, tmp_path / "b")


def test_make_backup_and_restore_on_the_real_schema(tmp_path):
    env = {**os.environ, "DATABASE_URL": f"sqlite://{tmp_path / 'a.sqlite3'}", "STORAGE_ROOT": str(tmp_path / "m"),
           "LOAD_DEMO_DATA": "false", "ENVIRONMENT": "test"}
    subprocess.run([sys.executable, "-m", "api", "migrate"], cwd=ROOT, env=env, check=True, capture_output=True)
    made = subprocess.run([sys.executable, "-m", "scripts.backup", "--out", str(tmp_path / "b")], cwd=ROOT, env=env,
                          check=True, capture_output=True, text=True)
    archive = made.stdout.strip()
    env_b = {**env, "DATABASE_URL": f"sqlite://{tmp_path / 'b.sqlite3'}", "STORAGE_ROOT": str(tmp_path / "m2")}

    subprocess.run([sys.executable, "-m", "scripts.restore", archive], cwd=ROOT, env=env_b, check=True,
                   capture_output=True)

    conn = sqlite3.connect(tmp_path / "b.sqlite3")
    regions = conn.execute("SELECT count(*) FROM region").fetchone()[0]
    last = conn.execute("SELECT max(name) FROM tortoise_migrations").fetchone()[0]
    conn.close()
    assert regions > 0
    assert last == sorted(p.stem for p in (ROOT / "api" / "migrations").glob("0*.py"))[-1]
