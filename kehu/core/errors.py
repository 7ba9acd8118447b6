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
