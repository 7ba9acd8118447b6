"""The card's Visits tab: the card's visits the user may see, newest first (registered by kehu.field.registry)."""

from __future__ import annotations

from typing import Any

from kehu.customers.card_tabs import CardTab, register_card_tab
from kehu.field.selectors.visits import CARD_VISITS, card_visits


def context(user: Any, customer: Any) -> dict[str, Any]:
    visits = card_visits(user=user, customer=customer, limit=CARD_VISITS + 1)
    return {"card_visits": visits[:CARD_VISITS], "card_visits_more": len(visits) > CARD_VISITS}


def register() -> None:
    register_card_tab(CardTab("visits", "field/tabs/visits.html", context))
