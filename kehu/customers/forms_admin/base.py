"""What every admin form shares."""

from __future__ import annotations

from django.core.exceptions import ValidationError


class ServiceErrorsMixin:
    """Put a service's ValidationError ({field: [messages]}) on the form's fields."""

    def add_service_errors(self, error: ValidationError) -> None:
        errors = error.message_dict if hasattr(error, "error_dict") else {"__all__": error.messages}
        for key, messages in errors.items():
            self.add_error(key if key in self.fields else None, messages)  # type: ignore[attr-defined]
