"""Registers the sales demo step with `kehu demo` (imported from SalesConfig.ready())."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from kehu.customers.demo_hooks import register_demo_step


@register_demo_step
def sales_demo_step(*, org: Any, seed: int, now: datetime) -> dict[str, int]:
    from kehu.sales.demo.builder import sales_demo_build

    return sales_demo_build(org=org, seed=seed, now=now)
