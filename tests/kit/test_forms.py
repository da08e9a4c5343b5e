from __future__ import annotations

import datetime as dt

import pytest

from api.kit.errors import ValidationError
from api.kit.forms import FIELD_TYPES, check_form_schema, clean_form

FIELDS = [
    {"name": "householdSize", "label": "家庭人口数", "type": "integer", "required": True, "min": 1, "max": 20},
    {"name": "monthlyIncome", "label": "家庭每月总收入（元）", "type": "number", "required": False, "min": 0},
    {"name": "reason", "label": "申请理由", "type": "textarea", "required": True, "max_length": 10},
    {"name": "housingType", "label": "住房情况", "type": "select", "required": False,
     "options": [{"value": "own", "label": "自有住房"}, {"value": "rent", "label": "租房"}]},
    {"name": "hasVehicle", "label": "家里是否有机动车", "type": "boolean", "required": False},
    {"name": "occurredOn", "label": "困难发生日期", "type": "date", "required": False},
]

VALID = {"householdSize": 3, "reason": "生病"}


def clean(**changes: object) -> dict:
    return clean_form(FIELDS, {**VALID, **changes})


def refusal(**changes: object) -> ValidationError:
    with pytest.raises(ValidationError) as caught:
        clean(**changes)
    return caught.value


def schema_refusal(fields: list[dict]) -> ValidationError:
    with pytest.raises(ValidationError) as caught:
        check_form_schema(fields)
    assert caught.value.code == "form_schema_invalid"
    assert caught.value.field == "form"
    return caught.value


def test_valid_data_is_returned_cleaned_without_empty_optionals():
    assert clean() == {"householdSize": 3, "reason": "生病"}


def test_missing_data_refuses_the_first_required_field():
    with pytest.raises(ValidationError) as caught:
        clean_form(FIELDS, None)
    assert (caught.value.code, caught.value.field) == ("form_field_required", "householdSize")
    assert caught.value.message == "请填写「家庭人口数」"


def test_required_field_missing_is_refused():
    error = refusal(reason=None)
    assert (error.code, error.field, error.message) == ("form_field_required", "reason", "请填写「申请理由」")


def test_empty_string_counts_as_missing():
    error = refusal(reason="   ")
    assert (error.code, error.field) == ("form_field_required", "reason")


def test_empty_string_in_optional_field_is_left_out():
    assert "housingType" not in clean(housingType="")


def test_integer_is_coerced_from_a_numeric_string():
    assert clean(householdSize=" 4 ")["householdSize"] == 4
    assert clean(householdSize="４")["householdSize"] == 4
    assert clean(householdSize=5.0)["householdSize"] == 5


def test_integer_refuses_a_fraction():
    error = refusal(householdSize="2.5")
    assert (error.code, error.field) == ("form_field_invalid", "householdSize")


def test_integer_out_of_range_names_the_label_and_the_rule():
    error = refusal(householdSize=21)
    assert (error.code, error.field) == ("form_field_invalid", "householdSize")
    assert error.message == "「家庭人口数」应为1到20之间的整数"


def test_number_is_coerced_to_float():
    assert clean(monthlyIncome="1200.5")["monthlyIncome"] == 1200.5
    assert type(clean(monthlyIncome=800)["monthlyIncome"]) is float


def test_number_below_minimum_is_refused():
    error = refusal(monthlyIncome=-1)
    assert error.message == "「家庭每月总收入（元）」应为不小于0的数字"


def test_boolean_as_number_is_refused():
    error = refusal(householdSize=True)
    assert (error.code, error.field) == ("form_field_invalid", "householdSize")


def test_select_unknown_option_is_refused():
    error = refusal(housingType="castle")
    assert (error.code, error.field) == ("form_field_invalid", "housingType")
    assert "住房情况" in error.message


def test_select_known_option_is_kept():
    assert clean(housingType="rent")["housingType"] == "rent"


def test_unknown_field_is_refused():
    error = refusal(favouriteColour="red")
    assert (error.code, error.field) == ("form_field_unknown", "favouriteColour")


def test_date_invalid_is_refused():
    error = refusal(occurredOn="2026-02-30")
    assert (error.code, error.field) == ("form_field_invalid", "occurredOn")
    assert "困难发生日期" in error.message


def test_date_in_another_format_is_refused():
    error = refusal(occurredOn="2026/03/01")
    assert error.code == "form_field_invalid"


def test_date_is_returned_as_iso_string():
    assert clean(occurredOn=" 2026-03-01 ")["occurredOn"] == "2026-03-01"
    assert clean(occurredOn=dt.date(2026, 3, 1))["occurredOn"] == "2026-03-01"


def test_text_longer_than_max_length_is_refused():
    error = refusal(reason="很" * 11)
    assert (error.code, error.field) == ("form_field_invalid", "reason")
    assert error.message == "「申请理由」不能超过10个字"


def test_text_is_stripped_before_the_length_check():
    assert clean(reason="  " + "很" * 10 + "  ")["reason"] == "很" * 10


def test_text_refuses_a_number():
    error = refusal(reason=12)
    assert (error.code, error.field) == ("form_field_invalid", "reason")


def test_boolean_is_strict():
    assert clean(hasVehicle=False)["hasVehicle"] is False
    error = refusal(hasVehicle="true")
    assert (error.code, error.field) == ("form_field_invalid", "hasVehicle")
    assert refusal(hasVehicle=1).code == "form_field_invalid"


def test_data_that_is_not_an_object_is_refused():
    with pytest.raises(ValidationError) as caught:
        clean_form(FIELDS, ["householdSize"])  # type: ignore[arg-type]
    assert caught.value.code == "form_invalid"


def test_schema_check_returns_a_normalised_copy():
    checked = check_form_schema([{"name": "note", "label": " 备注 ", "type": "text"}])
    assert checked == [{"name": "note", "label": "备注", "type": "text", "required": False}]
    assert check_form_schema(FIELDS) == FIELDS
    assert FIELD_TYPES == ("text", "textarea", "integer", "number", "date", "boolean", "select")


def test_schema_refuses_duplicate_names():
    error = schema_refusal([FIELDS[0], {**FIELDS[1], "name": "householdSize"}])
    assert "householdSize" in error.message


def test_schema_refuses_a_bad_type():
    error = schema_refusal([{"name": "age", "label": "年龄", "type": "float"}])
    assert "age" in error.message


def test_schema_refuses_a_select_without_options():
    error = schema_refusal([{"name": "kind", "label": "类别", "type": "select", "options": []}])
    assert "kind" in error.message


def test_schema_refuses_duplicate_option_values():
    options = [{"value": "a", "label": "甲"}, {"value": "a", "label": "乙"}]
    error = schema_refusal([{"name": "kind", "label": "类别", "type": "select", "options": options}])
    assert "kind" in error.message


def test_schema_refuses_a_name_that_is_not_camel_case():
    error = schema_refusal([{"name": "household_size", "label": "家庭人口数", "type": "integer"}])
    assert "household_size" in error.message


def test_schema_refuses_min_above_max():
    error = schema_refusal([{"name": "size", "label": "人数", "type": "integer", "min": 5, "max": 1}])
    assert "size" in error.message


def test_schema_refuses_an_empty_label():
    error = schema_refusal([{"name": "size", "label": " ", "type": "integer"}])
    assert "size" in error.message


def test_schema_refuses_a_setting_that_does_not_fit_the_type():
    error = schema_refusal([{"name": "note", "label": "备注", "type": "text", "min": 1}])
    assert "note" in error.message
