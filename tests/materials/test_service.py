"""Uploaded documents: the type comes from the bytes, the size is capped, EXIF is stripped, downloads are scoped."""

from __future__ import annotations

import io
import re

import pytest
from PIL import Image

from api.kit import storage
from api.kit.db import unit_of_work
from api.kit.errors import ValidationError
from api.materials import service
from api.materials.models import Material
from tests.factories import XINQIAO, YANBA, make_applicant, tiny_png
from tests.graphql.helpers import bearer, jpeg, new_phone, sign_in_applicant, staff_token, upload

TEN_MB = 10 * 1024 * 1024


@pytest.fixture
def store_root(tmp_path, monkeypatch):
    """A fresh, empty material store for one test."""
    root = tmp_path / "materials"
    monkeypatch.setattr(storage, "_store", storage.FileStore(root))
    return root


def _gps_exif() -> bytes:
    exif = Image.Exif()
    exif[0x010F] = "Canon"
    exif[0x8825] = {1: "N", 2: (31.0, 12.0, 0.0), 3: "E", 4: (107.0, 30.0, 0.0)}
    return exif.tobytes()


def _gps_photo() -> bytes:
    return jpeg(exif=_gps_exif())


def _sideways_photo() -> bytes:
    exif = Image.Exif()
    exif[0x0112] = 6  # the camera was turned: rotate 90° clockwise to view
    return jpeg(size=(40, 20), exif=exif.tobytes())


def _pdf(size: int) -> bytes:
    head, tail = b"%PDF-1.4\n", b"\n%%EOF\n"
    return head + b"0" * (size - len(head) - len(tail)) + tail


async def _store(actor, data: bytes, filename: str):
    async with unit_of_work():
        return await service.upload(actor, data=data, kind="id_card", filename=filename)


async def _signed_in(client, sms, region: str = XINQIAO):
    phone = new_phone()
    actor = await make_applicant(phone=phone, region=region)
    return actor, await sign_in_applicant(client, sms, phone)


async def test_png_named_pdf_is_stored_as_png(db, store_root):
    applicant = await make_applicant()

    material = await _store(applicant, tiny_png(), "scan.pdf")

    assert material.content_type == "image/png"
    assert (material.width, material.height) == (4, 4)


async def test_text_named_jpg_is_refused_as_wrong_file_type(db, store_root):
    applicant = await make_applicant()

    with pytest.raises(ValidationError) as refused:
        await _store(applicant, "这是一段文字，不是照片".encode(), "photo.jpg")

    assert refused.value.code == "file_type"
    assert await Material.all().count() == 0
    assert list(store_root.rglob("*")) == []


async def test_text_named_jpg_is_refused_by_the_endpoint_with_400(client, sms, store_root):
    _, token = await _signed_in(client, sms)

    response = await upload(client, token, b"hello, not an image", filename="photo.jpg")

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "file_type"


async def test_file_over_10_mb_is_refused_by_the_service(db, store_root):
    applicant = await make_applicant()

    with pytest.raises(ValidationError) as refused:
        await _store(applicant, _pdf(TEN_MB + 1), "big.pdf")

    assert refused.value.code == "file_too_large"
    assert "10MB" in refused.value.message


async def test_file_over_10_mb_is_refused_with_413_and_nothing_stored(client, sms, store_root):
    _, token = await _signed_in(client, sms)

    response = await upload(client, token, _pdf(TEN_MB + 1), filename="big.pdf")

    assert response.status_code == 413
    assert response.json()["error"]["code"] == "file_too_large"
    assert await Material.all().count() == 0
    assert list(store_root.rglob("*")) == []


async def test_far_larger_upload_is_refused_with_413_before_it_is_read(client, sms, store_root):
    _, token = await _signed_in(client, sms)

    response = await upload(client, token, _pdf(TEN_MB + 200 * 1024), filename="huge.pdf")

    assert response.status_code == 413
    assert response.json()["error"]["code"] == "file_too_large"
    assert list(store_root.rglob("*")) == []


