"""Custom field values: parsed into one stored JSON form per type, with messages that say what is wrong."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from kehu.customers.custom_fields import custom_values_clean, display_value, parse_value
from kehu.customers.models import Customer, CustomField
from kehu.customers.services import customer_create, customer_update


def field(kind: str, key: str = "f", choices: list[str] | None = None, **extra) -> CustomField:
    return CustomField(
        key=key,
        label_zh=f"{key}中文",
        label_en=key.title(),
        field_type=kind,
        choices=[{"value": v, "label_zh": f"{v}中", "label_en": v.title()} for v in choices or []],
        **extra,
    )


def message(kind: str, value, choices: list[str] | None = None) -> list[str]:
    with pytest.raises(ValidationError) as caught:
        parse_value(field(kind, choices=choices), value)
    return caught.value.messages


SERVICES = ["delivery", "credit", "display"]


# --- parse_value, type by type -------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "stored"), [("  临街旺铺 ", "临街旺铺"), (12, "12"), ("x" * 500, "x" * 500)]
)
def test_text_is_stripped(value, stored):
    assert parse_value(field("text"), value) == stored


def test_text_longer_than_500_characters_is_refused():
    assert message("text", "x" * 501) == ["At most 500 characters."]


@pytest.mark.parametrize(
    ("value", "stored"),
    [
        ("3", 3),
        (3, 3),
        ("3.0", 3),
        (Decimal("2.50"), 2.5),
        ("1,234.5", 1234.5),
        (" -7 ", -7),
        (0, 0),
        ("999999999999999", 999999999999999),
    ],
)
def test_numbers_are_stored_as_json_integers_or_floats(value, stored):
    parsed = parse_value(field("number"), value)
    assert (parsed, type(parsed)) == (stored, type(stored))


@pytest.mark.parametrize("value", ["many", "", "NaN", "Infinity", "1e15", "-1e16", True, "3 台"])
def test_what_is_not_a_finite_number_is_refused(value):
    assert message("number", value) == [f"'{value}' is not a number."]


@pytest.mark.parametrize(
    ("value", "stored"),
    [
        ("2024-02-29", "2024-02-29"),
        (" 2024-02-29 ", "2024-02-29"),
        (datetime.date(2024, 2, 29), "2024-02-29"),
        (datetime.datetime(2024, 2, 29, 10, 30), "2024-02-29"),
    ],
)
def test_dates_are_stored_as_iso_dates(value, stored):
    assert parse_value(field("date"), value) == stored


@pytest.mark.parametrize("value", ["2023-02-29", "29/02/2024", "tomorrow", ""])
def test_what_is_not_a_date_is_refused_with_the_format_to_use(value):
    assert message("date", value) == [f"'{value}' is not a date; write it as YYYY-MM-DD."]


@pytest.mark.parametrize("value", [True, "true", "YES", "y", "1", "on", "是", "对", "√"])
def test_yes_words_are_true(value):
    assert parse_value(field("boolean"), value) is True


@pytest.mark.parametrize("value", [False, "false", "No", "n", "0", "off", "否", "不", "×"])
def test_no_words_are_false(value):
    assert parse_value(field("boolean"), value) is False


def test_other_words_are_not_yes_or_no():
    assert message("boolean", "maybe") == ["'maybe' is not yes or no."]


def test_a_choice_must_be_one_of_the_values():
    assert parse_value(field("choice", choices=["supermarket", "kiosk"]), "kiosk") == "kiosk"
    assert message("choice", "stall", ["supermarket", "kiosk"]) == [
        "'stall' is not one of: supermarket, kiosk."
    ]
    assert message("choice", "Kiosk", ["supermarket", "kiosk"]) == [
        "'Kiosk' is not one of: supermarket, kiosk."
    ]


def test_a_numeric_choice_value_matches_as_text():
    assert parse_value(field("choice", choices=["1", "2"]), 1) == "1"


@pytest.mark.parametrize(
    ("value", "stored"),
    [
        (["delivery", "credit"], ["delivery", "credit"]),
        ("delivery, credit", ["delivery", "credit"]),
        ("display", ["display"]),
        (("credit",), ["credit"]),
        (["credit", "credit"], ["credit"]),
    ],
)
def test_multi_choices_are_stored_as_a_list_of_values(value, stored):
    assert parse_value(field("multi_choice", choices=SERVICES), value) == stored


def test_a_multi_choice_names_the_first_wrong_value():
    assert message("multi_choice", ["credit", "fax", "telex"], SERVICES) == [
        "'fax' is not one of: delivery, credit, display."
    ]


# --- custom_values_clean: merging, required, unknown keys ----------------------------------


@pytest.fixture
def fields(db) -> list[CustomField]:
    return [
        field("number", "fridges"),
        field("boolean", "chain"),
        field("multi_choice", "services", SERVICES),
        field("text", "licence", is_required=True),
    ]


def test_submitted_values_are_merged_over_the_current_ones(fields):
    current = {"fridges": 2, "licence": "JY111", "retired": "x"}
    assert custom_values_clean(fields, {"chain": "是"}, current) == {
        "fridges": 2,
        "licence": "JY111",
        "chain": True,
    }


def test_an_empty_value_removes_the_key(fields):
    current = {"fridges": 2, "licence": "JY111", "services": ["credit"]}
    assert custom_values_clean(fields, {"fridges": "", "services": []}, current) == {"licence": "JY111"}


def test_false_is_a_value_not_an_empty_one(fields):
    assert custom_values_clean(fields, {"chain": False, "licence": "JY1"}, {}) == {
        "chain": False,
        "licence": "JY1",
    }


def test_a_required_field_must_have_a_value(fields):
    with pytest.raises(ValidationError) as caught:
        custom_values_clean(fields, {"fridges": 1}, {})
    assert caught.value.message_dict == {"custom.licence": ["Licence is required."]}


def test_a_required_field_cannot_be_emptied(fields):
    with pytest.raises(ValidationError) as caught:
        custom_values_clean(fields, {"licence": "  "}, {"licence": "JY1"})
    assert caught.value.message_dict == {"custom.licence": ["Licence is required."]}


def test_unknown_keys_and_bad_values_are_reported_together_by_key(fields):
    with pytest.raises(ValidationError) as caught:
        custom_values_clean(fields, {"colour": "red", "fridges": "many", "licence": "JY1"}, {})
    assert caught.value.message_dict == {
        "custom.colour": ["There is no custom field 'colour'."],
        "custom.fridges": ["'many' is not a number."],
    }


def test_custom_values_must_be_an_object(fields):
    with pytest.raises(ValidationError) as caught:
        custom_values_clean(fields, ["fridges", 3], {})
    assert caught.value.message_dict == {"custom": ["Custom fields must be an object of key → value."]}


def test_the_required_label_follows_the_language(fields):
    with translation.override("zh-hans"), pytest.raises(ValidationError) as caught:
        custom_values_clean(fields, {}, {})
    assert "licence中文" in caught.value.message_dict["custom.licence"][0]


# --- through the card service: stored JSON forms -------------------------------------------


def test_each_type_is_stored_in_its_json_form_on_the_card(world):
    for key, kind, choices in [
        ("area", "text", []),
        ("fridges", "number", []),
        ("ratio", "number", []),
        ("opened", "date", []),
        ("format", "choice", ["supermarket", "kiosk"]),
        ("services", "multi_choice", SERVICES),
        ("chain", "boolean", []),
    ]:
        field(kind, key, choices).save()
    card = customer_create(
        actor=world.alice,
        data={
            "name": "自定义店",
            "custom": {
                "area": " 临街 ",
                "fridges": "3",
                "ratio": "1.5",
                "opened": datetime.date(2024, 2, 29),
                "format": "kiosk",
                "services": "delivery,credit",
                "chain": "yes",
            },
        },
    )
    assert Customer.objects.get(pk=card.pk).custom == {
        "area": "临街",
        "fridges": 3,
        "ratio": 1.5,
        "opened": "2024-02-29",
        "format": "kiosk",
        "services": ["delivery", "credit"],
        "chain": True,
    }


def test_a_required_custom_field_is_required_on_create_with_the_key_in_the_error(world):
    field("text", "licence", is_required=True).save()
    with pytest.raises(ValidationError) as caught:
        customer_create(actor=world.alice, data={"name": "无证店"})
    assert caught.value.message_dict == {"custom.licence": ["Licence is required."]}


def test_an_inactive_custom_field_is_unknown(world):
    field("text", "area", is_active=False).save()
    with pytest.raises(ValidationError) as caught:
        customer_update(
            actor=world.alice, customer_id=world.alice_card.pk, data={"custom": {"area": "x"}}, version=1
        )
    assert caught.value.message_dict == {"custom.area": ["There is no custom field 'area'."]}


def test_updating_custom_values_keeps_the_others(world):
    field("number", "fridges").save()
    field("text", "area").save()
    customer_update(
        actor=world.alice,
        customer_id=world.alice_card.pk,
        data={"custom": {"fridges": 2, "area": "临街"}},
        version=1,
    )
    card = customer_update(
        actor=world.alice, customer_id=world.alice_card.pk, data={"custom": {"fridges": 4}}, version=2
    )
    assert (card.custom, card.version) == ({"fridges": 4, "area": "临街"}, 3)


# --- display -------------------------------------------------------------------------------


def test_values_are_displayed_with_their_labels_in_the_active_language():
    services = field("multi_choice", "services", SERVICES)
    assert display_value(services, ["delivery", "credit"]) == "Delivery、Credit"
    with translation.override("zh-hans"):
        assert display_value(services, ["delivery", "credit"]) == "delivery中、credit中"
    assert display_value(field("choice", choices=["kiosk"]), "kiosk") == "Kiosk"
    assert display_value(field("boolean"), True) == "Yes"
    assert display_value(field("boolean"), False) == "No"
    assert display_value(field("number"), 3) == "3"
    assert display_value(field("text"), "") == ""
    assert display_value(field("multi_choice", choices=SERVICES), []) == ""
