"""`solve()`: vehicle routing with time windows on a travel-time matrix, by PyVRP.

Pure: numbers in, numbers out. Index 0 is the start and end point (the rep's base); every other
index is a stop. Stops that cannot fit (a window that cannot be reached, a full day) are returned
in `unserved`, never dropped silently.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from pyvrp import Model
from pyvrp.stop import MaxRuntime

HORIZON = 10**9


@dataclass(frozen=True)
class RoutingResult:
    routes: list[list[int]]  # each starts and ends with 0; one per vehicle used
    cost: float  # total travel time of `routes` under the given matrix
    unserved: list[int] = field(default_factory=list)


def _route_cost(durations: Sequence[Sequence[float]], routes: list[list[int]]) -> float:
    return sum(durations[a][b] for route in routes for a, b in zip(route, route[1:]))


def solve(
    durations: Sequence[Sequence[float]],
    *,
    time_windows: Sequence[tuple[float, float] | None] | None = None,
    service_times: Sequence[float] | None = None,
    vehicles: int = 1,
    demands: Sequence[int] | None = None,
    capacity: int | None = None,
    time_limit: float = 2.0,
) -> RoutingResult:
    n = len(durations)
    if any(len(row) != n for row in durations):
        raise ValueError("durations must be a square matrix")
    if n <= 1:
        return RoutingResult(routes=[], cost=0.0)
    windows = list(time_windows) if time_windows is not None else [None] * n
    service = list(service_times) if service_times is not None else [0] * n
    depot_window = windows[0] or (0, HORIZON)

    m = Model()
    locations = [m.add_location(x=0, y=0) for _ in range(n)]
    depot = m.add_depot(locations[0], tw_early=int(depot_window[0]), tw_late=int(depot_window[1]))
    big_prize = int(10 * (max(max(row) for row in durations) + 1) * n)
    for i in range(1, n):
        early, late = windows[i] or (0, HORIZON)
        m.add_client(
            locations[i],
            delivery=[int(demands[i])] if demands is not None else [0],
            service_duration=int(service[i]),
            tw_early=int(early),
            tw_late=int(late),
            required=False,
            prize=big_prize,
        )
    m.add_vehicle_type(
        num_available=max(1, vehicles),
        capacity=[int(capacity)] if capacity is not None else [10**9],
        start_depot=depot,
        end_depot=depot,
        tw_early=int(depot_window[0]),
        tw_late=int(depot_window[1]),
    )
    for i in range(n):
        for j in range(n):
            if i != j:
                d = int(round(durations[i][j]))
                m.add_edge(locations[i], locations[j], distance=d, duration=d)
    result = m.solve(stop=MaxRuntime(time_limit), display=False)
    routes = []
    for route in result.best.routes():
        stops = [act.idx + 1 for act in route.schedule() if act.is_client()]
        if stops:
            routes.append([0, *stops, 0])
    served = {stop for route in routes for stop in route[1:-1]}
    unserved = [i for i in range(1, n) if i not in served]
    return RoutingResult(routes=routes, cost=_route_cost(durations, routes), unserved=unserved)
