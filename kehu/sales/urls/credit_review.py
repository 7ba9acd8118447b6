"""URLs of this area; included by kehu.sales.urls."""

urlpatterns: list = []
