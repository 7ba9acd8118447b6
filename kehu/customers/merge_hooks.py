"""Merge steps contributed by apps that build on the card (sales, field work, channels).

The merge does not import those apps: each registers a hook here (sales from `SalesConfig.ready()`
through `kehu.sales.merge.register`). A hook is called as `hook(survivor=Customer, merged=Customer)`
inside the merge transaction, with both cards locked, BEFORE the generic move of every row that
points at the merged card. It folds rows that may exist only once per customer (monthly summaries),
refuses with a ValidationError a person can act on, or closes what must not move as it is.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

MergeHook = Callable[..., None]

_HOOKS: dict[str, MergeHook] = {}


def register_merge_hook(hook: MergeHook) -> MergeHook:
    """Add `hook` (once: registering the same function again replaces it in place)."""
    _HOOKS[f"{hook.__module__}.{hook.__qualname__}"] = hook
    return hook


def merge_hooks() -> list[MergeHook]:
    return list(_HOOKS.values())


def merge_hooks_run(*, survivor: Any, merged: Any) -> None:
    """Run every registered hook in registration order."""
    for hook in _HOOKS.values():
        hook(survivor=survivor, merged=merged)
