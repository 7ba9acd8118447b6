"""Domain errors that every interface (web, API, import, command) turns into the same answer."""

from __future__ import annotations

from typing import Any


class VersionConflict(Exception):
    """Raised when a write carries a stale `version`: someone else saved in between."""

    def __init__(self, current: Any) -> None:
        super().__init__("stale version")
        self.current = current


class NotFound(Exception):
    """The object does not exist or is not visible to the asking user (the same answer)."""


class Forbidden(Exception):
    """The user may see the object but may not do this to it."""

    def __init__(self, message: str = "") -> None:
        super().__init__(message)
        self.message = message
