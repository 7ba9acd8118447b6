"""Validators for Chinese business identifiers and phone numbers. Messages are translatable."""

from __future__ import annotations

import re
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

# GB 32100-2015: 18 characters from this 31-character alphabet (no I, O, S, V, Z).
CREDIT_CODE_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
CREDIT_CODE_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
MOBILE_RE = re.compile(r"^1[3-9]\d{9}$")
# Landline: optional area code (0 + 2–3 digits), 7–8 digit number, optional extension.
LANDLINE_RE = re.compile(r"^(0\d{2,3}-?)?[2-9]\d{6,7}(-\d{1,6})?$")
SERVICE_NUMBER_RE = re.compile(r"^(400|800)-?\d{3}-?\d{4}$")


def credit_code_check_char(first17: str) -> str:
    total = sum(CREDIT_CODE_ALPHABET.index(c) * w for c, w in zip(first17, CREDIT_CODE_WEIGHTS, strict=True))
    return CREDIT_CODE_ALPHABET[(31 - total % 31) % 31]


def validate_credit_code(value: str) -> None:
    """Unified social credit code (统一社会信用代码): format and check character."""
    code = value.strip().upper()
    if len(code) != 18:
        raise ValidationError(
            _("A unified social credit code has 18 characters; this one has %(n)d."),
            code="credit_code_length", params={"n": len(code)},
        )
    bad = [c for c in code if c not in CREDIT_CODE_ALPHABET]
    if bad:
        raise ValidationError(
            _("'%(char)s' cannot appear in a unified social credit code (letters I, O, S, V, Z are never used)."),
            code="credit_code_char", params={"char": bad[0]},
        )
    expected = credit_code_check_char(code[:17])
    if code[17] != expected:
        raise ValidationError(
            _("The check character of this credit code should be '%(expected)s', not '%(got)s': "
              "a character is probably mistyped."),
            code="credit_code_checksum", params={"expected": expected, "got": code[17]},
        )


def normalise_phone(value: str) -> str:
    """Strip spaces, full-width digits and the +86 prefix; keep hyphens of landlines."""
    table = {ord(c): ord("0") + i for i, c in enumerate("０１２３４５６７８９")}
    table[ord("－")] = ord("-")
    cleaned = value.translate(table).strip().replace(" ", "").replace("(", "").replace(")", "")
    for prefix in ("+86", "0086"):
        if cleaned.startswith(prefix):
            cleaned = cleaned[len(prefix):].lstrip("-")
    return cleaned


def validate_mobile(value: str) -> None:
    if not MOBILE_RE.match(normalise_phone(value).replace("-", "")):
        raise ValidationError(
            _("Enter an 11-digit mainland mobile number starting with 13–19, e.g. 13812345678."),
            code="mobile",
        )


def validate_landline(value: str) -> None:
    number = normalise_phone(value)
    if not (LANDLINE_RE.match(number) or SERVICE_NUMBER_RE.match(number)):
        raise ValidationError(
            _("Enter a landline with area code, e.g. 010-62345678 or 0755-8765432-801."),
            code="landline",
        )


def validate_phone(value: str) -> None:
    """A customer's phone may be a mobile, a landline or a 400/800 service number."""
    number = normalise_phone(value)
    if not (MOBILE_RE.match(number) or LANDLINE_RE.match(number) or SERVICE_NUMBER_RE.match(number)):
        raise ValidationError(
            _("Enter a mobile (13812345678), a landline with area code (010-62345678) or a 400 number."),
            code="phone",
        )


def validate_latitude(value: Decimal | float) -> None:
    if not -90 <= float(value) <= 90:
        raise ValidationError(_("Latitude must be between -90 and 90."), code="latitude")


def validate_longitude(value: Decimal | float) -> None:
    if not -180 <= float(value) <= 180:
        raise ValidationError(_("Longitude must be between -180 and 180."), code="longitude")


def validate_non_negative(value: Decimal | int) -> None:
    if value is not None and value < 0:
        raise ValidationError(_("Must be zero or more."), code="negative")
