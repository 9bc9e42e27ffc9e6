from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CrmConfig(AppConfig):
    name = "aizuchi.crm"
    label = "crm"
    verbose_name = _("Customer cards")

    def ready(self) -> None:
        from . import sections

        sections.register()
