from __future__ import annotations


class ImportFileError(Exception):
    """The file itself is unusable (not a spreadsheet, bad encoding, empty, too many rows …).

    `str(e)` and `e.message` are the translated message for the user."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class ImportCancelled(Exception):
    """Raised between batches when the user cancelled; the write transaction rolls back."""
