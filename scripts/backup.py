"""`make backup`: a consistent backup of the embedded default while it runs: the SQLite database through SQLite's
online backup API, then the material files, in one archive with a manifest.

Why this order is consistent: a material's file is written before its row commits and is never changed after, so
every row in the database snapshot has its file by the time the folder is copied (files of uploads that came later
are extra, and harmless). PostgreSQL deployments use pg_dump / WAL archiving instead: see docs/operations.md."""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import os
import sqlite3
import sys
import tarfile
import tempfile
from datetime import UTC, datetime
from pathlib import Path

FORMAT = 1


def sqlite_path(database_url: str) -> Path:
    """Returns the file of a `sqlite://` URL; refuses other databases."""
    if not database_url.startswith("sqlite://"):
        raise SystemExit("make backup 只适用于内置的 SQLite 数据库；PostgreSQL 的备份方法见 docs/operations.md")
    path = database_url.removeprefix("sqlite://").split("?")[0]
    if not path or path == ":memory:":
        raise SystemExit("DATABASE_URL 没有指向数据库文件")
    return Path(path)


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def snapshot_database(source: Path, target: Path) -> None:
    """Copies a live SQLite database page by page into `target`, as one consistent snapshot."""
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True, timeout=30)
    dst = sqlite3.connect(target)
    try:
        with dst:
            src.backup(dst, pages=1024)  # steps of 1024 pages; restarted by SQLite if a writer changes the source
        dst.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, no -wal beside it
        check = dst.execute("PRAGMA integrity_check").fetchone()[0]
        if check != "ok":
            raise RuntimeError(f"backup copy failed its integrity check: {check}")
    finally:
        src.close()
        dst.close()


def backup(database_url: str, storage_root: Path, out_dir: Path, *, data_key_id: str = "") -> Path:
    """Writes `dachuan-backup-<time>.tar.gz` into `out_dir` and returns its path."""
    db_file = sqlite_path(database_url)
    if not db_file.is_file():
        raise SystemExit(f"数据库文件不存在：{db_file}")
    out_dir.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    archive = out_dir / f"dachuan-backup-{stamp}.tar.gz"
    with tempfile.TemporaryDirectory(prefix="dachuan-backup-") as tmp:
        snapshot = Path(tmp) / "database.sqlite3"
        snapshot_database(db_file, snapshot)  # first the database, then the files (see the module docstring)
        conn = sqlite3.connect(snapshot)
        try:
            materials = conn.execute("SELECT count(*) FROM material").fetchone()[0]
            migrations = [r[0] for r in conn.execute("SELECT name FROM tortoise_migrations ORDER BY name")] \
                if conn.execute("SELECT 1 FROM sqlite_master WHERE name='tortoise_migrations'").fetchone() else []
        finally:
            conn.close()
        files = sorted(p for p in storage_root.rglob("*") if p.is_file() and not p.name.endswith(".part")) \
            if storage_root.is_dir() else []
        manifest = {"format": FORMAT, "created_at": datetime.now(UTC).isoformat(), "database_sha256":
                    sha256_of(snapshot), "material_rows": materials, "material_files": len(files),
                    "migrations": migrations[-1:] if migrations else [], "data_key_id": data_key_id,
                    "note": "材料文件与身份证号等字段已加密：恢复时需要同一把 DATA_KEY（以及 SECRET_KEY）"}
        partial = archive.with_suffix(".part")
        with tarfile.open(partial, "w:gz") as tar:
            tar.add(snapshot, arcname="database.sqlite3")
            for f in files:
                tar.add(f, arcname=f"materials/{f.relative_to(storage_root).as_posix()}")
            data = json.dumps(manifest, ensure_ascii=False, indent=2).encode()
            info = tarfile.TarInfo("manifest.json")
            info.size = len(data)
            info.mtime = int(datetime.now(UTC).timestamp())
            tar.addfile(info, io.BytesIO(data))
        os.replace(partial, archive)
    os.chmod(archive, 0o600)  # it holds personal data
    return archive


def main(argv: list[str] | None = None) -> None:
    from api.settings import ROOT, get_settings

    parser = argparse.ArgumentParser(description="备份内置数据库与材料文件（服务运行中也可备份）")
    parser.add_argument("--out", type=Path, default=ROOT / "var" / "backups", help="备份文件存放目录")
    args = parser.parse_args(argv)
    settings = get_settings()
    archive = backup(settings.database_url, settings.storage_root, args.out, data_key_id=settings.data_key_id)
    print(f"备份完成：{archive}", file=sys.stderr)
    print(archive)


if __name__ == "__main__":
    main()
