from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FieldConfig(AppConfig):
    name = "kehu.field"
    label = "field"
    verbose_name = _("Field work")

    def ready(self) -> None:
        from kehu.field import registry

        registry.register()
