"""URLs of the product catalogue; included by kehu.sales.urls (namespace `sales`, under /sales/)."""

from django.urls import path

from kehu.sales.views import products as views

urlpatterns = [
    path("products/", views.product_list, name="products"),
    path("products/new/", views.product_new, name="product-create"),
    path("products/autocomplete/", views.product_autocomplete, name="product-autocomplete"),
    path("products/import/", views.product_import, name="product-import"),
    path("products/import/template/", views.product_import_template, name="product-import-template"),
    path("products/<int:pk>/", views.product_detail, name="product-detail"),
    path("products/<int:pk>/edit/", views.product_edit, name="product-edit"),
    path("products/<int:pk>/prices/", views.product_prices_save, name="product-prices"),
    path("products/<int:pk>/active/", views.product_active, name="product-active"),
]
