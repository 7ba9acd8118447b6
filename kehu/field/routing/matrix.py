"""Travel times and distances between points, for the solver.

By default the straight-line (haversine) distance × a road factor, at an average speed; when
`ROUTING_OSRM_URL` is set, the OSRM table service gives road times and distances. An OSRM that
does not answer falls back to the straight-line estimate and says so in `source`.
"""

from __future__ import annotations

import json
import logging
import math
import urllib.error
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass

from django.conf import settings

log = logging.getLogger(__name__)

Point = tuple[float, float]  # (latitude, longitude), WGS-84
EARTH_RADIUS_M = 6_371_008.8
OSRM_TIMEOUT_S = 10


@dataclass(frozen=True)
class TravelMatrix:
    seconds: list[list[int]]
    metres: list[list[int]]
    source: str  # "haversine", "osrm" or "haversine-fallback"


def haversine_m(a: Point, b: Point) -> float:
    """Great-circle distance in metres."""
    lat1, lng1, lat2, lng2 = map(math.radians, (a[0], a[1], b[0], b[1]))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lng2 - lng1) / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))


def haversine_matrix(points: Sequence[Point], source: str = "haversine") -> TravelMatrix:
    factor = settings.KEHU_ROAD_FACTOR
    metres_per_second = settings.KEHU_TRAVEL_SPEED_KMH * 1000 / 3600
    metres = [[round(haversine_m(a, b) * factor) for b in points] for a in points]
    seconds = [[round(m / metres_per_second) for m in row] for row in metres]
    return TravelMatrix(seconds=seconds, metres=metres, source=source)


def _is_square(table: object, n: int) -> bool:
    return isinstance(table, list) and len(table) == n and all(isinstance(row, list) and len(row) == n for row in table)


def osrm_matrix(points: Sequence[Point], base_url: str) -> TravelMatrix:
    coords = ";".join(f"{lng:.6f},{lat:.6f}" for lat, lng in points)
    url = f"{base_url.rstrip('/')}/table/v1/driving/{coords}?annotations=duration,distance"
    with urllib.request.urlopen(url, timeout=OSRM_TIMEOUT_S) as response:  # noqa: S310 (configured URL)
        body = json.load(response)
    if body.get("code") != "Ok":
        raise ValueError(f"OSRM answered {body.get('code')}: {body.get('message', '')}")
    n = len(points)
    durations = body["durations"]
    distances = body.get("distances") or [[None] * n for _ in range(n)]
    if not _is_square(durations, n) or not _is_square(distances, n):
        raise ValueError(f"OSRM answered a table that is not {n}×{n}")
    fallback = haversine_matrix(points)
    # OSRM gives null for pairs it cannot route (an island, a point off the road network).
    seconds = [
        [round(d) if d is not None else fallback.seconds[i][j] for j, d in enumerate(row)] for i, row in enumerate(durations)
    ]
    metres = [
        [round(d) if d is not None else fallback.metres[i][j] for j, d in enumerate(row)] for i, row in enumerate(distances)
    ]
    return TravelMatrix(seconds=seconds, metres=metres, source="osrm")


def travel_matrix(points: Sequence[Point]) -> TravelMatrix:
    """Travel between every pair of `points`: OSRM when configured, otherwise haversine × road factor."""
    base_url = settings.ROUTING_OSRM_URL
    if not base_url or len(points) < 2:
        return haversine_matrix(points)
    try:
        return osrm_matrix(points, base_url)
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:  # URLError is an OSError
        log.warning("OSRM table request failed (%s); using straight-line estimates", exc)
        return haversine_matrix(points, source="haversine-fallback")
