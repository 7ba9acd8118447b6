"""URLs of the receivables area; included by kehu.sales.urls (namespace `sales`, under /sales/)."""

from django.urls import path

from kehu.sales.views import receivables as views

urlpatterns = [
    path("receivables/", views.receivables_overview, name="receivables"),
    path("receivables/overdue/", views.overdue_list, name="overdue"),
    path("receivables/collections/", views.collections_week, name="collections"),
    path("receivables/collections/new/", views.collection_new, name="collection-new"),
    path("receivables/collections/<int:pk>/edit/", views.collection_edit, name="collection-edit"),
    path("receivables/collections/<int:pk>/cancel/", views.collection_cancel, name="collection-cancel"),
    path("receivables/balance/", views.balance, name="balance"),
    path("payments/", views.payment_list, name="payments"),
    path("payments/new/", views.payment_new, name="payment-new"),
    path("payments/credit-note/", views.credit_note_new, name="credit-note-new"),
    path("payments/refund/", views.refund_new, name="refund-new"),
    path("payments/<int:pk>/", views.payment_detail, name="payment-detail"),
    path("payments/<int:pk>/allocate/", views.allocation_add, name="allocation-new"),
    path("payments/<int:pk>/void/", views.payment_void, name="payment-void"),
    path("allocations/<int:pk>/delete/", views.allocation_remove, name="allocation-delete"),
]
