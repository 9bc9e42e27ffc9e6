from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BillingConfig(AppConfig):
    name = "aizuchi.billing"
    label = "billing"
    verbose_name = _("Billing")

    def ready(self) -> None:
        from . import (
            checks,  # noqa: F401 (registers the system checks)
            notifications,
            sections,
        )

        notifications.register()
        sections.register()
