"""Demo data: a fictional beverage company (清泉饮品) with its org tree, logins and customer cards.

`kehu demo` is a thin wrapper around `demo_build`; the data tables live in `places` and `names`.
"""

from kehu.customers.demo.builder import (
    DEFAULT_CUSTOMERS,
    DEFAULT_SEED,
    DemoError,
    demo_build,
    demo_conflicts,
    demo_counts,
)
from kehu.customers.demo.org import DEMO_PASSWORD, demo_logins, demo_present

__all__ = [
    "DEFAULT_CUSTOMERS",
    "DEFAULT_SEED",
    "DEMO_PASSWORD",
    "DemoError",
    "demo_build",
    "demo_conflicts",
    "demo_counts",
    "demo_logins",
    "demo_present",
]
