from kehu.sales.models.credit import (
    UNRATED,
    CreditHold,
    CreditPolicy,
    CreditSuggestion,
    HoldStatus,
    LifecycleRule,
    SuggestionStatus,
)
from kehu.sales.models.orders import BOOKED, Order, OrderLine, OrderSource, OrderStatus, Settlement
from kehu.sales.models.plans import PlanLine, PlanStatus, PlanSupport, SalesPlan, SupportKind
from kehu.sales.models.products import ZERO, Product, ProductPrice
from kehu.sales.models.receivables import (
    Allocation,
    Collection,
    CollectionStatus,
    Payment,
    PaymentKind,
    PaymentMethod,
)
from kehu.sales.models.summaries import CustomerMonth, SalesMonth

__all__ = [
    "BOOKED",
    "UNRATED",
    "ZERO",
    "Allocation",
    "Collection",
    "CollectionStatus",
    "CreditHold",
    "CreditPolicy",
    "CreditSuggestion",
    "CustomerMonth",
    "HoldStatus",
    "LifecycleRule",
    "Order",
    "OrderLine",
    "OrderSource",
    "OrderStatus",
    "Payment",
    "PaymentKind",
    "PaymentMethod",
    "PlanLine",
    "PlanStatus",
    "PlanSupport",
    "Product",
    "ProductPrice",
    "SalesMonth",
    "SalesPlan",
    "Settlement",
    "SuggestionStatus",
    "SupportKind",
]
