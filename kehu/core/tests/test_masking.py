"""The one masking helper: phones keep head and tail, emails keep the first letter and the domain."""

import pytest

from kehu.core.masking import mask_value


@pytest.mark.parametrize(
    ("value", "masked"),
    [
        ("13812345678", "138****5678"),
        ("010-62345678", "010****5678"),
        ("91110108MA01C8XK22", "911****XK22"),
        ("wxid_abc", "wxi****bc"),
        ("abcde", "a****de"),
        ("abcdefg", "a****fg"),
        ("abcdefghij", "abc****ij"),
    ],
)
def test_it_keeps_a_short_head_and_tail(value, masked):
    assert mask_value(value) == masked


@pytest.mark.parametrize(
    ("value", "masked"),
    [("shan.lixin@example.com", "s****@example.com"), ("a@b.cn", "a****@b.cn"), ("@b.cn", "****@b.cn")],
)
def test_it_keeps_only_the_first_letter_and_the_domain_of_an_email(value, masked):
    assert mask_value(value) == masked


@pytest.mark.parametrize("value", ["a", "ab", "abcd", "1234"])
def test_it_hides_short_values_entirely(value):
    assert mask_value(value) == "****"


@pytest.mark.parametrize("value", ["", None])
def test_an_empty_value_stays_empty(value):
    assert mask_value(value) == ""


def test_it_never_returns_the_value_itself():
    for value in ["13812345678", "abcde", "x@y.z", "ab"]:
        assert mask_value(value) != value
