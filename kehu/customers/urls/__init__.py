"""Customer pages, one module per topic; all under the `customers` namespace."""

from kehu.customers.urls import cards, duplicates, fields, groups, imports, lending, merge

app_name = "customers"
urlpatterns = [*cards.urlpatterns, *groups.urlpatterns, *lending.urlpatterns, *fields.urlpatterns, *duplicates.urlpatterns,
               *merge.urlpatterns, *imports.urlpatterns]
