"""The travelling-salesman moves behind `solve()`: 2-opt (any matrix) and the or-opt ILS (symmetric)."""

from __future__ import annotations

import itertools
import math
import random
import time

import numpy as np

from kehu.field.routing.polish import or_opt_ils, tour_length, two_opt


def circle(n: int) -> np.ndarray:
    points = [(1000 * math.cos(2 * math.pi * k / n), 1000 * math.sin(2 * math.pi * k / n)) for k in range(n)]
    return np.array([[round(math.dist(a, b)) for b in points] for a in points], dtype=np.int64)


def shuffled_tour(n: int, seed: int) -> list[int]:
    middle = list(range(1, n))
    random.Random(seed).shuffle(middle)
    return [0, *middle, 0]


def test_two_opt_untangles_points_on_a_circle():
    d = circle(40)
    tour = two_opt(shuffled_tour(40, 1), d)
    assert tour[0] == tour[-1] == 0
    assert sorted(tour[:-1]) == list(range(40))
    assert tour_length(tour, d) == tour_length([*range(40), 0], d)


def test_two_opt_counts_reversed_stretches_in_their_new_direction():
    rng = random.Random(4)
    n = 7
    d = np.array([[0 if i == j else rng.randint(1, 50) for j in range(n)] for i in range(n)], dtype=np.int64)
    start = [0, 1, 2, 3, 4, 5, 6, 0]
    better = two_opt(start, d)
    assert tour_length(better, d) <= tour_length(start, d)
    # Whatever it claims is what the tour costs in the asymmetric matrix (no mirrored accounting).
    assert tour_length(better, d) == sum(int(d[a][b]) for a, b in itertools.pairwise(better))


def test_or_opt_ils_finds_the_circle_and_keeps_the_start():
    d = circle(60)
    tour = or_opt_ils(shuffled_tour(60, 2), d, time.perf_counter() + 1.0)
    assert tour[0] == tour[-1] == 0
    assert sorted(tour[:-1]) == list(range(60))
    assert tour_length(tour, d) == tour_length([*range(60), 0], d)


def test_or_opt_ils_matches_brute_force_on_nine_points():
    rng = random.Random(8)
    points = [(rng.uniform(0, 100), rng.uniform(0, 100)) for _ in range(9)]
    d = np.array([[round(math.dist(a, b)) for b in points] for a in points], dtype=np.int64)
    best = min(tour_length([0, *p, 0], d) for p in itertools.permutations(range(1, 9)))
    tour = or_opt_ils([*range(9), 0], d, time.perf_counter() + 1.0)
    assert tour_length(tour, d) == best


def test_or_opt_ils_stops_at_its_deadline():
    rng = random.Random(3)
    points = [(rng.uniform(0, 1000), rng.uniform(0, 1000)) for _ in range(300)]
    d = np.array([[round(math.dist(a, b)) for b in points] for a in points], dtype=np.int64)
    started = time.perf_counter()
    or_opt_ils([*range(300), 0], d, started + 0.3)
    assert time.perf_counter() - started < 0.3 + 0.2
