"""`solve()`: vehicle routing with time windows on a travel-time matrix, by PyVRP.

Pure: numbers in, numbers out (no Django). Index 0 is the start and end point (the rep's base);
every other index is a stop. Stops that cannot fit (a window that cannot be reached, a full day)
are returned in `unserved`, never dropped silently, and what is returned in `routes` never breaks a
time window, the depot's hours or a capacity (it is checked again in the caller's own numbers).

Units are the caller's (seconds for rep days, Euclidean distance for the benchmarks). PyVRP works
on integers, so every quantity is multiplied by a common scale (1 when the input is already whole,
otherwise a power of ten, 1000 by default): travel *durations* and service times are rounded up and
latest-arrival bounds down, so a plan PyVRP finds feasible is feasible in the real numbers; travel
*distances* (what is minimised) are rounded to nearest, so rounding does not bias the tour.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import pairwise

import numpy as np
from pyvrp import (
    Client,
    Depot,
    IteratedLocalSearch,
    Location,
    PenaltyManager,
    ProblemData,
    RandomNumberGenerator,
    Solution,
    SolveParams,
    VehicleType,
)
from pyvrp.search import LocalSearch, PerturbationManager, compute_neighbours
from pyvrp.stop import MaxRuntime, MultipleCriteria, NoImprovement

from kehu.field.routing.polish import or_opt_ils, tour_length, two_opt

SEED = 42
MAX_INT = 2**62  # "no limit" for PyVRP bounds; far from int64 overflow when sums are made
SCALED_LIMIT = 2**40  # the largest scaled value we allow (keeps prizes and sums well inside int64)
DEFAULT_SCALE = 1000
EPSILON = 1e-6  # tolerance of the final feasibility check, in the caller's units
# Stop early when the best solution has not improved for this many iterations (plus a few per stop):
# a 10-stop day is solved to optimality in a few milliseconds, not in the whole time limit.
NO_IMPROVEMENT_BASE = 1_000
NO_IMPROVEMENT_PER_STOP = 50
# Without time windows, PyVRP's search runs in rounds of at least this many seconds between 2-opt passes.
MIN_ROUND_S = 0.1
# An optional stop is worth PRIZE_FACTOR × (twice the longest edge): more than the detour it can cost.
PRIZE_FACTOR = 1
# A symmetric problem without windows or loads, with at least this many stops, is a travelling
# salesman: solved by polish.or_opt_ils, which is much stronger there than PyVRP's search.
TSP_MIN_STOPS = 8
# When stops may be left out, this share of the time goes to the model where all are required.
REQUIRED_SHARE = 0.5
# Seconds kept back from the limit for reading the result and the final check.
RESERVE_S = 0.05


@dataclass(frozen=True)
class RoutingResult:
    routes: list[list[int]]  # each starts and ends with 0; one per vehicle used
    cost: float  # total travel time of `routes` under the given matrix
    unserved: list[int] = field(default_factory=list)


Window = tuple[float, float]


@dataclass(frozen=True)
class _Problem:
    """Validated input in the caller's units."""

    durations: list[list[float]]
    array: np.ndarray  # the same numbers
    windows: list[Window | None]
    service: list[float]
    demands: list[int] | None  # None: no capacity constraint
    capacity: int | None
    vehicles: int

    @property
    def size(self) -> int:
        return len(self.durations)

    def window(self, i: int) -> Window:
        return self.windows[i] or (0.0, math.inf)


def route_cost(durations: Sequence[Sequence[float]], routes: Sequence[Sequence[int]]) -> float:
    """Total travel over `routes` (each a list of indices) under `durations`."""
    return float(sum(durations[a][b] for route in routes for a, b in pairwise(route)))


# --- validation ---------------------------------------------------------------------------------


def _finite_non_negative(value: object, what: str) -> float:
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise ValueError(f"{what} must be a number, got {value!r}") from None
    if not math.isfinite(number) or number < 0:
        raise ValueError(f"{what} must be a finite number ≥ 0, got {value!r}")
    return number


