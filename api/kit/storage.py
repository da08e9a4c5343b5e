"""The material store: files under random names in a folder outside any web root, through aiofiles.

Each file is encrypted with the data key (AES-256-GCM, its name bound in, so a file swapped for another fails to
decrypt) and readable only by the service's own user (0600 in 0700 folders)."""

from __future__ import annotations

import asyncio
import os
import secrets
from pathlib import Path

import aiofiles
import aiofiles.os

from api.kit.crypto import FILE_MAGIC, Cipher, get_cipher


def _sync_folder(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class FileStore:
    """Writes and reads blobs by opaque key."""

    def __init__(self, root: Path, cipher: Cipher | None = None) -> None:
        self.root = Path(root)
        self._cipher = cipher

    @property
    def cipher(self) -> Cipher:
        return self._cipher or get_cipher()

    def _path(self, key: str) -> Path:
        if not key.isalnum():
            raise ValueError("bad storage key")
        return self.root / key[:2] / key[2:4] / key

    async def put(self, data: bytes) -> str:
        """Stores bytes and returns their new random key; the file appears whole or not at all, and is on disk
        (the file, then its name in the folder, synced) before the key is returned, so a material row that
        commits after this never names a file a power cut took away."""
        key = secrets.token_hex(24)
        path = self._path(key)
        await aiofiles.os.makedirs(path.parent, mode=0o700, exist_ok=True)
        tmp = path.with_suffix(".part")
        sealed = self.cipher.encrypt_bytes(data, context=f"material:{key}")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.close(fd)
        async with aiofiles.open(tmp, "wb") as f:
            await f.write(sealed)
            await f.flush()
            await asyncio.to_thread(os.fsync, f.fileno())
        os.replace(tmp, path)
        await asyncio.to_thread(_sync_folder, path.parent)
        return key

    async def get(self, key: str) -> bytes:
        """Returns the bytes stored under a key."""
        async with aiofiles.open(self._path(key), "rb") as f:
            blob = await f.read()
        if not blob.startswith(FILE_MAGIC):
            return blob  # written before files were encrypted
        return self.cipher.decrypt_bytes(blob, context=f"material:{key}")

    async def delete(self, key: str) -> None:
        """Removes a stored file, if present."""
        try:
            await aiofiles.os.remove(self._path(key))
        except FileNotFoundError:
            pass


_store: FileStore | None = None


def configure_store(root: Path) -> FileStore:
    global _store
    _store = FileStore(root)
    return _store


def get_store() -> FileStore:
    global _store
    if _store is None:
        from api.settings import get_settings

        _store = FileStore(get_settings().storage_root)
    return _store
