"""The rep's day under /field/: today's route and cards, check-in/out, the report, the pack, unreturned visits."""

from django.urls import path

from kehu.field.views import day, visits

urlpatterns = [
    path("today/", day.today, name="today"),
    path("today/add/", day.add_visit, name="day-add"),
    path("today/pack.pdf", day.visit_pack, name="day-pack"),
    path("today/visit/<int:pk>/", visits.day_visit, name="day-visit"),
    path("today/visit/<int:pk>/check-in/", visits.check_in, name="day-check-in"),
    path("today/visit/<int:pk>/check-out/", visits.check_out, name="day-check-out"),
    path("today/visit/<int:pk>/set-position/", visits.set_position, name="day-set-position"),
    path("today/visit/<int:pk>/report/", visits.report, name="day-report"),
    path("unreturned/", day.unreturned, name="unreturned"),
]
