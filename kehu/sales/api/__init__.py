"""The sales resources on the /api/v1/ router: one module per area."""

from rest_framework.routers import BaseRouter

from kehu.sales.api import credit, orders, plans, products, receivables


def register(router: BaseRouter) -> None:
    for area in (products, orders, receivables, plans, credit):
        area.register(router)
