"""The card's Sales, Plans and Receivables tabs (registered with the card from SalesConfig.ready)."""

from kehu.customers.card_tabs import CardTab, register_card_tab
from kehu.sales.tabs import plans, receivables, sales


def register() -> None:
    register_card_tab(CardTab("sales", "sales/tabs/sales.html", sales.context))
    register_card_tab(CardTab("plans", "sales/tabs/plans.html", plans.context))
    register_card_tab(CardTab("receivables", "sales/tabs/receivables.html", receivables.context))
