"""Material files: encrypted at rest, readable only by the service; download links short-lived and bound to the
caller's session."""

from __future__ import annotations

import hashlib
import stat
from datetime import timedelta

import pytest
from cryptography.exceptions import InvalidTag

from api.kit import clock
from api.kit.storage import get_store
from api.materials.models import Material
from tests.factories import make_case, tiny_png, upload
from tests.graphql.helpers import bearer, gql, staff_token

MATERIALS = "query($id: ID!) { case(id: $id) { materials { id url downloadUrl } } }"


def _file_of(material: Material):
    key = material.storage_key
    return get_store().root / key[:2] / key[2:4] / key


async def test_a_stored_file_is_encrypted_and_only_the_service_may_read_it(db):
    from tests.factories import make_applicant

    person = await make_applicant()
    material = await upload(person, data=tiny_png())
    path = _file_of(material)
    raw = path.read_bytes()

    assert b"PNG" not in raw and b"IHDR" not in raw
    assert raw.startswith(b"DCE1")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert hashlib.sha256(await get_store().get(material.storage_key)).hexdigest() == material.sha256


async def test_a_file_altered_or_moved_on_disk_does_not_decrypt(db):
    from tests.factories import make_applicant

    person = await make_applicant()
    first, second = await upload(person), await upload(person)
    path = _file_of(first)
    path.write_bytes(_file_of(second).read_bytes())  # someone swaps one file for another

    with pytest.raises(InvalidTag):
        await get_store().get(first.storage_key)


async def test_files_stored_before_encryption_still_read(db):
    store = get_store()
    key = "ab" * 24
    target = store.root / key[:2] / key[2:4] / key
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(b"%PDF-1.4 legacy")

    assert await store.get(key) == b"%PDF-1.4 legacy"


async def _case_material_links(client, token: str):
    case = await make_case()
    body = await gql(client, MATERIALS, {"id": str(case.id)}, token)
    return body["data"]["case"]["materials"]


async def test_the_download_link_works_without_the_token_for_a_few_minutes(client, db):
    token = await staff_token(client, "village_worker")
    [first, *_] = await _case_material_links(client, token)

    fresh = await client.get(first["downloadUrl"])
    clock.freeze(clock.now() + timedelta(seconds=301))
    late = await client.get(first["downloadUrl"])

    assert first["downloadUrl"].startswith(f"/api/materials/{first['id']}?link=")
    assert fresh.status_code == 200
    assert fresh.headers["cache-control"] == "private, no-store"
    assert late.status_code == 401
    assert late.json()["error"] == {"code": "link_expired", "message": "下载链接已过期，请返回重新打开材料",
                                    "field": None}


async def test_a_link_dies_with_the_session_it_was_made_for(client, db):
    token = await staff_token(client, "village_worker")
    [first, *_] = await _case_material_links(client, token)
    await gql(client, "mutation { authSignOut { __typename } }", token=token)

    response = await client.get(first["downloadUrl"])

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "link_session_ended"


async def test_a_link_opens_only_its_own_material(client, db):
    token = await staff_token(client, "village_worker")
    first, second, *_ = await _case_material_links(client, token)
    link = first["downloadUrl"].split("?", 1)[1]

    response = await client.get(f"/api/materials/{second['id']}?{link}")
    forged = await client.get(first["downloadUrl"][:-4] + "0000")

    assert response.status_code == 403
    assert response.json()["error"]["code"] == "link_invalid"
    assert forged.status_code == 403


async def test_a_link_made_for_a_caller_who_lost_access_opens_nothing(client, db):
    from api.accounts.models import StaffAccount

    token = await staff_token(client, "village_worker")
    [first, *_] = await _case_material_links(client, token)
    await StaffAccount.filter(role="village_worker").update(region_id="511703007001")  # moved to another village

    response = await client.get(first["downloadUrl"])

    assert response.status_code == 404


async def test_a_link_download_is_audited_as_the_caller(client, db):
    from api.audit.models import AccessLog

    token = await staff_token(client, "township_officer")
    [first, *_] = await _case_material_links(client, token)

    await client.get(first["downloadUrl"])

    [entry] = await AccessLog.filter(action="material_download")
    assert (entry.actor_role, entry.material_id) == ("township_officer", first["id"])


async def test_the_bearer_url_still_needs_the_token(client, db):
    token = await staff_token(client, "village_worker")
    [first, *_] = await _case_material_links(client, token)

    without = await client.get(first["url"])
    with_token = await client.get(first["url"], headers=bearer(token))

    assert without.status_code == 401
    assert with_token.status_code == 200


async def test_a_stored_file_is_on_disk_before_its_key_is_returned(tmp_path, monkeypatch):
    """The file's bytes and then its name in the folder are synced before `put` returns the key (a material row
    commits only after that), so a power cut cannot leave a row naming a missing or empty file."""
    import os

    from api.kit.storage import FileStore

    synced: list[tuple[str, bytes]] = []
    real_fsync = os.fsync

    def fsync(fd: int) -> None:
        target = os.readlink(f"/proc/self/fd/{fd}")
        synced.append((target, open(target, "rb").read() if os.path.isfile(target) else b""))
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    store = FileStore(tmp_path)
    key = await store.put(b"%PDF-1.4 must survive a power cut")
    path = store._path(key)

    assert [target for target, _ in synced] == [str(path.with_suffix(".part")), str(path.parent)]
    assert synced[0][1] == path.read_bytes()  # the whole sealed file was written when it was synced
    assert await store.get(key) == b"%PDF-1.4 must survive a power cut"


async def test_after_a_key_rotation_old_files_and_values_still_read(db, tmp_path):
    import base64

    from api.kit.crypto import Cipher
    from api.kit.storage import FileStore
    from api.settings import Settings

    k1, k2 = base64.b64encode(b"\x01" * 32).decode(), base64.b64encode(b"\x02" * 32).decode()
    before = Cipher.from_settings(Settings(data_key=k1, data_key_id="k1"))
    after = Cipher.from_settings(Settings(data_key=k2, data_key_id="k2", old_data_keys={"k1": k1}))
    old_key = await FileStore(tmp_path, before).put(b"%PDF-1.4 written under k1")
    old_value = before.encrypt("511703194008050017", context="id_number")

    new_key = await FileStore(tmp_path, after).put(b"%PDF-1.4 written under k2")

    assert await FileStore(tmp_path, after).get(old_key) == b"%PDF-1.4 written under k1"
    assert after.decrypt(old_value, context="id_number") == "511703194008050017"
    assert after.needs_rewrap(old_value) and not after.needs_rewrap(after.encrypt("x", context="id_number"))
    assert after.encrypt("x", context="id_number").startswith("k2:")
    with pytest.raises(KeyError):
        await FileStore(tmp_path, before).get(new_key)  # a process without the new key cannot read new files
