"""Route optimisation: a pure solver over a travel-time matrix, and the matrices built from cards."""

from kehu.field.routing.solver import RoutingResult, solve

__all__ = ["RoutingResult", "solve"]