def _matrix(durations: Sequence[Sequence[float]]) -> np.ndarray:
    """The travel matrix as floats, checked: square, finite, non-negative (the diagonal is ignored)."""
    n = len(durations)
    for i, row in enumerate(durations):
        if len(row) != n:
            raise ValueError(f"durations must be a square matrix: row {i} has {len(row)} values, expected {n}")
    if n == 0:
        return np.zeros((0, 0))
    try:
        array = np.array(durations, dtype=float)
    except (TypeError, ValueError):
        raise ValueError("durations must contain only numbers") from None
    np.fill_diagonal(array, 0.0)
    bad = np.argwhere(~np.isfinite(array) | (array < 0))
    if len(bad):
        i, j = (int(v) for v in bad[0])
        raise ValueError(f"durations[{i}][{j}] must be a finite number ≥ 0, got {durations[i][j]!r}")
    return array


def _validate(
    durations: Sequence[Sequence[float]],
    time_windows: Sequence[tuple[float, float] | None] | None,
    service_times: Sequence[float] | None,
    vehicles: int,
    demands: Sequence[int] | None,
    capacity: int | None,
    time_limit: float,
) -> _Problem:
    matrix = _matrix(durations)
    n = len(matrix)

    def check_length(values: Sequence[object] | None, name: str) -> None:
        if values is not None and len(values) != n:
            raise ValueError(f"{name} has {len(values)} values, expected {n} (one per row of durations)")

    check_length(time_windows, "time_windows")
    check_length(service_times, "service_times")
    check_length(demands, "demands")

    windows: list[Window | None] = [None] * n
    for i, tw in enumerate(time_windows or []):
        if tw is None:
            continue
        if len(tw) != 2:
            raise ValueError(f"time_windows[{i}] must be (earliest, latest) or None, got {tw!r}")
        early = _finite_non_negative(tw[0], f"time_windows[{i}] earliest")
        late = float(tw[1]) if tw[1] is not None else math.inf
        if math.isnan(late) or late < early:
            raise ValueError(f"time_windows[{i}]: latest ({tw[1]!r}) is before earliest ({tw[0]!r})")
        windows[i] = (early, late)
    service = [0.0] * n
    for i, s in enumerate(service_times or []):
        service[i] = 0.0 if i == 0 else _finite_non_negative(s, f"service_times[{i}]")

    if isinstance(vehicles, bool) or not isinstance(vehicles, (int, np.integer)) or vehicles < 0:
        raise ValueError(f"vehicles must be a whole number ≥ 0, got {vehicles!r}")
    if capacity is not None and (isinstance(capacity, bool) or not isinstance(capacity, (int, np.integer)) or capacity < 0):
        raise ValueError(f"capacity must be a whole number ≥ 0, got {capacity!r}")
    loads: list[int] | None = None
    if demands is not None:
        loads = []
        for i, d in enumerate(demands):
            if isinstance(d, bool) or not isinstance(d, (int, np.integer)) or d < 0:
                raise ValueError(f"demands[{i}] must be a whole number ≥ 0, got {d!r}")
            loads.append(0 if i == 0 else int(d))
    if capacity is not None and loads is None:
        loads = [0] + [1] * (n - 1)  # a capacity alone caps the number of stops per route
    if capacity is None:
        loads = None  # demands without a capacity constrain nothing
    if not isinstance(time_limit, (int, float)) or not math.isfinite(time_limit) or time_limit <= 0:
        raise ValueError(f"time_limit must be a positive number of seconds, got {time_limit!r}")
    capacity = int(capacity) if capacity is not None else None
    return _Problem(matrix.tolist(), matrix, windows, service, loads, capacity, int(vehicles))


# --- feasibility in the caller's units ----------------------------------------------------------


def _first_violation(problem: _Problem, route: list[int]) -> int | None:
    """Position (in `route`, a list of stops without the depot) of the first stop that breaks a rule.

    Returns len(route) when only the return to the depot is late, None when the route is feasible.
    """
    d = problem.durations
    depot_early, depot_late = problem.window(0)
    if problem.demands is not None and problem.capacity is not None:
        load = 0
        for pos, stop in enumerate(route):
            load += problem.demands[stop]
            if load > problem.capacity:
                return pos
    t, prev = depot_early, 0
    for pos, stop in enumerate(route):
        early, late = problem.window(stop)
        t = max(t + d[prev][stop], early)
        if t > late + EPSILON:
            return pos
        t += problem.service[stop]
        prev = stop
    if t + d[prev][0] > depot_late + EPSILON:
        return len(route)
    return None


