"""Uploaded documents: type from the bytes, size limit, EXIF stripped, scoped download."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import io
import re
import uuid

from PIL import Image, ImageOps, UnidentifiedImageError

from api.applicants import service as applicants
from api.cases import service as cases
from api.kit import clock
from api.kit.actors import Actor
from api.kit.errors import AuthError, NotAllowedError, NotFoundError, ValidationError
from api.kit.storage import get_store
from api.materials import repository
from api.materials.models import Material
from api.settings import get_settings

KIND = re.compile(r"^[a-z][a-z_]{1,31}$")
IMAGE_FORMATS = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}
MAX_PIXELS = 40_000_000
UPLOAD_ROLES = frozenset({"village_worker", "township_officer"})


def sniff(data: bytes) -> str | None:
    """Returns the content type the bytes really are (JPEG, PNG, WebP or PDF), or None."""
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    if data.startswith(b"%PDF-"):
        return "application/pdf"
    return None


# APP14 ("Adobe") says how a JPEG's colour channels are coded, so it stays; every other APPn segment (EXIF with
# GPS, camera and time; XMP; ICC; MPF with a second picture) and every comment goes.
_JPEG_KEEP_APP = frozenset({0xEE})
_NOT_A_MARKER = frozenset({0x00, 0xFF, *range(0xD0, 0xD8)})  # in a scan: stuffed byte, fill byte, restart


def _jpeg_without_metadata(data: bytes) -> bytes:
    """Returns the JPEG with its metadata segments left out and nothing after its end, the compressed picture
    untouched (no second lossy encoding). Raises ValueError when the marker structure is broken or truncated."""
    out = bytearray(b"\xff\xd8")
    i, n = 2, len(data)
    while i < n:
        if data[i] != 0xFF:
            raise ValueError("marker expected")
        while i < n and data[i] == 0xFF:  # fill bytes
            i += 1
        if i >= n:
            break
        marker, start = data[i], i - 1
        i += 1
        if marker == 0xD9:  # end of image: anything appended after it is dropped
            out += b"\xff\xd9"
            return bytes(out)
        if marker == 0x01 or 0xD0 <= marker <= 0xD7:  # markers without a length
            out += data[start:i]
            continue
        if i + 2 > n:
            raise ValueError("truncated segment")
        end = i + int.from_bytes(data[i:i + 2], "big")
        if end - i < 2 or end > n:
            raise ValueError("truncated segment")
        if marker == 0xDA:  # start of scan: the header, then entropy-coded bytes up to the next real marker
            j = end
            while True:
                j = data.find(b"\xff", j)
                if j < 0 or j + 1 >= n:
                    raise ValueError("truncated scan")
                if data[j + 1] not in _NOT_A_MARKER:
                    break
                j += 1
            out += data[start:j]
            i = j
            continue
        if not ((0xE0 <= marker <= 0xEF and marker not in _JPEG_KEEP_APP) or marker == 0xFE):
            out += data[start:end]
        i = end
    raise ValueError("no end of image")


def _reencode(data: bytes, content_type: str) -> tuple[bytes, int, int]:
    """Returns the image without metadata (EXIF GPS, camera, time), with its width and height.

    An upright RGB or grey JPEG (what the PWA sends: it compresses every photo on the phone) keeps its compressed
    picture and loses only its metadata segments, which costs under a millisecond; any other image is decoded and
    re-encoded, which costs 30 ms (a 2-megapixel photo) to 200 ms (12 megapixels) of CPU."""
    Image.MAX_IMAGE_PIXELS = MAX_PIXELS
    try:
        with Image.open(io.BytesIO(data)) as img:
            # Pillow only warns between MAX_IMAGE_PIXELS and twice that: refuse from the header, before decoding
            if img.width * img.height > MAX_PIXELS:
                raise ValidationError("图片像素过大，请缩小后重新上传", code="image_too_large", field="file")
            if (img.format in ("JPEG", "MPO") and content_type == "image/jpeg" and img.mode in ("RGB", "L")
                    and img.getexif().get(0x0112, 1) == 1):  # upright: no orientation to apply
                stripped = _jpeg_without_metadata(data)
                with Image.open(io.BytesIO(stripped)) as check:  # what is stored still opens, at the same size
                    if check.size != img.size or check.format != "JPEG":
                        raise ValueError("changed by stripping")
                return stripped, img.width, img.height
            img.load()
            img = ImageOps.exif_transpose(img)  # keep the picture upright once the orientation tag is gone
            fmt = {"image/jpeg": "JPEG", "image/png": "PNG", "image/webp": "WEBP"}[content_type]
            if fmt == "JPEG" and img.mode not in ("RGB", "L"):
                img = img.convert("RGB")
            if fmt != "JPEG" and img.mode not in ("RGB", "RGBA", "L", "LA", "P"):
                img = img.convert("RGBA")
            # Saving without exif=/icc_profile=/pnginfo= writes pixels only: no metadata survives.
            img.info.clear()
            out = io.BytesIO()
            options = {"quality": 88} if fmt in ("JPEG", "WEBP") else {"optimize": True}
            img.save(out, format=fmt, **options)
            return out.getvalue(), img.width, img.height
    except (UnidentifiedImageError, OSError, SyntaxError, Image.DecompressionBombError, ValueError):
        raise ValidationError("图片已损坏或无法识别，请重新拍照上传", code="file_corrupt", field="file") from None


async def upload(actor: Actor, *, data: bytes, kind: str, filename: str = "", case_id: int | None = None,
                 applicant_id: int | None = None) -> Material:
    """Checks and stores one document for an applicant (and optionally their case)."""
    limit = get_settings().max_upload_bytes
    if not data:
        raise ValidationError("文件为空，请重新选择", code="file_empty", field="file")
    if len(data) > limit:
        raise ValidationError(f"文件过大（{len(data) / 1048576:.1f}MB），单个文件不能超过{limit // 1048576}MB",
                              code="file_too_large", field="file")
    kind = (kind or "").strip()
    if not KIND.match(kind):
        raise ValidationError("请选择材料类型", code="kind_invalid", field="kind")
    content_type = sniff(data)
    if content_type is None:
        raise ValidationError("只支持 JPG、PNG、WebP 图片或 PDF 文件", code="file_type", field="file")
    case = None
    if case_id is not None:
        case = await cases.get_for(actor, case_id)
        if case.status in cases.TERMINAL:
            raise ValidationError("申请已结束，不能再上传材料", code="case_closed", field="caseId")
        applicant_id = case.applicant_id
    if actor.is_applicant:
        if actor.applicant_id is None:
            raise ValidationError("请先填写实名信息再上传材料", code="profile_required")
        if applicant_id not in (None, actor.applicant_id):
            raise NotAllowedError("只能为自己上传材料", code="not_owner")
        applicant_id = actor.applicant_id
    elif actor.role in UPLOAD_ROLES:
        if applicant_id is None:
            raise ValidationError("请选择申请人", code="applicant_required", field="applicantId")
        await applicants.get_for(actor, applicant_id)
    else:
        raise NotAllowedError("您的角色不能上传材料", code="role_not_allowed")
    width = height = None
    if content_type == "application/pdf":
        if b"%%EOF" not in data[-2048:]:
            raise ValidationError("PDF 文件不完整，请重新上传", code="file_corrupt", field="file")
    else:
        # decoding and re-encoding a photo costs 30–200 ms of CPU: off the event loop, so other requests go on
        data, width, height = await asyncio.to_thread(_reencode, data, content_type)
    store = get_store()
    key = await store.put(data)
    try:
        return await repository.add(
            id=uuid.uuid4(), case_id=case.id if case else None, applicant_id=applicant_id, kind=kind,
            content_type=content_type, size=len(data), sha256=hashlib.sha256(data).hexdigest(), storage_key=key,
            original_name=(filename or "")[-255:], width=width, height=height,
            uploaded_by_kind="applicant" if actor.is_applicant else "staff", uploaded_by_staff_id=actor.staff_id,
        )
    except BaseException:
        await store.delete(key)  # no row, no file: a failed upload leaves nothing behind
        raise


async def for_submission(applicant_id: int, ids: list[str]) -> list[Material]:
    """Returns the applicant's not-yet-attached uploads named by a submission."""
    try:
        uuids = list(dict.fromkeys(uuid.UUID(str(i)) for i in ids))
    except ValueError:
        raise ValidationError("材料编号无效，请重新上传", code="material_invalid", field="materialIds") from None
    found = await repository.get_many(uuids)
    ok = [m for m in found if m.applicant_id == applicant_id and m.case_id is None]
    if len(ok) != len(uuids):
        raise ValidationError("部分材料不存在或已用于其他申请，请重新上传", code="material_invalid", field="materialIds")
    return ok


