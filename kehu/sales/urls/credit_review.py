"""URLs of the credit review; included by kehu.sales.urls."""

from django.urls import path

from kehu.sales.views import credit_review

urlpatterns = [
    path("credit/review/", credit_review.review_list, name="credit-review"),
    path("credit/review/<int:pk>/accept/", credit_review.suggestion_accept, name="credit-review-accept"),
    path("credit/review/<int:pk>/dismiss/", credit_review.suggestion_dismiss, name="credit-review-dismiss"),
]
