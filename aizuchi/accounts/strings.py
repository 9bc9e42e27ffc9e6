"""Messages raised by the accounts services, kept here so tests can assert them."""

from django.utils.translation import gettext_lazy as _

LANGUAGE_UNKNOWN = _("Choose Japanese or English.")
