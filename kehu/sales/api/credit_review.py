"""API routes of this area."""

from rest_framework.routers import BaseRouter


def register(router: BaseRouter) -> None:
    """Register this area's viewsets on the /api/v1/ router."""
