"""URLs of the route and territory review; included by kehu.field.urls."""

from django.urls import path

from kehu.field.views import review

urlpatterns = [
    path("review/", review.review_page, name="review"),
    path("review/rep/<int:pk>/", review.rep_days, name="review-rep"),
    path("review/export.csv", review.review_csv, name="review-csv"),
    path("review/suggest/", review.suggest, name="review-suggest"),
    path("review/suggestions/<int:pk>/accept/", review.suggestion_accept, name="review-accept"),
    path("review/suggestions/<int:pk>/reject/", review.suggestion_reject, name="review-reject"),
]
