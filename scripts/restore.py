"""`make restore FROM=<archive>`: puts back a backup made by `make backup` (stop the server first).

The current database and materials folder are moved aside (`*.before-restore-<time>`), never deleted."""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sqlite3
import sys
import tarfile
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from scripts.backup import FORMAT, sha256_of, sqlite_path


def _safe_members(tar: tarfile.TarFile) -> list[tarfile.TarInfo]:
    members = []
    for m in tar.getmembers():
        name = Path(m.name)
        if name.is_absolute() or ".." in name.parts or not (m.isfile() or m.isdir()):
            raise SystemExit(f"备份文件中有不安全的路径：{m.name}")
        members.append(m)
    return members


def restore(archive: Path, database_url: str, storage_root: Path) -> dict:
    """Checks the archive, moves the current data aside and puts the backup in place; returns its manifest."""
    db_file = sqlite_path(database_url)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    with tempfile.TemporaryDirectory(prefix="dachuan-restore-", dir=db_file.parent if db_file.parent.is_dir()
                                     else None) as tmp:
        work = Path(tmp)
        with tarfile.open(archive, "r:gz") as tar:
            tar.extractall(work, members=_safe_members(tar), filter="data")
        manifest = json.loads((work / "manifest.json").read_text(encoding="utf-8"))
        if manifest.get("format") != FORMAT:
            raise SystemExit(f"不认识的备份格式：{manifest.get('format')}")
        snapshot = work / "database.sqlite3"
        if sha256_of(snapshot) != manifest["database_sha256"]:
            raise SystemExit("备份中的数据库已损坏（校验和不符），未做任何改动")
        conn = sqlite3.connect(snapshot)
        try:
            if conn.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
                raise SystemExit("备份中的数据库未通过完整性检查，未做任何改动")
        finally:
            conn.close()
        materials = work / "materials"
        db_file.parent.mkdir(parents=True, exist_ok=True)
        for suffix in ("", "-wal", "-shm"):
            current = db_file.with_name(db_file.name + suffix)
            if current.exists():
                os.replace(current, current.with_name(f"{current.name}.before-restore-{stamp}"))
        shutil.move(snapshot, db_file)
        if storage_root.exists():
            os.replace(storage_root, storage_root.with_name(f"{storage_root.name}.before-restore-{stamp}"))
        storage_root.parent.mkdir(parents=True, exist_ok=True)
        if materials.is_dir():
            shutil.move(materials, storage_root)
        else:
            storage_root.mkdir()
    return manifest


def main(argv: list[str] | None = None) -> None:
    from api.settings import get_settings

    parser = argparse.ArgumentParser(description="从 make backup 生成的备份恢复（请先停止服务）")
    parser.add_argument("archive", type=Path)
    args = parser.parse_args(argv)
    if not args.archive.is_file():
        raise SystemExit(f"找不到备份文件：{args.archive}")
    settings = get_settings()
    manifest = restore(args.archive, settings.database_url, settings.storage_root)
    print(f"已恢复 {manifest['created_at']} 的备份（材料 {manifest['material_files']} 个文件）；"
          f"原有数据已改名为 *.before-restore-*", file=sys.stderr)


if __name__ == "__main__":
    main()
