"""The card's Receivables tab: what it shows the asking user."""

from typing import Any


def context(user: Any, customer: Any) -> dict[str, Any]:
    return {}
