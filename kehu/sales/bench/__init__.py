"""The sales benchmark's data generator (`kehu bench_sales seed`); see docs/benchmarks.md."""

from kehu.sales.bench.load import SalesSeedError, SalesSeedResult, sales_seed

__all__ = ["SalesSeedError", "SalesSeedResult", "sales_seed"]
