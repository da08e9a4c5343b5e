"""Form schemas: an aid item's form fields as data, checked when an admin edits them and used to clean
what an applicant submits. The PWA renders the same schema."""

from __future__ import annotations

import datetime as dt
import math
import re
import unicodedata
from typing import Any

from api.kit.errors import ValidationError, echo, echo_all

FIELD_TYPES: tuple[str, ...] = ("text", "textarea", "integer", "number", "date", "boolean", "select")

_FIELD_KEYS = frozenset({"name", "label", "type", "required", "options", "min", "max", "max_length", "hint"})
_TEXT_TYPES = frozenset({"text", "textarea"})
_NUMERIC_TYPES = frozenset({"integer", "number"})
_NAME_RE = re.compile(r"[a-z][a-zA-Z0-9]{0,39}", re.ASCII)
_INTEGER_RE = re.compile(r"[+-]?[0-9]+", re.ASCII)
_NUMBER_RE = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]+)?|\.[0-9]+)", re.ASCII)
_DATE_RE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", re.ASCII)


def _schema_error(message: str) -> ValidationError:
    """Builds the error an invalid form definition raises."""
    return ValidationError(message, code="form_schema_invalid", field="form")


def _is_number(value: Any) -> bool:
    """Tells whether a value is a finite int or float (a bool is not a number)."""
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _fmt(value: float) -> str:
    """Formats a bound for a message: 0 rather than 0.0."""
    return str(int(value)) if isinstance(value, float) and value.is_integer() else str(value)


def _check_options(where: str, options: Any) -> list[dict[str, str]]:
    """Checks a select field's options and returns a copy of them."""
    if not isinstance(options, list) or not options:
        raise _schema_error(f"表单字段{where}是选择题，必须至少有一个选项")
    cleaned: list[dict[str, str]] = []
    seen: set[str] = set()
    for option in options:
        if not isinstance(option, dict) or set(option) != {"value", "label"}:
            raise _schema_error(f"表单字段{where}的每个选项必须只有 value 和 label 两项")
        value, label = option["value"], option["label"]
        if not isinstance(value, str) or not value.strip():
            raise _schema_error(f"表单字段{where}的选项值不能为空")
        if not isinstance(label, str) or not label.strip():
            raise _schema_error(f"表单字段{where}的选项「{echo(value)}」缺少显示文字")
        if value in seen:
            raise _schema_error(f"表单字段{where}的选项值「{echo(value)}」重复")
        seen.add(value)
        cleaned.append({"value": value, "label": label.strip()})
    return cleaned


def _check_field(position: int, field: Any, seen: set[str]) -> dict[str, Any]:
    """Checks one field definition and returns a normalised copy of it."""
    if not isinstance(field, dict):
        raise _schema_error(f"第{position}个表单字段格式不正确")
    name = field.get("name")
    if not isinstance(name, str) or not _NAME_RE.fullmatch(name):
        raise _schema_error(
            f"第{position}个表单字段的名称「{echo(name)}」无效：须以小写字母开头，只含英文字母和数字（驼峰式），最长40位"
        )
    where = f"「{name}」"
    if name in seen:
        raise _schema_error(f"表单字段{where}重复")
    unknown = sorted(set(field) - _FIELD_KEYS)
    if unknown:
        raise _schema_error(f"表单字段{where}含有不认识的设置项：{echo_all(unknown)}")
    label = field.get("label")
    if not isinstance(label, str) or not label.strip():
        raise _schema_error(f"表单字段{where}缺少显示名称")
    kind = field.get("type")
    if kind not in FIELD_TYPES:
        raise _schema_error(f"表单字段{where}的类型「{echo(kind)}」无效，应为：{'、'.join(FIELD_TYPES)}")
    required = field.get("required", False)
    if not isinstance(required, bool):
        raise _schema_error(f"表单字段{where}的“是否必填”应为 true 或 false")
    hint = field.get("hint")
    if hint is not None and not isinstance(hint, str):
        raise _schema_error(f"表单字段{where}的提示文字应为文字")

    cleaned: dict[str, Any] = {"name": name, "label": label.strip(), "type": kind, "required": required}
    if "options" in field and kind != "select":
        raise _schema_error(f"表单字段{where}不是选择题，不能设置选项")
    if kind == "select":
        cleaned["options"] = _check_options(where, field.get("options"))
    for bound in ("min", "max"):
        if bound not in field:
            continue
        if kind not in _NUMERIC_TYPES:
            raise _schema_error(f"表单字段{where}不是数字，不能设置最小值或最大值")
        value = field[bound]
        if not _is_number(value) or (kind == "integer" and not isinstance(value, int)):
            raise _schema_error(f"表单字段{where}的{'最小值' if bound == 'min' else '最大值'}应为{_type_word(kind)}")
        cleaned[bound] = value
    if "min" in cleaned and "max" in cleaned and cleaned["min"] > cleaned["max"]:
        raise _schema_error(f"表单字段{where}的最小值不能大于最大值")
    if "max_length" in field:
        if kind not in _TEXT_TYPES:
            raise _schema_error(f"表单字段{where}不是文字，不能设置最大长度")
        max_length = field["max_length"]
        if not isinstance(max_length, int) or isinstance(max_length, bool) or max_length < 1:
            raise _schema_error(f"表单字段{where}的最大长度应为正整数")
        cleaned["max_length"] = max_length
    if hint is not None:
        cleaned["hint"] = hint
    return cleaned


