"""The sales pages under /sales/: one module per area."""

from kehu.sales.urls import credit, credit_review, orders, plans, products, receivables

app_name = "sales"
urlpatterns = [
    *products.urlpatterns,
    *orders.urlpatterns,
    *receivables.urlpatterns,
    *plans.urlpatterns,
    *credit.urlpatterns,
    *credit_review.urlpatterns,
]
