"""The one helper that masks sensitive values for users who may see a card but not edit it."""

from __future__ import annotations

MASK = "****"


def mask_value(value: str | None) -> str:
    """138****1234 for phones; keep a short head and tail of anything else (credit code, email, WeChat)."""
    if not value:
        return ""
    text = str(value)
    if "@" in text:
        name, _, domain = text.partition("@")
        return f"{name[:1]}{MASK}@{domain}"
    if len(text) <= 4:
        return MASK
    head = 3 if len(text) >= 8 else 1
    tail = 4 if len(text) >= 11 else 2
    return f"{text[:head]}{MASK}{text[-tail:]}"