def _repair(problem: _Problem, route: list[int], unserved: list[int]) -> list[int]:
    """Drop stops from `route` until it is feasible (first offender first; deterministic)."""
    route = list(route)
    while route:
        pos = _first_violation(problem, route)
        if pos is None:
            break
        # A late return: drop the last stop (the one that made the day too long).
        unserved.append(route.pop(min(pos, len(route) - 1)))
    return route


def _reachable(problem: _Problem, stop: int) -> bool:
    """Can `stop` be served by a route that goes there and straight back?"""
    return _first_violation(problem, [stop]) is None


# --- PyVRP --------------------------------------------------------------------------------------


def _scale(problem: _Problem) -> int:
    """The factor that turns the caller's numbers into PyVRP's integers (1 when they are whole)."""
    extra = list(problem.service)
    for w in problem.windows:
        if w is not None:
            extra += [v for v in w if math.isfinite(v)]
    values = np.concatenate([problem.array.ravel(), np.asarray(extra, dtype=float)])
    scale = 1 if bool(np.all(values == np.floor(values))) else DEFAULT_SCALE
    biggest = float(values.max(initial=0.0)) * max(2, problem.size)
    while scale > 1 and biggest * scale > SCALED_LIMIT:
        scale //= 10
    return scale


def _scaled_bound(value: float, scale: int, rounding) -> int:  # noqa: ANN001 (math.floor / ceil)
    if not math.isfinite(value):
        return MAX_INT
    return min(MAX_INT, int(rounding(value * scale)))


def _pyvrp_data(problem: _Problem, stops: list[int], scale: int, all_required: bool) -> tuple[ProblemData, np.ndarray]:
    """The PyVRP problem over the depot and `stops` (indices into the caller's matrix)."""
    nodes = [0, *stops]
    sub = problem.array[np.ix_(nodes, nodes)] * scale
    distance = np.rint(sub).astype(np.int64)
    duration = np.ceil(sub - 1e-9).astype(np.int64)  # tolerate float noise in whole inputs
    np.fill_diagonal(duration, 0)
    depot_early, depot_late = problem.window(0)
    # Each stop is optional, with a prize worth more than any detour it can cost: the solver serves
    # as many stops as fit, then minimises travel. Without windows and capacity everyone fits.
    prize = int((2 * int(distance.max(initial=0)) + 1) * PRIZE_FACTOR)
    clients = []
    for k, stop in enumerate(stops, start=1):
        early, late = problem.window(stop)
        clients.append(
            Client(
                location=k,
                delivery=[problem.demands[stop]] if problem.demands is not None else [],
                service_duration=_scaled_bound(problem.service[stop], scale, math.ceil),
                tw_early=_scaled_bound(early, scale, math.ceil),
                tw_late=_scaled_bound(late, scale, math.floor),
                prize=0 if all_required else prize,
                required=all_required,
            )
        )
    tw_early = _scaled_bound(depot_early, scale, math.ceil)
    tw_late = _scaled_bound(depot_late, scale, math.floor)
    vehicle = VehicleType(
        num_available=problem.vehicles,
        capacity=[problem.capacity] if problem.demands is not None and problem.capacity is not None else [],
        tw_early=tw_early,
        tw_late=tw_late,
    )
    data = ProblemData(
        locations=[Location(0, 0) for _ in nodes],
        clients=clients,
        depots=[Depot(location=0, tw_early=tw_early, tw_late=tw_late)],
        vehicle_types=[vehicle],
        distance_matrices=[distance],
        duration_matrices=[duration],
    )
    return data, distance


