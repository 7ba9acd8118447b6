"""The sales resources on the /api/v1/ router: one module per area."""

from rest_framework.routers import BaseRouter

from kehu.sales.api import credit, credit_review, order_imports, orders, plans, products, receivables


def register(router: BaseRouter) -> None:
    for area in (products, orders, order_imports, receivables, plans, credit, credit_review):
        area.register(router)
