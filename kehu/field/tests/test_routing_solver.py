"""`solve()`: optimal on instances whose optimum is known, feasible always, within its time limit."""

from __future__ import annotations

import itertools
import math
import random
import time

import pytest

from kehu.field.routing import RoutingResult, solve
from kehu.field.routing.solver import _repair, _validate, route_cost


def euclidean(points: list[tuple[float, float]]) -> list[list[float]]:
    return [[math.dist(a, b) for b in points] for a in points]


def brute_force_tour(durations: list[list[float]]) -> float:
    stops = range(1, len(durations))
    return min(route_cost(durations, [[0, *order, 0]]) for order in itertools.permutations(stops))


def check_schedule(result: RoutingResult, durations, windows, service) -> None:
    """Every returned route keeps every window (start of service) and the depot's hours."""
    depot_early, depot_late = windows[0]
    for route in result.routes:
        t = depot_early
        for a, b in itertools.pairwise(route[:-1]):
            early, late = windows[b] or (0, math.inf)
            t = max(t + durations[a][b], early)
            assert t <= late + 1e-9, (route, b, t, late)
            t += service[b]
        assert t + durations[route[-2]][0] <= depot_late + 1e-9


def served(result: RoutingResult) -> list[int]:
    return sorted(stop for route in result.routes for stop in route[1:-1])


# --- shapes of the answer -----------------------------------------------------------------------


def test_no_stops_at_all():
    assert solve([]) == RoutingResult(routes=[], cost=0.0, unserved=[])
    assert solve([[0]]) == RoutingResult(routes=[], cost=0.0, unserved=[])


def test_one_stop_goes_there_and_back_on_an_asymmetric_matrix():
    assert solve([[0, 5], [3, 0]]) == RoutingResult(routes=[[0, 1, 0]], cost=8.0, unserved=[])


def test_identical_coordinates_give_one_route_of_cost_zero():
    result = solve([[0] * 6 for _ in range(6)])
    assert len(result.routes) == 1
    assert result.routes[0][0] == result.routes[0][-1] == 0
    assert served(result) == [1, 2, 3, 4, 5]
    assert result.cost == 0.0
    assert result.unserved == []


def test_diagonal_is_ignored():
    result = solve([[7, 1], [1, 9]])
    assert result.cost == 2.0


# --- optimality on known instances --------------------------------------------------------------


def test_corners_of_a_square_are_visited_around_the_edge():
    durations = euclidean([(0, 0), (0, 1), (1, 1), (1, 0)])
    result = solve(durations)
    assert result.routes in ([[0, 1, 2, 3, 0]], [[0, 3, 2, 1, 0]])
    assert result.cost == pytest.approx(4.0)


def test_points_on_a_line_are_swept_out_and_back():
    durations = euclidean([(0, 0), (3, 0), (1, 0), (5, 0), (2, 0), (4, 0)])
    result = solve(durations)
    assert result.cost == pytest.approx(10.0)
    assert result.unserved == []


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_eight_stops_match_brute_force(seed):
    rng = random.Random(seed)
    points = [(rng.uniform(0, 100), rng.uniform(0, 100)) for _ in range(9)]
    durations = euclidean(points)
    result = solve(durations)
    assert len(result.routes) == 1
    assert result.cost == pytest.approx(brute_force_tour(durations))


def test_asymmetric_matrix_matches_brute_force():
    rng = random.Random(7)
    durations = [[0 if i == j else rng.randint(1, 100) for j in range(8)] for i in range(8)]
    result = solve(durations)
    assert result.cost == brute_force_tour(durations)


def test_one_way_ring_is_followed_in_its_direction():
    n = 7  # going i → i+1 costs 1, anything else 50
    durations = [[0 if i == j else (1 if j == (i + 1) % n else 50) for j in range(n)] for i in range(n)]
    result = solve(durations)
    assert result.routes == [[0, 1, 2, 3, 4, 5, 6, 0]]
    assert result.cost == 7.0


def test_cost_is_the_sum_over_the_callers_matrix_for_float_distances():
    rng = random.Random(11)
    points = [(rng.uniform(0, 50), rng.uniform(0, 50)) for _ in range(25)]
    durations = euclidean(points)
    result = solve(durations, vehicles=3, capacity=10, time_limit=0.5)
    assert result.cost == pytest.approx(route_cost(durations, result.routes), abs=1e-9)
    assert sum(durations[a][b] for r in result.routes for a, b in itertools.pairwise(r)) == pytest.approx(result.cost)


def test_same_input_same_answer():
    rng = random.Random(5)
    points = [(rng.uniform(0, 100), rng.uniform(0, 100)) for _ in range(12)]
    durations = euclidean(points)
    assert solve(durations) == solve(durations)


