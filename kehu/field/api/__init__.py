"""The field-work resources on the /api/v1/ router: one module per area."""

from rest_framework.routers import BaseRouter

from kehu.field.api import day, handover, map, plans, review


def register(router: BaseRouter) -> None:
    for area in (plans, day, map, review, handover):
        area.register(router)
