"""居民身份证号码 (GB 11643-1999): parsing with messages that say which part is wrong, and masking."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from stdnum.cn import ric

from api.kit.errors import ValidationError

FIELD = "idNumber"
EARLIEST_BIRTH_DATE = date(1890, 1, 1)
PROVINCE_CODES = frozenset(
    {
        "11", "12", "13", "14", "15",
        "21", "22", "23",
        "31", "32", "33", "34", "35", "36", "37",
        "41", "42", "43", "44", "45", "46",
        "50", "51", "52", "53", "54",
        "61", "62", "63", "64", "65",
        "71", "81", "82",
    }
)  # fmt: skip
_DIGITS = frozenset("0123456789")
_SHANGHAI = ZoneInfo("Asia/Shanghai")


@dataclass(frozen=True)
class IdNumberInfo:
    number: str
    region_code: str
    birth_date: date
    sex: str


def parse_id_number(value: str, *, today: date | None = None) -> IdNumberInfo:
    """Returns the parts of a valid ID number, or raises a ValidationError naming the wrong part."""
    # NFKC turns full-width digits and Ｘ, which Chinese phone keyboards often produce, into ASCII.
    number = "".join(unicodedata.normalize("NFKC", value).split()).upper()
    if not number:
        raise ValidationError("请填写身份证号码", code="id_number_empty", field=FIELD)
    if len(number) != 18:
        raise ValidationError(
            f"身份证号码应为18位，您输入了{len(number)}位", code="id_number_length", field=FIELD
        )
    if not _DIGITS.issuperset(number[:17]):
        raise ValidationError("身份证号码前17位只能是数字", code="id_number_chars", field=FIELD)
    if number[17] not in _DIGITS and number[17] != "X":
        raise ValidationError("身份证号码最后一位只能是数字或X", code="id_number_chars", field=FIELD)
    if number[:2] not in PROVINCE_CODES:
        raise ValidationError(
            "身份证号码前6位地址码无效（前两位不是有效的省份代码）", code="id_number_region", field=FIELD
        )
    birth_date = _birth_date(number[6:14], today=today or datetime.now(_SHANGHAI).date())
    if number[17] != ric.calc_check_digit(number):
        raise ValidationError(
            "身份证号码最后一位校验码不正确，请核对", code="id_number_checksum", field=FIELD
        )
    return IdNumberInfo(
        number=number,
        region_code=number[:6],
        birth_date=birth_date,
        sex="male" if int(number[16]) % 2 else "female",
    )


def _birth_date(digits: str, *, today: date) -> date:
    error = ValidationError(
        "身份证号码中的出生日期（第7至14位）无效", code="id_number_birth_date", field=FIELD
    )
    try:
        birth_date = date(int(digits[:4]), int(digits[4:6]), int(digits[6:]))
    except ValueError:
        raise error from None
    if not EARLIEST_BIRTH_DATE <= birth_date <= today:
        raise error
    return birth_date


def mask_id_number(number: str) -> str:
    """Returns the number with its middle hidden: the first 6 and last 4 characters around 8 stars."""
    number = number.strip().upper()
    # Anything that is not a full number is hidden entirely rather than partly revealed.
    if len(number) != 18:
        return "*" * len(number)
    return f"{number[:6]}{'*' * 8}{number[-4:]}"


def age_on(birth_date: date, on: date) -> int:
    """Returns the age in whole years on the given day."""
    return on.year - birth_date.year - ((on.month, on.day) < (birth_date.month, birth_date.day))


def make_id_number(*, region: str = "511703", birth: date = date(1950, 1, 1), seq: int = 1) -> str:
    """Returns a valid ID number for tests and demo data; an odd sequence number makes a man."""
    if len(region) != 6 or not _DIGITS.issuperset(region):
        raise ValueError(f"region must be 6 digits, got {region!r}")
    if not 0 <= seq <= 999:
        raise ValueError(f"seq must be 0..999, got {seq}")
    body = f"{region}{birth:%Y%m%d}{seq:03d}"
    # calc_check_digit ignores the last character of what it is given: pass a placeholder.
    return body + ric.calc_check_digit(body + "0")
