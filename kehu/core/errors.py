"""Domain errors that every interface (web, API, import, command) turns into the same answer."""

from __future__ import annotations

from typing import Any


class VersionConflict(Exception):
    """Raised when a write carries a stale `version`: someone else saved in between."""

    def __init__(self, current: Any) -> None:
        super().__init__("stale version")
        self.current = current


def parse_version(version: object) -> int:
    """The `version` a client sent, or a field error a person can act on."""
    from django.core.exceptions import ValidationError
    from django.utils.translation import gettext as _

    try:
        return int(str(version))
    except ValueError:
        raise ValidationError({"version": [_("The version must be a whole number.")]}) from None


class NotFound(Exception):
    """The object does not exist or is not visible to the asking user (the same answer)."""


MAX_ID = 2**63 - 1


def parse_id(value: Any) -> int:
    """A URL or body id as an int; anything else (or out of the database's range) is 'not found'."""
    try:
        number = int(str(value))
    except (TypeError, ValueError):
        raise NotFound from None
    if not 1 <= number <= MAX_ID:
        raise NotFound
    return number


class Forbidden(Exception):
    """The user may see the object but may not do this to it."""

    def __init__(self, message: str = "") -> None:
        super().__init__(message)
        self.message = message


def checks_run(checks: dict[str, Any]) -> dict[str, Any]:
    """Run each field's check (a no-argument callable returning the clean value); raise one
    ValidationError with every failing field's messages, so a form or client sees them all at once."""
    from django.core.exceptions import ValidationError

    values, errors = {}, {}
    for name, check in checks.items():
        try:
            values[name] = check()
        except ValidationError as exc:
            errors.update(exc.message_dict)
    if errors:
        raise ValidationError(errors)
    return values
