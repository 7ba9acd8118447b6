"""URLs of this area; included by kehu.sales.urls."""

from django.urls import path

from kehu.sales.views import order_imports, orders

urlpatterns = [
    path("orders/", orders.order_list_view, name="orders"),
    path("orders/new/", orders.order_new, name="order-new"),
    path("orders/confirm/", orders.order_confirm_bulk_view, name="orders-confirm-bulk"),
    path("orders/import/", order_imports.order_import_view, name="order-import"),
    path("orders/import/template/", order_imports.order_import_template, name="order-import-template"),
    path("orders/<int:pk>/", orders.order_detail, name="order-detail"),
    path("orders/<int:pk>/edit/", orders.order_edit, name="order-edit"),
    path("orders/<int:pk>/confirm/", orders.order_confirm_view, name="order-confirm"),
    path("orders/<int:pk>/deliver/", orders.order_deliver_view, name="order-deliver"),
    path("orders/<int:pk>/cancel/", orders.order_cancel_view, name="order-cancel"),
    path("orders/<int:pk>/copy/", orders.order_copy_view, name="order-copy"),
    path("customers/<int:pk>/orders/", orders.card_orders_view, name="card-orders"),
]
