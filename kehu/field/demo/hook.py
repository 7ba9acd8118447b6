"""Registers the field-work demo step with `kehu demo` (imported by kehu.field.registry from
FieldConfig.ready(), after the sales step: the field step runs on the cards and money already there)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from kehu.customers.demo_hooks import register_demo_step


@register_demo_step
def field_demo_step(*, org: Any, seed: int, now: datetime) -> dict[str, int]:
    from kehu.field.demo.builder import field_demo_build

    return field_demo_build(org=org, seed=seed, now=now)
