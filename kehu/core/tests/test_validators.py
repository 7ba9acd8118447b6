"""Validators for credit codes, phone numbers and coordinates: exact messages, and a checksum property."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation
from hypothesis import given
from hypothesis import strategies as st

from kehu.core.validators import (
    CREDIT_CODE_ALPHABET,
    credit_code_check_char,
    normalise_phone,
    validate_credit_code,
    validate_landline,
    validate_latitude,
    validate_longitude,
    validate_mobile,
    validate_non_negative,
    validate_phone,
)

BODY = "91110108MA01C8XK2"  # the first 17 characters of a real-looking code from Beijing Haidian
VALID_CODE = BODY + "2"


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def messages_of(validator, value) -> list[str]:
    with pytest.raises(ValidationError) as caught:
        validator(value)
    return caught.value.messages


# --- unified social credit code -------------------------------------------------------------


def test_the_check_char_of_a_known_code_is_2():
    assert credit_code_check_char(BODY) == "2"


def test_it_accepts_a_code_built_with_its_check_char():
    validate_credit_code(VALID_CODE)


def test_it_accepts_a_lower_case_code_with_surrounding_spaces():
    validate_credit_code(f"  {VALID_CODE.lower()} ")


def test_a_wrong_check_char_says_which_char_was_expected():
    assert messages_of(validate_credit_code, BODY + "3") == [
        "The check character of this credit code should be '2', not '3': a character is probably mistyped."
    ]


def test_a_mistyped_body_char_is_caught_by_the_checksum():
    mistyped = "91110108MA01C8XK3" + "2"
    expected = credit_code_check_char("91110108MA01C8XK3")
    assert expected != "2"
    assert messages_of(validate_credit_code, mistyped) == [
        f"The check character of this credit code should be '{expected}', not '2': "
        "a character is probably mistyped."
    ]


@pytest.mark.parametrize("letter", ["I", "O", "S", "V", "Z"])
def test_it_refuses_the_letters_never_used_in_credit_codes(letter):
    code = BODY[:8] + letter + BODY[9:] + "2"
    assert messages_of(validate_credit_code, code) == [
        f"'{letter}' cannot appear in a unified social credit code (letters I, O, S, V, Z are never used)."
    ]


@pytest.mark.parametrize(("code", "length"), [(BODY, 17), (VALID_CODE + "0", 19), ("", 0)])
def test_it_refuses_a_code_that_is_not_18_characters_long(code, length):
    assert messages_of(validate_credit_code, code) == [
        f"A unified social credit code has 18 characters; this one has {length}."
    ]


def test_the_error_codes_name_the_kind_of_mistake():
    for value, code in [
        (BODY, "credit_code_length"),
        (BODY + "Z", "credit_code_char"),
        (BODY + "3", "credit_code_checksum"),
    ]:
        with pytest.raises(ValidationError) as caught:
            validate_credit_code(value)
        assert caught.value.code == code


bodies = st.text(alphabet=CREDIT_CODE_ALPHABET, min_size=17, max_size=17)


@given(bodies)
def test_every_code_built_with_its_check_char_validates(body):
    validate_credit_code(body + credit_code_check_char(body))


@given(bodies, st.integers(min_value=0, max_value=17), st.integers(min_value=1, max_value=30))
def test_any_single_character_change_of_a_valid_code_fails(body, position, shift):
    code = body + credit_code_check_char(body)
    old = CREDIT_CODE_ALPHABET.index(code[position])
    changed = code[:position] + CREDIT_CODE_ALPHABET[(old + shift) % 31] + code[position + 1 :]
    assert changed != code
    with pytest.raises(ValidationError):
        validate_credit_code(changed)


@given(bodies, st.integers(min_value=0, max_value=17), st.sampled_from("IOSVZ*-a中"))
def test_any_character_outside_the_alphabet_fails(body, position, char):
    code = body + credit_code_check_char(body)
    changed = code[:position] + char + code[position + 1 :]
    if changed.upper() == code:  # a lower-case letter of the alphabet is still the same code
        return
    with pytest.raises(ValidationError):
        validate_credit_code(changed)


# --- mobiles -------------------------------------------------------------------------------

MOBILE_MESSAGE = ["Enter an 11-digit mainland mobile number starting with 13–19, e.g. 13812345678."]


@pytest.mark.parametrize("prefix", ["13", "14", "15", "16", "17", "18", "19"])
def test_it_accepts_mobiles_starting_with_13_to_19(prefix):
    validate_mobile(prefix + "812345678")


@pytest.mark.parametrize(
    "value",
    [
        "１３８１２３４５６７８",
        "+8613812345678",
        "+86 138 1234 5678",
        "0086-13812345678",
        "+86-13812345678",
        " 13812345678 ",
    ],
)
def test_it_accepts_full_width_digits_spaces_and_the_86_prefix(value):
    validate_mobile(value)


@pytest.mark.parametrize(
    "value",
    [
        "12812345678",
        "10812345678",
        "1381234567",
        "138123456789",
        "23812345678",
        "1381234567a",
        "",
        "+85213812345678",
    ],
)
def test_it_refuses_what_is_not_a_mainland_mobile(value):
    assert messages_of(validate_mobile, value) == MOBILE_MESSAGE


def test_normalise_phone_strips_full_width_digits_spaces_brackets_and_the_country_code():
    assert normalise_phone("+86 １３８ 1234 5678") == "13812345678"
    assert normalise_phone("(010)６２３４５６７８") == "01062345678"
    assert normalise_phone("０１０－６２３４５６７８") == "010-62345678"
    assert normalise_phone("0086-010-62345678") == "010-62345678"


# --- landlines and service numbers ---------------------------------------------------------

LANDLINE_MESSAGE = ["Enter a landline with area code, e.g. 010-62345678 or 0755-8765432-801."]


@pytest.mark.parametrize(
    "value",
    [
        "010-62345678",
        "01062345678",
        "0755-8765432",
        "0755-87654321-801",
        "0755-8765432-1",
        "(010)62345678",
        "010 6234 5678",
        "62345678",
        "０１０－６２３４５６７８",
        "400-820-8820",
        "4008208820",
        "800-810-8888",
    ],
)
def test_it_accepts_landlines_with_area_code_and_extension_and_service_numbers(value):
    validate_landline(value)


@pytest.mark.parametrize(
    "value",
    [
        "010-12345678",
        "010-623456",
        "010-623456789",
        "0755-8765432-1234567",
        "1010-62345678",
        "400-82-8820",
        "500-820-8820",
        "13812345678",
        "abc",
        "",
    ],
)
def test_it_refuses_what_is_not_a_landline(value):
    assert messages_of(validate_landline, value) == LANDLINE_MESSAGE


@pytest.mark.parametrize("value", ["13812345678", "010-62345678", "400-820-8820", "+86 138 1234 5678"])
def test_a_customer_phone_may_be_a_mobile_a_landline_or_a_400_number(value):
    validate_phone(value)


def test_a_customer_phone_that_is_none_of_them_says_what_would_be_right():
    assert messages_of(validate_phone, "12345") == [
        "Enter a mobile (13812345678), a landline with area code (010-62345678) or a 400 number."
    ]


# --- coordinates and amounts ---------------------------------------------------------------


@pytest.mark.parametrize("value", [-90, 0, 39.9042, Decimal("90"), Decimal("-90.000000")])
def test_it_accepts_latitudes_from_minus_90_to_90(value):
    validate_latitude(value)


@pytest.mark.parametrize("value", [90.000001, -90.5, Decimal("91"), 200])
def test_it_refuses_latitudes_out_of_range(value):
    assert messages_of(validate_latitude, value) == ["Latitude must be between -90 and 90."]


@pytest.mark.parametrize("value", [-180, 0, 116.4074, Decimal("180")])
def test_it_accepts_longitudes_from_minus_180_to_180(value):
    validate_longitude(value)


@pytest.mark.parametrize("value", [180.000001, -181, Decimal("360")])
def test_it_refuses_longitudes_out_of_range(value):
    assert messages_of(validate_longitude, value) == ["Longitude must be between -180 and 180."]


def test_amounts_must_be_zero_or_more():
    validate_non_negative(Decimal("0"))
    validate_non_negative(None)
    assert messages_of(validate_non_negative, Decimal("-0.01")) == ["Must be zero or more."]


def test_a_mobile_written_with_hyphens_is_accepted():
    from kehu.core.validators import validate_mobile

    validate_mobile("138-1234-5678")
