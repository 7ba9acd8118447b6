"""The map: all visible customers, a rep's day route, sales by district."""

from django.urls import path

from kehu.field.views import map as views

urlpatterns = [
    path("map/", views.map_page, name="map"),
    path("map/unplaced/", views.map_unplaced, name="map-unplaced"),
]
