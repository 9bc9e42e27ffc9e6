from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SiteConfig(AppConfig):
    """The top of the layer order: what looks at every domain at once (the home page, the
    page shell's badges and the provider-area navigation, demo data, rebuilds)."""

    name = "aizuchi.site"
    label = "site"
    verbose_name = _("Site")