def _nearest_neighbour_tour(distance: np.ndarray) -> list[int]:
    """A tour through every client (locations 1..n-1) from the depot, always to the nearest unvisited."""
    n = len(distance)
    unvisited = np.ones(n, dtype=bool)
    unvisited[0] = False
    tour, here = [], 0
    for _ in range(n - 1):
        row = np.where(unvisited, distance[here], np.iinfo(np.int64).max)
        here = int(np.argmin(row))
        unvisited[here] = False
        tour.append(here)
    return tour


def _client_routes(solution: Solution) -> list[list[int]]:
    """The routes of `solution` as lists of PyVRP client numbers (location k is client k - 1)."""
    routes = []
    for route in solution.routes():
        visits = [act.idx for act in route.schedule() if act.is_client()]
        if visits:
            routes.append(visits)
    return routes


def _objective(solution: Solution) -> int:
    return solution.distance() + solution.uncollected_prizes()


def _polished(data: ProblemData, solution: Solution, distance: np.ndarray, deadline: float) -> Solution | None:
    """`solution` with every route 2-opted, or None when that shortens nothing."""
    routes, changed = [], False
    for visits in _client_routes(solution):
        tour = [0, *(k + 1 for k in visits), 0]
        better = two_opt(tour, distance, deadline)
        if tour_length(better, distance) < tour_length(tour, distance):
            changed = True
        routes.append([k - 1 for k in better[1:-1]])
    return Solution(data, routes) if changed else None


def _run_tsp(problem: _Problem, stops: list[int], deadline: float) -> list[list[int]]:
    """One tour through every stop (nothing limits it): nearest neighbour, 2-opt, then or-opt ILS."""
    data_nodes = [0, *stops]
    distance = np.rint(problem.array[np.ix_(data_nodes, data_nodes)] * _scale(problem)).astype(np.int64)
    tour = two_opt([0, *_nearest_neighbour_tour(distance), 0], distance, deadline - RESERVE_S)
    tour = or_opt_ils(tour, distance, deadline - RESERVE_S, seed=SEED)
    return [[data_nodes[k] for k in tour[1:-1]]]


def _search(
    data: ProblemData, start: Solution, distance: np.ndarray, deadline: float, polishable: bool, patience: int
) -> Solution:
    """PyVRP's iterated local search (what `pyvrp.solve` does) from `start` until `deadline`.

    Without time windows, rounds of PyVRP's search alternate with 2-opt (which PyVRP lacks).
    Returns the best feasible solution found, or the last one when none was feasible.
    """
    params = SolveParams()
    rng = RandomNumberGenerator(seed=SEED)
    ls = LocalSearch(data, rng, compute_neighbours(data, params.neighbourhood), PerturbationManager(params.perturbation))
    for op in params.operators:
        if op.supports(data):
            ls.add_operator(op(data))
    pm = PenaltyManager(params.penalty.midpoint_penalties(data), params.penalty)
    current = ls(start, pm.max_cost_evaluator(), exhaustive=True)
    best = current
    while (remaining := deadline - time.perf_counter()) > 0:
        budget = remaining if not polishable or remaining < 3 * MIN_ROUND_S else max(MIN_ROUND_S, remaining / 3)
        stop = MultipleCriteria([MaxRuntime(budget), NoImprovement(patience)])
        result = IteratedLocalSearch(data, pm, ls, current, params.ils).run(stop, collect_stats=False)
        found = result.best if result.best.is_feasible() or not current.is_feasible() else current
        if not best.is_feasible() or (found.is_feasible() and _objective(found) < _objective(best)):
            best = found
        converged = result.runtime < budget * 0.9  # stopped for lack of improvement, not for time
        if not polishable:
            break
        polished = _polished(data, found, distance, deadline)
        if polished is None:
            if converged:
                break
            current = found
            continue
        current = ls(polished, pm.cost_evaluator(), exhaustive=True)
        if current.is_feasible() and _objective(current) < _objective(best):
            best = current
    return best


