"""Travel matrices: haversine × road factor at the configured speed, the OSRM table, and the fallback."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from django.test import override_settings

from kehu.field.routing.matrix import haversine_m, haversine_matrix, travel_matrix
from kehu.field.testing import BEIJING

BEIJING_CENTRE = (39.9042, 116.4074)
SHANGHAI_CENTRE = (31.2304, 121.4737)
POINTS = [BEIJING["tiananmen"], BEIJING["haidian"], BEIJING["chaoyang"]]


def test_haversine_beijing_to_shanghai_is_about_1067_km():
    assert haversine_m(BEIJING_CENTRE, SHANGHAI_CENTRE) == pytest.approx(1_067_000, rel=0.01)


def test_haversine_of_a_point_to_itself_is_zero_and_symmetric_otherwise():
    a, b = BEIJING["tiananmen"], BEIJING["haidian"]
    assert haversine_m(a, a) == 0
    assert haversine_m(a, b) == haversine_m(b, a)


@override_settings(KEHU_ROAD_FACTOR=1.5, KEHU_TRAVEL_SPEED_KMH=36, ROUTING_OSRM_URL="")
def test_default_matrix_is_straight_line_times_road_factor_at_the_configured_speed():
    matrix = travel_matrix(POINTS)
    straight = haversine_m(POINTS[0], POINTS[1])
    assert matrix.source == "haversine"
    assert matrix.metres[0][1] == round(straight * 1.5)
    assert matrix.seconds[0][1] == round(round(straight * 1.5) / 10)  # 36 km/h = 10 m/s
    assert [matrix.seconds[i][i] for i in range(3)] == [0, 0, 0]
    assert matrix.seconds[1][2] == matrix.seconds[2][1]


@override_settings(KEHU_ROAD_FACTOR=1.0, KEHU_TRAVEL_SPEED_KMH=60)
def test_road_factor_and_speed_change_the_numbers():
    matrix = haversine_matrix(POINTS)
    straight = haversine_m(POINTS[0], POINTS[2])
    assert matrix.metres[0][2] == round(straight)
    assert matrix.seconds[0][2] == round(round(straight) / (60 / 3.6))


def test_no_points_and_one_point():
    assert travel_matrix([]).seconds == []
    assert travel_matrix([BEIJING["tiananmen"]]).seconds == [[0]]


# --- OSRM, with a real HTTP server on the loopback ------------------------------------------------


class FakeOsrm:
    """Answers /table/v1/driving/<lng,lat;...> with `body` and records the paths it was asked."""

    def __init__(self) -> None:
        self.paths: list[str] = []
        self.body: object = {}
        self.status = 200

    def answer(self, body: object, status: int = 200) -> None:
        self.body, self.status = body, status


@pytest.fixture
def osrm() -> Iterator[tuple[FakeOsrm, str]]:
    fake = FakeOsrm()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (http.server's name)
            fake.paths.append(self.path)
            payload = json.dumps(fake.body).encode()
            self.send_response(fake.status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *args: object) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield fake, f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def test_osrm_table_is_used_when_configured_and_asked_in_lng_lat_order(osrm):
    fake, url = osrm
    fake.answer(
        {
            "code": "Ok",
            "durations": [[0, 600.4, 900], [650, 0, 1200.6], [880, 1190, 0]],
            "distances": [[0, 5000, 7000], [5100, 0, 9000], [6900, 9100, 0]],
        }
    )
    with override_settings(ROUTING_OSRM_URL=url):
        matrix = travel_matrix(POINTS)
    assert matrix.source == "osrm"
    assert matrix.seconds == [[0, 600, 900], [650, 0, 1201], [880, 1190, 0]]
    assert matrix.metres == [[0, 5000, 7000], [5100, 0, 9000], [6900, 9100, 0]]
    assert len(fake.paths) == 1
    path, _, query = fake.paths[0].partition("?")
    assert path == "/table/v1/driving/116.397499,39.908722;116.298056,39.959912;116.443108,39.921489"
    assert query == "annotations=duration,distance"


@override_settings(KEHU_ROAD_FACTOR=1.3, KEHU_TRAVEL_SPEED_KMH=30)
def test_osrm_nulls_are_filled_with_straight_line_estimates(osrm):
    fake, url = osrm
    fake.answer(
        {
            "code": "Ok",
            "durations": [[0, None, 900], [650, 0, 1200], [880, 1190, 0]],
            "distances": [[0, 5000, None], [5100, 0, 9000], [6900, 9100, 0]],
        }
    )
    with override_settings(ROUTING_OSRM_URL=url):
        matrix = travel_matrix(POINTS)
    estimate = haversine_matrix(POINTS)
    assert matrix.source == "osrm"
    assert matrix.seconds[0][1] == estimate.seconds[0][1]
    assert matrix.metres[0][2] == estimate.metres[0][2]
    assert matrix.seconds[0][2] == 900


def test_osrm_without_distances_uses_estimated_metres(osrm):
    fake, url = osrm
    fake.answer({"code": "Ok", "durations": [[0, 60, 90], [65, 0, 120], [88, 119, 0]]})
    with override_settings(ROUTING_OSRM_URL=url):
        matrix = travel_matrix(POINTS)
    assert matrix.source == "osrm"
    assert matrix.seconds[1][0] == 65
    assert matrix.metres == haversine_matrix(POINTS).metres


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"code": "InvalidQuery", "message": "Query string malformed"}, 400),
        ({"code": "NoTable"}, 200),
        ({"code": "Ok", "durations": [[0, 1], [1, 0]]}, 200),  # 2×2 for 3 points
        ({"code": "Ok"}, 200),
        ([1, 2, 3], 200),
    ],
)
def test_osrm_answering_nonsense_falls_back_to_haversine(osrm, body, status):
    fake, url = osrm
    fake.answer(body, status)
    with override_settings(ROUTING_OSRM_URL=url):
        matrix = travel_matrix(POINTS)
    assert matrix.source == "haversine-fallback"
    assert matrix.seconds == haversine_matrix(POINTS).seconds


def test_osrm_down_falls_back_to_haversine():
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{probe.getsockname()[1]}"
    with override_settings(ROUTING_OSRM_URL=dead):
        matrix = travel_matrix(POINTS)
    assert matrix.source == "haversine-fallback"
    assert matrix.metres == haversine_matrix(POINTS).metres