async def test_file_of_exactly_10_mb_is_accepted(client, sms, store_root):
    _, token = await _signed_in(client, sms)

    response = await upload(client, token, _pdf(TEN_MB), filename="scan.pdf")

    assert response.status_code == 201
    assert (response.json()["contentType"], response.json()["size"]) == ("application/pdf", TEN_MB)


async def test_photo_comes_back_without_exif(client, sms, store_root):
    _, token = await _signed_in(client, sms)
    photo = _gps_photo()
    assert Image.open(io.BytesIO(photo)).getexif().get_ifd(0x8825)  # the upload does carry GPS

    uploaded = await upload(client, token, photo, filename="IMG_0001.jpg")
    response = await client.get(uploaded.json()["url"], headers=bearer(token))

    assert response.status_code == 200
    assert response.headers["content-type"] == "image/jpeg"
    assert b"Exif" not in response.content
    assert b"Canon" not in response.content
    assert dict(Image.open(io.BytesIO(response.content)).getexif()) == {}


def _noisy_photo(**options) -> bytes:
    noise = Image.effect_noise((160, 120), 40).convert("RGB")
    buf = io.BytesIO()
    noise.save(buf, format="JPEG", quality=85, **options)
    return buf.getvalue()


def _with_segments(photo: bytes, *segments: bytes) -> bytes:
    """Inserts raw marker segments right after the JPEG's start-of-image."""
    return photo[:2] + b"".join(segments) + photo[2:]


def _segment(marker: int, payload: bytes) -> bytes:
    return bytes((0xFF, marker)) + (len(payload) + 2).to_bytes(2, "big") + payload


async def test_upright_photo_keeps_its_pixels_and_loses_every_metadata_segment(db, store_root):
    applicant = await make_applicant()
    photo = _noisy_photo(exif=_gps_exif())
    uploaded = _with_segments(photo, _segment(0xE1, b"http://ns.adobe.com/xap/1.0/\x00<x:xmpmeta>GPS 31.2N</x:xmpmeta>"),
                              _segment(0xFE, b"shot by Zhang San")) + b"appended after the end"

    material = await _store(applicant, uploaded, "IMG_0002.jpg")
    stored = await service.read(material)

    for trace in (b"Exif", b"Canon", b"xmpmeta", b"Zhang San", b"appended"):
        assert trace not in stored
    assert stored.endswith(b"\xff\xd9")
    # the compressed picture is the upload's own (no second lossy encoding): the pixels are the same
    assert Image.open(io.BytesIO(stored)).tobytes() == Image.open(io.BytesIO(photo)).tobytes()
    assert (material.width, material.height, material.size) == (160, 120, len(stored))


async def test_progressive_photo_keeps_its_pixels(db, store_root):
    applicant = await make_applicant()
    photo = _noisy_photo(progressive=True, exif=_gps_exif())

    stored = await service.read(await _store(applicant, photo, "progressive.jpg"))

    assert b"Exif" not in stored
    assert Image.open(io.BytesIO(stored)).tobytes() == Image.open(io.BytesIO(photo)).tobytes()


@pytest.mark.parametrize("cut", [0.5, 0.999])
async def test_truncated_photo_is_refused(db, store_root, cut):
    applicant = await make_applicant()
    photo = _noisy_photo()

    with pytest.raises(ValidationError) as refused:
        await _store(applicant, photo[:int(len(photo) * cut)], "cut.jpg")

    assert refused.value.code == "file_corrupt"
    assert list(store_root.rglob("*")) == []


async def test_sideways_photo_is_stored_upright(db, store_root):
    applicant = await make_applicant()

    material = await _store(applicant, _sideways_photo(), "sideways.jpg")

    assert (material.width, material.height) == (20, 40)


async def test_stored_file_has_a_random_name_under_the_storage_root(db, store_root):
    applicant = await make_applicant()

    first = await _store(applicant, tiny_png(), "李秀英身份证.png")
    second = await _store(applicant, tiny_png(), "李秀英身份证.png")

    keys = [first.storage_key, second.storage_key]
    assert sorted(store_root.glob("*/*/*")) == sorted(store_root / k[:2] / k[2:4] / k for k in keys)
    assert [bool(re.fullmatch(r"[0-9a-f]{48}", k)) for k in keys] == [True, True]
    assert first.storage_key != second.storage_key
    assert first.original_name == "李秀英身份证.png"
    assert "身份证" not in "".join(str(p) for p in store_root.rglob("*"))