async def attach(materials: list[Material], case_id: int) -> None:
    """Binds uploads to the case they were submitted with."""
    if materials:
        await repository.attach([m.id for m in materials], case_id)


async def get_for(actor: Actor, material_id: str) -> Material:
    """Returns a material the caller may download: its applicant, or staff whose region covers it."""
    try:
        mid = uuid.UUID(str(material_id))
    except ValueError:
        raise NotFoundError("材料不存在", code="material_not_found") from None
    material = await repository.get(mid)
    if material is None:
        raise NotFoundError("材料不存在", code="material_not_found")
    if actor.is_applicant:
        if actor.applicant_id != material.applicant_id:
            raise NotFoundError("材料不存在", code="material_not_found")
        return material
    if material.case_id is not None:
        case = await cases.repository.by_id(material.case_id)
        if case is not None and cases.can_read(actor, case) and actor.role != "analyst":
            return material
        raise NotFoundError("材料不存在", code="material_not_found")
    applicant = await applicants.repository.get(material.applicant_id)
    if applicant is not None and applicants.can_read(actor, applicant):
        return material
    raise NotFoundError("材料不存在", code="material_not_found")


def download_link(actor: Actor, material_id: object) -> str:
    """Returns a link to a material that works for a few minutes, and only while the caller's session lasts."""
    if actor.session_id is None:
        return f"/api/materials/{material_id}"  # no session to bind to: the bearer token is needed
    expires = int(clock.now().timestamp()) + get_settings().material_link_seconds
    return f"/api/materials/{material_id}?link={expires}.{actor.session_id}.{_link_mac(material_id, expires, actor.session_id)}"