# --- time windows ---------------------------------------------------------------------------------


def test_window_that_cannot_be_reached_leaves_that_stop_unserved_and_serves_the_others():
    durations = [[0, 10, 10, 10], [10, 0, 5, 5], [10, 5, 0, 5], [10, 5, 5, 0]]
    windows = [(0, 100), (0, 5), None, (20, 40)]  # stop 1: 10 away, must be reached by 5
    result = solve(durations, time_windows=windows)
    assert result.unserved == [1]
    assert served(result) == [2, 3]
    check_schedule(result, durations, windows, [0] * 4)


def test_windows_order_the_route_even_against_distance():
    # On a line 0 — 1 — 2; stop 2 must be served first (by 25), stop 1 only from 40 on.
    durations = [[0, 10, 20], [10, 0, 10], [20, 10, 0]]
    windows = [(0, 200), (40, 100), (0, 25)]
    result = solve(durations, time_windows=windows)
    assert result.routes == [[0, 2, 1, 0]]
    assert result.cost == 40.0
    check_schedule(result, durations, windows, [0] * 3)


def test_a_short_day_serves_what_fits_and_comes_back_in_time():
    # Five stops 60 min from base and 10 min from each other, 2 hours at each; an 8-hour day.
    n = 6
    durations = [[0 if i == j else (60 if 0 in (i, j) else 10) for j in range(n)] for i in range(n)]
    windows = [(0, 480)] + [None] * (n - 1)
    service = [0] + [120] * (n - 1)
    result = solve(durations, time_windows=windows, service_times=service)
    assert len(served(result)) == 2  # 60 + 120 + 10 + 120 + 60 = 370; a third would need 500
    assert len(result.unserved) == 3
    check_schedule(result, durations, windows, service)


def test_two_stops_wanting_the_same_moment_cannot_both_be_served_by_one_rep():
    durations = [[0, 10, 10], [10, 0, 10], [10, 10, 0]]
    windows = [(0, 100), (10, 10), (10, 10)]
    result = solve(durations, time_windows=windows, service_times=[0, 5, 5])
    assert len(served(result)) == 1
    assert len(result.unserved) == 1
    assert solve(durations, time_windows=windows, service_times=[0, 5, 5], vehicles=2).unserved == []


def test_rep_day_of_thirty_stops_keeps_every_window():
    rng = random.Random(3)
    points = [(rng.uniform(0, 20_000), rng.uniform(0, 20_000)) for _ in range(31)]
    durations = [[round(math.dist(a, b) * 1.3 / 8.33) for b in points] for a in points]  # seconds at 30 km/h
    windows = [(8 * 3600, 18 * 3600)] + [
        (9 * 3600, 12 * 3600) if i % 3 == 0 else (13 * 3600, 17 * 3600) if i % 3 == 1 else None for i in range(1, 31)
    ]
    service = [0] + [20 * 60] * 30
    result = solve(durations, time_windows=windows, service_times=service, time_limit=1.0)
    check_schedule(result, durations, windows, service)
    assert sorted(served(result) + result.unserved) == list(range(1, 31))
    assert len(served(result)) >= 15


def test_repair_drops_the_first_late_stop_then_rechecks():
    durations = [[0, 10, 10, 10], [10, 0, 10, 10], [10, 10, 0, 10], [10, 10, 10, 0]]
    problem = _validate(durations, [(0, 100), (0, 50), (0, 15), (0, 50)], None, 1, None, None, 1.0)
    unserved: list[int] = []
    assert _repair(problem, [1, 2, 3], unserved) == [1, 3]  # 2 would be reached at 20, after 15
    assert unserved == [2]
    late_home = _validate(durations, [(0, 25), None, None, None], None, 1, None, None, 1.0)
    unserved = []
    assert _repair(late_home, [1, 2], unserved) == [1]  # back at 30 > 25: the last stop goes
    assert unserved == [2]


# --- capacity and vehicles ----------------------------------------------------------------------


def test_capacity_without_demands_counts_visits_and_splits_into_routes():
    durations = euclidean([(0, 0), (1, 0), (2, 0), (0, 1), (0, 2), (-1, 0), (-2, 0)])
    result = solve(durations, vehicles=3, capacity=2)
    assert result.unserved == []
    assert len(result.routes) == 3
    assert all(len(route) == 4 for route in result.routes)
    assert result.cost == pytest.approx(12.0)  # three out-and-back arms of length 2


