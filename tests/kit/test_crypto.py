import base64

import pytest
from cryptography.exceptions import InvalidTag

from api.kit.crypto import Cipher, token_hash


def _cipher() -> Cipher:
    return Cipher({"k1": b"\x01" * 32}, "k1", b"\x02" * 32)


def test_encrypted_value_round_trips_and_hides_the_plaintext():
    c = _cipher()
    stored = c.encrypt("511703194008050017", context="id_number")
    assert c.decrypt(stored, context="id_number") == "511703194008050017"
    assert "511703194008050017" not in stored
    assert stored.startswith("k1:")


def test_same_plaintext_encrypts_differently_each_time():
    c = _cipher()
    assert c.encrypt("6217995555000011", context="bank") != c.encrypt("6217995555000011", context="bank")


def test_value_encrypted_for_one_field_does_not_decrypt_as_another():
    c = _cipher()
    stored = c.encrypt("511703194008050017", context="id_number")
    with pytest.raises(InvalidTag):
        c.decrypt(stored, context="bank_account")


def test_blind_index_is_stable_and_keyed():
    c = _cipher()
    other = Cipher({"k1": b"\x01" * 32}, "k1", b"\x03" * 32)
    assert c.blind_index("x", context="id") == c.blind_index("x", context="id")
    assert c.blind_index("x", context="id") != other.blind_index("x", context="id")


def test_an_old_key_still_decrypts_after_rotation():
    old = Cipher({"k1": b"\x01" * 32}, "k1", b"\x02" * 32)
    stored = old.encrypt("secret", context="f")
    rotated = Cipher({"k1": b"\x01" * 32, "k2": b"\x04" * 32}, "k2", b"\x02" * 32)
    assert rotated.decrypt(stored, context="f") == "secret"
    assert rotated.encrypt("secret", context="f").startswith("k2:")


def test_token_hash_is_not_the_token():
    token = base64.urlsafe_b64encode(b"t" * 32).decode()
    assert token_hash(token) != token
    assert len(token_hash(token)) == 64
