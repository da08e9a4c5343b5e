"""The raw database and the material folder hold no ID number, bank account or photo in the clear."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from tortoise import connections

from api.applicants import service as applicants
from api.kit.db import unit_of_work
from api.kit.idnumber import make_id_number
from api.kit.storage import get_store
from api.settings import get_settings
from tests.factories import XINQIAO, make_case, staff_actor, tiny_png, upload

BANK = "6217995555000098765"


async def _sqlite_bytes() -> bytes:
    path = Path(get_settings().database_url.removeprefix("sqlite://"))
    await connections.get("default").execute_query("PRAGMA wal_checkpoint(FULL)")
    return b"".join(p.read_bytes() for p in (path, path.with_name(path.name + "-wal")) if p.exists())


async def _postgres_bytes() -> bytes:
    conn = connections.get("default")
    _, tables = await conn.execute_query(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'")
    rows = []
    for t in tables:
        _, dumped = await conn.execute_query(f'SELECT row_to_json(x)::text AS j FROM "{t["table_name"]}" x')
        rows += [r["j"] for r in dumped]
    return "\n".join(rows).encode()


DUMP = {"sqlite": _sqlite_bytes, "postgres": _postgres_bytes}


async def test_no_id_or_bank_number_in_the_clear_anywhere_in_the_database(db):
    own_id = make_id_number(birth=date(1948, 3, 9), seq=777)
    member_id = make_id_number(birth=date(1950, 7, 1), seq=321)
    worker = staff_actor("village_worker")
    async with unit_of_work():
        person = await applicants.register(worker, applicants.ProfileInput(
            name="周桂兰", id_number=own_id, address="新桥村3组", region_code=XINQIAO, phone="13700001234",
            bank_name="四川农信", bank_account=BANK))
        await applicants.set_household(worker, person.id, [applicants.MemberInput(
            name="周建", relation="子女", id_number=member_id)])
    await make_case("gaoling")  # a case with an outbox row for the province

    dump = await DUMP[db]()

    assert len(dump) > 10_000  # the dump really holds the data
    assert "周桂兰".encode() in dump  # names are not encrypted: the dump is readable where it should be
    for secret in (own_id, member_id, BANK, own_id[-10:], BANK[-10:]):
        assert secret.encode() not in dump, secret


async def test_no_photo_in_the_clear_in_the_material_folder(db):
    from tests.factories import make_applicant

    person = await make_applicant()
    await upload(person, data=tiny_png())

    files = [p for p in get_store().root.rglob("*") if p.is_file()]
    assert files
    assert [p for p in files if b"PNG" in p.read_bytes()[:16] or b"JFIF" in p.read_bytes()[:16]] == []