def test_demands_respect_capacity():
    rng = random.Random(9)
    points = [(rng.uniform(0, 100), rng.uniform(0, 100)) for _ in range(16)]
    demands = [0] + [rng.randint(1, 5) for _ in range(15)]
    result = solve(euclidean(points), vehicles=4, demands=demands, capacity=12, time_limit=0.5)
    assert all(sum(demands[s] for s in route[1:-1]) <= 12 for route in result.routes)
    assert len(result.routes) <= 4
    assert sorted(served(result) + result.unserved) == list(range(1, 16))


def test_more_stops_than_one_route_holds_leaves_the_rest_unserved():
    durations = euclidean([(0, 0), (1, 0), (2, 0), (3, 0), (4, 0), (5, 0)])
    result = solve(durations, capacity=2)
    assert len(served(result)) == 2
    assert len(result.unserved) == 3
    assert served(result) == [1, 2]  # the two nearest: cheapest way to serve two


def test_a_stop_heavier_than_a_route_is_unserved():
    result = solve([[0, 1, 1], [1, 0, 1], [1, 1, 0]], demands=[0, 3, 1], capacity=2)
    assert result.unserved == [1]
    assert result.routes == [[0, 2, 0]]


def test_no_vehicle_serves_nobody():
    result = solve([[0, 1, 1], [1, 0, 1], [1, 1, 0]], vehicles=0)
    assert result == RoutingResult(routes=[], cost=0.0, unserved=[1, 2])


# --- time limit ---------------------------------------------------------------------------------


def test_time_limit_is_honoured_on_150_stops():
    rng = random.Random(1)
    points = [(rng.uniform(0, 1000), rng.uniform(0, 1000)) for _ in range(151)]
    durations = euclidean(points)
    started = time.perf_counter()
    result = solve(durations, time_limit=0.3)
    elapsed = time.perf_counter() - started
    assert elapsed < 0.3 + 0.25
    assert result.unserved == []
    assert served(result) == list(range(1, 151))


def test_small_instances_stop_before_the_limit():
    durations = euclidean([(0, 0), (0, 1), (1, 1), (1, 0), (2, 2), (3, 1)])
    started = time.perf_counter()
    solve(durations, time_limit=10)
    assert time.perf_counter() - started < 2


# --- validation ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"durations": [[0, 1], [1]]}, "square"),
        ({"durations": [[0, 1, 2], [1, 0, 2]]}, "square"),
        ({"durations": [[0, -1], [1, 0]]}, r"durations\[0\]\[1\]"),
        ({"durations": [[0, float("nan")], [1, 0]]}, r"durations\[0\]\[1\]"),
        ({"durations": [[0, float("inf")], [1, 0]]}, r"durations\[0\]\[1\]"),
        ({"durations": [[0, "x"], [1, 0]]}, "numbers"),
        ({"time_windows": [(0, 10)]}, "time_windows has 1 values, expected 2"),
        ({"time_windows": [(0, 10), (5, 4)]}, "before earliest"),
        ({"time_windows": [(0, 10), (-1, 4)]}, "earliest"),
        ({"service_times": [0, 1, 2]}, "service_times has 3 values"),
        ({"service_times": [0, -1]}, r"service_times\[1\]"),
        ({"demands": [0], "capacity": 3}, "demands has 1 values"),
        ({"demands": [0, -2], "capacity": 3}, r"demands\[1\]"),
        ({"demands": [0, 1.5], "capacity": 3}, r"demands\[1\]"),
        ({"capacity": -1}, "capacity"),
        ({"vehicles": -1}, "vehicles"),
        ({"vehicles": 1.5}, "vehicles"),
        ({"time_limit": 0}, "time_limit"),
        ({"time_limit": float("nan")}, "time_limit"),
    ],
)
def test_malformed_input_is_a_value_error(kwargs, message):
    durations = kwargs.pop("durations", [[0, 1], [1, 0]])
    with pytest.raises(ValueError, match=message):
        solve(durations, **kwargs)


def test_time_limit_is_honoured_with_windows_and_capacity():
    rng = random.Random(2)
    points = [(rng.uniform(0, 100), rng.uniform(0, 100)) for _ in range(121)]
    durations = euclidean(points)
    windows = [(0, 1000)] + [(s, s + 60) for s in (rng.uniform(0, 800) for _ in range(120))]
    started = time.perf_counter()
    result = solve(
        durations,
        time_windows=windows,
        service_times=[0] + [10] * 120,
        vehicles=10,
        demands=[0] + [1] * 120,
        capacity=15,
        time_limit=0.5,
    )
    assert time.perf_counter() - started < 0.5 + 0.35
    check_schedule(result, durations, windows, [0] + [10] * 120)
    assert all(len(route) - 2 <= 15 for route in result.routes)
    assert sorted(served(result) + result.unserved) == list(range(1, 121))
