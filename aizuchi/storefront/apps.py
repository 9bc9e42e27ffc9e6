from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class StorefrontConfig(AppConfig):
    name = "aizuchi.storefront"
    label = "storefront"
    verbose_name = _("Storefront")

    def ready(self) -> None:
        from . import notifications

        notifications.register()