def _run_pyvrp(problem: _Problem, stops: list[int], deadline: float) -> list[list[int]]:
    """PyVRP, with its start inside the time limit.

    When stops may have to be left out (windows, capacity, hours), the first part of the time goes
    to the model where every stop is required: PyVRP then works through infeasible plans (late,
    overloaded) towards one that serves everyone, which it finds far more often than the
    prize-collecting model does from a random start (a packed day: 30 of 30 instead of 29). The
    prize-collecting model then starts from that plan and drops only what does not fit.
    """
    scale = _scale(problem)
    deadline -= RESERVE_S
    all_required = problem.demands is None and all(problem.window(i) == (0.0, math.inf) for i in range(problem.size))
    polishable = all(problem.window(i) == (0.0, math.inf) for i in stops)
    patience = NO_IMPROVEMENT_BASE + NO_IMPROVEMENT_PER_STOP * len(stops)
    data, distance = _pyvrp_data(problem, stops, scale, all_required)
    if all_required:
        # Nothing limits a route: one nearest-neighbour tour, 2-opted, is a feasible start far better than random.
        tour = two_opt([0, *_nearest_neighbour_tour(distance), 0], distance, deadline)
        best = _search(data, Solution(data, [[k - 1 for k in tour[1:-1]]]), distance, deadline, polishable, patience)
        return [[stops[k] for k in visits] for visits in _client_routes(best)]
    start = Solution.make_random(data, RandomNumberGenerator(seed=SEED))
    room = problem.capacity * problem.vehicles if problem.demands is not None and problem.capacity is not None else None
    if room is None or sum(problem.demands[i] for i in stops) <= room:  # type: ignore[index]
        required, _ = _pyvrp_data(problem, stops, scale, True)
        share = deadline - (deadline - time.perf_counter()) * (1 - REQUIRED_SHARE)
        everyone = _search(
            required, Solution.make_random(required, RandomNumberGenerator(seed=SEED)), distance, share, polishable, patience
        )
        start = Solution(data, _client_routes(everyone))
    best = _search(data, start, distance, deadline, polishable, patience)
    return [[stops[k] for k in visits] for visits in _client_routes(best)]


def _solve_stops(problem: _Problem, stops: list[int], deadline: float) -> list[list[int]]:
    unconstrained = problem.demands is None and all(problem.window(i) == (0.0, math.inf) for i in range(problem.size))
    if unconstrained and len(stops) >= TSP_MIN_STOPS:
        nodes = [0, *stops]
        sub = problem.array[np.ix_(nodes, nodes)]
        if np.array_equal(sub, sub.T):
            return _run_tsp(problem, stops, deadline)
    return _run_pyvrp(problem, stops, deadline)


# --- the entry point ----------------------------------------------------------------------------


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
    """Routes from 0 through the stops and back to 0, at most `vehicles` of them, minimising travel.

    `durations[i][j]` is the travel time from i to j (may be asymmetric, floats allowed);
    `time_windows[i]` the (earliest, latest) start of service at i (index 0: the working day — leave
    by earliest, be back by latest), None for "any time"; `service_times[i]` the time spent at i;
    `demands[i]` what stop i uses of a route's `capacity` (a capacity without demands counts stops).
    Raises ValueError on malformed input. Returns within about `time_limit` seconds.
    """
    started = time.perf_counter()
    problem = _validate(durations, time_windows, service_times, vehicles, demands, capacity, time_limit)
    n = problem.size
    if n <= 1:
        return RoutingResult(routes=[], cost=0.0, unserved=[])
    if problem.vehicles == 0:
        return RoutingResult(routes=[], cost=0.0, unserved=list(range(1, n)))
    unserved = [i for i in range(1, n) if not _reachable(problem, i)]
    skipped = set(unserved)
    stops = [i for i in range(1, n) if i not in skipped]
    if not stops:
        raw: list[list[int]] = []
    elif len(stops) == 1:
        raw = [stops]
    else:
        raw = _solve_stops(problem, stops, started + time_limit)
    routes = []
    for visits in raw:
        visits = _repair(problem, visits, unserved)
        if visits:
            routes.append([0, *visits, 0])
    served = {stop for route in routes for stop in route[1:-1]}
    unserved = sorted(set(unserved) | (set(stops) - served))
    return RoutingResult(routes=routes, cost=route_cost(problem.durations, routes), unserved=unserved)
