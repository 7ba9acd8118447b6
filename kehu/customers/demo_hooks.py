"""Demo steps contributed by apps that build on the cards (sales, field work, channels).

`kehu demo` does not import those apps: each registers a step here from its `AppConfig.ready()`.
After the org tree, logins and cards are built, the command runs every registered step in
registration order, inside the same transaction, so a failing step leaves nothing half-loaded.
A step is called as `step(org=DemoOrg, seed=int, now=datetime)` and returns counts to print.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

DemoStep = Callable[..., Mapping[str, object] | None]

_STEPS: dict[str, DemoStep] = {}


def register_demo_step(step: DemoStep) -> DemoStep:
    """Add `step` (once: registering the same function again replaces it in place)."""
    _STEPS[f"{step.__module__}.{step.__qualname__}"] = step
    return step


def demo_steps() -> list[DemoStep]:
    return list(_STEPS.values())


def demo_steps_run(*, org: Any, seed: int, now: datetime) -> dict[str, Mapping[str, object]]:
    """Run every registered step; the counts each one reports, by the step's module."""
    reports: dict[str, Mapping[str, object]] = {}
    for name, step in _STEPS.items():
        counts = step(org=org, seed=seed, now=now)
        if counts:
            reports[name.rsplit(".", 1)[0]] = counts
    return reports