def _type_word(kind: str) -> str:
    """Names a numeric type in Chinese."""
    return "整数" if kind == "integer" else "数字"


def check_form_schema(fields: list[dict]) -> list[dict]:
    """Checks an item's form definition and returns a normalised copy, or raises form_schema_invalid."""
    if not isinstance(fields, list):
        raise _schema_error("表单定义应为字段列表")
    seen: set[str] = set()
    cleaned: list[dict] = []
    for position, field in enumerate(fields, start=1):
        checked = _check_field(position, field, seen)
        seen.add(checked["name"])
        cleaned.append(checked)
    return cleaned


def _invalid(field: dict, rule: str) -> ValidationError:
    """Builds the error a submitted value that breaks its field's rule raises."""
    return ValidationError(f"「{field['label']}」{rule}", code="form_field_invalid", field=field["name"])


def _range_rule(field: dict) -> str:
    """Describes a numeric field's rule in Chinese, e.g. 应为1到20之间的整数."""
    word = _type_word(field["type"])
    low, high = field.get("min"), field.get("max")
    if low is not None and high is not None:
        return f"应为{_fmt(low)}到{_fmt(high)}之间的{word}"
    if low is not None:
        return f"应为不小于{_fmt(low)}的{word}"
    if high is not None:
        return f"应为不大于{_fmt(high)}的{word}"
    return f"应为{word}"


def _clean_numeric(field: dict, value: Any) -> int | float:
    """Coerces an integer or number field (numeric strings included) and checks its range."""
    result: int | float | None = None
    if isinstance(value, str):
        text = unicodedata.normalize("NFKC", value).strip()
        if field["type"] == "integer" and _INTEGER_RE.fullmatch(text):
            result = int(text)
        elif field["type"] == "number" and _NUMBER_RE.fullmatch(text):
            result = float(text)
    elif _is_number(value):
        if field["type"] == "number":
            result = float(value)
        elif isinstance(value, int) or value.is_integer():
            result = int(value)
    if result is None or (isinstance(result, float) and not math.isfinite(result)):
        raise _invalid(field, _range_rule(field))
    low, high = field.get("min"), field.get("max")
    if (low is not None and result < low) or (high is not None and result > high):
        raise _invalid(field, _range_rule(field))
    return result


def _clean_date(field: dict, value: Any) -> str:
    """Returns a date field as an ISO YYYY-MM-DD string after checking it is a real date."""
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, str):
        text = value.strip()
        if _DATE_RE.fullmatch(text):
            try:
                return dt.date.fromisoformat(text).isoformat()
            except ValueError:
                pass
    raise _invalid(field, "应为有效日期，格式如2026-03-01")


def _clean_value(field: dict, value: Any) -> Any:
    """Cleans one present (non-empty) value according to its field's type."""
    kind = field["type"]
    if kind in _NUMERIC_TYPES:
        return _clean_numeric(field, value)
    if kind == "date":
        return _clean_date(field, value)
    if kind == "boolean":
        if not isinstance(value, bool):
            raise _invalid(field, "应选择“是”或“否”")
        return value
    if kind == "select":
        allowed = [option["value"] for option in field["options"]]
        if not isinstance(value, str) or value.strip() not in allowed:
            raise _invalid(field, "请从给定的选项中选择")
        return value.strip()
    if not isinstance(value, str):
        raise _invalid(field, "应为文字")
    text = value.strip()
    max_length = field.get("max_length")
    if max_length is not None and len(text) > max_length:
        raise _invalid(field, f"不能超过{max_length}个字")
    return text


def _is_missing(value: Any) -> bool:
    """Tells whether a submitted value counts as not filled in (absent, null or blank text)."""
    return value is None or (isinstance(value, str) and not value.strip())


def clean_form(fields: list[dict], data: dict | None) -> dict:
    """Validates submitted form data against a schema and returns the cleaned values; empty optionals are left out."""
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ValidationError("表单数据格式不正确", code="form_invalid", field="form")
    known = {field["name"] for field in fields}
    for key in data:
        if key not in known:
            raise ValidationError(f"表单中没有「{echo(key)}」这一项", code="form_field_unknown", field=echo(key))
    cleaned: dict[str, Any] = {}
    for field in fields:
        value = data.get(field["name"])
        if _is_missing(value):
            if field.get("required", False):
                raise ValidationError(
                    f"请填写「{field['label']}」", code="form_field_required", field=field["name"]
                )
            continue
        cleaned[field["name"]] = _clean_value(field, value)
    return cleaned
