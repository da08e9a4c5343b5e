"""Personal data at rest: AES-256-GCM with a key id, and keyed hashes (blind indexes) for look-ups."""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

# the first bytes of an encrypted file ("Dachuan Encrypted, format 1"); files without it predate encryption
FILE_MAGIC = b"DCE1"


class Cipher:
    """Encrypts and decrypts short strings; the stored form names the key that wrote it."""

    def __init__(self, keys: dict[str, bytes], current: str, index_key: bytes) -> None:
        self._keys = {kid: AESGCM(k) for kid, k in keys.items()}
        self._current = current
        self._index_key = index_key

    @classmethod
    def from_settings(cls, settings) -> Cipher:
        """Builds the cipher from DATA_KEY / DATA_KEY_ID, with OLD_DATA_KEYS still read (rotation); the
        blind-index key derives from SECRET_KEY."""
        keys = {}
        for kid, encoded in {**getattr(settings, "old_data_keys", {}), settings.data_key_id: settings.data_key}.items():
            key = base64.b64decode(encoded)
            if len(key) != 32:
                raise ValueError(f"data key {kid} must decode to 32 bytes")
            keys[kid] = key
        index_key = hashlib.sha256(b"blind-index:" + settings.secret_key.encode()).digest()
        return cls(keys, settings.data_key_id, index_key)

    def needs_rewrap(self, stored: str) -> bool:
        """Tells whether a stored value was written with a key other than the current one."""
        return stored.split(":", 1)[0] != self._current

    def encrypt(self, plaintext: str, *, context: str) -> str:
        """Returns `kid:nonce:ciphertext` (base64); `context` binds the value to its field."""
        nonce = os.urandom(12)
        ct = self._keys[self._current].encrypt(nonce, plaintext.encode(), context.encode())
        return f"{self._current}:{_b64(nonce)}:{_b64(ct)}"

    def decrypt(self, stored: str, *, context: str) -> str:
        """Returns the plaintext of a value written by `encrypt` with the same context."""
        kid, nonce, ct = stored.split(":", 2)
        return self._keys[kid].decrypt(_unb64(nonce), _unb64(ct), context.encode()).decode()

    def encrypt_bytes(self, data: bytes, *, context: str) -> bytes:
        """Returns `MAGIC kid-length kid nonce ciphertext`; `context` (a file's name) is bound in."""
        kid = self._current.encode()
        nonce = os.urandom(12)
        return FILE_MAGIC + bytes([len(kid)]) + kid + nonce + self._keys[self._current].encrypt(nonce, data,
                                                                                               context.encode())

    def decrypt_bytes(self, blob: bytes, *, context: str) -> bytes:
        """Returns the plaintext of `encrypt_bytes` output; raises InvalidTag if it was altered or moved."""
        n = blob[len(FILE_MAGIC)]
        start = len(FILE_MAGIC) + 1
        kid = blob[start:start + n].decode()
        nonce = blob[start + n:start + n + 12]
        return self._keys[kid].decrypt(nonce, blob[start + n + 12:], context.encode())

    def blind_index(self, value: str, *, context: str) -> str:
        """Returns a keyed hash for equality look-ups without storing the plaintext."""
        return hmac.new(self._index_key, f"{context}:{value}".encode(), hashlib.sha256).hexdigest()


def _b64(b: bytes) -> str:
    return base64.urlsafe_b64encode(b).decode().rstrip("=")


def _unb64(s: str) -> bytes:
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def new_token(nbytes: int = 32) -> str:
    """Returns a URL-safe random token."""
    return secrets.token_urlsafe(nbytes)


def token_hash(token: str) -> str:
    """Returns the SHA-256 of a token; only this is stored."""
    return hashlib.sha256(token.encode()).hexdigest()


_cipher: Cipher | None = None


def configure_cipher(settings) -> Cipher:
    """Sets the process-wide cipher from settings."""
    global _cipher
    _cipher = Cipher.from_settings(settings)
    return _cipher


def get_cipher() -> Cipher:
    """Returns the process-wide cipher (configured at start)."""
    if _cipher is None:
        from api.settings import get_settings

        return configure_cipher(get_settings())
    return _cipher
