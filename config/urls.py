from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

urlpatterns = [
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("api/v1/", include("config.api")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
    path("customers/", include("kehu.customers.urls")),
    path("sales/", include("kehu.sales.urls")),
    path("field/", include("kehu.field.urls")),
    path("accounts/", include("kehu.accounts.urls")),
    path("", include("kehu.web.urls")),
]
