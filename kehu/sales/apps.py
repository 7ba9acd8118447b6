from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SalesConfig(AppConfig):
    name = "kehu.sales"
    label = "sales"
    verbose_name = _("Sales")

    def ready(self) -> None:
        from kehu.sales import card_tabs

        card_tabs.register()
        from kehu.sales import merge

        merge.register()
        from kehu.sales.demo import hook  # noqa: F401  (registers the sales step of `kehu demo`)
