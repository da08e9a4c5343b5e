from __future__ import annotations

from datetime import date

import pytest

from api.kit.errors import ValidationError
from api.kit.idnumber import age_on, make_id_number, mask_id_number, parse_id_number

TODAY = date(2026, 6, 1)
MAN_1986 = "511703198607150238"
WOMAN_1986 = "511703198607150246"
ENDS_IN_X = "51170319500101019X"


def _error(value: str) -> ValidationError:
    with pytest.raises(ValidationError) as caught:
        parse_id_number(value, today=TODAY)
    return caught.value


def test_valid_number_gives_birth_date_sex_and_region() -> None:
    info = parse_id_number(MAN_1986, today=TODAY)

    assert (info.number, info.region_code, info.birth_date, info.sex) == (
        MAN_1986,
        "511703",
        date(1986, 7, 15),
        "male",
    )


def test_even_sequence_digit_is_female() -> None:
    assert parse_id_number(WOMAN_1986, today=TODAY).sex == "female"


def test_number_checked_by_python_stdnum_example_is_accepted() -> None:
    assert parse_id_number("360426199101010071", today=TODAY).birth_date == date(1991, 1, 1)


def test_lowercase_x_is_accepted_and_uppercased() -> None:
    assert parse_id_number(ENDS_IN_X.lower(), today=TODAY).number == ENDS_IN_X


def test_spaces_are_ignored() -> None:
    assert parse_id_number(" 511703 19860715 0238 ", today=TODAY).number == MAN_1986


def test_full_width_characters_are_accepted() -> None:
    assert parse_id_number("５１１７０３１９５００１０１０１９Ｘ", today=TODAY).number == ENDS_IN_X


def test_empty_number_is_refused_as_empty() -> None:
    error = _error("   ")

    assert (error.code, error.message, error.field) == ("id_number_empty", "请填写身份证号码", "idNumber")


def test_wrong_length_says_how_many_characters_were_given() -> None:
    error = _error(MAN_1986[:17])

    assert (error.code, error.message, error.field) == (
        "id_number_length",
        "身份证号码应为18位，您输入了17位",
        "idNumber",
    )


def test_letter_among_first_17_is_refused_as_chars() -> None:
    error = _error("51170319860715A238")

    assert (error.code, error.field) == ("id_number_chars", "idNumber")


def test_last_character_other_than_digit_or_x_is_refused_as_chars() -> None:
    assert _error(MAN_1986[:17] + "Y").code == "id_number_chars"


def test_unknown_province_code_is_refused_as_region() -> None:
    error = _error(make_id_number(region="991703"))

    assert (error.code, error.field) == ("id_number_region", "idNumber")


def test_impossible_birth_date_is_refused_with_its_position() -> None:
    error = _error("511703198602300238")

    assert (error.code, error.message, error.field) == (
        "id_number_birth_date",
        "身份证号码中的出生日期（第7至14位）无效",
        "idNumber",
    )


def test_birth_date_after_today_is_refused() -> None:
    assert _error(make_id_number(birth=date(2026, 6, 2))).code == "id_number_birth_date"


def test_birth_date_today_is_accepted() -> None:
    assert parse_id_number(make_id_number(birth=TODAY), today=TODAY).birth_date == TODAY


def test_birth_date_before_1890_is_refused() -> None:
    assert _error(make_id_number(birth=date(1889, 12, 31))).code == "id_number_birth_date"


def test_wrong_check_character_is_refused_as_checksum() -> None:
    error = _error(MAN_1986[:17] + "9")

    assert (error.code, error.message, error.field) == (
        "id_number_checksum",
        "身份证号码最后一位校验码不正确，请核对",
        "idNumber",
    )


def test_swapped_digits_are_caught_by_checksum() -> None:
    assert _error("511703198607150328").code == "id_number_checksum"


@pytest.mark.parametrize("seq", [1, 2, 19, 238, 999])
def test_check_character_follows_gb11643_weights(seq: int) -> None:
    number = make_id_number(birth=date(1972, 2, 29), seq=seq)
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    total = sum(int(digit) * weight for digit, weight in zip(number[:17], weights, strict=True))

    assert number[17] == "10X98765432"[total % 11]


@pytest.mark.parametrize(
    ("region", "birth", "seq", "sex"),
    [
        ("511703", date(1950, 1, 1), 1, "male"),
        ("110101", date(2000, 2, 29), 2, "female"),
        ("820000", date(1890, 1, 1), 999, "male"),
        ("650102", date(1945, 10, 1), 10, "female"),
    ],
)
def test_make_id_number_round_trips_through_parse(region: str, birth: date, seq: int, sex: str) -> None:
    info = parse_id_number(make_id_number(region=region, birth=birth, seq=seq), today=TODAY)

    assert (info.region_code, info.birth_date, info.sex) == (region, birth, sex)


def test_make_id_number_refuses_a_sequence_over_three_digits() -> None:
    with pytest.raises(ValueError, match="seq"):
        make_id_number(seq=1000)


def test_mask_keeps_first_six_and_last_four() -> None:
    assert mask_id_number("511703198607151234") == "511703********1234"


def test_mask_hides_everything_of_a_malformed_number() -> None:
    assert mask_id_number("51170319860") == "***********"


@pytest.mark.parametrize(
    ("on", "age"),
    [
        (date(2030, 7, 14), 79),
        (date(2030, 7, 15), 80),
        (date(2030, 12, 31), 80),
    ],
)
def test_age_on_counts_whole_years(on: date, age: int) -> None:
    assert age_on(date(1950, 7, 15), on) == age


def test_leap_day_birthday_turns_a_year_older_on_march_first() -> None:
    leap_day = date(2000, 2, 29)

    assert (age_on(leap_day, date(2081, 2, 28)), age_on(leap_day, date(2081, 3, 1))) == (80, 81)
