"""Card tabs contributed by apps that build on the card (sales, field work, channels).

The card does not import those apps: each registers its tab here from its `AppConfig.ready()`,
with a template and a function that builds the tab's context for the asking user.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class CardTab:
    name: str
    template: str
    context: Callable[[Any, Any], dict[str, Any]]  # (user, customer) -> template context


_TABS: dict[str, CardTab] = {}


def register_card_tab(tab: CardTab) -> None:
    _TABS[tab.name] = tab


def card_tab(name: str) -> CardTab | None:
    return _TABS.get(name)
