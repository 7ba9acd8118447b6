"""Template helpers for the import wizard's entry points on other pages."""

from __future__ import annotations

from typing import Any

from django import template

from kehu.accounts import scope

register = template.Library()


@register.filter
def may_import(user: Any) -> bool:
    """`{% if user|may_import %}`: the access policy's answer, so pages need no extra context."""
    return scope.can_import(user)