def _link_mac(material_id: object, expires: int, session_id: int) -> str:
    message = f"material-link:{material_id}:{expires}:{session_id}".encode()
    return hmac.new(get_settings().secret_key.encode(), message, hashlib.sha256).hexdigest()[:32]


async def actor_for_link(material_id: str, link: str) -> Actor:
    """Returns the caller a download link was made for, if it is genuine, unexpired and its session still live."""
    try:
        expires_text, session_text, mac = link.split(".")
        expires, session_id = int(expires_text), int(session_text)
    except ValueError:
        raise NotAllowedError("下载链接无效，请返回重新打开材料", code="link_invalid") from None
    if not hmac.compare_digest(mac, _link_mac(material_id, expires, session_id)):
        raise NotAllowedError("下载链接无效，请返回重新打开材料", code="link_invalid")
    if expires <= clock.now().timestamp():
        raise AuthError("下载链接已过期，请返回重新打开材料", code="link_expired")
    from api.accounts import service as accounts

    actor = await accounts.resolve_session_id(session_id)
    if actor is None:
        raise AuthError("登录已失效，请重新登录后再打开材料", code="link_session_ended")
    return actor


async def read(material: Material) -> bytes:
    """Returns a material's stored bytes."""
    return await get_store().get(material.storage_key)


async def of_cases(case_ids: list[int]) -> list[Material]:
    return await repository.of_cases(case_ids)