async def test_download_does_not_reveal_the_original_file_name(client, sms, store_root):
    _, token = await _signed_in(client, sms)
    uploaded = await upload(client, token, jpeg(), filename="李秀英身份证.jpg")

    response = await client.get(uploaded.json()["url"], headers=bearer(token))

    assert response.headers["content-disposition"] == f'inline; filename="{uploaded.json()["id"]}"'
    assert response.headers["cache-control"] == "private, no-store"


async def test_applicant_downloads_own_material(client, sms, store_root):
    _, token = await _signed_in(client, sms)
    uploaded = await upload(client, token, jpeg())

    response = await client.get(uploaded.json()["url"], headers=bearer(token))

    assert response.status_code == 200
    assert Image.open(io.BytesIO(response.content)).size == (32, 24)


async def test_other_applicant_gets_404(client, sms, store_root):
    _, owner = await _signed_in(client, sms)
    _, other = await _signed_in(client, sms)
    uploaded = await upload(client, owner, jpeg())

    response = await client.get(uploaded.json()["url"], headers=bearer(other))

    assert response.status_code == 404


@pytest.mark.parametrize(("role", "region"), [("village_worker", XINQIAO), ("township_officer", None),
                                              ("verifier", None), ("supervisor", None)])
async def test_staff_covering_the_region_download(client, sms, store_root, role, region):
    _, owner = await _signed_in(client, sms, region=XINQIAO)
    uploaded = await upload(client, owner, jpeg())
    staff = await staff_token(client, role, region)

    response = await client.get(uploaded.json()["url"], headers=bearer(staff))

    assert response.status_code == 200


async def test_staff_of_another_village_gets_404(client, sms, store_root):
    _, owner = await _signed_in(client, sms, region=XINQIAO)
    uploaded = await upload(client, owner, jpeg())
    staff = await staff_token(client, "village_worker", YANBA)

    response = await client.get(uploaded.json()["url"], headers=bearer(staff))

    assert response.status_code == 404


async def test_anonymous_download_is_refused_with_401(client, sms, store_root):
    _, owner = await _signed_in(client, sms)
    uploaded = await upload(client, owner, jpeg())

    response = await client.get(uploaded.json()["url"])

    assert response.status_code == 401


@pytest.mark.parametrize("data", [b"\xff\xd8\xff\xe0" + b"\x00garbage" * 64, tiny_png()[:40],
                                  b"RIFF\x10\x00\x00\x00WEBPVP8 broken"])
async def test_corrupt_image_is_refused(db, store_root, data):
    applicant = await make_applicant()

    with pytest.raises(ValidationError) as refused:
        await _store(applicant, data, "photo.jpg")

    assert refused.value.code == "file_corrupt"
    assert list(store_root.rglob("*")) == []


async def test_truncated_pdf_is_refused(db, store_root):
    applicant = await make_applicant()

    with pytest.raises(ValidationError) as refused:
        await _store(applicant, b"%PDF-1.4\n1 0 obj\n<<>>\n", "scan.pdf")

    assert refused.value.code == "file_corrupt"


async def test_upload_naming_an_out_of_range_case_is_refused_with_400(client, sms, store_root):
    _, token = await _signed_in(client, sms)

    response = await upload(client, token, jpeg(), case_id="99999999999999999999")

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "id_invalid"


@pytest.mark.filterwarnings("ignore::PIL.Image.DecompressionBombWarning")
async def test_image_of_more_than_40_million_pixels_is_refused_before_decoding(db, store_root):
    applicant = await make_applicant()
    buf = io.BytesIO()
    Image.new("1", (7000, 7000)).save(buf, format="PNG")  # 49 million pixels in a few kilobytes

    with pytest.raises(ValidationError) as refused:
        await _store(applicant, buf.getvalue(), "huge.png")

    assert refused.value.code == "image_too_large"
    assert list(store_root.rglob("*")) == []
