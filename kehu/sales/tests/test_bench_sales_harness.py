"""bench/bench_sales.py on a small seeded database: it finds its subjects and every measure runs."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

from kehu.customers.demo.bulk_write import bench_seed
from kehu.sales.bench import sales_seed
from kehu.sales.models import Order

pytestmark = pytest.mark.django_db

BENCH = Path(__file__).resolve().parents[3] / "bench"


@pytest.fixture(scope="module")
def bench_sales():
    sys.path.insert(0, str(BENCH))
    try:
        spec = importlib.util.spec_from_file_location("bench_sales", BENCH / "bench_sales.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules["bench_sales"] = module  # dataclasses look their module up
        spec.loader.exec_module(module)
        yield module
    finally:
        sys.modules.pop("bench_sales", None)
        sys.path.remove(str(BENCH))


@pytest.fixture
def subjects(bench_sales):
    bench_seed(customers=80, seed=3, history=False)
    sales_seed(lines=3000, seed=4)
    return bench_sales.subjects()


def test_the_subjects_are_a_heavy_card_a_region_and_a_customer_who_owes(bench_sales, subjects):
    s = subjects
    assert s.heavy_rep.role == "rep" and s.heavy.owner_id == s.heavy_rep.pk
    assert s.region.parent is not None and s.region.parent.parent is None and s.region.pk in s.region_units
    assert Order.objects.filter(customer=s.credit_customer).open().exists()
    assert s.credit_customer.owner_id == s.credit_rep.pk


def test_every_available_measure_and_its_raw_sql_runs(bench_sales, subjects):
    plan, missing = bench_sales.build(subjects, None)
    assert {m.name for m in plan} >= {"plan_month", "plan_ytd", "confirm"}
    failed = bench_sales.time_all(plan, warmup=0, repeat=2)
    assert failed == {}
    for measure in plan:
        result = measure.result()
        assert len(measure.wall_ms) == 2 and result["queries"] > 0
        assert all(len(samples) == 2 for samples in measure.raw_ms.values())
    assert set(missing) <= {"card_sales", "ageing"}  # selectors still being written are reported, not fatal


def test_confirming_in_the_benchmark_leaves_no_order_behind(bench_sales, subjects):
    before = Order.objects.count()
    measures = {m.name: m for m in bench_sales.confirm_measures(subjects)}
    for measure in measures.values():
        measure.run(0)
        measure.run(1)
    assert Order.objects.count() == before
    assert measures["confirm"].outcomes == {"held": 2} or measures["confirm"].outcomes == {"confirmed": 2}
    if subjects.passing_customer is not None:
        assert measures["confirm_booked"].outcomes == {"confirmed": 2}
